"""Editions of the lessons without solutions: the classroom student edition (and the learner's, see ``learner``).

A solution cell carries the cell tag ``solution`` and the metadata ``{"exercise": "N.M"}``, and wraps its answer
in ``### BEGIN SOLUTION`` / ``### END SOLUTION``::

    answer_5_3 = None   # your answer here
    ### BEGIN SOLUTION
    answer_5_3 = ...
    ### END SOLUTION

The edition without solutions keeps only the lines outside the markers (so ``answer_5_3 = None`` still runs and
its check says "not answered yet"), shows the cell (no ``source_hidden``), re-tags it ``exercise`` and keeps its
``exercise`` metadata (the grader uses it). Outputs are cleared and every check cell is kept. The lessons in
``notebooks/`` stay the single source: this module only ever writes to another folder, and refuses an output
folder that is, contains or lies inside the lessons' folder.

Usage (from the course folder)::

    python -m course_utils.tools.student --out student          # every lesson -> student/  (make student)
    python -m course_utils.tools.student --out handout notebooks/05_weight_transfer_fashion.ipynb
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from ..caching import write_bytes_atomically
from ..exercises.solutions import BEGIN, END, MARKED_BLOCK   # the one parser of solution markers
from ..i18n import N_, folder_language, tr_in

INDENTED_STUB = 'raise NotImplementedError("your code here")'  # keeps a function body valid Python
MARKDOWN_STUB = "*Write your answer here.*"
SOLUTION_TAG, EXERCISE_TAG = "solution", "exercise"


class SolutionMarkerError(ValueError):
    """A solution cell lacks its ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers, or they are unbalanced."""


class OutputFolderError(ValueError):
    """The output folder would overwrite or mix with the lessons' own folder."""


def strip_solution(source: str, markdown: bool = False) -> str:
    """Remove each BEGIN/END SOLUTION block of ``source``, keeping only the lines outside the markers.

    An indented block (a function body) becomes ``raise NotImplementedError(...)`` so the cell stays valid
    Python; in a markdown cell a block becomes ``*Write your answer here.*``.

    Raises:
        SolutionMarkerError: a marker is left over (unbalanced or in the wrong order).

    Example:
        >>> strip_solution("x = None  # your answer here\\n### BEGIN SOLUTION\\nx = 42\\n### END SOLUTION\\n")
        'x = None  # your answer here\\n'
    """
    def replace(match: re.Match) -> str:
        indent, newline = match.group(1), match.group(3)
        if markdown:
            return f"{indent}{MARKDOWN_STUB}{newline}"
        return f"{indent}{INDENTED_STUB}{newline}" if indent else ""

    result = MARKED_BLOCK.sub(replace, source)
    if BEGIN in result or END in result:
        raise SolutionMarkerError(f"Unbalanced solution markers in:\n{source[:300]}")
    return result.rstrip("\n") if not source.endswith("\n") else result


def is_solution_cell(cell: dict) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def _strip_cell(cell: dict, where: str) -> dict:
    """The cell without its solution (a copy): markers' content removed, shown, tagged ``exercise``."""
    cell = copy.deepcopy(cell)
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    markdown = cell["cell_type"] == "markdown"
    if is_solution_cell(cell):
        if BEGIN not in source and not markdown:
            raise SolutionMarkerError(f"{where}: a cell tagged 'solution' has no '{BEGIN}' marker; "
                                      "wrap the answer in the markers (docs/authoring.md).")
        if BEGIN not in source:
            source = MARKDOWN_STUB  # a written answer with no markers: the whole cell is the solution
        meta = cell["metadata"]
        meta["tags"] = [EXERCISE_TAG if tag == SOLUTION_TAG else tag for tag in meta["tags"]]
        meta.get("jupyter", {}).pop("source_hidden", None)
        meta.pop("slideshow", None)  # solutions are skipped in slides; the learner's own cell is not
        if meta.get("jupyter") == {}:
            del meta["jupyter"]
    if BEGIN in source or END in source:
        source = strip_solution(source, markdown=markdown)
    cell["source"] = source
    if cell["cell_type"] == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def make_student_notebook(nb: dict, where: str = "notebook") -> dict:
    """Return the notebook without solutions (a dict in nbformat 4 layout); the input is unchanged."""
    student = copy.deepcopy(nb)
    student["cells"] = [_strip_cell(cell, f"{where}, cell {i}") for i, cell in enumerate(nb["cells"])]
    student.get("metadata", {}).pop("widgets", None)
    return student


def student_notebook_text(path: Path) -> str:
    """The edition without solutions of the lesson at ``path``, as the text of a valid ``.ipynb`` file."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    student = nbformat.from_dict(make_student_notebook(nb, where=path.name))
    nbformat.validate(student)
    text = nbformat.writes(student)
    return text if text.endswith("\n") else text + "\n"


def edition_language(folders: Iterable[Path]) -> str:
    """The language of what the edition tools print: ``"zh"`` when the lessons come from a folder named ``zh``.

    ``make learner`` and ``make student`` run from the course root, where the working folder says nothing
    about the edition being written (:func:`course_utils.i18n.language` would answer English). So these
    tools apply the same folder rule to the lessons' folder instead: lessons from ``notebooks/zh/``
    (``--source notebooks/zh``, or ``notebooks/zh/*.ipynb``) make a Chinese edition, whose summary and
    refusals are printed in Chinese; any other folder (or a mix) means English. ``COURSE_LANG`` is not
    read: one ``make learner`` writes both editions, and each speaks its own language.

    Example:
        >>> edition_language([Path("notebooks/zh")])
        'zh'
    """
    return folder_language(folders)   # the one folder rule, in course_utils.i18n


def refuse_source_folder(out_dir: Path, sources: Iterable[Path]) -> None:
    """Raise :class:`OutputFolderError` when ``out_dir`` is, contains or is inside a folder in ``sources``.

    The message is in the edition's language (:func:`edition_language` of ``sources``).
    """
    sources = sorted({Path(s).expanduser().resolve() for s in sources})
    lang = edition_language(sources)
    out = out_dir.expanduser().resolve()
    for source in sources:
        if out == source or source in out.parents:
            relation = "is" if out == source else "is inside"
        elif out in source.parents:
            relation = "contains"
        else:
            continue
        where = {"is": N_("is the lessons' folder {source}"), "is inside": N_("is inside the lessons' folder {source}"),
                 "contains": N_("contains the lessons' folder {source}")}[relation]
        raise OutputFolderError(tr_in(
            lang, "the output folder {out_dir} {where}. Writing there would overwrite the lessons (or mix copies "
            "without solutions with them). Choose a separate folder, e.g. --out {example}.", out_dir=out_dir,
            where=tr_in(lang, where, source=source), example="student/zh" if lang == "zh" else "student"))


def lesson_files(folder: Path) -> list[Path]:
    """The lessons (``NN_name.ipynb``) of a folder, in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def companion_files(folder: Path) -> list[Path]:
    """Files the lessons link to (the glossary), copied next to every edition so relative links work."""
    return sorted(folder.glob("*.md"))


def write_student_versions(notebooks: list[Path], out_dir: Path) -> list[Path]:
    """Write the edition without solutions of each notebook into ``out_dir``; return the written paths.

    The Markdown files next to the notebooks (the glossary) are copied too.

    Raises:
        OutputFolderError: ``out_dir`` is, contains or lies inside the notebooks' folder.
    """
    folders = {path.parent for path in notebooks}
    refuse_source_folder(out_dir, folders)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        write_bytes_atomically(out_dir / path.name, student_notebook_text(path).encode("utf-8"))
        written.append(out_dir / path.name)
    for extra in sorted({f for folder in folders for f in companion_files(folder)}):
        write_bytes_atomically(out_dir / extra.name, extra.read_bytes())
    return written


def default_lessons_folder() -> Path:
    """``notebooks/`` of the course checkout (independent of the current folder), else ``./notebooks``."""
    from ..config import repo_root

    root = repo_root()
    return root / "notebooks" if root else Path("notebooks")


T = TypeVar("T")
EXIT_REFUSED, EXIT_BROKEN_MARKERS = 2, 1


def run_edition_writer(write: Callable[[], T], lang: str = "en") -> tuple[T | None, int]:
    """Run ``write`` (which writes an edition); return ``(result, 0)``, or print the error and return
    ``(None, 2)`` for a refused output folder or ``(None, 1)`` for a lesson with broken solution markers.

    ``lang`` (see :func:`edition_language`) is the language of the ``error:`` prefix; a broken marker's
    message stays English (it is for the lessons' authors)."""
    try:
        return write(), 0
    except OutputFolderError as err:
        message, code = str(err), EXIT_REFUSED
    except SolutionMarkerError as err:
        message, code = str(err), EXIT_BROKEN_MARKERS
    print(tr_in(lang, "error: {message}", message=message), file=sys.stderr)
    return None, code


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.tools.student [--out student] [notebooks...]``; 2 = refused."""
    parser = argparse.ArgumentParser(description="Write the student edition of the lessons (solutions removed).")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lesson in notebooks/")
    parser.add_argument("--out", type=Path, default=Path("student"), help="output folder (default: student/)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or lesson_files(default_lessons_folder())
    if not notebooks:
        parser.error("no notebooks given and no lessons found in notebooks/")
    lang = edition_language(path.parent for path in notebooks)
    written, code = run_edition_writer(lambda: write_student_versions(notebooks, args.out), lang)
    if code:
        return code
    print(tr_in(lang, "Wrote {n_written} student notebook(s) to {out}/", n_written=len(written), out=args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
