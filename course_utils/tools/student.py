"""Student versions of the lessons: solutions replaced by stubs, outputs stripped, checks kept.

A solution cell carries the cell tag ``solution`` and wraps its answer in
``### BEGIN SOLUTION`` / ``### END SOLUTION`` (see ``docs/authoring.md``). The student
version keeps everything outside the markers (so ``answer_8_1 = None`` still runs),
replaces what lies between them by ``# YOUR CODE HERE``, removes the markers, shows the
cell (no ``source_hidden``) and re-tags it ``exercise``. Every check cell is kept, so a
learner's check says "not answered yet" until the stub is filled in.

Usage (from the course folder)::

    python -m course_utils.tools.student                      # every notebooks/*.ipynb -> student/
    python -m course_utils.tools.student --out /tmp/s notebooks/05_weight_transfer_fashion.ipynb

The output folder also receives the other files next to the notebooks (the glossary),
so relative links keep working.
"""
from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR CODE HERE"
INDENTED_STUB = "raise NotImplementedError()"
MARKDOWN_STUB = "*Write your answer here.*"
SOLUTION_TAG, EXERCISE_TAG = "solution", "exercise"
_BLOCK = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n.*?^[ \t]*" + re.escape(END) + r"[^\n]*(\n|$)",
                    re.MULTILINE | re.DOTALL)


class SolutionMarkerError(ValueError):
    """A solution cell lacks its ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers, or they are unbalanced."""


def strip_solution(source: str, stub: str = STUB) -> str:
    """Replace each BEGIN/END SOLUTION block of ``source`` by ``stub`` (indented like the marker).

    An indented block (a function body) also gets ``raise NotImplementedError()`` so the
    stub stays valid Python and calling the unfinished function fails loudly.

    Raises:
        SolutionMarkerError: a marker is left over (unbalanced or in the wrong order).

    Example:
        >>> strip_solution("x = None\\n### BEGIN SOLUTION\\nx = 42\\n### END SOLUTION\\n")
        'x = None\\n# YOUR CODE HERE\\n'
    """
    def replace(match: re.Match) -> str:
        indent, newline = match.group(1), match.group(2)
        if indent and stub == STUB:  # inside a function body a comment alone is a syntax error
            return f"{indent}{stub}\n{indent}{INDENTED_STUB}{newline}"
        return f"{indent}{stub}{newline}"

    result = _BLOCK.sub(replace, source)
    if BEGIN in result or END in result:
        raise SolutionMarkerError(f"Unbalanced solution markers in:\n{source[:300]}")
    return result


def is_solution_cell(cell: dict) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def _strip_cell(cell: dict, where: str) -> dict:
    """Student version of one cell (a copy)."""
    cell = copy.deepcopy(cell)
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    has_markers = BEGIN in source
    if is_solution_cell(cell):
        if not has_markers and cell["cell_type"] == "code":
            raise SolutionMarkerError(f"{where}: a cell tagged 'solution' has no '{BEGIN}' marker; "
                                      "wrap the answer in the markers (docs/authoring.md).")
        if cell["cell_type"] == "markdown" and not has_markers:
            source = MARKDOWN_STUB
        meta = cell["metadata"]
        meta["tags"] = [EXERCISE_TAG if t == SOLUTION_TAG else t for t in meta["tags"]]
        meta.get("jupyter", {}).pop("source_hidden", None)
        meta.pop("slideshow", None)  # solutions are skipped in slides; a learner's stub is not
        if meta.get("jupyter") == {}:
            del meta["jupyter"]
    if has_markers:
        source = strip_solution(source, MARKDOWN_STUB if cell["cell_type"] == "markdown" else STUB)
    cell["source"] = source
    if cell["cell_type"] == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def make_student_notebook(nb: dict, where: str = "notebook") -> dict:
    """Return the student version of a notebook (a dict in nbformat 4 layout); the input is unchanged."""
    student = copy.deepcopy(nb)
    student["cells"] = [_strip_cell(cell, f"{where}, cell {i}") for i, cell in enumerate(nb["cells"])]
    student.get("metadata", {}).pop("widgets", None)
    return student


def write_student_versions(notebooks: list[Path], out_dir: Path) -> list[Path]:
    """Write the student version of each notebook into ``out_dir``; return the written paths.

    Non-notebook files next to the first notebook (e.g. ``glossary.md``) are copied too.
    """
    import nbformat

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        student = nbformat.from_dict(make_student_notebook(nb, where=path.name))
        nbformat.validate(student)
        target = out_dir / path.name
        nbformat.write(student, target)
        written.append(target)
    if notebooks:
        for extra in sorted(notebooks[0].parent.glob("*.md")):
            shutil.copyfile(extra, out_dir / extra.name)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.tools.student [--out student/] [notebooks...]``."""
    parser = argparse.ArgumentParser(description="Write student versions of the lessons (solutions stubbed).")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--out", type=Path, default=Path("student"), help="output folder (default: student/)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not notebooks:
        parser.error("no notebooks given and none found in notebooks/ (run from the course folder)")
    try:
        written = write_student_versions(notebooks, args.out)
    except SolutionMarkerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Wrote {len(written)} student notebook(s) to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
