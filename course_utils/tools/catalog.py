"""The message catalog of the course's printed text: extract, merge, compile, and say what needs work.

Every message a learner reads is written once, in English, and translated where it is printed
(:func:`course_utils.i18n.tr`, and :mod:`course_utils.checks` for a self-check's name and hint). The
translations live in one gettext catalog per language, ``course_utils/locale/<lang>/LC_MESSAGES/course.po``,
the format translators' tools read (Poedit, Weblate, Crowdin). This module keeps it in step with the code::

    python -m course_utils.tools.translations catalog     # extract, merge into each course.po, compile course.mo
    python -m course_utils.tools.translations status      # ... and list every catalog entry that needs work

**Extraction** reads the Python code of ``course_utils/`` and the code cells of the English lessons
(``notebooks/NN_*.ipynb``; the Chinese lessons' code cells are the same bytes) with :mod:`ast`, and takes
the string literal of

* ``tr("...", **values)`` and ``i18n.tr(...)`` (``tr_in(lang, "...")``: its second argument);
* ``N_("...")``, which marks a message printed later through ``tr(variable)``;
* the name (first argument) and ``hint=`` of ``check_at_least``, ``check_at_most``, ``check_between`` and
  ``check_true``, which :mod:`course_utils.checks` translates when it prints the line;
* the ``hint=`` and ``recipe=`` of an exercise (``@exercise("3.1", hint=..., recipe=...)``), which
  ``cu.hint`` translates.

A message there that is not a plain literal (an f-string, a ``+`` of strings) cannot be looked up, so it is
reported as a problem: write it as ``tr("... {name} ...", name=value)``. **Merging** is Babel's
(:meth:`babel.messages.catalog.Catalog.update`): a new message enters the catalog untranslated, a changed one
keeps its old translation marked *fuzzy* (a translator checks it, then removes the flag), a message no longer
in the code is dropped (the git history keeps it). **Compiling** writes ``course.mo`` (Babel's ``write_mo``; fuzzy entries
are left out), which is what :mod:`gettext` reads at run time; it is committed, so the package needs no build
step and Babel only at authoring time (``tests/test_catalog.py`` fails when it is older than the ``.po``).
"""
from __future__ import annotations

import ast
import io
import json
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from .. import i18n

CATALOG_LANGUAGES = tuple(lang for lang in i18n.LANGUAGES if lang != "en")   # English is the source
TRANSLATE_FUNCTIONS = {"tr": 0, "N_": 0, "tr_in": 1}          # function name -> index of the message argument
CHECK_FUNCTIONS = {"check_at_least", "check_at_most", "check_between", "check_true"}
KEYWORD_MESSAGES = {**{name: ("hint",) for name in CHECK_FUNCTIONS},   # function -> keywords holding messages
                    "exercise": ("hint", "recipe")}                    # exercises.core.exercise: its two hints
BRACE_FORMAT = "python-brace-format"
LESSON_PATTERN = "[0-9][0-9]_*.ipynb"
PO_WIDTH = 116


@dataclass
class Message:
    """One message found in the code: its English text, where it is used, and whether it has placeholders."""
    msgid: str
    locations: list[tuple[str, int]] = field(default_factory=list)
    formatted: bool = False    # passed to tr() with values: its {placeholders} are filled by str.format


@dataclass(frozen=True)
class NotExtractable:
    """A message in a translated position that is not a string literal (so no catalog entry can match it)."""
    where: str
    line: int
    code: str

    def describe(self) -> str:
        return (f"{self.where}:{self.line}: {self.code} is not a string literal, so it cannot be translated: write "
                "it as tr(\"... {name} ...\", name=value) (named placeholders) or as a plain string")


def _function_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def messages_in_code(source: str, where: str, first_line: int = 1) -> tuple[list[tuple[str, int, bool]],
                                                                          list[NotExtractable]]:
    """The messages of a piece of Python source: ``(msgid, line, formatted)`` triples, and the problems.

    Raises:
        SyntaxError: the source is not Python.
    """
    found: list[tuple[str, int, bool]] = []
    problems: list[NotExtractable] = []

    def take(node: ast.expr, formatted: bool) -> None:
        line = node.lineno + first_line - 1
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value:
                found.append((node.value, line, formatted))
        elif isinstance(node, (ast.JoinedStr, ast.BinOp)):
            problems.append(NotExtractable(where, line, ast.unparse(node)[:80]))

    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _function_name(node)
        if name in TRANSLATE_FUNCTIONS and len(node.args) > TRANSLATE_FUNCTIONS[name]:
            take(node.args[TRANSLATE_FUNCTIONS[name]], formatted=bool(node.keywords) and name != "N_")
        if name in CHECK_FUNCTIONS and node.args:
            take(node.args[0], formatted=False)
        for keyword in node.keywords:
            if keyword.arg in KEYWORD_MESSAGES.get(name, ()):
                take(keyword.value, formatted=False)
    found.sort(key=lambda item: item[1])
    return found, problems


def notebook_code(path: Path) -> list[tuple[str, str]]:
    """``(cell id, Python source)`` of each code cell, IPython's ``%magic`` and ``!shell`` lines blanked."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")]
        cells.append((cell.get("id", "?"), "\n".join(lines)))
    return cells


def source_files(root: Path) -> list[Path]:
    """The files messages are extracted from: ``course_utils/**/*.py`` and the English lessons."""
    package = sorted(p for p in (root / "course_utils").rglob("*.py") if "__pycache__" not in p.parts)
    return package + sorted((root / "notebooks").glob(LESSON_PATTERN))


def extract(root: Path) -> tuple[dict[str, Message], list[NotExtractable]]:
    """Every message of the course, in order of first use, and the messages that cannot be extracted."""
    messages: dict[str, Message] = {}
    problems: list[NotExtractable] = []
    for path in source_files(root):
        where = path.relative_to(root).as_posix()
        if path.suffix == ".ipynb":
            pieces = [(f"{where}#{cell_id}", code) for cell_id, code in notebook_code(path)]
        else:
            pieces = [(where, path.read_text(encoding="utf-8"))]
        for place, code in pieces:
            try:
                found, bad = messages_in_code(code, place)
            except SyntaxError:
                continue   # a cell that is not plain Python (e.g. a cell magic) has nothing to extract
            problems.extend(bad)
            for msgid, line, formatted in found:
                message = messages.setdefault(msgid, Message(msgid))
                message.formatted |= formatted
                if (place, line) not in message.locations:
                    message.locations.append((place, line))
    return messages, problems


def placeholders(text: str) -> set[tuple[str, str, str]] | None:
    """The ``{name!conversion:spec}`` fields of a brace-format string, or None when its braces do not parse."""
    try:
        return {(name, spec or "", conversion or "") for _, name, spec, conversion in string.Formatter().parse(text)
                if name is not None}
    except ValueError:
        return None


# --- the .po and .mo files (Babel) ------------------------------------------------------------------------
def po_path(root: Path, lang: str) -> Path:
    return root / "course_utils" / "locale" / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def template(messages: dict[str, Message]):
    """The extracted messages as a Babel catalog (a ``.pot`` in memory)."""
    from babel.messages.catalog import Catalog

    pot = Catalog(project="course-utils", domain=i18n.DOMAIN, fuzzy=False)
    for message in messages.values():
        pot.add(message.msgid, locations=[(place.split("#")[0], None) for place, _ in message.locations],
                flags=[BRACE_FORMAT] if message.formatted else [])
    return pot


def read_catalog(path: Path, lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=lang, domain=i18n.DOMAIN, project="course-utils", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=i18n.DOMAIN)


def po_text(catalog) -> bytes:
    """The catalog as the course stores it: locations by file (no line numbers: they change at every edit), and
    no obsolete (``#~``) entries: Babel's merge has already offered their translations to changed messages
    (as fuzzy), and the git history keeps them."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=PO_WIDTH, include_lineno=False, include_previous=True, ignore_obsolete=True)
    return buffer.getvalue()


def mo_bytes(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def translated_messages(catalog) -> dict[str, str]:
    """msgid -> translation of every translated entry that is not fuzzy: what ``course.mo`` must hold."""
    return {str(entry.id): str(entry.string) for entry in catalog
            if entry.id and entry.string and not entry.fuzzy}


def compiled_messages(mo: Path) -> dict[str, str] | None:
    """msgid -> translation as :mod:`gettext` reads them from a compiled ``course.mo`` (None when it is missing).

    Compared by content, not bytes: the header of a ``.mo`` names the Babel version that wrote it.
    """
    import gettext

    if not mo.exists():
        return None
    with mo.open("rb") as handle:
        messages = gettext.GNUTranslations(handle)._catalog
    return {key: value for key, value in messages.items() if key}


def merged(root: Path, lang: str, messages: dict[str, Message]):
    """``lang``'s catalog brought up to date with the extracted messages (Babel's merge; nothing is written)."""
    catalog = read_catalog(po_path(root, lang), lang)
    created = catalog.creation_date
    catalog.update(template(messages))           # Babel 2.10 has no update_creation_date=False: keep it by hand
    catalog.creation_date = created
    for message in messages.values():            # Babel keeps the old flags of an entry: set ours
        entry = catalog[message.msgid]
        if message.formatted:
            entry.flags.add(BRACE_FORMAT)
        else:
            entry.flags.discard(BRACE_FORMAT)
        if not entry.fuzzy:                      # the previous msgid ("#| msgid", which Babel reads back as a
            entry.previous_id = []               # comment "# | msgid") only helps to check a fuzzy entry: drop it
            entry.user_comments = [c for c in entry.user_comments if not c.startswith("| msgid")]   # once checked
    return catalog


def update(root: Path) -> list[Path]:
    """Extract, merge into every language's ``course.po`` and compile its ``course.mo``; return the files written."""
    from ..caching import write_bytes_atomically

    messages, _ = extract(root)
    written = []
    for lang in CATALOG_LANGUAGES:
        catalog = merged(root, lang, messages)
        po = po_path(root, lang)
        po.parent.mkdir(parents=True, exist_ok=True)
        for path, data in ((po, po_text(catalog)), (po.with_suffix(".mo"), mo_bytes(catalog))):
            if not path.exists() or path.read_bytes() != data:
                write_bytes_atomically(path, data)
                written.append(path)
    i18n.catalog.cache_clear()
    return written


# --- what needs work --------------------------------------------------------------------------------------
UNTRANSLATED, FUZZY, OBSOLETE, NOT_IN_CATALOG, PLACEHOLDERS, MO_OUTDATED, NOT_EXTRACTABLE = (
    "untranslated", "fuzzy", "obsolete", "not in the catalog", "placeholders differ", "course.mo out of date",
    "not a literal")


@dataclass(frozen=True)
class CatalogProblem:
    kind: str
    lang: str
    msgid: str = ""
    detail: str = ""

    def describe(self) -> str:
        if self.kind == NOT_EXTRACTABLE:
            return self.detail
        text = self.msgid if len(self.msgid) <= 100 else self.msgid[:97] + "..."
        return f"{self.lang}/course.po: {self.kind}: {text!r}" + (f" ({self.detail})" if self.detail else "")


def catalog_problems(root: Path) -> list[CatalogProblem]:
    """Every catalog entry that needs work, for every language, against the messages in the code now.

    * *not in the catalog*: a message of the code the ``.po`` lacks (run ``catalog``);
    * *untranslated* / *fuzzy*: translate it, or check the old translation and remove the fuzzy flag;
    * *obsolete*: an entry the code no longer uses (``catalog`` drops it, after offering its translation to a
      changed message as fuzzy);
    * *placeholders differ*: the translation's ``{fields}`` are not the English ones;
    * *course.mo out of date*: compile (``catalog``);
    * *not a literal*: a translated position holding an f-string (see :class:`NotExtractable`).
    """
    messages, not_extractable = extract(root)
    found = [CatalogProblem(NOT_EXTRACTABLE, "*", "", item.describe()) for item in not_extractable]
    for lang in CATALOG_LANGUAGES:
        path = po_path(root, lang)
        catalog = read_catalog(path, lang)
        for msgid, message in messages.items():
            entry = catalog.get(msgid)
            if entry is None:
                found.append(CatalogProblem(NOT_IN_CATALOG, lang, msgid, "run `translations catalog`"))
            elif not entry.string:
                found.append(CatalogProblem(UNTRANSLATED, lang, msgid))
            elif entry.fuzzy:
                found.append(CatalogProblem(FUZZY, lang, msgid, f"translation to check: {entry.string!r}"))
            elif message.formatted and placeholders(entry.string) != placeholders(msgid):
                found.append(CatalogProblem(PLACEHOLDERS, lang, msgid, f"translation: {entry.string!r}"))
        for entry in catalog:
            if entry.id and entry.id not in messages:
                found.append(CatalogProblem(OBSOLETE, lang, str(entry.id), "no longer in the code: run `catalog`"))
        if (compiled_messages(path.with_suffix(".mo")) or {}) != translated_messages(catalog):
            found.append(CatalogProblem(MO_OUTDATED, lang, "", "run `translations catalog` to compile it"))
    return found


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))
