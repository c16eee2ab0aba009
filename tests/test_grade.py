"""Grading a class (``python -m course_utils.tools.grade``): one CSV row per file, the right verdict per exercise.

A synthetic lesson 99 (no TensorFlow, so the test stays fast) registers its own checkers with the real
``course_utils.exercises`` and calls the real ``cu.check``, so the verdicts travel through the real grade log.
The submissions folder holds a fully solved copy, an untouched learner copy, a copy with a wrong answer and a
raising answer, a notebook that never finishes, and files that are not gradable notebooks.
"""
from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.tools import grade, student

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 15  # seconds per notebook: the hanging one is stopped after this
SETUP = '''\
import sys, types
import course_utils as cu
from course_utils.exercises import CORRECT, exercise, expect

sys.modules.setdefault("course_utils.exercises.lesson99", types.ModuleType("lesson99"))  # lesson 99 lives here

@exercise("99.1", hint="Add the numbers of data, divide by how many there are.")
def _mean(answer, ns):
    expect(abs(answer - sum(ns["data"]) / len(ns["data"])) < 1e-9, "that is not the mean of data")
    return CORRECT

@exercise("99.2", hint="Multiply x by itself.")
def _square(answer, ns):
    expect(answer(3) == 9, "answer_99_2(3) should be 9")
    return CORRECT

@exercise("99.3", hint="The largest number in data.")
def _largest(answer, ns):
    expect(answer == max(ns["data"]), "that is not the largest number")
    return CORRECT

data = [1, 2, 3, 4]'''
SOLUTIONS = {"99.1": "answer_99_1 = sum(data) / len(data)", "99.2": "answer_99_2 = lambda x: x * x",
             "99.3": "answer_99_3 = max(data)"}


def _solution_cell(exercise: str, solution: str):
    name = "answer_" + exercise.replace(".", "_")
    cell = nbformat.v4.new_code_cell(f"{name} = None   # your answer here\n### BEGIN SOLUTION\n{solution}\n"
                                     "### END SOLUTION")
    cell.metadata.update({"tags": ["solution"], "exercise": exercise})
    return cell


def instructor_lesson(solutions: dict[str, str] = SOLUTIONS, pause_after: str | None = None):
    """Lesson 99 with its solutions; ``pause_after`` puts a cell that never finishes after that exercise."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · Synthetic"), nbformat.v4.new_code_cell(SETUP)]
    for exercise, solution in solutions.items():
        name = "answer_" + exercise.replace(".", "_")
        nb.cells += [_solution_cell(exercise, solution),
                     nbformat.v4.new_code_cell(f'cu.check("{exercise}", {name}, globals())')]
        if exercise == pause_after:
            nb.cells.append(nbformat.v4.new_code_cell("import time; time.sleep(999)"))
    return nb


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class folder once through the command line; yields (rows by file, seconds, submissions folder)."""
    base = tmp_path_factory.mktemp("class")
    lessons, submissions = base / "notebooks", base / "collected"
    lessons.mkdir()
    submissions.mkdir()
    nbformat.write(instructor_lesson(), lessons / "99_synthetic.ipynb")
    nbformat.write(instructor_lesson(), submissions / "ada_99_synthetic.ipynb")  # fully solved
    (submissions / "bob_99_synthetic.ipynb").write_text(  # the learner edition, untouched
        student.student_notebook_text(lessons / "99_synthetic.ipynb"), encoding="utf-8")
    nbformat.write(instructor_lesson({"99.1": "answer_99_1 = 2", "99.2": "answer_99_2 = squre",
                                      "99.3": SOLUTIONS["99.3"]}), submissions / "cy_mixed.ipynb")
    hangs = instructor_lesson(pause_after="99.1")
    hangs.cells[-1].outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="stale", traceback=[])]
    hangs.cells[-1].execution_count = 7  # the learner's own run: must not count as this run's result
    nbformat.write(hangs, submissions / "dee_hangs.ipynb")
    crashes = instructor_lesson()
    crashes.cells.insert(4, nbformat.v4.new_code_cell("import os; os._exit(3)  # the kernel process dies"))
    nbformat.write(crashes, submissions / "dan_crashes.ipynb")
    (submissions / "eve_notes.txt").write_text("I could not open Jupyter.\n", encoding="utf-8")
    (submissions / "fay_broken.ipynb").write_text('{"cells": [', encoding="utf-8")  # cut short in transfer
    (submissions / "gus_v3.ipynb").write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [],
                                                           "metadata": {}}), encoding="utf-8")
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_code_cell("print('my own project')")]
    nbformat.write(other, submissions / "hal_project.ipynb")
    before = _fingerprint(submissions)

    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "course_utils.tools.grade", str(submissions),
                             "--out", str(base / "grades.csv"), "--profile", "smoke", "--timeout", str(TIMEOUT),
                             "--lessons-folder", str(lessons)], capture_output=True, text=True, cwd=ROOT,
                            timeout=TIMEOUT * 12)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert _fingerprint(submissions) == before, "grading modified the submissions"
    with open(base / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    return rows, seconds, result.stdout


def test_one_row_per_file_and_one_column_per_exercise(graded):
    rows, _, _ = graded
    assert sorted(rows) == ["ada_99_synthetic.ipynb", "bob_99_synthetic.ipynb", "cy_mixed.ipynb", "dan_crashes.ipynb",
                            "dee_hangs.ipynb", "eve_notes.txt", "fay_broken.ipynb", "gus_v3.ipynb", "hal_project.ipynb"]
    assert list(next(iter(rows.values()))) == grade.FIXED_COLUMNS + ["99.1", "99.2", "99.3"]


def test_a_solved_lesson_is_correct_everywhere(graded):
    row = graded[0]["ada_99_synthetic.ipynb"]
    assert (row["lesson"], row["status"], row["problem"]) == ("99_synthetic", "graded", "")
    assert [row[ex] for ex in SOLUTIONS] == ["correct"] * 3
    assert float(row["seconds"]) > 0


def test_an_untouched_learner_copy_is_not_answered(graded):
    row = graded[0]["bob_99_synthetic.ipynb"]
    assert row["status"] == "graded" and [row[ex] for ex in SOLUTIONS] == ["not answered"] * 3


def test_a_wrong_answer_is_not_quite_and_a_raising_answer_shows_its_error(graded):
    row = graded[0]["cy_mixed.ipynb"]
    assert row["99.1"] == "not quite"
    assert row["99.2"] == "error: NameError: name 'squre' is not defined"
    assert row["99.3"] == "correct"  # an earlier error does not stop the rest of the notebook


def test_a_notebook_that_never_finishes_is_stopped_and_keeps_what_it_reached(graded):
    row = graded[0]["dee_hangs.ipynb"]
    assert row["status"] == "stopped" and row["problem"].startswith(f"timeout: still running after {TIMEOUT} s")
    assert [row[ex] for ex in SOLUTIONS] == ["correct", "not reached", "not reached"]
    assert float(row["seconds"]) < TIMEOUT + 30


def test_a_kernel_that_dies_stops_only_its_own_notebook(graded):
    row = graded[0]["dan_crashes.ipynb"]
    assert row["status"] == "stopped" and row["problem"].startswith("the kernel died"), row
    assert [row[ex] for ex in SOLUTIONS] == ["correct", "not reached", "not reached"]


@pytest.mark.parametrize("name, reason", [("eve_notes.txt", "not a notebook (.txt extension"),
                                          ("fay_broken.ipynb", "not a notebook: the file is not valid JSON"),
                                          ("gus_v3.ipynb", "not an nbformat 4 notebook (nbformat 3)"),
                                          ("hal_project.ipynb", "unknown lesson")])
def test_files_that_cannot_be_graded_are_reported_and_skipped(graded, name, reason):
    row = graded[0][name]
    assert row["status"] == "skipped" and row["problem"].startswith(reason), row
    assert row["lesson"] == "" and all(row[ex] == "" for ex in SOLUTIONS)


def test_the_whole_class_is_graded_in_bounded_time(graded):
    rows, seconds, stdout = graded
    assert seconds < TIMEOUT + 90, f"grading the test class took {seconds:.0f} s"
    assert f"{len(rows)} file(s), 4 skipped" in stdout


def test_another_lesson_is_skipped_when_one_lesson_is_graded(tmp_path):
    lessons = {99: grade.Lesson("99_synthetic", 99, ["99.1"]), 98: grade.Lesson("98_other", 98, ["98.1"])}
    path = tmp_path / "submission.ipynb"
    nbformat.write(instructor_lesson(), path)
    row = grade.grade_file(path, tmp_path, lessons, "smoke", TIMEOUT, only=98)
    assert row.status == "skipped" and row.problem == "lesson 99, not the lesson being graded (98)"


def test_a_renamed_submission_is_recognised_by_its_exercises(tmp_path):
    path = tmp_path / "Untitled (3).ipynb"
    nbformat.write(instructor_lesson(), path)
    lessons = grade.course_lessons(ROOT / "notebooks")
    lessons[99] = grade.Lesson("99_synthetic", 99, list(SOLUTIONS))
    assert grade.identify_lesson(grade.read_submission(path), path, lessons).name == "99_synthetic"


def test_the_course_lessons_and_their_exercises_are_read_from_notebooks():
    lessons = grade.course_lessons(ROOT / "notebooks")
    assert sorted(lessons) == list(range(len(lessons))) and lessons[0].name == "00_welcome"
    for number, lesson in lessons.items():
        assert all(ex.startswith(f"{number}.") for ex in lesson.exercises), lesson


def test_make_grade_passes_its_arguments():
    plan = subprocess.run(["make", "-n", "grade", "SUBMISSIONS=collected", "PROFILE=full", "TIMEOUT=90"],
                          cwd=ROOT, capture_output=True, text=True).stdout
    assert 'course_utils.tools.grade "collected" --out "grades.csv" --profile full --timeout 90' in plan, plan



def test_make_grade_without_a_folder_prints_its_usage(tmp_path):
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "activate").touch()  # newer than requirements.txt: make does not rebuild a virtual environment
    usage = subprocess.run(["make", "-s", "grade", f"VENV={venv.parent}"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode != 0 and "usage: make grade SUBMISSIONS=" in usage.stdout, usage
