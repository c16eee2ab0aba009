"""A pytest plugin for nbval runs of the lessons: keeps each executed lesson for the website.

nbval (``pytest --nbval-lax``) runs every code cell of a lesson in one fresh kernel, as a pytest item
named ``notebooks/NN_lesson.ipynb::Cell K``: a cell that raises fails its item with the lesson, the
cell and the traceback named, and a cell tagged ``nbval-check-output`` must print what the notebook
stores for it. nbval keeps what each cell printed (``item.test_outputs``) but writes nothing.

This plugin puts those outputs back into the lesson and, when every cell of the lesson passed and
``COURSE_EXECUTED_DIR`` is set (``make test`` sets it), saves the executed lesson in
``<COURSE_EXECUTED_DIR>/<profile>-<fingerprint of course_utils>/`` (:func:`run_lesson.executed_folder`).
``make site`` adopts those copies (``site/execution_cache.py``), so each lesson runs once per environment.

Use: ``pytest -p course_utils.tools.nbval_plugin --nbval-lax --nbval-current-env notebooks/0*.ipynb``
(``make test`` passes these options).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

_started: dict[str, float] = {}    # lesson path -> time its first cell started
_failed: set[str] = set()          # lessons with a cell that failed


def _is_nbval_cell(item) -> bool:
    return hasattr(item, "test_outputs") and hasattr(item, "cell") and hasattr(item.parent, "nb")


def pytest_runtest_setup(item):
    if _is_nbval_cell(item):
        _started.setdefault(str(item.parent.path), time.perf_counter())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """After a cell ran: store its outputs in the lesson; remember the lesson if the cell failed."""
    outcome = yield
    if not _is_nbval_cell(item) or call.when != "call":
        return
    report = outcome.get_result()
    if report.failed:
        _failed.add(str(item.parent.path))
    if item.test_outputs is not None:
        item.cell.outputs = list(item.test_outputs)


def pytest_runtest_teardown(item, nextitem):
    """After a lesson's last cell: save the executed lesson if every cell passed."""
    if not _is_nbval_cell(item) or (nextitem is not None and nextitem.parent is item.parent):
        return
    lesson = Path(str(item.parent.path))
    root = os.environ.get("COURSE_EXECUTED_DIR")
    if not root or str(lesson) in _failed:
        return
    save_lesson(item.parent.nb, lesson, Path(root), time.perf_counter() - _started.get(str(lesson), 0.0))


def save_lesson(nb, lesson: Path, root: Path, wall_seconds: float) -> Path:
    """Write the executed ``nb`` of ``lesson`` where ``make site`` looks for it; number its code cells."""
    from course_utils import config
    from course_utils.tools.run_lesson import executed_folder, save_executed

    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = count
    profile = config.get_profile()
    nb.metadata["course_run"] = {"profile": profile, "wall_seconds": round(wall_seconds, 1), "runner": "nbval"}
    return save_executed(nb, lesson, executed_folder(root, profile))
