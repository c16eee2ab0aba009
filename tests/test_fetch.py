"""The data layer's faults: corrupt files, truncated downloads, missing mirror files, offline, read-only cache."""
import os
import time
from pathlib import Path

import pytest

from course_utils import fetch, registry
from course_utils.data.registry import RemoteFile


def cached(entry) -> Path:
    return fetch.cache_path(entry.key)


def no_partial_files(folder: Path) -> bool:
    return not any(p.name.endswith(".part") or ".part" in p.name for p in folder.rglob("*"))


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
    assert not cached(entry).exists()
    assert no_partial_files(cached(entry).parent)


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


def test_unreachable_host_times_out_quickly(course_env, monkeypatch):
    # 10.255.255.1 is a non-routable address: packets vanish, so only the connect timeout ends the wait.
    entry = RemoteFile("test/blackhole.bin", "http://10.255.255.1/blackhole.bin", None, 1, "test")
    monkeypatch.setitem(registry.REGISTRY, entry.key, entry)
    start = time.monotonic()
    with pytest.raises(fetch.DataUnavailableError):
        fetch.fetch_file(entry.key, progress=False)
    assert time.monotonic() - start < 10


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
    assert not cached(entry).exists()
    assert no_partial_files(cached(entry).parent)


def test_unwritable_cache_is_a_clear_error(course_env, fake_file, monkeypatch, tmp_path):
    entry, _, mirror = fake_file
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker / "cache"))  # cannot create a folder inside a file
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(fetch.DataUnavailableError, match="not writable.*COURSE_DATA_DIR"):
        fetch.fetch_file(entry.key)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders; covered by the test above")
def test_read_only_cache_folder(course_env, fake_file, monkeypatch, tmp_path):
    entry, _, mirror = fake_file
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    cache.chmod(0o555)
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    try:
        with pytest.raises(fetch.DataUnavailableError, match="not writable"):
            fetch.fetch_file(entry.key)
    finally:
        cache.chmod(0o755)


def test_verified_file_in_read_only_cache_is_still_usable(course_env, fake_file, monkeypatch):
    entry, payload, mirror = fake_file
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    path = fetch.fetch_file(entry.key)
    monkeypatch.delenv("COURSE_DATA_MIRROR")
    monkeypatch.setattr(fetch, "ensure_writable", lambda folder: pytest.fail("no write needed for a good file"))
    assert fetch.fetch_file(entry.key) == path


def test_unknown_key_lists_known_files():
    with pytest.raises(KeyError, match="mnist/train-images"):
        fetch.registry_entry("mnist/nope.gz")


def test_every_registry_entry_is_complete():
    for entry in registry.REGISTRY.values():
        assert entry.url.startswith(("http://", "https://"))
        assert entry.known_hash is None or entry.known_hash.split(":")[0] in ("sha256", "md5")
        assert entry.size > 0 and "/" in entry.key
    assert all(e.known_hash.startswith("sha256:") for e in registry.files_of("mnist") + registry.files_of("fashion-mnist"))


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
