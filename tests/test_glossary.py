"""The glossary: every entry bilingual, defined and linked to a lesson; every glossary link in a lesson resolves."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
GLOSSARY = NOTEBOOKS / "glossary.md"
ENTRY = re.compile(r'^- <a id="(?P<slug>[^"]+)"></a>\*\*(?P<term>[^*]+)\*\* · (?P<zh>[^—]+) — (?P<definition>.+?) '
                   r"First in: \[lesson (?P<number>\d+)\]\((?P<file>[^)]+)\)\.$")
LINK = re.compile(r"glossary\.md#([A-Za-z0-9_-]+)")
CJK = re.compile(r"[\u4e00-\u9fff]")


def slugify(term: str) -> str:
    """The anchor for a term: lower case, spaces to hyphens (``Grad-CAM`` -> ``grad-cam``)."""
    return re.sub(r"[^a-z0-9-]", "", term.lower().replace(" ", "-"))


def entries(text: str) -> dict[str, re.Match]:
    """Parse the glossary's entry lines; a line that starts like an entry but does not parse is an error."""
    found = {}
    for line in text.splitlines():
        if line.startswith("- <a id="):
            match = ENTRY.match(line)
            assert match, f"glossary line does not follow the entry format: {line[:120]}"
            assert match["slug"] not in found, f"duplicate glossary anchor {match['slug']}"
            found[match["slug"]] = match
    return found


@pytest.fixture(scope="module")
def glossary() -> dict[str, re.Match]:
    return entries(GLOSSARY.read_text(encoding="utf-8"))


def test_glossary_has_the_core_terms(glossary):
    core = {"transfer-learning", "fine-tuning", "feature-extraction", "freezing", "pre-training", "negative-transfer",
            "data-augmentation", "over-fitting", "batch-normalization", "backbone", "gradient-descent", "cross-entropy",
            "convolution", "feature-map", "softmax", "dropout", "l2-sp", "grad-cam"}
    assert core <= set(glossary), sorted(core - set(glossary))
    assert len(glossary) >= 60


def test_every_entry_is_bilingual_defined_and_linked(glossary):
    lessons = {p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    for slug, m in glossary.items():
        assert slug == slugify(m["term"]), f"anchor {slug!r} should be {slugify(m['term'])!r}"
        assert re.search(r"[A-Za-z]", m["term"]) and CJK.search(m["zh"]), f"{slug}: needs English and 中文"
        assert len(m["definition"].split()) >= 5 and m["definition"].endswith("."), f"{slug}: one-line definition"
        assert m["file"] in lessons, f"{slug}: links {m['file']}, which is not a lesson in notebooks/"
        assert m["file"].startswith(f"{int(m['number']):02d}_"), f"{slug}: 'lesson {m['number']}' but links {m['file']}"


def test_entries_are_sorted(glossary):
    terms = [m["term"].lower() for m in glossary.values()]
    assert terms == sorted(terms)


def test_every_glossary_link_in_the_lessons_resolves(glossary):
    missing = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for slug in LINK.findall(cell.source):
                if slug not in glossary:
                    missing.setdefault(path.name, set()).add(slug)
    assert not missing, f"lessons link glossary terms that have no entry: {missing}"


def test_parser_rejects_a_broken_entry():
    good = ('- <a id="freezing"></a>**freezing** · 冻结 — Setting layers as not trainable. '
            "First in: [lesson 5](05_weight_transfer_fashion.ipynb).")
    assert set(entries(good)) == {"freezing"}
    with pytest.raises(AssertionError):
        entries(good.replace(" · 冻结", ""))
