"""Exercises: the cu.check / hint / solution API, the grade log, and the shape of every exercise in the lessons.

This is the one test of the exercises' structure in the notebooks (markers, metadata, stub, check cell, hints,
predictions). The per-exercise checkers (stub, wrong answers, solution, odd answers, the grader's verdicts) are
tested in ``test_exercise_checkers.py``;
CI's smoke run of every instructor notebook (strict) shows each solution passing on the real lesson state.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import checks, exercises, i18n
from course_utils.exercises import core, gradelog, solutions

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK_LINE = re.compile(r'^cu\.check\("(?P<id>\d+\.\d+)", (?P<answer>answer_\d+_\d+), globals\(\)\);?$')


@pytest.fixture
def demo_exercise(monkeypatch):
    """A registered exercise 99.1 whose checker wants the namespace's `target` and says why not."""
    def checker(answer, ns):
        core.expect(answer == core.lesson_value(ns, "target"), "too small" if answer < ns["target"] else "too big")
        return core.CORRECT

    monkeypatch.setitem(core._REGISTRY, "99.1", core.Exercise("99.1", "Look at the target.", checker))
    return {"target": 7}


def test_verdict_lines(course_env, demo_exercise, capsys):
    assert cu.check("99.1", 7, demo_exercise)
    assert not cu.check("99.1", 3, demo_exercise)
    assert not cu.check("99.1", None, demo_exercise)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✅ Exercise 99.1: correct"
    assert lines[1] == "❌ Exercise 99.1: not quite — too small"
    assert lines[2] == '   Stuck? cu.hint("99.1") gives a hint.'
    assert lines[3] == "Exercise 99.1: not answered yet"


def test_strict_mode_raises_on_not_quite_and_errors_never_on_not_answered(course_env, demo_exercise, monkeypatch):
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    assert not cu.check("99.1", None, demo_exercise)            # the learner edition runs through
    with pytest.raises(checks.CheckFailed, match="not quite — too big"):
        cu.check("99.1", 9, demo_exercise)
    with pytest.raises(checks.CheckFailed, match="run the lesson's cells above"):
        cu.check("99.1", 9, {})                                 # lesson state missing: an error
    with pytest.raises(checks.CheckFailed, match="not quite — answer_99_1 could not be checked .TypeError"):
        cu.check("99.1", "seven", demo_exercise)                # an answer the checker cannot use: not quite
    with pytest.raises(checks.CheckFailed, match="UnknownExercise"):
        cu.check("98.7", 1, {})


def test_unknown_and_malformed_ids_are_errors(course_env):
    assert exercises.evaluate("0.99", 1).verdict == "error"
    assert exercises.evaluate("42.1", 1).verdict == "error"    # no lesson 42
    assert "is not an exercise id; write it as a string" in exercises.evaluate("three", 1).message


def test_grade_log_follows_the_protocol(course_env, demo_exercise, monkeypatch, tmp_path):
    log = tmp_path / "grades.jsonl"
    monkeypatch.setenv(gradelog.GRADE_LOG_ENV, str(log))
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    cu.check("99.1", 7, demo_exercise)
    cu.check("99.1", None, demo_exercise)
    with pytest.raises(checks.CheckFailed):
        cu.check("99.1", 8, demo_exercise)                      # logged before it raises
    with pytest.raises(checks.CheckFailed):
        cu.check("99.1", "x", demo_exercise)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["verdict"] for e in entries] == ["correct", "not answered", "not quite", "not quite"]
    assert all(e["exercise"] == "99.1" and e["lesson"] == "99" for e in entries)
    assert entries[2]["message"] == "too big" and "could not be checked (TypeError" in entries[3]["message"]
    assert exercises.GRADE_LOG_ENV == "COURSE_GRADE_LOG"


def test_no_grade_log_unless_asked_and_an_unwritable_log_never_stops_a_lesson(course_env, demo_exercise, monkeypatch,
                                                                              tmp_path, capsys):
    monkeypatch.delenv(gradelog.GRADE_LOG_ENV, raising=False)
    cu.check("99.1", 7, demo_exercise)
    assert not list(tmp_path.glob("*.jsonl"))
    monkeypatch.setenv(gradelog.GRADE_LOG_ENV, str(tmp_path / "missing-folder" / "grades.jsonl"))
    with pytest.warns(UserWarning, match="cannot write the grade log"):
        assert cu.check("99.1", 7, demo_exercise)
    assert "✅ Exercise 99.1: correct" in capsys.readouterr().out


def test_hint_and_solution_print_from_the_registry_and_the_instructor_notebook(capsys):
    cu.hint("3.1")
    cu.solution("3.1")
    out = capsys.readouterr().out
    assert out.startswith("Hint for exercise 3.1: ") and 'cu.hint("3.1", 2) gives the recipe' in out
    assert "def output_size(n, k, s=1, p=0, d=1):" in out and "answer_3_1 = output_size" in out
    assert "BEGIN SOLUTION" not in out and "answer_3_1 = None" not in out
    cu.hint("3.1", 2)
    assert capsys.readouterr().out.startswith("Recipe for exercise 3.1: ")


def test_an_id_typed_as_a_number_works_and_a_bad_one_says_how_to_write_it(capsys):
    cu.hint(1.1)
    cu.solution(1.2)
    out = capsys.readouterr().out
    assert out.startswith("Hint for exercise 1.1: ") and "def momentum_limit" in out
    cu.hint(1)
    assert 'cu.hint("3.1")' in capsys.readouterr().out   # says how to write an id, no traceback
    assert exercises.evaluate(1.1, None).verdict == "not answered"


def test_every_exercise_has_two_hint_tiers_in_both_languages_and_no_hint_is_the_solution(monkeypatch):
    """A hint nudges, the recipe gives the method in words: neither holds a line of the solution's code."""
    def normal(text):
        return "".join(text.split())

    for eid, found in exercises.all_exercises().items():
        hint_zh, recipe_zh = i18n.tr_in("zh", found.hint), i18n.tr_in("zh", found.recipe)
        assert found.hint and found.recipe and hint_zh != found.hint and recipe_zh != found.recipe, \
            f"{eid}: two tiers, two languages (the Chinese from the message catalog)"
        assert found.hint != found.recipe, eid
        code = solutions.solution_code(eid, core.lesson_number(eid))
        hints = normal(" ".join([found.hint, found.recipe, hint_zh, recipe_zh]))
        for line in code.splitlines():
            line = line.split("#")[0].strip()
            if len(normal(line)) >= 16:
                assert normal(line) not in hints, f"{eid}: a hint holds the solution's line {line!r}"
    monkeypatch.setenv("COURSE_LANG", "zh")
    assert exercises.get("3.1").hint_text(2) == i18n.tr_in("zh", exercises.get("3.1").recipe)


def test_solution_is_found_from_a_learner_folder_without_the_checkout(monkeypatch, tmp_path, capsys):
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "learner").mkdir()
    source = next(ROOT.glob("notebooks/01_*.ipynb"))
    (course / "notebooks" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(solutions.config, "repo_root", lambda: None)   # an installed package, not a checkout
    monkeypatch.chdir(course / "learner")
    cu.solution("1.1")
    assert "def backward_relu(params, X, y):" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)   # a handed-out notebook with no course folder: a message, not a traceback
    cu.solution("1.1")
    out = capsys.readouterr().out
    assert "no solutions here" in out and "cannot find the notebook of lesson 1" in out
    with pytest.raises(solutions.SolutionNotFound, match="cannot find the notebook of lesson 1"):
        solutions.solution_code("1.1", 1)


def test_importing_course_utils_and_the_api_does_not_import_tensorflow():
    code = ("import sys, course_utils as cu; cu.hint('3.1'); cu.check('3.1', None, {}); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


# ---- the exercises as the lessons hold them ---------------------------------------------------------

def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _exercise_section(cells: list[dict]) -> list[dict]:
    start = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and _source(c).startswith("## Exercises"))
    end = next(i for i, c in enumerate(cells) if i > start and c["cell_type"] == "markdown"
               and _source(c).startswith("## "))
    return cells[start:end]


def _solution_cells(cells: list[dict]) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(cells) if "solution" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_check_cell_is_the_one_line_call(lesson):
    cells = _cells(lesson)
    for cell in cells:
        text = _source(cell)
        assert "check_answer" not in text, f"{lesson.name}: use cu.check, not checks.check_answer"
        if cell["cell_type"] == "code" and "cu.check(" in text:
            assert CHECK_LINE.match(text.strip()), f"{lesson.name}: a check cell must be the one line, not {text!r}"
    for cell in _exercise_section(cells):
        if cell["cell_type"] == "code" and "solution" not in cell.get("metadata", {}).get("tags", []):
            assert CHECK_LINE.match(_source(cell).strip()), f"{lesson.name}: extra code in Exercises: {_source(cell)!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_solution_cell_has_markers_metadata_a_check_a_checker_and_a_hint(lesson):
    cells, number = _cells(lesson), int(lesson.name[:2])
    ids = []
    for i, cell in _solution_cells(cells):
        eid = cell["metadata"].get("exercise")
        answer = f"answer_{str(eid).replace('.', '_')}"
        text = _source(cell)
        assert eid and core.lesson_number(eid) == number, f"{lesson.name} cell {i}: metadata 'exercise' missing or wrong"
        prediction = f"prediction_{str(eid).replace('.', '_')} = None   # your prediction, written before you measure\n"
        stub = text[len(prediction):] if text.startswith(prediction) else text
        assert stub.startswith(f"{answer} = None   # your answer here\n"), f"{eid}: the stub line comes first"
        if text.startswith(prediction):
            assert prediction.split(" = ")[0] + " = " in solutions.between_markers(text), f"{eid}: a reference prediction"
        assert text.count(solutions.BEGIN) == 1 and text.count(solutions.END) == 1, f"{eid}: one pair of markers"
        assert text.index(solutions.BEGIN) < text.index(solutions.END)
        assert f"{answer} =" in solutions.between_markers(text), f"{eid}: the solution must set {answer}"
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, f"{eid}: collapse the solution"
        check = CHECK_LINE.match(_source(cells[i + 1]).strip())
        assert check and check["id"] == eid and check["answer"] == answer, f"{eid}: its check cell must follow it"
        assert core.get(eid).hint, f"{eid}: no hint"
        ids.append(eid)
    registered = sorted(e for e in exercises.all_exercises() if core.lesson_number(e) == number)
    assert sorted(ids) == registered, f"{lesson.name}: solution cells {sorted(ids)} vs checkers {registered}"
    assert len(ids) >= 3, f"{lesson.name}: at least three exercises"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_has_a_predict_then_measure_exercise(lesson):
    """The prediction is recorded (the stub's first line) before the measurement runs, and the prompt says so."""
    cells = _cells(lesson)
    predicting = [c["metadata"]["exercise"] for _, c in _solution_cells(cells) if _source(c).startswith("prediction_")]
    assert predicting, f"{lesson.name}: no exercise records a prediction"
    section = " ".join(_source(c) for c in _exercise_section(cells) if c["cell_type"] == "markdown")
    for eid in predicting:
        assert f"prediction_{eid.replace('.', '_')}" in section, f"{lesson.name}: {eid}'s prompt never asks for it"
    zh = ROOT / "notebooks" / "zh" / lesson.name
    if zh.exists():
        assert "先预测，再测量" in " ".join(_source(c) for c in _cells(zh) if c["cell_type"] == "markdown") or \
            all(f"prediction_{e.replace('.', '_')}" in " ".join(_source(c) for c in _cells(zh)) for e in predicting)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_has_an_explore_exercise_with_guidance(lesson):
    section = [_source(c) for c in _exercise_section(_cells(lesson)) if c["cell_type"] == "markdown"]
    explore = [text for text in section if re.search(r"\*\*Exercise \d+\.\d+ \(explore:", text)]
    assert explore, f"{lesson.name}: no '(explore: ...)' exercise"
    assert all("Guidance:" in text for text in explore), f"{lesson.name}: an explore exercise needs guidance"
