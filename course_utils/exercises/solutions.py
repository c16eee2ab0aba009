"""Read an exercise's solution from the instructor notebook, the single place it is written.

A solution cell in ``notebooks/NN_*.ipynb`` carries the tag ``solution`` and the metadata
``{"exercise": "N.M"}``; its solution lies between ``### BEGIN SOLUTION`` and
``### END SOLUTION``. The learner edition (``learner/``) has no solutions, so they are always
read from ``notebooks/``: found through the course checkout the package lives in, or, for an
installed package, in a ``notebooks/`` folder above the working directory.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .. import config
from ..i18n import tr

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_TAG = "solution"
# The course's one parser of solution markers (the edition tools in tools/student.py use it too): one block is
# (1) the BEGIN line's indentation, (2) the lines between the markers, (3) the END line's newline.
MARKED_BLOCK = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n(.*?)^[ \t]*" + re.escape(END) + r"[^\n]*(\n|$)",
                          re.MULTILINE | re.DOTALL)


class SolutionNotFound(LookupError):
    """The instructor notebook, or the solution cell in it, cannot be found."""


class NoInstructorNotebooks(SolutionNotFound):
    """No ``notebooks/`` folder is reachable: this edition was handed out without the solutions."""


def notebook_folders() -> list[Path]:
    """Folders that may hold the instructor notebooks, most likely first."""
    folders = []
    root = config.repo_root()
    if root is not None:
        folders.append(root / "notebooks")
    here = Path.cwd().resolve()
    folders += [parent / "notebooks" for parent in (here, *here.parents)]
    return [f for i, f in enumerate(folders) if f.is_dir() and f not in folders[:i]]


def lesson_notebook(lesson: int) -> Path:
    """The instructor notebook of lesson ``lesson`` (``notebooks/NN_*.ipynb``)."""
    for folder in notebook_folders():
        matches = sorted(folder.glob(f"{lesson:02d}_*.ipynb"))
        if matches:
            return matches[0]
    raise NoInstructorNotebooks(tr("cannot find the notebook of lesson {lesson}: no notebooks/{lesson:02d}_*.ipynb "
                                   "in the course checkout. Run this from inside the course folder (or its learner/ "
                                   "folder).", lesson=lesson))


def solution_cell(notebook: Path, exercise_id: str) -> str:
    """Source of the cell tagged ``solution`` whose metadata names ``exercise_id``."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        meta = cell.get("metadata", {})
        if SOLUTION_TAG in meta.get("tags", []) and meta.get("exercise") == exercise_id:
            return "".join(cell["source"])
    raise SolutionNotFound(tr("{name} has no solution cell for exercise {exercise_id}", name=notebook.name,
                              exercise_id=exercise_id))


def between_markers(source: str) -> str:
    """The lines between the solution markers (every block, in order), without the markers."""
    return "\n".join(block.group(2).rstrip("\n") for block in MARKED_BLOCK.finditer(source)).strip("\n")


def solution_code(exercise_id: str, lesson: int) -> str:
    """The solution of ``exercise_id`` as code, read from the instructor notebook."""
    return between_markers(solution_cell(lesson_notebook(lesson), exercise_id))
