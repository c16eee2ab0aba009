"""Sphinx extension: a lesson that fails to execute stops the build with the lesson and the cell named.

MyST-NB (``nb_execution_raise_on_error = True``) stops the build when a notebook raises, but its own error
names only the file, and the cell appears only inside a long coloured traceback. This extension wraps
MyST-NB's cached-execution client so the build ends with one readable line, for example::

    LessonExecutionError: notebooks/05_weight_transfer_fashion.ipynb failed at cell 23 (code cell 17:
    'means = live.groupby(...)'): CheckFailed: ... Fix the lesson (the full traceback is above) and run make site again.

The wrapper changes no behaviour besides the message: the same exception stops the same build.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import nbformat
from myst_nb.core.execute.base import ExecutionError
from myst_nb.core.execute.cache import NotebookClientCache
from sphinx.application import Sphinx
from sphinx.errors import SphinxError

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class LessonExecutionError(SphinxError):
    """A lesson raised (or timed out) while the site executed it."""

    category = "Lesson failed to execute"


def failing_cell(notebook: Path, error_text: str) -> tuple[int, int, str] | None:
    """(cell index, code-cell number, first line) of the code cell whose source the error quotes, if any.

    nbclient quotes the failing cell's source (the whole cell for an error, its first lines for a timeout);
    the longest quoted cell wins, so a one-line cell that also occurs inside a longer one does not.
    """
    cells = nbformat.read(notebook, as_version=4).cells
    code_cells = [(index, cell) for index, cell in enumerate(cells) if cell.cell_type == "code"]
    best = None
    for number, (index, cell) in enumerate(code_cells, start=1):
        first_lines = "\n".join(cell.source.strip().splitlines()[:5])
        if first_lines and first_lines in error_text and (best is None or len(first_lines) > best[3]):
            best = (index, number, cell.source.strip().splitlines()[0], len(first_lines))
    return None if best is None else best[:3]


def error_summary(cause: BaseException | None) -> str:
    """``Name: first line of the message`` of the notebook's exception, without colour codes.

    nbclient's CellExecutionError carries the kernel's exception name and value; a timeout carries
    only its message, whose first line says how long the cell ran.
    """
    if cause is None:
        return "no error message"
    ename, evalue = getattr(cause, "ename", None), getattr(cause, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(cause).__name__}: {cause}"
    lines = [line.strip() for line in ANSI_ESCAPE.sub("", text).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def describe_failure(notebook: Path, root: Path, cause: BaseException | None) -> str:
    """One paragraph naming the lesson, the cell and the error, and saying what to do."""
    where = failing_cell(notebook, str(cause) if cause is not None else "")
    cell = (f"cell {where[0]} (code cell {where[1]}: {where[2][:70]!r})" if where
            else "a cell the error does not identify")
    try:
        name = notebook.relative_to(root).as_posix()
    except ValueError:
        name = notebook.name
    return (f"{name} failed at {cell}: {error_summary(cause)}. The notebook's traceback is printed above. "
            "Fix the lesson and run `make site` again; lessons that already ran come from the execution cache.")


def install(root: Path) -> None:
    """Wrap MyST-NB's cached-execution client once so its ExecutionError names the cell."""
    original = NotebookClientCache.start_client
    if getattr(original, "_names_failing_cell", False):
        return

    @functools.wraps(original)
    def start_client(self: NotebookClientCache) -> None:
        try:
            original(self)
        except ExecutionError as err:
            raise LessonExecutionError(describe_failure(Path(self.path), root, err.__cause__)) from err

    start_client._names_failing_cell = True  # type: ignore[attr-defined]
    NotebookClientCache.start_client = start_client


def setup(app: Sphinx) -> dict[str, Any]:
    """Install the wrapper for this build."""
    install(Path(app.srcdir))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
