"""The lessons are validated by nbval (``make test`` runs ``pytest --nbval-lax`` on ``notebooks/NN_*.ipynb``).

These tests check the harness itself, in a pytest run of its own on small notebooks:

* a cell that raises fails the run, and the report names the lesson and the cell;
* a cell tagged ``nbval-check-output`` (or marked ``# NBVAL_CHECK_OUTPUT``) fails when it prints something else than the notebook stores, and
  the sanitisers (``tests/nbval_sanitize.cfg``) let timings and memory addresses differ;
* :mod:`course_utils.tools.nbval_plugin` saves a lesson whose cells all passed, with its outputs, where
  ``make site`` adopts it, and saves nothing for a lesson that failed.

And the lessons themselves: every lesson in ``notebooks/`` is in the README's lesson table, in order, and the
command ``make test`` runs collects each of them.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


def run_nbval(folder: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``pytest --nbval-lax`` with the course's plugin and sanitisers on the notebooks in ``folder``."""
    command = [sys.executable, "-m", "pytest", str(folder), "-p", "course_utils.tools.nbval_plugin", "--nbval-lax",
               "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE), "-p", "no:cacheprovider",
               "-o", "addopts=", "--rootdir", str(folder), *extra]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COURSE_PROFILE": "smoke", **(env or {})})


def write_notebook(path: Path, *cells) -> Path:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_cell_that_raises_fails_with_the_lesson_and_cell_named(tmp_path):
    write_notebook(tmp_path / "99_broken.ipynb", nbformat.v4.new_code_cell("x = 1"),
                   nbformat.v4.new_code_cell("x / 0"))
    run = run_nbval(tmp_path)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "99_broken.ipynb::Cell 1" in run.stdout
    assert "ZeroDivisionError" in run.stdout
    assert "1 failed, 1 passed" in run.stdout


def test_a_checked_output_is_compared_and_sanitised(tmp_path):
    checked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint('params 320, took 0.123 s')", execution_count=1,
                                        outputs=[nbformat.v4.new_output("stream", name="stdout",
                                                                        text="params 320, took 9.9 s\n")])
    write_notebook(tmp_path / "98_same.ipynb", checked)
    assert run_nbval(tmp_path).returncode == 0           # only the sanitised time differs

    checked.source = "# NBVAL_CHECK_OUTPUT\nprint('params 321, took 0.123 s')"
    write_notebook(tmp_path / "98_same.ipynb", checked)
    run = run_nbval(tmp_path)
    assert run.returncode == 1 and "Cell outputs differ" in run.stdout


def test_a_lesson_that_passed_is_saved_with_its_outputs_and_a_failed_one_is_not(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    write_notebook(lessons / "01_good.ipynb", nbformat.v4.new_code_cell("print('hello')"),
                   nbformat.v4.new_code_cell("6 * 7"))
    write_notebook(lessons / "02_bad.ipynb", nbformat.v4.new_code_cell("print('before')"),
                   nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    run = run_nbval(lessons, env={"COURSE_EXECUTED_DIR": str(tmp_path / "executed")})
    assert run.returncode == 1

    [folder] = (tmp_path / "executed").glob("smoke-*")   # <profile>-<fingerprint of course_utils>
    assert not (folder / "02_bad.ipynb").exists()
    good = nbformat.read(folder / "01_good.ipynb", as_version=4)
    assert good.cells[0].outputs[0]["text"] == "hello\n"
    assert good.cells[1].outputs[0]["data"]["text/plain"] == "42"
    assert [cell.execution_count for cell in good.cells] == [1, 2]
    assert good.metadata["course_run"]["profile"] == "smoke"


def lessons_in_readme() -> list[str]:
    """The notebook names linked from the README's lesson table, in table order."""
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Lessons", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"\| \d+ \| \[notebooks/([0-9]{2}_\w+\.ipynb)\]", table)


def test_every_lesson_is_in_the_readme_table_in_order():
    assert lessons_in_readme() == [path.name for path in LESSONS]


def test_make_test_validates_every_lesson_with_nbval():
    make = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    command = next(line for line in make.splitlines() if "pytest" in line)
    for option in ("--nbval-lax", "course_utils.tools.nbval_plugin", "nbval_sanitize.cfg"):
        assert option in command
    for lesson in LESSONS:
        assert f"notebooks/{lesson.name}" in command


def checked_cells(lesson: Path) -> list[dict]:
    """The code cells nbval compares: tagged ``nbval-check-output`` (or marked ``# NBVAL_CHECK_OUTPUT``)."""
    cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code" and ("nbval-check-output" in c["metadata"].get("tags", [])
                                                             or "NBVAL_CHECK_OUTPUT" in "".join(c["source"]))]


def test_checked_cells_store_the_output_they_are_compared_with():
    """A cell marked for comparison stores an output (nbval compares against it) and has been run; every other
    cell is stored without output. Lessons 3 and 4 compare shapes, a small convolution and parameter counts."""
    checked = {lesson.name: checked_cells(lesson) for lesson in LESSONS}
    assert len(checked["03_convolution_mnist.ipynb"]) >= 2 and len(checked["04_pretraining_mnist.ipynb"]) >= 1
    for lesson in LESSONS:
        for cell in checked[lesson.name]:
            assert cell["outputs"] and cell["execution_count"], f"{lesson.name}: {''.join(cell['source'])[:80]}"
        cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
        stored = [c["id"] for c in cells if c["cell_type"] == "code" and c["outputs"] and c not in checked[lesson.name]]
        assert stored == [], f"{lesson.name}: outputs stored in cells nbval does not compare"
