"""Every lesson runs top to bottom in a fresh kernel, as a learner runs it (in ``COURSE_PROFILE``, smoke under CI).

A cell that raises fails the lesson's test with the cell's error; with ``COURSE_STRICT_CHECKS=1`` (as ``make test``
sets it) so does a self-check line that fails. The Chinese lessons (``notebooks/zh/``) are not run again: their
code cells are the English cells byte for byte (``tests/test_translations.py``).

With ``COURSE_EXECUTED_DIR`` set (``make test`` sets it), each executed lesson is also saved in that folder, under
the profile and the version of ``course_utils`` it ran with (:func:`course_utils.tools.run_lesson.executed_folder`).
``make site`` then adopts those executions instead of running every lesson a second time.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_utils import config
from course_utils.tools.run_lesson import execute, executed_folder, save_executed

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT = 1800   # seconds; the slowest smoke cell takes well under a minute


def test_every_lesson_is_collected():
    assert len(LESSONS) == 9, [path.name for path in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_lesson_runs_top_to_bottom(lesson, monkeypatch):
    profile = config.get_profile()
    monkeypatch.setenv("COURSE_PROFILE", profile)   # execute() sets it for the kernel; restore it afterwards
    run = execute(lesson, profile, timeout=CELL_TIMEOUT)
    assert not run.error, f"{lesson.name} ({profile} profile) stopped at a cell that raised:\n{run.error}"
    if os.environ.get("COURSE_EXECUTED_DIR"):
        run.notebook.metadata["course_run"] = {"profile": profile, "wall_seconds": round(run.wall_seconds, 1)}
        save_executed(run.notebook, lesson, executed_folder(Path(os.environ["COURSE_EXECUTED_DIR"]), profile))


def test_a_cell_that_raises_is_reported_with_its_error(tmp_path):
    """The harness itself: a lesson whose cell raises comes back with the error (so its test fails)."""
    import nbformat

    broken = tmp_path / "99_broken.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                                   nbformat.v4.new_code_cell("x / 0")]), broken)
    run = execute(broken, "smoke", timeout=120)
    assert "ZeroDivisionError" in run.error
