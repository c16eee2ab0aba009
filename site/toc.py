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


ZH_HOME = "README.zh"   # the Chinese overview; the Chinese lessons are notebooks/zh/NN_name


def lesson_docnames(folder: str = "notebooks") -> list[str]:
    """Every lesson notebook in ``folder``, in course order (``notebooks/NN_name`` or ``notebooks/zh/NN_name``)."""
    return [f"{folder}/{path.stem}" for path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))]


def counterpart(docname: str) -> str | None:
    """The same page in the other language: ``notebooks/05_x`` <-> ``notebooks/zh/05_x``, README <-> README.zh."""
    pairs = {"README": ZH_HOME, ZH_HOME: "README"}
    if docname in pairs:
        return pairs[docname]
    if docname.startswith("notebooks/zh/"):
        return "notebooks/" + docname.removeprefix("notebooks/zh/")
    if docname in lesson_docnames():
        return "notebooks/zh/" + docname.removeprefix("notebooks/")
    return None


def is_chinese(docname: str) -> bool:
    """True for the Chinese edition's pages."""
    return docname == ZH_HOME or docname.startswith("notebooks/zh/")


def results_docnames() -> list[str]:
    """Every per-lesson results page under ``docs/results/``, in file-name order."""
    return [f"docs/results/{path.stem}" for path in sorted((ROOT / "docs" / "results").glob("*.md"))]


TOC: dict[str, dict[str, list[str]]] = {
    # document that holds the toctree -> caption -> pages
    "README": {
        "Lessons": lesson_docnames(),
        "Reference": ["notebooks/glossary", RESULTS_DOC, "docs/instructor", "docs/authoring", "data/README",
                      "site/README"],
        "中文版 · Chinese edition": [ZH_HOME],
    },
    ZH_HOME: {"课程": lesson_docnames("notebooks/zh"), "参考": ["notebooks/glossary"]},
    RESULTS_DOC: {"Results per lesson": results_docnames()},
}
