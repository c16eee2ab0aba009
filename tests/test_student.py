"""Student versions: valid notebooks, no solution text left, and every exercise check fails until solved.

Three levels of evidence, cheapest first:
1. unit tests of the stripping on small sources;
2. a tiny synthetic lesson executed in a real kernel: the teacher version passes its
   checks, the student version fails every one with "not answered yet";
3. every real lesson in ``notebooks/``: its student version is valid, holds no solution
   line, and each exercise is isolated: the stub cell plus its check cell are run on their
   own (names from the rest of the lesson are stand-ins) and the check must raise
   ``CheckFailed: ... not answered yet`` in strict mode.
``COURSE_TEST_STUDENT_RUN=1`` also executes one real lesson's student version top to bottom.
"""
from __future__ import annotations

import ast
import builtins
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import nbformat
import pytest

from course_utils import checks
from course_utils.tools import student

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_LESSON = "02_iris_first_keras_model.ipynb"  # the cheapest lesson with exercises, run in full when asked


def _cell(kind, source, tags=(), hidden=False):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def synthetic_lesson():
    """A three-exercise lesson: number, array and a test-function check; one solution is indented."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("markdown", "# 99 · Synthetic"),
        _cell("code", "import numpy as np\nfrom course_utils import checks\ndata = np.arange(6.0)"),
        _cell("code", "answer_1 = None\n### BEGIN SOLUTION\nanswer_1 = data.mean()\n### END SOLUTION",
              tags=["solution"], hidden=True),
        _cell("code", "checks.check_answer('1', answer_1, 2.5)"),
        _cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n"
                      "answer_2 = None\n### BEGIN SOLUTION\nanswer_2 = square\n### END SOLUTION",
              tags=["solution"], hidden=True),
        _cell("code", "checks.check_answer('2', answer_2, test=lambda f: f(3) == 9)"),
        _cell("markdown", "Because the mean is 2.5.", tags=["solution"]),
        _cell("code", "answer_3 = None\n### BEGIN SOLUTION\nanswer_3 = data[::2]\n### END SOLUTION",
              tags=["solution"], hidden=True),
        _cell("code", "checks.check_answer('3', answer_3, [0.0, 2.0, 4.0])"),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="stale output\n")]
    return nb


# --- 1. stripping ----------------------------------------------------------------------------------

def test_strip_replaces_the_block_and_keeps_the_rest():
    src = "x = None\n### BEGIN SOLUTION\nx = 42\n### END SOLUTION\nprint(x)"
    assert student.strip_solution(src) == "x = None\n# YOUR CODE HERE\nprint(x)"


def test_strip_keeps_indentation_and_handles_several_blocks():
    src = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n"
    assert student.strip_solution(src) == ("def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
                                           "# YOUR CODE HERE\n")


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
    for secret in ("data.mean()", "x * x", "= square", "data[::2]", "Because the mean", "BEGIN SOLUTION",
                   "END SOLUTION", "source_hidden", "stale output", '"solution"'):
        assert secret not in text, secret
    assert text.count(student.STUB) == 4 and student.MARKDOWN_STUB in text
    for cell in out.cells:
        if cell.cell_type == "code":
            compile(cell.source, "stub", "exec")  # every stub is valid Python
    assert [c.metadata.get("tags") for c in out.cells if "tags" in c.metadata] == [["exercise"]] * 4
    assert "data.mean()" in nb.cells[2].source and nb.cells[2].metadata.jupyter.source_hidden  # input intact


def test_command_line_writes_student_folder(tmp_path):
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(synthetic_lesson(), src / "99_synthetic.ipynb")
    (src / "glossary.md").write_text("# Glossary\n")
    result = subprocess.run([sys.executable, "-m", "course_utils.tools.student", "--out", str(tmp_path / "student"),
                             str(src / "99_synthetic.ipynb")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "student" / "glossary.md").exists()
    out = nbformat.read(tmp_path / "student" / "99_synthetic.ipynb", as_version=4)
    assert "data.mean()" not in nbformat.writes(out)


# --- 2. a synthetic lesson in a real kernel -------------------------------------------------------

def _execute(nb, cwd):
    from nbclient import NotebookClient

    env_patch = {"COURSE_STRICT_CHECKS": "1", "PYTHONPATH": str(ROOT)}
    with mock.patch.dict(os.environ, env_patch):
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _errors(nb):
    return {i: "".join(o.get("evalue", "") for o in c.get("outputs", []) if o.output_type == "error")
            for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and any(o.output_type == "error" for o in c.outputs)}


def test_synthetic_lesson_checks_pass_for_teacher_and_fail_for_student(tmp_path):
    teacher = _execute(synthetic_lesson(), tmp_path)
    assert _errors(teacher) == {}
    assert sum("✅ Exercise" in "".join(o.get("text", "") for o in c.outputs)
               for c in teacher.cells if c.cell_type == "code") == 3
    learner = _execute(nbformat.from_dict(student.make_student_notebook(synthetic_lesson())), tmp_path)
    errors = _errors(learner)
    assert sorted(errors) == [3, 5, 8], errors  # exactly the three check cells fail
    assert all("not answered yet" in message for message in errors.values()), errors


# --- 3. every real lesson --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """Student versions of every lesson in notebooks/, written by the real command-line entry point."""
    if not LESSONS:
        pytest.skip("no lessons in notebooks/ yet")
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


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: no names to read
        return set()
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            for sub in ast.walk(target) if target is not None else []:
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _checked_names(source: str) -> set[str]:
    """Names used in the answer argument of every ``check_answer(...)`` call."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "check_answer":
            if len(node.args) >= 2:
                names |= {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
    return names


def _exercises(nb):
    """(solution cell index, check cell index) for every code solution cell of a teacher notebook."""
    pairs, cells = [], nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or not student.is_solution_cell(cell):
            continue
        answer_names = set().union(*map(_assigned_names, _solution_blocks(cell.source) or [""]))
        later = [j for j in range(i + 1, len(cells)) if cells[j].cell_type == "code"
                 and not student.is_solution_cell(cells[j]) and "check_answer" in cells[j].source]
        check = next((j for j in later if _checked_names(cells[j].source) & answer_names), None)
        pairs.append((i, check))
    return pairs


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
            assert s_cell.metadata.get("slideshow", {}).get("slide_type") != "skip"
        for block in _solution_blocks(t_cell.source):
            for line in block.splitlines():
                if len(line.strip()) > 3 and not line.strip().startswith("#"):
                    assert line not in s_cell.source.splitlines(), f"{lesson.name}: solution line kept: {line!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_solution_has_markers_and_a_check(lesson):
    nb = nbformat.read(lesson, as_version=4)
    exercises = _exercises(nb)
    if lesson.name != "00_welcome.ipynb":
        assert len(exercises) >= 3, f"{lesson.name}: {len(exercises)} solution cells; the course asks for 3+"
    for sol, check in exercises:
        assert _solution_blocks(nb.cells[sol].source), f"{lesson.name} cell {sol}: no solution markers"
        assert check is not None, (f"{lesson.name} cell {sol}: no later cell calls check_answer(...) on a "
                                   "name this solution assigns")


class _StandIns(dict):
    """Locals for an isolated cell: a name the rest of the lesson would define becomes a MagicMock."""

    def __missing__(self, name):
        if hasattr(builtins, name):
            raise KeyError(name)
        import course_utils

        real = {"checks": checks, "cu": course_utils, "course_utils": course_utils,
                "check_answer": checks.check_answer}
        return real.get(name, mock.MagicMock(name=name))


def _answer_calls(source: str) -> str:
    """Each ``check_answer(exercise, answer, ...)`` call of a cell, reduced to its first two arguments."""
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and getattr(node.func, "attr", getattr(node.func, "id", "")) == "check_answer"]
    return "\n".join(ast.unparse(ast.Call(call.func, call.args[:2], [])) for call in calls)


def _course_imports(nb) -> str:
    """The lesson's imports of course_utils (e.g. ``import course_utils as cu``), so checks are the real ones."""
    lines = []
    for cell in nb.cells:
        try:
            code = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
            tree = ast.parse(code) if cell.cell_type == "code" else None
        except SyntaxError:
            continue
        for node in getattr(tree, "body", []):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and "course_utils" in ast.unparse(node):
                lines.append(ast.unparse(node))
    return "\n".join(lines)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_student_check_fails_until_solved(lesson, student_dir, monkeypatch):
    """Run each stub with its check cell, alone: the check must say 'not answered yet' (and raise)."""
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    teacher = nbformat.read(lesson, as_version=4)
    learner = nbformat.read(student_dir / lesson.name, as_version=4)
    import course_utils.checks  # noqa: F401  (so cu.checks resolves as in a lesson)

    for sol, check in _exercises(teacher):
        if check is None:
            continue  # reported by test_every_solution_has_markers_and_a_check
        names = _StandIns()
        exec(compile(_course_imports(teacher), lesson.name, "exec"), {}, names)
        exec(compile(learner.cells[sol].source, f"{lesson.name}[{sol}]", "exec"), {}, names)
        try:  # the whole check cell, with stand-ins for the rest of the lesson
            exec(compile(learner.cells[check].source, f"{lesson.name}[{check}]", "exec"), {}, dict(names))
        except checks.CheckFailed as err:
            assert "not answered yet" in str(err), f"{lesson.name} cell {check}: {err}"
            continue
        except Exception:  # the cell computes its expected value from lesson state the stand-ins cannot fake
            pass
        else:
            pytest.fail(f"{lesson.name} cell {check}: the check passed although exercise cell {sol} is a stub")
        with pytest.raises(checks.CheckFailed, match="not answered yet"):  # then only its check_answer(...) calls
            exec(compile(_answer_calls(learner.cells[check].source), f"{lesson.name}[{check}]", "exec"), {}, names)


@pytest.mark.skipif(os.environ.get("COURSE_TEST_STUDENT_RUN") != "1",
                    reason="set COURSE_TEST_STUDENT_RUN=1 to execute a whole student lesson (~1 min)")
def test_one_student_lesson_runs_and_fails_only_at_its_checks(student_dir):
    path = student_dir / RUN_LESSON
    if not path.exists():
        pytest.skip(f"{RUN_LESSON} not written yet")
    teacher = nbformat.read(ROOT / "notebooks" / RUN_LESSON, as_version=4)
    with mock.patch.dict(os.environ, {"COURSE_PROFILE": "smoke", "MPLBACKEND": "Agg"}):
        learner = _execute(nbformat.read(path, as_version=4), ROOT / "notebooks")
    errors = _errors(learner)
    expected = {check for _, check in _exercises(teacher)}
    assert set(errors) == expected, errors
    assert all("not answered yet" in message for message in errors.values()), errors
