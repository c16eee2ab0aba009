"""Where the site keeps executed lessons: one jupyter-cache folder per run profile and version of course_utils.

jupyter-cache recognises a notebook by the code of its cells, so it re-runs a lesson whose code changed and
reuses every other lesson's outputs. Two things it cannot see would make reused outputs stale:

* the run profile (``COURSE_PROFILE``): the same code gives different outputs in ``smoke`` and ``full``;
* the helper package the lessons import (``course_utils``): a changed plot or training helper changes
  every lesson's outputs without changing a notebook.

Both go into the folder's name, so a new profile or a changed helper starts from an empty cache (every
lesson runs once), while a changed lesson re-runs alone. Older folders of the same profile are removed.

``make test`` already runs every lesson (nbval, with ``course_utils.tools.nbval_plugin``) and leaves the executed copies in
``_build/executed/<profile>-<fingerprint>/``. :func:`adopt_executed` puts those into the cache before the
build, so a site built right after the tests executes nothing again. A copy is adopted only when its code
cells are the lesson's code cells now, under the same profile and helpers (the folder name says which).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from course_utils.tools.run_lesson import executed_folder, helpers_fingerprint


def cache_folder(build_dir: Path, profile: str, package: Path) -> Path:
    """``<build_dir>/jupyter_cache/<profile>-<fingerprint>``; removes the profile's folders for other versions."""
    root = build_dir / "jupyter_cache"
    current = root / f"{profile}-{helpers_fingerprint(package)}"
    for stale in root.glob(f"{profile}-*"):
        if stale != current and stale.is_dir():
            shutil.rmtree(stale)
    return current


def code_cells(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def with_outputs_of(lesson, executed):
    """``lesson`` (as read from disk) given the outputs of its executed copy, code cell by code cell.

    Only the outputs are taken: the cells' metadata stay the lesson's, so jupyter-cache's hash (code and
    cell metadata) is the one the site computes for the lesson.
    """
    runs = iter(cell for cell in executed.cells if cell.cell_type == "code")
    for cell in lesson.cells:
        if cell.cell_type == "code":
            ran = next(runs)
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
    return lesson


def adopt_executed(cache_path: Path, executed_root: Path, profile: str, lessons: list[Path]) -> list[str]:
    """Cache the lessons ``make test`` executed (same profile, helpers and code); return the adopted names."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    folder = executed_folder(executed_root, profile)
    cache = get_cache(str(cache_path))
    adopted = []
    for lesson_path in lessons:
        copy_path = folder / lesson_path.name
        if not copy_path.exists():
            continue
        lesson = nbformat.read(lesson_path, as_version=4)
        executed = nbformat.read(copy_path, as_version=4)
        if code_cells(lesson) != code_cells(executed):
            continue   # the lesson changed after the tests ran: the site executes it itself
        try:
            cache.match_cache_notebook(lesson)
            continue   # already cached
        except KeyError:
            pass
        seconds = executed.metadata.get("course_run", {}).get("wall_seconds")
        cache.cache_notebook_bundle(CacheBundleIn(with_outputs_of(lesson, executed), str(lesson_path),
                                                  data={"execution_seconds": seconds}),
                                    check_validity=False, overwrite=True)
        adopted.append(lesson_path.name)
    return adopted
