"""Shared fixtures: an isolated cache, a fake registry entry, a local web server, figures closed after each test."""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest

from course_utils import config, registry
from course_utils.data.registry import RemoteFile

# The offline mirror the data tests read: COURSE_DATA_MIRROR as set when pytest started (read now,
# because the course_env fixture removes it), else a clean clone's neighbour ../shared/datasets (.ci/run).
_MIRROR_FROM_ENV = os.environ.get("COURSE_DATA_MIRROR", "")
SHARED_MIRROR = (Path(_MIRROR_FROM_ENV) if _MIRROR_FROM_ENV and "://" not in _MIRROR_FROM_ENV
                 else Path(__file__).resolve().parents[2] / "shared" / "datasets")
UNDER_CI = config.under_ci()  # read now: the course_env fixture removes CI


@pytest.fixture(scope="session")
def _session_artifacts(tmp_path_factory):
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(autouse=True)
def isolated_artifacts(_session_artifacts, monkeypatch):
    """Models and results a test (or a lesson it runs) saves go to this test session's own folder.

    The lessons nbval runs keep the course's artifacts folder; under ``make test``'s two workers
    (pytest-xdist) a unit test running a lesson on the other worker must not overwrite their files.
    """
    monkeypatch.setenv("COURSE_ARTIFACTS_DIR", str(_session_artifacts))


@pytest.fixture(autouse=True)
def close_figures():
    """Close every Matplotlib figure a test opened (only if the test used pyplot), so figures never pile up."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def course_env(tmp_path, monkeypatch):
    """A clean environment: empty cache in tmp, no mirror, full profile, non-strict checks."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_LANG", raising=False)
    return tmp_path


@pytest.fixture
def fake_file(tmp_path, monkeypatch):
    """Register ``test/payload.bin`` (origin: a closed local port) and put a good copy in a mirror folder."""
    payload = os.urandom(50_000)
    mirror = tmp_path / "mirror"
    (mirror / "test").mkdir(parents=True)
    (mirror / "test" / "payload.bin").write_bytes(payload)
    entry = RemoteFile("test/payload.bin", "http://127.0.0.1:9/test/payload.bin",
                       "sha256:" + hashlib.sha256(payload).hexdigest(), len(payload), "test")
    monkeypatch.setitem(registry.REGISTRY, entry.key, entry)
    return entry, payload, mirror


@pytest.fixture
def web_server(tmp_path):
    """Serve ``tmp_path/www`` over HTTP on a free local port; yields (root folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


def need_shared_mirror() -> Path:
    """The offline dataset mirror (a folder). Missing: the test fails under CI, and is skipped elsewhere.

    CI must never skip a data test silently; a learner's machine without the mirror may.
    """
    if not (SHARED_MIRROR / "mnist").is_dir():
        reason = (f"offline dataset mirror not found at {SHARED_MIRROR}: set COURSE_DATA_MIRROR to a folder "
                  "holding mnist/, fashion-mnist/ and birds/ (see data/README.md)")
        if UNDER_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return SHARED_MIRROR


def make_cub100_mirror(root: Path, monkeypatch, species, per_species: int, train: int) -> Path:
    """A mirror folder ``root/mirror`` whose cub100/ holds ``per_species`` fake photos of each species (the first
    ``train`` in the train split) and its split file; points COURSE_DATA_MIRROR and COURSE_DATA_DIR there."""
    folder = root / "mirror" / "cub100"
    rows = ["filename,species,split"]
    for name in species:
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_species):
            relpath = f"{name}/{name.split('.')[1]}_{i:04d}.jpg"
            (folder / relpath).write_bytes(f"{name} {i}".encode())
            rows.append(f"{relpath},{name},{'train' if i < train else 'test'}")
    (folder / "cub100_split.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(root / "mirror"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(root / "data"))
    return folder

