"""Run a lesson top to bottom in a fresh kernel and print what its results file records.

The results files in ``docs/results/`` quote numbers a lesson prints. This command is
how they were produced, from a fresh clone, with no path of any particular machine:

* it executes the notebook with ``nbclient`` in a new kernel (working folder: the
  notebook's folder, ``COURSE_PROFILE`` set to ``--profile``);
* it prints every self-check line (``✅`` / ``❌``) and the text output of every cell
  tagged ``results``, in notebook order, with the cell's index;
* it reports the wall-clock time, the kernel's CPU time (user + system, read from the
  operating system once the kernel has exited) and the load average before and after,
  so a run on a busy machine says so.

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.run_lesson notebooks/01_nn_basics_numpy.ipynb --profile full
    python -m course_utils.tools.run_lesson notebooks/02_iris_first_keras_model.ipynb --save-executed /tmp/run

The exit status is 1 when a cell raises (the error is printed), 0 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

RESULTS_TAG = "results"
CHECK_MARKS = ("✅", "❌")
HELPER_FILES = ("*.py", "*.txt")   # code and the checksum tables the data layer verifies against
PACKAGE = Path(__file__).resolve().parents[1]   # course_utils/


@dataclass
class LessonRun:
    """What one execution of a lesson produced and cost."""

    notebook: object
    wall_seconds: float
    cpu_seconds: float
    load_before: float
    load_after: float
    error: str = ""
    lines: list[str] = field(default_factory=list)


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished child processes (the kernels)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(path: Path, profile: str, timeout: int = 3600) -> LessonRun:
    """Execute the notebook at ``path`` in a fresh kernel under ``profile``; never raises for a cell error."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    os.environ["COURSE_PROFILE"] = profile
    client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    load_before, cpu_before, start = os.getloadavg()[0], children_cpu_seconds(), time.perf_counter()
    error = ""
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        error = str(err)
    wall = time.perf_counter() - start
    return LessonRun(notebook, wall, children_cpu_seconds() - cpu_before, load_before, os.getloadavg()[0], error)


def cell_text(cell) -> str:
    """The text a code cell showed: its printed streams, then its plain-text results."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", "") + "\n")   # a display ends its own line
    return "".join(parts)


def report_lines(notebook) -> list[str]:
    """Check lines and tagged results, each prefixed with its cell index (0-based)."""
    lines = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        text = cell_text(cell)
        if RESULTS_TAG in cell.get("metadata", {}).get("tags", []):
            lines.append(f"--- cell {index} (tagged {RESULTS_TAG}) ---")
            lines.extend(text.rstrip("\n").splitlines())
        else:
            lines.extend(f"[cell {index}] {line}" for line in text.splitlines() if line.startswith(CHECK_MARKS))
    return lines


def summary(path: Path, profile: str, run: LessonRun) -> str:
    """A short header: which lesson, which profile, how long, how busy the machine was."""
    return (f"lesson {path.name}, profile {profile}: wall {run.wall_seconds:.1f} s, kernel CPU "
            f"{run.cpu_seconds:.1f} s (user + system), {os.cpu_count()} cores, load average "
            f"{run.load_before:.1f} before / {run.load_after:.1f} after")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path, help="the lesson to run, e.g. notebooks/01_nn_basics_numpy.ipynb")
    parser.add_argument("--profile", default="full", choices=["full", "smoke"], help="run profile (default: full)")
    parser.add_argument("--save-executed", type=Path, metavar="DIR",
                        help="also write the executed notebook (with outputs) into DIR, never into notebooks/")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take (default: 3600)")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"{args.notebook} is not a file: give the path of a lesson, e.g. notebooks/00_welcome.ipynb")
    run = execute(args.notebook.resolve(), args.profile, args.timeout)
    print(summary(args.notebook, args.profile, run))
    print("\n".join(report_lines(run.notebook)))
    if args.save_executed:
        save_executed(run.notebook, args.notebook, args.save_executed)
    if run.error:
        print(f"A cell raised an error:\n{run.error}", file=sys.stderr)
    return 1 if run.error else 0


def helpers_fingerprint(package: Path = PACKAGE) -> str:
    """12 hex digits of SHA-256 over the helper package's file names and bytes (caches excluded).

    A lesson's outputs depend on its code and on the helpers it imports: an executed lesson is reused (by the
    website) only under the same fingerprint.
    """
    digest = hashlib.sha256()
    files = sorted(p for pattern in HELPER_FILES for p in package.rglob(pattern) if "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def executed_folder(root: Path, profile: str) -> Path:
    """``<root>/<profile>-<helpers fingerprint>``: where ``make test`` leaves executed lessons for ``make site``."""
    return root / f"{profile}-{helpers_fingerprint()}"


def save_executed(notebook, source: Path, folder: Path) -> Path:
    """Write the executed copy of ``source`` into ``folder``, refusing the lessons' own folder."""
    import nbformat

    folder = folder.resolve()
    if folder == source.resolve().parent:
        raise SystemExit(f"Refusing to overwrite the lesson in {folder}: choose another --save-executed folder.")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    nbformat.write(notebook, target)
    return target


if __name__ == "__main__":
    sys.exit(main())
