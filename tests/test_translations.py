"""The Chinese edition (notebooks/zh/): code single-sourced, every translation current, glossary terms kept.

The lessons in ``notebooks/zh/`` are not executed by the test suite: their code cells are proven identical to the
English lessons' (which run), byte for byte. See ``course_utils/tools/translations.py`` for the workflow.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from course_utils.tools import translations as tr
from test_glossary import GLOSSARY, LINK, entries, renderings

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ZH = NOTEBOOKS / "zh"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
# Prose is what is left once code spans, math, HTML tags and link targets are taken out.
NOT_PROSE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^>]+>|\]\([^)]*\)", re.S)


def pairs(english: Path) -> list[tuple[dict, dict]]:
    """(English cell, translated cell) for every cell of a lesson, matched by cell id."""
    translated = {cell.get("id"): cell for cell in tr.read_notebook(ZH / english.name)["cells"]}
    return [(cell, translated.get(cell.get("id"))) for cell in tr.read_notebook(english)["cells"]]


def translated_markdown(english: Path) -> list[tuple[dict, dict]]:
    return [(en, zh) for en, zh in pairs(english)
            if en["cell_type"] == "markdown" and zh is not None and tr.recorded_digest(zh) is not None]


@pytest.fixture(scope="module")
def glossary():
    return entries(GLOSSARY.read_text(encoding="utf-8"))


# ---- the real edition ---------------------------------------------------------------------------------------

def test_every_lesson_has_a_chinese_edition():
    assert LESSONS, "no lessons found"
    missing = [path.name for path in LESSONS if not (ZH / path.name).exists()]
    assert not missing, f"no translation in notebooks/zh/ for {missing}: run `python -m course_utils.tools.translations sync`"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem[:2])
def test_code_cells_are_the_english_cells_byte_for_byte(lesson):
    differing = [en.get("id") for en, zh in pairs(lesson) if en["cell_type"] == "code" and
                 (zh is None or not tr.same_code(en, zh))]
    assert not differing, (f"zh/{lesson.name}: code cells {differing} differ from the English lesson; run "
                           "`python -m course_utils.tools.translations sync` (code is never edited in zh/)")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem[:2])
def test_no_translation_is_stale_or_missing(lesson):
    found = tr.problems(tr.read_notebook(lesson), tr.read_notebook(ZH / lesson.name), f"zh/{lesson.name}")
    assert not found, ("translations need work (`python -m course_utils.tools.translations status "
                       f"{lesson.stem[:2]}` shows what changed):\n" + "\n".join(p.describe() for p in found))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem[:2])
def test_translated_cells_are_chinese(lesson):
    """A cell stamped as translated but still English (a stamp applied to the wrong text) is caught."""
    english_left = [en.get("id") for en, zh in translated_markdown(lesson)
                    if re.search(r"[A-Za-z]{3,}", NOT_PROSE.sub(" ", tr.source_of(en)))
                    and not CJK.search(tr.source_of(zh))]
    assert not english_left, f"zh/{lesson.name}: cells stamped as translated hold no Chinese: {english_left}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem[:2])
def test_glossary_links_keep_their_term_in_chinese(lesson, glossary):
    """Every glossary term an English cell links is linked in its translation and named by its 中文 term."""
    wrong = []
    for en, zh in translated_markdown(lesson):
        text = tr.source_of(zh)
        for slug in sorted(set(LINK.findall(tr.source_of(en)))):
            primary, _ = renderings(glossary[slug]["zh"])
            if f"../glossary.md#{slug}" not in text:
                wrong.append(f"cell {en.get('id')}: no link to ../glossary.md#{slug}")
            if primary not in text:
                wrong.append(f"cell {en.get('id')}: the term {slug!r} does not appear as {primary!r}")
    assert not wrong, f"zh/{lesson.name}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem[:2])
def test_relative_links_in_translations_resolve(lesson):
    broken = []
    for _, zh in translated_markdown(lesson):
        for target in MARKDOWN_LINK.findall(tr.source_of(zh)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (ZH / target.split("#", 1)[0]).exists():
                broken.append(f"cell {zh.get('id')}: {target}")
    assert not broken, f"zh/{lesson.name}: links to files that do not exist (from notebooks/zh/): {broken}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem[:2])
def test_bold_and_italics_render_next_to_chinese(lesson):
    """CommonMark ignores ``**`` that touches punctuation on its inner side and a Chinese character on its outer
    side (``的**[x](y)**或`` shows the asterisks); a space outside the ``**`` fixes it. Checked on the rendered HTML
    (markdown-it-py, the parser of the website, comes with Keras through rich)."""
    from markdown_it import MarkdownIt

    render = MarkdownIt("commonmark").render
    literal = []
    for _, zh in translated_markdown(lesson):
        html = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", render(tr.source_of(zh)), flags=re.S)
        if "**" in html or "__" in html:
            literal.append(zh.get("id"))
    assert not literal, f"zh/{lesson.name}: cells whose ** shows as text (put a space outside the **): {literal}"


# ---- the mechanism, on a small lesson -------------------------------------------------------------------------

def small_lesson() -> dict:
    def cell(kind, cell_id, text):
        extra = {"outputs": [], "execution_count": None} if kind == "code" else {}
        return {"cell_type": kind, "id": cell_id, "metadata": {}, "source": text, **extra}

    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [cell("markdown", "intro", "# Title\nSome prose."), cell("code", "c1", "x = 1"),
                      cell("markdown", "more", "More prose.")]}


def translated(english: dict) -> dict:
    nb = tr.synced(english, None)
    return tr.apply_translations(english, nb, {"intro": "# 标题\n一些文字。", "more": "更多文字。"})


def test_a_fresh_translation_has_no_problems_and_keeps_code_identical():
    english = small_lesson()
    nb = translated(english)
    assert tr.problems(english, nb, "x") == []
    assert nb["cells"][1]["source"] == "x = 1"


def test_changing_one_english_markdown_cell_makes_exactly_that_cell_stale():
    english = small_lesson()
    nb = translated(english)
    english["cells"][2]["source"] = "More prose, now corrected."
    found = tr.problems(english, nb, "x")
    assert [(p.kind, p.cell_id, p.index) for p in found] == [(tr.STALE, "more", 2)]
    assert "cell 2 (id more) is stale" in found[0].describe()


def test_sync_keeps_stale_translations_adds_new_cells_and_copies_code():
    english = small_lesson()
    nb = translated(english)
    english["cells"][1]["source"] = "x = 2  # fixed once, in English"
    english["cells"][2]["source"] = "Changed."
    english["cells"].append({"cell_type": "markdown", "id": "new", "metadata": {}, "source": "New cell."})
    assert {p.kind for p in tr.problems(english, nb, "x")} == {tr.CODE_DIFFERS, tr.STALE, tr.MISSING}
    nb = tr.synced(english, nb)
    assert nb["cells"][1]["source"] == "x = 2  # fixed once, in English"
    assert tr.source_of(nb["cells"][2]) == "更多文字。"   # kept, still stale until re-translated
    kinds = [(p.kind, p.cell_id) for p in tr.problems(english, nb, "x")]
    assert kinds == [(tr.STALE, "more"), (tr.UNTRANSLATED, "new")]
    nb = tr.apply_translations(english, nb, {"more": "已修改。", "new": "新的一格。"})
    assert tr.problems(english, nb, "x") == []


def test_edited_code_and_foreign_cells_are_reported():
    english = small_lesson()
    nb = translated(english)
    edited = copy.deepcopy(nb)
    edited["cells"][1]["source"] = "x = 1  # 翻译了注释"
    assert [p.kind for p in tr.problems(english, edited, "x")] == [tr.CODE_DIFFERS]
    edited = copy.deepcopy(nb)
    edited["cells"].append({"cell_type": "markdown", "id": "mine", "metadata": {}, "source": "多余"})
    assert [p.kind for p in tr.problems(english, edited, "x")] == [tr.EXTRA]


def test_apply_refuses_code_cells_and_unknown_ids():
    english = small_lesson()
    nb = tr.synced(english, None)
    with pytest.raises(ValueError, match="code cell"):
        tr.apply_translations(english, nb, {"c1": "x = 1"})
    with pytest.raises(KeyError, match="no cell"):
        tr.apply_translations(english, nb, {"nope": "文字"})


def test_status_command_names_the_stale_cell_and_fails(tmp_path, monkeypatch, capsys):
    english_dir = tmp_path / "notebooks"
    (english_dir / "zh").mkdir(parents=True)
    english = small_lesson()
    (english_dir / "01_small.ipynb").write_text(json.dumps(english), encoding="utf-8")
    tr.write_notebook(english_dir / "zh" / "01_small.ipynb", translated(english))
    monkeypatch.setattr(tr, "english_folder", lambda: english_dir)
    assert tr.main(["status"]) == 0
    english["cells"][0]["source"] = "# Title\nSome better prose."
    (english_dir / "01_small.ipynb").write_text(json.dumps(english), encoding="utf-8")
    capsys.readouterr()
    assert tr.main(["status", "01"]) == 1
    out = capsys.readouterr().out
    assert "zh/01_small.ipynb: cell 0 (id intro) is stale" in out
    assert "English now:" in out and "Some better prose." in out   # not a git checkout: no diff, the text now


def test_a_synced_translation_stores_no_outputs():
    """Fails if sync copies the outputs an English code cell stores (cells tagged nbval-check-output): the Chinese
    edition is not compared by nbval, so it keeps none."""
    from course_utils.tools import translations

    english = {"cells": [{"cell_type": "code", "id": "c1", "metadata": {"tags": ["nbval-check-output"]},
                          "source": "print(1)", "execution_count": 3,
                          "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}]}],
               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    cell = translations.synced(english, None)["cells"][0]
    assert cell["source"] == "print(1)" and cell["outputs"] == [] and cell["execution_count"] is None
