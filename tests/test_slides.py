"""Slides: the metadata rules, idempotence, every lesson tagged, and nbconvert building every deck."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import caching
from course_utils.tools import slides

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in cells:
        cell = (nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell)(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


@pytest.mark.parametrize("source, level", [("# 05 · Title", 1), ("\n## Setup\ntext", 2), ("### Freeze", 3),
                                           ("#hashtag", 0), ("Plain text", 0), ("", 0)])
def test_heading_level(source, level):
    assert slides.heading_level(source) == level


def test_rules_and_idempotence():
    nb = _nb(("md", "# 99 · Title", None), ("md", "Objectives", None), ("md", "## Setup", None),
             ("code", "import numpy", None), ("md", "### Detail", None), ("code", "x = None", ["solution"]),
             ("code", "check()", None), *[("md", f"text {i}", None) for i in range(5)])
    assert slides.add_slide_metadata(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds == ["slide", "-", "slide", "-", "subslide", "skip", "-", "-", "-", "subslide", "-", "-"]
    assert not slides.add_slide_metadata(nb)  # second run: nothing to change


def test_speaker_notes_are_kept():
    nb = _nb(("md", "# T", None), ("md", "say this", None))
    nb.cells[1].metadata["slideshow"] = {"slide_type": "notes"}
    slides.add_slide_metadata(nb)
    assert nb.cells[1].metadata["slideshow"]["slide_type"] == "notes"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_has_up_to_date_slide_metadata(lesson):
    nb = nbformat.read(lesson, as_version=4)
    missing = [i for i, c in enumerate(nb.cells) if "slide_type" not in c.metadata.get("slideshow", {})]
    assert not missing, (f"{lesson.name}: cells {missing[:8]} have no slideshow metadata; "
                         "run `python -m course_utils.tools.slides` and commit")
    assert not slides.add_slide_metadata(nb), f"{lesson.name}: slide metadata is stale; run `python -m course_utils.tools.slides`"


@pytest.fixture(scope="module")
def deck_dir(tmp_path_factory):
    """Copies of every lesson, tagged by the command line, converted to reveal.js slides in one run."""
    assert LESSONS, "no lessons found in notebooks/"
    folder = tmp_path_factory.mktemp("slides")
    copies = [Path(shutil.copy(p, folder / p.name)) for p in LESSONS]
    assert subprocess.run([sys.executable, "-m", "course_utils.tools.slides", *map(str, copies)],
                          cwd=ROOT, capture_output=True).returncode == 0
    before = [p.read_bytes() for p in copies]
    assert slides.main(list(map(str, copies))) == 0  # a second run leaves the files byte for byte as they are
    assert before == [p.read_bytes() for p in copies], "course_utils.tools.slides is not idempotent"
    result = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", "--log-level=ERROR",
                             "--output-dir", str(folder / "html"), *map(str, copies)],
                            capture_output=True, text=True, cwd=folder)
    assert result.returncode == 0, result.stderr[-2000:]
    return folder


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_slides_build(lesson, deck_dir):
    html = (deck_dir / "html" / f"{lesson.stem}.slides.html").read_text(encoding="utf-8")
    nb = nbformat.read(deck_dir / lesson.name, as_version=4)
    n_slides = sum(c.metadata.slideshow.slide_type in ("slide", "subslide") for c in nb.cells)
    assert n_slides >= 3 and html.count("<section") >= n_slides
    first_heading = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    assert first_heading.split("·")[-1].strip()[:20] in html


def test_an_interrupted_rewrite_leaves_the_lesson_whole(tmp_path, monkeypatch):
    """The lesson is written to a temporary file and moved into place: a crash before the move changes nothing."""
    lesson = tmp_path / "99_synthetic.ipynb"
    nbformat.write(_nb(("md", "# 99 · Title", None), ("code", "x = 1", None)), lesson)
    before = lesson.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt("interrupted while saving")

    monkeypatch.setattr(caching.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        slides.main([str(lesson)])
    assert lesson.read_bytes() == before  # not half-written, not rewritten
    assert [p.name for p in tmp_path.iterdir()] == [lesson.name]  # no temporary file left behind
    monkeypatch.undo()
    assert slides.main([str(lesson)]) == 0  # the next run is not broken by the interrupted one
    assert nbformat.read(lesson, as_version=4).cells[0].metadata.slideshow.slide_type == "slide"
