"""The edition without solutions (student and learner): valid notebooks, no solution text, lessons never touched.

Three levels, cheapest first:
1. the stripping on small sources and a synthetic lesson;
2. the command line: it writes a folder and refuses an output folder that is, contains or is inside the lessons'
   folder (exit code 2, lessons unchanged);
3. every real lesson in ``notebooks/``: its edition is valid and holds no solution line, and each stub run with its
   check cell says "not answered yet" (the exercises' structure in the lessons is tested once, in test_exercises.py).
``COURSE_TEST_STUDENT_RUN=1`` also runs one real lesson's edition top to bottom from another folder.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import nbformat
import pytest

from course_utils.tools import student

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_LESSON = "02_iris_first_keras_model.ipynb"  # the cheapest lesson with exercises, run in full when asked
CHECK_CALL = re.compile(r"cu\.check\(\s*['\"](?P<id>[\d.]+)['\"]\s*,\s*(?P<answer>\w+)\s*,\s*globals\(\)\s*\)")


def _cell(kind, source, tags=(), hidden=False, exercise=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    if exercise:
        cell.metadata["exercise"] = exercise
    return cell


def synthetic_lesson():
    """A lesson with a number, a function (indented solution) and a written answer, in the course's convention."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("markdown", "# 99 · Synthetic"),
        _cell("code", "import numpy as np\ndata = np.arange(6.0)"),
        _cell("code", "answer_99_1 = None   # your answer here\n### BEGIN SOLUTION\nanswer_99_1 = data.mean()\n"
                      "### END SOLUTION", tags=["solution"], hidden=True, exercise="99.1"),
        _cell("code", 'cu.check("99.1", answer_99_1, globals())'),
        _cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n"
                      "answer_99_2 = square", tags=["solution"], hidden=True, exercise="99.2"),
        _cell("markdown", "Because the mean is 2.5.", tags=["solution"]),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="stale output\n")]
    nb.cells[1].execution_count = 3
    return nb


# --- 1. stripping ----------------------------------------------------------------------------------

def test_strip_keeps_only_the_lines_outside_the_markers():
    src = "x = None   # your answer here\n### BEGIN SOLUTION\nx = 42\n### END SOLUTION\nprint(x)"
    assert student.strip_solution(src) == "x = None   # your answer here\nprint(x)"
    assert student.strip_solution("a = None\n### BEGIN SOLUTION\na = 1\n### END SOLUTION") == "a = None"


def test_strip_keeps_a_function_body_valid_and_handles_several_blocks():
    src = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n"
    assert student.strip_solution(src) == f"def f():\n    {student.INDENTED_STUB}\n"


@pytest.mark.parametrize("src", ["### BEGIN SOLUTION\nx = 1\n", "x = 1\n### END SOLUTION\n",
                                 "### END SOLUTION\n### BEGIN SOLUTION\n"])
def test_unbalanced_markers_are_refused(src):
    with pytest.raises(student.SolutionMarkerError):
        student.strip_solution(src)


def test_solution_cell_without_markers_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [_cell("code", "answer = 42", tags=["solution"])]
    with pytest.raises(student.SolutionMarkerError, match="no '### BEGIN SOLUTION'"):
        student.make_student_notebook(nb)


def test_student_notebook_is_clean_and_teacher_copy_untouched():
    nb = synthetic_lesson()
    out = nbformat.from_dict(student.make_student_notebook(nb))
    nbformat.validate(out)
    text = nbformat.writes(out)
    for secret in ("data.mean()", "x * x", "Because the mean", "BEGIN SOLUTION", "END SOLUTION", "source_hidden",
                   "stale output", '"solution"'):
        assert secret not in text, secret
    assert out.cells[2].source == "answer_99_1 = None   # your answer here"
    assert out.cells[5].source == student.MARKDOWN_STUB
    assert out.cells[1].execution_count is None
    for cell in out.cells:
        if cell.cell_type == "code":
            compile(cell.source, "stub", "exec")  # every stub is valid Python
    assert [c.metadata.get("tags") for c in out.cells if "tags" in c.metadata] == [["exercise"]] * 3
    assert [c.metadata.get("exercise") for c in out.cells if "exercise" in c.metadata] == ["99.1", "99.2"]
    assert "data.mean()" in nb.cells[2].source and nb.cells[2].metadata.jupyter.source_hidden  # input intact


# --- 2. the command line ---------------------------------------------------------------------------

@pytest.fixture
def lessons_folder(tmp_path):
    """A course folder with ``notebooks/99_synthetic.ipynb`` and a glossary."""
    src = tmp_path / "course" / "notebooks"
    src.mkdir(parents=True)
    nbformat.write(synthetic_lesson(), src / "99_synthetic.ipynb")
    (src / "glossary.md").write_text("# Glossary\n", encoding="utf-8")
    return src


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_command_line_writes_student_folder(lessons_folder, tmp_path):
    out = tmp_path / "student"
    result = subprocess.run([sys.executable, "-m", "course_utils.tools.student", "--out", str(out),
                             str(lessons_folder / "99_synthetic.ipynb")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (out / "glossary.md").read_text(encoding="utf-8") == "# Glossary\n"
    assert "data.mean()" not in (out / "99_synthetic.ipynb").read_text(encoding="utf-8")
    assert (out / "99_synthetic.ipynb").stat().st_mode & 0o044 == 0o044  # readable by the class, not 0600


@pytest.mark.parametrize("where", ["is", "inside", "contains"])
def test_command_line_refuses_the_lessons_folder(lessons_folder, where, capsys):
    """``--out notebooks`` once stripped every solution from the lessons; now: exit code 2 and nothing written."""
    out = {"is": lessons_folder, "inside": lessons_folder / "student", "contains": lessons_folder.parent}[where]
    before = _fingerprint(lessons_folder.parent)
    assert student.main(["--out", str(out), str(lessons_folder / "99_synthetic.ipynb")]) == 2
    message = capsys.readouterr().err
    assert "lessons' folder" in message and "Choose a separate folder" in message
    assert _fingerprint(lessons_folder.parent) == before  # no lesson changed, no file added


def test_the_exit_code_reaches_the_shell(lessons_folder):
    result = subprocess.run([sys.executable, "-m", "course_utils.tools.student", "--out", str(lessons_folder),
                             str(lessons_folder / "99_synthetic.ipynb")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "is the lessons' folder" in result.stderr


def test_the_default_source_is_the_course_lessons_folder():
    """Without notebook arguments the source is the checkout's notebooks/, so ``--out notebooks`` is refused."""
    assert student.default_lessons_folder() == ROOT / "notebooks"
    with pytest.raises(student.OutputFolderError, match="is the lessons' folder"):
        student.refuse_source_folder(ROOT / "notebooks", [student.default_lessons_folder()])
    student.refuse_source_folder(ROOT / "student", [student.default_lessons_folder()])  # a sibling is fine


# --- 3. every real lesson --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """The edition without solutions of every lesson in notebooks/, written by the command-line entry point."""
    out = tmp_path_factory.mktemp("student")
    assert student.main(["--out", str(out), *map(str, LESSONS)]) == 0
    return out


def _solution_blocks(source: str) -> list[str]:
    blocks, inside = [], None
    for line in source.splitlines():
        if student.BEGIN in line:
            inside = []
        elif student.END in line:
            blocks.append("\n".join(inside or []))
            inside = None
        elif inside is not None:
            inside.append(line)
    return blocks


def _exercises(nb) -> list[tuple[int, str, int | None]]:
    """(solution cell index, exercise id, index of the cell that checks it) for every solution code cell."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and student.is_solution_cell(cell):
            exercise = str(cell.metadata.get("exercise", ""))
            check = next((j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"
                          and any(m["id"] == exercise for m in CHECK_CALL.finditer(nb.cells[j].source))), None)
            found.append((i, exercise, check))
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_student_version_is_valid_and_holds_no_solution(lesson, student_dir):
    teacher = nbformat.read(lesson, as_version=4)
    learner = nbformat.read(student_dir / lesson.name, as_version=4)
    nbformat.validate(learner)
    assert len(learner.cells) == len(teacher.cells)
    for t_cell, s_cell in zip(teacher.cells, learner.cells):
        assert student.BEGIN not in s_cell.source and student.END not in s_cell.source
        assert not s_cell.get("outputs")
        if student.is_solution_cell(t_cell):
            assert "source_hidden" not in s_cell.metadata.get("jupyter", {})
            assert s_cell.metadata.get("exercise") == t_cell.metadata.get("exercise")
        for block in _solution_blocks(t_cell.source):
            for line in block.splitlines():
                if len(line.strip()) > 3 and not line.strip().startswith("#"):
                    assert line not in s_cell.source.splitlines(), f"{lesson.name}: solution line kept: {line!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_student_stub_is_not_answered(lesson, student_dir, monkeypatch):
    """Each stub, run with its check cell (strict mode), prints "not answered yet" and raises nothing."""
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    import course_utils as cu

    learner = nbformat.read(student_dir / lesson.name, as_version=4)
    for sol, exercise, check in _exercises(nbformat.read(lesson, as_version=4)):
        if check is None:
            continue  # reported by test_exercises.py
        names = {"cu": cu}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(learner.cells[sol].source, f"{lesson.name}[{sol}]", "exec"), names)
            for call in CHECK_CALL.finditer(learner.cells[check].source):
                exec(compile(call.group(0), f"{lesson.name}[{check}]", "exec"), names)
        assert f"Exercise {exercise}: not answered yet" in printed.getvalue(), (lesson.name, printed.getvalue())


def _execute(nb, cwd):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _run_edition(path: Path, cwd: Path, env: dict) -> tuple[dict, str, list[str]]:
    """Run an edition's lesson from ``cwd`` under ``env``: (errors by cell, everything printed, its exercise ids)."""
    with mock.patch.dict(os.environ, env):
        os.environ.pop("COURSE_LANG", None)   # the language must come from the folder
        nb = _execute(nbformat.read(path, as_version=4), cwd)
    errors = {i: o.get("evalue", "") for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"}
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    exercises = [ex for _, ex, _ in _exercises(nbformat.read(ROOT / "notebooks" / path.name, as_version=4))]
    return errors, printed, exercises


@pytest.mark.skipif(os.environ.get("COURSE_TEST_STUDENT_RUN") != "1",
                    reason="set COURSE_TEST_STUDENT_RUN=1 to execute a whole student lesson (~1 min)")
def test_one_student_lesson_runs_without_error_and_every_exercise_is_not_answered(student_dir, tmp_path):
    """Run All on the edition, from a folder that is not notebooks/: nothing raises, every check is unanswered."""
    env = {"COURSE_PROFILE": "smoke", "MPLBACKEND": "Agg", "COURSE_STRICT_CHECKS": "1"}
    errors, printed, exercises = _run_edition(student_dir / RUN_LESSON, tmp_path, env)
    assert errors == {}
    assert exercises and all(f"Exercise {ex}: not answered yet" in printed for ex in exercises), printed[-2000:]


ZH_RUN_LESSON = "00_welcome.ipynb"  # the cheapest lesson with exercises


@pytest.mark.skipif(os.environ.get("COURSE_TEST_STUDENT_RUN") != "1",
                    reason="set COURSE_TEST_STUDENT_RUN=1 to execute a whole student lesson (~20 s)")
def test_the_chinese_edition_runs_from_a_zh_folder_and_prints_its_checks_in_chinese(tmp_path):
    """The Chinese lesson's edition, run from a folder named zh (as learner/zh/): nothing raises, and the
    course's check lines come out in Chinese although the code is the English code."""
    out = tmp_path / "zh"
    assert student.main(["--out", str(out), str(ROOT / "notebooks" / "zh" / ZH_RUN_LESSON)]) == 0
    # No MPLBACKEND=Agg: the kernel's inline backend, as a learner has it (ipykernel 6.29.0, the lower bound,
    # fails on MPLBACKEND=Agg with IPython 9: 'cannot import name backend2gui').
    env = {"COURSE_PROFILE": "smoke", "COURSE_STRICT_CHECKS": "1"}
    errors, printed, exercises = _run_edition(out / ZH_RUN_LESSON, out, env)
    assert errors == {}
    assert exercises and all(f"练习 {ex}：尚未作答" in printed for ex in exercises), printed[-2000:]
