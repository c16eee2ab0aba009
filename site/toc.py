"""The site's table of contents, in one place: which pages appear, in which order, under which caption.

Pages are Sphinx docnames (paths from the repository root without the suffix). The lessons are found in
``notebooks/`` so a new lesson appears without editing this file. ``course_site`` turns these lists into
hidden toctrees when it reads the home page (README.md) and the results index, so neither file needs
Sphinx-only markup.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DOC = "docs/results"


def lesson_docnames() -> list[str]:
    """Every lesson notebook, in course order (``notebooks/NN_name``)."""
    return [f"notebooks/{path.stem}" for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def results_docnames() -> list[str]:
    """Every per-lesson results page under ``docs/results/``, in file-name order."""
    return [f"docs/results/{path.stem}" for path in sorted((ROOT / "docs" / "results").glob("*.md"))]


TOC: dict[str, dict[str, list[str]]] = {
    # document that holds the toctree -> caption -> pages
    "README": {
        "Lessons": lesson_docnames(),
        "Reference": ["notebooks/glossary", RESULTS_DOC, "docs/instructor", "docs/authoring", "data/README",
                      "site/README"],
    },
    RESULTS_DOC: {"Results per lesson": results_docnames()},
}
