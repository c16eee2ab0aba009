"""Where the site keeps executed lessons: one jupyter-cache folder per run profile and version of course_utils.

jupyter-cache recognises a notebook by the code of its cells, so it re-runs a lesson whose code changed and
reuses every other lesson's outputs. Two things it cannot see would make reused outputs stale:

* the run profile (``COURSE_PROFILE``): the same code gives different outputs in ``smoke`` and ``full``;
* the helper package the lessons import (``course_utils``): a changed plot or training helper changes
  every lesson's outputs without changing a notebook.

Both go into the folder's name, so a new profile or a changed helper starts from an empty cache (every
lesson runs once), while a changed lesson re-runs alone. Older folders of the same profile are removed.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

HELPER_FILES = ("*.py", "*.txt")   # code and the checksum tables the data layer verifies against


def helpers_fingerprint(package: Path) -> str:
    """12 hex digits of SHA-256 over the helper package's file names and bytes (caches excluded)."""
    digest = hashlib.sha256()
    files = sorted(p for pattern in HELPER_FILES for p in package.rglob(pattern) if "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def cache_folder(build_dir: Path, profile: str, package: Path) -> Path:
    """``<build_dir>/jupyter_cache/<profile>-<fingerprint>``; removes the profile's folders for other versions."""
    root = build_dir / "jupyter_cache"
    current = root / f"{profile}-{helpers_fingerprint(package)}"
    for stale in root.glob(f"{profile}-*"):
        if stale != current and stale.is_dir():
            shutil.rmtree(stale)
    return current
