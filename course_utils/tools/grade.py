"""Grade a class: run every submitted notebook in a fresh kernel and write one CSV row per submission.

Usage (from the course folder; ``make grade SUBMISSIONS=collected/`` does the same)::

    python -m course_utils.tools.grade collected/ --out grades.csv [--profile smoke] [--timeout 600] [--lesson 5]

Each file under the submissions folder (sub-folders too, hidden files skipped) becomes one row:

* ``submission`` (its path inside the folder), ``lesson``, ``status`` (``graded``: ran to the end; ``stopped``:
  a timeout or a dead kernel stopped it; ``skipped``: not a gradable notebook), ``seconds`` (wall clock),
  ``problem`` (why it was skipped or stopped, and errors raised by cells that are not an exercise's);
* one column per exercise of the lessons seen: ``correct``, ``not quite``, ``not answered``, ``error: <the error
  it raised>``, ``not reached`` (the run stopped first) or ``check cell missing``.

A submission is copied into a temporary folder and executed there (nbclient, kernel ``python3``, the given run
profile, ``COURSE_STRICT_CHECKS=0`` so a wrong answer does not stop the rest); the submitted file is only read.
Verdicts come from ``cu.check``: with ``COURSE_GRADE_LOG`` set it appends one JSON line per check
(``{"exercise": "5.3", "verdict": "not quite", "message": ...}``), so the grader never parses printed text.
A lesson is recognised by its exercises' cell metadata (``{"exercise": "5.3"}`` -> lesson 5), else by a file name
starting with the lesson number. Why not nbgrader or otter-grader: see ``docs/instructor.md``.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises.gradelog import GRADE_LOG_ENV
from ..caching import write_bytes_atomically
from .student import default_lessons_folder, lesson_files

GRADED, STOPPED, SKIPPED = "graded", "stopped", "skipped"
NOT_ANSWERED, NOT_REACHED, NO_CHECK = "not answered", "not reached", "check cell missing"
FIXED_COLUMNS = ["submission", "lesson", "status", "seconds", "problem"]
DEFAULT_TIMEOUT = {"smoke": 600, "full": 2400}  # seconds per notebook; lesson 7 in full takes ~13 min on 2 cores


class NotGradable(Exception):
    """A file the grader cannot grade; the message says why (it goes into the ``problem`` column)."""


@dataclass
class Lesson:
    """A lesson of the course and the ids of its exercises, in order."""
    name: str
    number: int
    exercises: list[str]


@dataclass
class Row:
    """The grade of one submitted file."""
    submission: str
    lesson: str = ""
    status: str = SKIPPED
    seconds: float = 0.0
    problem: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)


def exercise_id(cell: dict) -> str | None:
    """The exercise a cell belongs to (its ``exercise`` metadata), or None."""
    value = cell.get("metadata", {}).get("exercise")
    return str(value) if value is not None else None


def course_lessons(folder: Path) -> dict[int, Lesson]:
    """Lesson number -> :class:`Lesson`, read from the instructor's notebooks (the single source)."""
    lessons = {}
    for path in lesson_files(folder):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        ids = list(dict.fromkeys(filter(None, map(exercise_id, cells))))
        lessons[int(path.name[:2])] = Lesson(path.stem, int(path.name[:2]), ids)
    return lessons


def read_submission(path: Path):
    """The submitted notebook at ``path`` as an nbformat node; :class:`NotGradable` if it is not one."""
    import nbformat

    if path.suffix != ".ipynb":
        raise NotGradable(f"not a notebook ({path.suffix or 'no'} extension; expected .ipynb)")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as err:
        raise NotGradable(f"not a notebook: the file is not valid JSON ({err})") from None
    version = data.get("nbformat") if isinstance(data, dict) else None
    if version != 4:
        raise NotGradable(f"not an nbformat 4 notebook (nbformat {version}); open and save it in JupyterLab")
    invalid: dict = {}
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
    except Exception as err:  # nbformat raises several types for a damaged file
        raise NotGradable(f"not a valid notebook: {type(err).__name__}: {err}") from None
    if invalid:
        raise NotGradable(f"not a valid notebook: {str(invalid['ValidationError']).splitlines()[0]}")
    return nb


def identify_lesson(nb, path: Path, lessons: dict[int, Lesson]) -> Lesson:
    """The lesson a submission answers: from its exercises' metadata, else from a file name ``NN_...``."""
    numbers = Counter(int(ex.split(".")[0]) for ex in filter(None, map(exercise_id, nb.cells))
                      if ex.split(".")[0].isdigit())
    for number, _ in numbers.most_common():
        if number in lessons:
            return lessons[number]
    prefix = re.match(r"(\d{1,2})[_ .-]", path.name)
    if prefix and int(prefix.group(1)) in lessons:
        return lessons[int(prefix.group(1))]
    raise NotGradable("unknown lesson: no exercise of this course's lessons in it, and the file name does not "
                      "start with a lesson number (e.g. 05_...)")


def run_notebook(nb, workdir: Path, env: dict[str, str], timeout: float) -> str:
    """Execute ``nb`` in place in a fresh ``python3`` kernel started in ``workdir``; stop after ``timeout`` seconds.

    The timeout covers the cells, from the first one on (starting the kernel has its own limit, 120 s).

    Errors raised by cells do not stop the run (they are read from the outputs). Returns what stopped the run
    early (a timeout, a dead kernel), or "" when every cell ran.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    current: dict = {}

    def seconds_left(cell) -> int:  # nbclient asks as each cell starts: the notebook's budget, not a cell's
        current.setdefault("deadline", time.monotonic() + timeout)  # the clock starts with the first cell
        current["cell"] = cell
        return max(1, math.ceil(current["deadline"] - time.monotonic()))

    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=math.ceil(timeout),
                            timeout_func=seconds_left, startup_timeout=120, shutdown_kernel="immediate",
                            record_timing=False, extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(workdir)}})
    try:
        with open(workdir / "kernel.log", "wb") as kernel_log:  # the kernel's own messages (TensorFlow's start-up)
            client.execute(env=env, stdout=kernel_log, stderr=kernel_log)
    except CellTimeoutError:
        where = nb.cells.index(current["cell"]) if current.get("cell") in nb.cells else "?"
        return f"timeout: still running after {timeout:g} s (cell {where}); the cells after it did not run"
    except DeadKernelError:
        said = (workdir / "kernel.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        return ("the kernel died (out of memory, or a crash in native code); the cells after it did not run"
                + (f"; its last message: {said[0][:200]}" if said else ""))
    except Exception as err:  # a kernel that cannot start, a broken message: report it, grade the others
        return f"could not run: {type(err).__name__}: {err}"
    return ""


def cell_error(cell) -> str:
    """``"Type: message"`` of the error a code cell raised, or ""."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return ""


def read_log(path: Path) -> dict[str, dict]:
    """Exercise id -> the last verdict ``cu.check`` logged for it (lines that are not JSON are ignored)."""
    verdicts = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                verdicts[str(entry["exercise"])] = entry
            except (ValueError, KeyError, TypeError):
                continue
    return verdicts


def _check_cell(nb, exercise: str):
    """The code cell that calls ``check("N.M", ...)`` for ``exercise``, or None."""
    pattern = re.compile(r"check\(\s*['\"]" + re.escape(exercise) + r"['\"]")
    return next((c for c in nb.cells if c.cell_type == "code" and pattern.search(c.source)), None)


def exercise_verdict(nb, exercise: str, logged: dict | None) -> str:
    """One exercise's grade from the check's log line and the outputs of its solution and check cells."""
    solution = next((c for c in nb.cells if exercise_id(c) == exercise and c.cell_type == "code"), None)
    check = _check_cell(nb, exercise)
    if logged and logged.get("verdict") == "correct":
        return "correct"
    if solution is not None and cell_error(solution):
        return f"error: {cell_error(solution)}"
    if logged:
        verdict = str(logged.get("verdict", ""))
        return f"error: {logged.get('message', '')}" if verdict == "error" else verdict
    if check is not None and cell_error(check):
        return f"error: {cell_error(check)}"
    if check is None:
        return NO_CHECK
    return NOT_REACHED if check.get("execution_count") is None else NOT_ANSWERED


def other_errors(nb, lesson: Lesson, limit: int = 3) -> str:
    """Errors raised by cells that are neither a solution nor a check (they may explain later verdicts)."""
    exercise_cells = {id(_check_cell(nb, ex)) for ex in lesson.exercises}
    errors = [f"cell {i}: {cell_error(c)}" for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and cell_error(c) and not exercise_id(c) and id(c) not in exercise_cells]
    return "; ".join(errors[:limit]) + (f"; and {len(errors) - limit} more" if len(errors) > limit else "")


def kernel_env(log: Path, profile: str) -> dict[str, str]:
    """The environment of a grading kernel: the run profile, the verdict log, checks that do not raise."""
    return {**os.environ, GRADE_LOG_ENV: str(log), "COURSE_PROFILE": profile, "COURSE_STRICT_CHECKS": "0",
            "MPLBACKEND": "Agg"}


def grade_file(path: Path, root: Path, lessons: dict[int, Lesson], profile: str, timeout: float,
               only: int | None = None) -> Row:
    """Grade one submitted file; never raises for a bad submission (the row says what was wrong)."""
    row = Row(path.relative_to(root).as_posix())
    started = time.monotonic()
    try:
        nb = read_submission(path)
        lesson = identify_lesson(nb, path, lessons)
        if only is not None and lesson.number != only:
            raise NotGradable(f"lesson {lesson.number}, not the lesson being graded ({only})")
    except NotGradable as err:
        row.problem = str(err)
        return row
    row.lesson = lesson.name
    for cell in nb.cells:  # the learner's own outputs must not be mistaken for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        workdir, log = Path(tmp), Path(tmp) / "verdicts.jsonl"
        (workdir / path.name).write_bytes(path.read_bytes())  # the copy the kernel sees; the submission is only read
        stopped = run_notebook(nb, workdir, kernel_env(log, profile), timeout)
        logged = read_log(log)
    row.verdicts = {ex: exercise_verdict(nb, ex, logged.get(ex)) for ex in lesson.exercises}
    row.status = STOPPED if stopped else GRADED
    row.problem = "; ".join(filter(None, [stopped, other_errors(nb, lesson)]))
    row.seconds = round(time.monotonic() - started, 1)
    return row


def submitted_files(root: Path) -> list[Path]:
    """Every file under ``root``, sorted; hidden files and folders (``.ipynb_checkpoints``) are left out."""
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def _exercise_key(exercise: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in exercise.split("."))


def csv_text(rows: list[Row]) -> str:
    """The grades table: the fixed columns, then one column per exercise seen, in lesson order."""
    exercises = sorted({ex for row in rows for ex in row.verdicts}, key=_exercise_key)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIXED_COLUMNS + exercises)
    for row in rows:
        fixed = [row.submission, row.lesson, row.status, f"{row.seconds:.1f}", row.problem]
        writer.writerow(fixed + [row.verdicts.get(ex, "") for ex in exercises])
    return buffer.getvalue()


def summary(row: Row) -> str:
    """One progress line for the instructor's terminal."""
    if row.status == SKIPPED:
        return f"{row.submission}: skipped ({row.problem})"
    counts = Counter(v if not v.startswith("error") else "error" for v in row.verdicts.values())
    text = ", ".join(f"{n} {verdict}" for verdict, n in counts.most_common())
    return f"{row.submission}: {row.lesson}, {text or 'no exercises'} ({row.seconds:.0f} s)" + (
        f" [{row.status}: {row.problem}]" if row.status == STOPPED else "")


def main(argv: list[str] | None = None) -> int:
    """Command line; exit code 0 when the CSV is written (whatever the grades), 2 for a bad argument."""
    parser = argparse.ArgumentParser(description="Run every submitted notebook and write a grades CSV.")
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks (sub-folders too)")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV to write (default: grades.csv)")
    parser.add_argument("--profile", choices=sorted(DEFAULT_TIMEOUT), default="smoke", help="run profile")
    parser.add_argument("--timeout", type=float, help="seconds per notebook (default: 600 smoke, 2400 full)")
    parser.add_argument("--lesson", type=int, help="grade only this lesson number; other lessons are skipped")
    parser.add_argument("--lessons-folder", type=Path, default=None, help="the lessons (default: notebooks/)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder: give the folder holding the collected notebooks")
    lessons = course_lessons(args.lessons_folder or default_lessons_folder())
    if not lessons:
        parser.error("no lessons found (expected notebooks/NN_name.ipynb)")
    timeout = args.timeout or DEFAULT_TIMEOUT[args.profile]
    rows, started = [], time.monotonic()
    for path in submitted_files(args.submissions):
        rows.append(grade_file(path, args.submissions, lessons, args.profile, timeout, args.lesson))
        print(summary(rows[-1]), flush=True)
    write_bytes_atomically(args.out, csv_text(rows).encode("utf-8"))
    skipped = sum(row.status == SKIPPED for row in rows)
    print(f"Wrote {args.out}: {len(rows)} file(s), {skipped} skipped, in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
