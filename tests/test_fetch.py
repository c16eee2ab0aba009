"""The data layer's faults: corrupt files, truncated downloads, missing mirror files, offline, read-only cache."""
import errno
import re
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from course_utils import config, fetch, registry
from course_utils.data.registry import RemoteFile


def cached(entry) -> Path:
    return fetch.cache_path(entry.key)


def unverified_files() -> list[str]:
    """Every file in the cache that is not a registry file matching its checksum, whatever its name.

    A download's temporary file (pooch names them ``tmp*``, the mirror copy ``.<name>.*.part``), a
    cut download under its final name, a stray probe: all of them are listed.
    """
    root = config.data_dir()
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []:
        key = path.relative_to(root).as_posix()
        entry = registry.REGISTRY.get(key)
        if entry is None or not fetch.hash_matches(path, entry.known_hash):
            found.append(key)
    return found


def test_mirror_copy_is_verified_and_cached(course_env, fake_file, monkeypatch):
    entry, payload, mirror = fake_file
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    path = fetch.fetch_file(entry.key)
    assert path == cached(entry) and path.read_bytes() == payload
    assert fetch.file_status(entry.key) == "verified"


def test_mirror_file_with_one_byte_changed_is_refused(course_env, fake_file, monkeypatch):
    entry, payload, mirror = fake_file
    bad = bytearray(payload)
    bad[1234] ^= 0x01
    (mirror / entry.key).write_bytes(bytes(bad))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(fetch.ChecksumError, match="does not match its checksum"):
        fetch.fetch_file(entry.key)
    assert unverified_files() == []


def test_corrupt_cache_file_is_replaced_from_mirror(course_env, fake_file, monkeypatch, capsys):
    entry, payload, mirror = fake_file
    cached(entry).parent.mkdir(parents=True)
    cached(entry).write_bytes(payload[:-1] + b"X")
    assert fetch.file_status(entry.key) == "corrupt"
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    assert fetch.fetch_file(entry.key).read_bytes() == payload
    assert "corrupt or truncated" in capsys.readouterr().out


def test_corrupt_cache_without_any_source_is_reported(course_env, fake_file):
    entry, payload, _ = fake_file
    cached(entry).parent.mkdir(parents=True)
    cached(entry).write_bytes(payload[:100])
    with pytest.raises(fetch.DataUnavailableError, match="Could not obtain test/payload.bin"):
        fetch.fetch_file(entry.key)
    assert not cached(entry).exists(), "the corrupt file must not stay in the cache"


def test_offline_without_mirror_fails_fast_with_both_fixes(course_env, fake_file):
    entry, _, _ = fake_file
    start = time.monotonic()
    with pytest.raises(fetch.DataUnavailableError) as info:
        fetch.fetch_file(entry.key)
    assert time.monotonic() - start < 10
    message = str(info.value)
    for part in ("test/payload.bin", entry.url, str(cached(entry)), "connect to the internet", "COURSE_DATA_MIRROR"):
        assert part in message


@pytest.fixture
def fast_timeouts(monkeypatch):
    """One-second timeouts, so a test can wait for them to expire."""
    monkeypatch.setattr(fetch, "CONNECT_TIMEOUT_S", 1)
    monkeypatch.setattr(fetch, "READ_TIMEOUT_S", 1)


@pytest.fixture
def unreachable_port():
    """A local port whose connection queue is full: new connections are never completed (a blackhole)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    for _ in range(4):  # fill the accept queue; the kernel then drops further connection requests
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        queued.append(client)
    time.sleep(0.2)
    yield port
    for sock in queued + [listener]:
        sock.close()


@pytest.fixture
def silent_server():
    """A local server that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted, stop = [], threading.Event()

    def accept_forever():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for sock in accepted + [listener]:
        sock.close()


def fetch_with_deadline(key: str, deadline_s: float = 15) -> tuple[BaseException | None, float]:
    """Run fetch_file in a thread; fail the test if it is still waiting after ``deadline_s`` (a hang)."""
    outcome: list = []

    def run():
        start = time.monotonic()
        try:
            fetch.fetch_file(key, progress=False)
            outcome.append((None, time.monotonic() - start))
        except BaseException as err:  # noqa: BLE001 - handed to the test
            outcome.append((err, time.monotonic() - start))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(deadline_s)
    if thread.is_alive():
        pytest.fail(f"fetch_file was still waiting after {deadline_s} s: no timeout ended the wait")
    return outcome[0]


def test_unreachable_host_times_out_quickly(course_env, monkeypatch, fast_timeouts, unreachable_port):
    entry = RemoteFile("test/blackhole.bin", f"http://127.0.0.1:{unreachable_port}/blackhole.bin",
                       "sha256:" + "0" * 64, 1, "test")
    monkeypatch.setitem(registry.REGISTRY, entry.key, entry)
    error, seconds = fetch_with_deadline(entry.key)
    assert isinstance(error, fetch.DataUnavailableError), error
    assert "ConnectTimeout (timed out)" in str(error)
    assert 0.9 <= seconds < 5, f"the connect timeout (1 s) should end the wait, took {seconds:.1f} s"


def test_server_that_never_answers_times_out(course_env, monkeypatch, fast_timeouts, silent_server):
    entry = RemoteFile("test/silent.bin", f"http://127.0.0.1:{silent_server}/silent.bin",
                       "sha256:" + "0" * 64, 1, "test")
    monkeypatch.setitem(registry.REGISTRY, entry.key, entry)
    error, seconds = fetch_with_deadline(entry.key)
    assert isinstance(error, fetch.DataUnavailableError), error
    assert "ReadTimeout (timed out)" in str(error)
    assert 0.9 <= seconds < 5, f"the read timeout (1 s) should end the wait, took {seconds:.1f} s"
    assert unverified_files() == []


def test_missing_mirror_file_falls_back_to_origin_and_names_both(course_env, fake_file, monkeypatch, tmp_path, capsys):
    entry, _, _ = fake_file
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(empty_mirror))
    with pytest.raises(fetch.DataUnavailableError, match="not in mirror"):
        fetch.fetch_file(entry.key)
    assert "has no test/payload.bin" in capsys.readouterr().out


def test_download_through_url_mirror(course_env, fake_file, web_server, monkeypatch):
    entry, payload, _ = fake_file
    root, base_url = web_server
    (root / "test").mkdir()
    (root / "test" / "payload.bin").write_bytes(payload)
    monkeypatch.setenv("COURSE_DATA_MIRROR", base_url)
    assert fetch.fetch_file(entry.key, progress=False).read_bytes() == payload


def test_truncated_download_never_lands_in_cache(course_env, fake_file, web_server, monkeypatch):
    entry, payload, _ = fake_file
    root, base_url = web_server
    (root / "test").mkdir()
    (root / "test" / "payload.bin").write_bytes(payload[: len(payload) // 2])
    monkeypatch.setenv("COURSE_DATA_MIRROR", base_url)
    with pytest.raises(fetch.ChecksumError, match="discarded"):
        fetch.fetch_file(entry.key, progress=False)
    assert unverified_files() == []


def test_unwritable_cache_is_a_clear_error(course_env, fake_file, monkeypatch, tmp_path):
    entry, _, mirror = fake_file
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker / "cache"))  # cannot create a folder inside a file
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(fetch.DataUnavailableError, match="not writable.*COURSE_DATA_DIR"):
        fetch.fetch_file(entry.key)


@pytest.fixture
def read_only(monkeypatch):
    """Make a folder refuse new files, for every user including root.

    ``chmod`` makes it read-only for ordinary users; root ignores permissions, so every
    temporary file the course (or pooch) would create inside the folder also gets the
    PermissionError the operating system gives a read-only folder.
    """
    folders: list[Path] = []
    real_mkstemp, real_named = tempfile.mkstemp, tempfile.NamedTemporaryFile

    def refused(folder) -> bool:
        return folder is not None and any(Path(folder).resolve().is_relative_to(f.resolve()) for f in folders)

    def deny(folder):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder))

    def mkstemp(*args, dir=None, **kwargs):
        return deny(dir) if refused(dir) else real_mkstemp(*args, dir=dir, **kwargs)

    def named(*args, dir=None, **kwargs):
        return deny(dir) if refused(dir) else real_named(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", named)

    def make(folder: Path) -> Path:
        folder.chmod(0o555)
        folders.append(folder)
        return folder

    yield make
    for folder in folders:
        folder.chmod(0o755)


def test_read_only_cache_folder(course_env, fake_file, monkeypatch, tmp_path, read_only):
    entry, _, mirror = fake_file
    cache = tmp_path / "ro-cache"
    (cache / "test").mkdir(parents=True)
    read_only(cache)
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(fetch.DataUnavailableError, match="not writable.*COURSE_DATA_DIR"):
        fetch.fetch_file(entry.key)
    assert not cached(entry).exists()


def test_verified_file_in_read_only_cache_is_still_usable(course_env, fake_file, monkeypatch, read_only):
    entry, payload, mirror = fake_file
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    path = fetch.fetch_file(entry.key)
    monkeypatch.delenv("COURSE_DATA_MIRROR")
    read_only(config.data_dir())
    read_only(path.parent)
    with pytest.raises(fetch.DataUnavailableError):  # the cache really refuses writes now
        fetch.ensure_writable(path.parent)
    assert fetch.fetch_file(entry.key) == path and path.read_bytes() == payload


def test_unknown_key_lists_known_files():
    with pytest.raises(KeyError) as info:
        fetch.registry_entry("mnist/nope.gz")
    assert str(info.value).startswith("Unknown registry file 'mnist/nope.gz'.")
    assert all(key in str(info.value) for key in registry.REGISTRY)


CHECKSUM = re.compile(r"(sha256:[0-9a-f]{64}|md5:[0-9a-f]{32})")


def test_every_registry_entry_has_a_pinned_checksum():
    """No file is accepted unverified: each entry pins a SHA-256 or the publisher's MD5."""
    unpinned = [entry.key for entry in registry.REGISTRY.values()
                if not (isinstance(entry.known_hash, str) and CHECKSUM.fullmatch(entry.known_hash))]
    assert unpinned == [], f"registry entries without a checksum: {unpinned}"
    assert all(e.known_hash.startswith("sha256:") for e in registry.files_of("mnist") + registry.files_of("fashion-mnist"))


def test_every_registry_entry_is_complete():
    for entry in registry.REGISTRY.values():
        assert entry.url.startswith(("http://", "https://"))
        assert entry.size > 0 and "/" in entry.key


def test_load_mnist_offline_without_mirror_fails_within_seconds(course_env, monkeypatch):
    """The real loader and registry, with the network cut (every request goes to a closed local port)."""
    from course_utils import datasets

    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    start = time.monotonic()
    with pytest.raises(fetch.DataUnavailableError) as info:
        datasets.load_mnist()
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "mnist/train-images-idx3-ubyte.gz" in message and "storage.googleapis.com" in message
    assert "Cache path:" in message and "COURSE_DATA_MIRROR" in message and "connect to the internet" in message
