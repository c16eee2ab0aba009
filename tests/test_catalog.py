"""The message catalog (course_utils/locale/<lang>/LC_MESSAGES/course.po): every message the course prints is translated.

Extraction runs here, on the code as it is now (course_utils/ and the lessons' code cells), so a new or changed
English message without a checked translation fails. Each test names, in its docstring, the change that would make
it fail.
"""
from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

import pytest

from course_utils import i18n
from course_utils.tools import catalog

ROOT = Path(__file__).resolve().parents[1]


def test_every_message_in_the_code_has_a_checked_translation():
    """Fails if a message of course_utils/ or of a lesson's code cell (a tr() text, a self-check's name or hint) is
    missing from a catalog, untranslated or fuzzy, if a translation's {placeholders} differ from its msgid's, if the
    catalog keeps entries the code no longer uses, or if course.mo was not compiled from the .po as it is.
    Fix: `python -m course_utils.tools.translations catalog`, translate, run it again."""
    problems = [p for p in catalog.catalog_problems(ROOT) if p.kind != catalog.NOT_EXTRACTABLE]
    assert not problems, "\n".join(p.describe() for p in problems)


def test_the_catalog_holds_the_lessons_self_checks():
    """Fails if extraction stops reading the lessons' code cells or the checks' names and hints."""
    messages, _ = catalog.extract(ROOT)
    from_lessons = [m for m in messages.values() if any(".ipynb#" in place for place, _ in m.locations)]
    assert len(from_lessons) >= 150
    assert "mean test accuracy with augmentation" in messages                                   # a check's name
    assert "A model trained only on unmirrored digits should read many mirrored ones differently." in messages  # a hint
    assert messages["{name} = {value:.4g} (expected {low:g} to {high:g})"].formatted            # tr() with values


def test_no_code_calls_say():
    """Fails if a module of course_utils calls a say(en, zh) again (the side-by-side pairs the catalog replaced):
    its Chinese would live in the code, out of the translators' reach and out of these tests.
    Fix: tr("English {name}", name=value), then `catalog`."""
    import ast

    calls = []
    for path in catalog.source_files(ROOT):
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and "say" in (getattr(node.func, "id", None), getattr(node.func, "attr", None)):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not calls, calls


@pytest.mark.parametrize("lang", catalog.CATALOG_LANGUAGES)
def test_placeholders_of_every_translation_equal_its_msgids(lang):
    """Fails if a translation drops, renames, adds or reformats a {placeholder}: it would print a wrong value
    or raise KeyError. (Checked for every entry whose msgid has fields, not only those tr() formats.)"""
    entries = catalog.read_catalog(catalog.po_path(ROOT, lang), lang)
    wrong = [(entry.id, entry.string) for entry in entries
             if entry.id and entry.string and catalog.placeholders(str(entry.id))
             and catalog.placeholders(entry.string) != catalog.placeholders(str(entry.id))]
    assert not wrong, wrong


def test_chinese_translations_are_chinese():
    """Fails if a zh entry is the English copied over (a translator's shortcut the other tests cannot see),
    except for messages that are only names, numbers and symbols."""
    entries = catalog.read_catalog(catalog.po_path(ROOT, "zh"), "zh")
    english = [entry.id for entry in entries if entry.id and entry.string and not catalog.is_chinese(entry.string)
               and any(word.isalpha() and word.islower() and len(word) > 3 for word in str(entry.id).split())]
    assert not english, english


def test_the_catalog_is_packaged():
    """Fails if pyproject's package-data leaves the compiled catalog out of the wheel (the Chinese edition of a
    pip-installed course_utils, as on Colab, would print English)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"].get("package-data", {})
    mo = catalog.po_path(ROOT, "zh").with_suffix(".mo").relative_to(ROOT / "course_utils").as_posix()
    assert any(fnmatch.fnmatch(mo, pattern) for pattern in data.get("course_utils", [])), data


# --- tr(): translate, then format ------------------------------------------------------------------------------
@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setenv("COURSE_LANG", "zh")


def test_tr_translates_then_fills_the_placeholders(chinese, monkeypatch):
    """Fails if tr() formats before looking up (no msgid would match) or ignores the language."""
    assert i18n.tr("{key}: fetched and verified", key="mnist") == "mnist：已获取，校验通过"
    monkeypatch.setenv("COURSE_LANG", "en")
    assert i18n.tr("{key}: fetched and verified", key="mnist") == "mnist: fetched and verified"
    assert i18n.tr_in("zh", "{key}: fetched and verified", key="x") == "x：已获取，校验通过"


def test_tr_without_values_does_not_format_and_unknown_messages_stay_english(chinese):
    """Fails if tr() formats a message given no values (braces in a check name would raise), returns the
    catalog's header for an empty message, or fails on a message the catalog lacks."""
    assert i18n.tr("a {literal} brace") == "a {literal} brace"
    assert i18n.tr("") == ""
    assert i18n.tr("a message nobody translated, {n}", n=3) == "a message nobody translated, 3"


def test_folder_language_is_the_folder_rule():
    """Fails if the edition tools' rule drifts from language()'s: a folder named zh, and only that."""
    assert i18n.folder_language(["notebooks/zh"]) == "zh"
    assert i18n.folder_language(["notebooks/zh", "student/zh"]) == "zh"
    assert i18n.folder_language(["notebooks/zh", "notebooks"]) == "en"
    assert i18n.folder_language(["zh_notes"]) == "en"


# --- extraction and what needs work, on a course of two files --------------------------------------------------
def test_extraction_reads_tr_n_and_check_calls_and_reports_f_strings():
    """Fails if a kind of translated text is no longer extracted, or an f-string in a translated position is
    silently skipped (it would print English in the Chinese edition)."""
    code = ('from course_utils import checks, i18n\n'
            'print(i18n.tr("{n} images", n=3))\n'
            'LABEL = i18n.N_("Seed")\n'
            'checks.check_at_least("test accuracy", 0.9, full=0.8, hint="Train longer.")\n'
            'checks.check_true(f"{n} runs", True)\n'
            'checks.check_true("left " + "right", True)\n'
            'tr_in(lang, "written in {lang}", lang=lang)\n')
    found, problems = catalog.messages_in_code(code, "x.py")
    assert [(msgid, formatted) for msgid, _, formatted in found] == [
        ("{n} images", True), ("Seed", False), ("test accuracy", False), ("Train longer.", False),
        ("written in {lang}", True)]
    assert [(p.line, p.code) for p in problems] == [(5, "f'{n} runs'"), (6, "'left ' + 'right'")]


def _course(tmp_path: Path, code: str, cell: str) -> Path:
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "course_utils" / "x.py").write_text(code, encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    nb = {"cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": cell.splitlines(keepends=True)}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "00_x.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return tmp_path


def _set(root: Path, translations: dict[str, str], fuzzy: tuple[str, ...] = ()) -> None:
    po = catalog.po_path(root, "zh")
    entries = catalog.read_catalog(po, "zh")
    for msgid, text in translations.items():
        entries[msgid].string = text
        if msgid in fuzzy:
            entries[msgid].flags.add("fuzzy")
        else:
            entries[msgid].flags.discard("fuzzy")
    po.write_bytes(catalog.po_text(entries))


def kinds(root: Path) -> set[tuple[str, str]]:
    return {(p.kind, p.msgid) for p in catalog.catalog_problems(root) if p.lang == "zh"}


def test_a_new_english_message_fails_until_translated_and_compiled(tmp_path, monkeypatch):
    """Fails if the catalog checks miss a message that is not in the .po, untranslated, fuzzy, mistranslated in
    its placeholders, obsolete, or not compiled; or if `catalog` (update) does not add, flag and drop entries."""
    monkeypatch.setattr(catalog, "CATALOG_LANGUAGES", ("zh",))
    root = _course(tmp_path, 'print(tr("{n} files checked", n=n))\n',
                   '%matplotlib inline\nchecks.check_true("labels unchanged", ok)\n')
    assert kinds(root) >= {(catalog.NOT_IN_CATALOG, "{n} files checked"), (catalog.NOT_IN_CATALOG, "labels unchanged")}
    catalog.update(root)
    assert kinds(root) == {(catalog.UNTRANSLATED, "{n} files checked"), (catalog.UNTRANSLATED, "labels unchanged")}
    _set(root, {"{n} files checked": "检查了 {count} 个文件", "labels unchanged": "标签没有改变"},
         fuzzy=("labels unchanged",))
    assert kinds(root) == {(catalog.PLACEHOLDERS, "{n} files checked"), (catalog.FUZZY, "labels unchanged"),
                           (catalog.MO_OUTDATED, "")}
    _set(root, {"{n} files checked": "检查了 {n} 个文件", "labels unchanged": "标签没有改变"})
    catalog.update(root)
    assert kinds(root) == set()
    with catalog.po_path(root, "zh").with_suffix(".mo").open("rb") as handle:
        import gettext
        assert gettext.GNUTranslations(handle).gettext("{n} files checked").format(n=2) == "检查了 2 个文件"

    (root / "course_utils" / "x.py").write_text('print(tr("{n} files checked again", n=n))\n', encoding="utf-8")
    assert (catalog.OBSOLETE, "{n} files checked") in kinds(root)
    catalog.update(root)   # Babel's merge offers the old translation to the changed message, as fuzzy
    entry = catalog.read_catalog(catalog.po_path(root, "zh"), "zh")["{n} files checked again"]
    assert entry.fuzzy and entry.string == "检查了 {n} 个文件"
    assert (catalog.FUZZY, "{n} files checked again") in kinds(root)
    assert '\nmsgid "{n} files checked"\n' not in catalog.po_path(root, "zh").read_text(encoding="utf-8")   # dropped


def test_no_message_in_a_translated_position_is_an_f_string():
    """Fails if course_utils or a lesson passes an f-string (or a + of strings) to tr(), as a check's name or as its
    hint: no catalog entry can match it, so the Chinese edition prints it in English. (Every lesson is converted:
    there are no exceptions any more.)
    Fix: tr("... {name} ...", name=value) (in a lesson: i18n.tr)."""
    wrong = [p.detail for p in catalog.catalog_problems(ROOT) if p.kind == catalog.NOT_EXTRACTABLE]
    assert not wrong, "\n".join(wrong)


# --- the migration tool: a lesson's code cell into catalog calls ------------------------------------------------
def test_say_to_catalog_wraps_f_string_check_names_and_english_prints():
    """Fails if `say_to_catalog --lessons` stops turning an f-string check name or an English print into
    i18n.tr("... {name} ...", name=value), or touches a print without English words."""
    from course_utils.tools import say_to_catalog as tool

    code = ('checks.check_true(f"{name} kept epoch {best}", ok)\n'
            'print(f"{n} runs in {s:.0f} s")\n'
            'print(x, y)\n')
    found, notes = tool.lesson_cell_conversions(code)
    new = tool.rewrite(code.encode("utf-8"), found).decode("utf-8")
    assert not notes and [item.msgid for item in found] == ["{name} kept epoch {best}", "{n} runs in {s:.0f} s"]
    assert new == ('checks.check_true(i18n.tr("{name} kept epoch {best}", name=name, best=best), ok)\n'
                   'print(i18n.tr("{n} runs in {s:.0f} s", n=n, s=s))\n'
                   'print(x, y)\n')
    found, _ = tool.lesson_cell_conversions(new)
    assert found == []                                          # converted code is left alone


def test_say_to_catalog_adds_i18n_to_the_lessons_import_line_however_it_is_written():
    """Fails if the i18n import is not added to a one-line or a parenthesised `from course_utils import (...)`
    (lesson 7's), or is added twice."""
    from course_utils.tools.say_to_catalog import WIDTH, add_i18n_import

    one_line = "import course_utils as cu\nfrom course_utils import checks, plots\n"
    assert add_i18n_import(one_line) == "import course_utils as cu\nfrom course_utils import checks, i18n, plots\n"
    names = ", ".join(f"module{i:02d}" for i in range(12))
    wrapped = f"import course_utils as cu\nfrom course_utils import ({names})\n\ninfo = cu.setup()"
    new = add_i18n_import(wrapped)
    assert "i18n" in new and new.endswith("\n\ninfo = cu.setup()") and max(map(len, new.splitlines())) <= WIDTH
    assert add_i18n_import(new) == new
