"""Slideshow metadata for the lessons, so each one can be presented with ``nbconvert --to slides``.

Rules (computed from the cells' content only, so running the command twice changes nothing):

* a markdown cell that opens with a ``#`` or ``##`` heading starts a **slide**;
* a ``###`` (or deeper) heading starts a **subslide** (reveal.js: a slide below);
* a cell tagged ``solution`` is **skipped** (solutions are not projected), and so is one tagged
  ``remove-cell`` (left out of every rendered edition, e.g. the Colab set-up cell);
* any other cell continues the current slide (``-``), except that once a slide holds
  ``MAX_CELLS`` cells the next markdown cell starts a subslide, so no slide overflows;
* a cell an author marked ``notes`` (speaker notes) stays ``notes``.

Usage (from the course folder)::

    python -m course_utils.tools.slides                  # every notebooks/*.ipynb, in place
    jupyter nbconvert --to slides notebooks/05_weight_transfer_fashion.ipynb   # then present
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..caching import write_bytes_atomically
from .student import default_lessons_folder, lesson_files

MAX_CELLS = 4  # cells on one slide before a markdown cell opens a subslide
MAX_CELLS_HARD = 7  # ... or before any cell does


def heading_level(source: str) -> int:
    """Level of the markdown heading a cell opens with (``## Setup`` -> 2), or 0 if none."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    hashes = len(first) - len(first.lstrip("#"))
    return hashes if hashes and first[hashes:hashes + 1] == " " else 0


def slide_types(cells: list[dict]) -> list[str]:
    """The slide type of every cell, following the module's rules."""
    types, on_slide = [], 0
    for cell in cells:
        meta = cell.get("metadata", {})
        level = heading_level(cell["source"]) if cell["cell_type"] == "markdown" else 0
        if {"solution", "remove-cell"} & set(meta.get("tags", [])):
            kind = "skip"
        elif meta.get("slideshow", {}).get("slide_type") == "notes":
            kind = "notes"
        elif level in (1, 2):
            kind = "slide"
        elif level >= 3:
            kind = "subslide"
        elif on_slide >= MAX_CELLS_HARD or (on_slide >= MAX_CELLS and cell["cell_type"] == "markdown"):
            kind = "subslide"
        else:
            kind = "-"
        on_slide = 1 if kind in ("slide", "subslide") else on_slide + (kind == "-")
        types.append(kind)
    return types


def add_slide_metadata(nb: dict) -> bool:
    """Set ``metadata.slideshow.slide_type`` on every cell of ``nb`` in place; True if anything changed."""
    changed = False
    for cell, kind in zip(nb["cells"], slide_types(nb["cells"])):
        slideshow = cell.setdefault("metadata", {}).setdefault("slideshow", {})
        if slideshow.get("slide_type") != kind:
            slideshow["slide_type"] = kind
            changed = True
    return changed


def write_notebook_atomically(nb: dict, path: Path) -> None:
    """Save ``nb`` over ``path`` through a temporary file, so an interrupted run never leaves half a lesson."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(nb))
    write_bytes_atomically(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.tools.slides [notebooks...]`` (default: notebooks/*.ipynb)."""
    import nbformat

    parser = argparse.ArgumentParser(description="Add slideshow metadata to lesson notebooks (in place).")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or lesson_files(default_lessons_folder())
    if not notebooks:
        parser.error("no notebooks given and none found in notebooks/ (run from the course folder)")
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        if add_slide_metadata(nb):
            write_notebook_atomically(nb, path)
            print(f"{path}: slideshow metadata updated")
        else:
            print(f"{path}: already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
