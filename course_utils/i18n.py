"""The language of what the course prints: English, or Chinese for the Chinese edition.

The Chinese edition (``notebooks/zh/``) runs the English lessons' code byte for byte, so a
lesson cannot pass its language to the course: the course works it out instead. A Jupyter
kernel runs in its notebook's folder, and every Chinese edition lives in a folder named
``zh`` (``notebooks/zh/``, ``learner/zh/``, ``student/zh/``)::

    COURSE_LANG=zh   -> "zh"   (the variable always wins: "en" or "zh")
    cwd .../zh       -> "zh"
    anything else    -> "en"

Every message a learner reads is written once, in English, and translated when it is printed
from a gettext message catalog, ``course_utils/locale/<lang>/LC_MESSAGES/course.po`` (compiled to
``course.mo`` next to it, which is what Python's :mod:`gettext` reads)::

    print(tr("{name}: already cached and verified", name=entry.key))
    # English:  "cifar10: already cached and verified"
    # Chinese:  "cifar10：已在缓存中，校验通过"   (msgstr "{name}：已在缓存中，校验通过")

The English text, with *named* placeholders, is the catalog's msgid; :func:`tr` translates it first
and fills the placeholders afterwards, so a translation cannot drift from the values printed. Text
a lesson passes to a self-check (its name and hint) is translated by :mod:`course_utils.checks` the
same way. A message missing from the catalog prints in English. ``python -m
course_utils.tools.translations catalog`` extracts the messages (from ``course_utils/`` and the lessons'
code cells), merges them into each ``course.po`` and compiles it; see docs/authoring.md.

Only text a learner reads is translated; identifiers, file names, commands and the grade
log's verdict strings stay English (programs parse them).

Tables are translated where they are displayed, not where they are made: a pandas DataFrame or Series keeps
English values (a verdict column says ``"helped"``, and checks compare it), and in a notebook
(:func:`register_table_display`, called by ``cu.setup()``) the Chinese edition shows a copy whose cells and
row labels that are messages marked with :func:`N_` are translated (:func:`table_in`); column names stay
as they are (identifiers)::

    stats.verdict(0.01, 0.03)   # "helped" in every edition: N_("helped")
    table                       # displays 有帮助 in its verdict column under zh; table["verdict"] == "helped"
"""
from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable

LANG_ENV = "COURSE_LANG"
LANGUAGES = ("en", "zh")
DOMAIN = "course"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def language() -> str:
    """The language of the course's messages: ``"en"`` or ``"zh"``.

    ``COURSE_LANG`` decides when it is set to a non-empty value; otherwise a working folder
    named ``zh`` (the Chinese edition's notebooks run there) means Chinese, anything else
    English. It is read at every call, so a changed variable or folder takes effect at once.

    Raises:
        ValueError: ``COURSE_LANG`` holds something other than ``en`` or ``zh``.

    Example:
        >>> language()   # in notebooks/zh/, with COURSE_LANG unset
        'zh'
    """
    value = os.environ.get(LANG_ENV, "").strip().lower()
    if value:
        if value not in LANGUAGES:
            raise ValueError(f"{LANG_ENV}={value!r} is not a language of this course: set it to 'en' (English) "
                             f"or 'zh' (中文), or unset it to follow the notebook's folder")
        return value
    try:
        return folder_language([Path.cwd()])
    except OSError:   # the working folder was deleted: no edition to follow
        return "en"


def folder_language(folders: Iterable[Path | str]) -> str:
    """The language of an edition by its folder: ``"zh"`` when every folder given is named ``zh``, else ``"en"``.

    :func:`language` applies it to the working folder; the edition tools (``make learner``, ``make student``)
    apply it to the lessons' folder they read, since they run from the course root.

    Example:
        >>> folder_language(["notebooks/zh"]), folder_language(["notebooks"])
        ('zh', 'en')
    """
    names = {Path(folder).expanduser().resolve().name for folder in folders}
    return "zh" if names == {"zh"} else "en"


@lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled message catalog of ``lang`` (``locale/<lang>/LC_MESSAGES/course.mo``).

    English is the catalog's source language, so ``"en"`` (or a language without a catalog) gives
    :class:`gettext.NullTranslations`, which returns every message as written.
    """
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def tr_in(lang: str, message: str, /, **values: object) -> str:
    """``message`` translated into ``lang`` (``"en"`` or ``"zh"``), then its ``{placeholders}`` filled.

    For tools that print in the language of the edition they write (:func:`folder_language`) rather
    than the working folder's; everything else calls :func:`tr`.
    """
    text = catalog(lang).gettext(message) if message else message   # gettext("") is the catalog's header
    return text.format(**values) if values else text


def tr(message: str, /, **values: object) -> str:
    """``message`` (English, the catalog's msgid) in the course's language, with its placeholders filled.

    The placeholders are named and filled by ``str.format`` after translating, so the translation
    carries the same ``{names}`` (and format specs) as the English. Without values the text is not
    formatted, so a message with literal braces needs no escaping.

    Example:
        >>> tr("{key}: fetched and verified", key="mnist")   # in notebooks/zh/
        'mnist：已获取，校验通过'
    """
    return tr_in(language(), message, **values)


_MARKED: set[str] = set()   # every message N_ has marked in this process: the words a table may show translated


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it (yet): a message kept in a table or a
    default argument is translated later, where it is printed, by :func:`tr` of the variable holding it.

    A marked message that becomes a value of a pandas table (a verdict such as ``"helped"``, a row label) is
    shown translated when the table is displayed (:func:`table_in`, :func:`register_table_display`), while the
    table itself keeps the English, which checks and programs compare.

    Example:
        >>> LABELS = {"Seed": N_("Seed")}     # extracted; printed as tr(LABELS[key])
    """
    _MARKED.add(message)
    return message


def list_text(items: Iterable[str]) -> str:
    """``items`` as one list in the course's language: ``"1 L, 2 P"`` in English, ``"1 张 L、2 张 P"`` in Chinese.

    The separator is a message of its own (CLDR's list pattern ``"{list}, {item}"``; Chinese ``"{list}、{item}"``),
    so a translator sets it like any other.
    """
    text = ""
    for item in items:
        text = tr("{list}, {item}", list=text, item=item) if text else item
    return text


# ---------------------------------------------------------------- tables: translated where they are displayed
def table_in(lang: str, table):
    """A copy of ``table`` (a pandas DataFrame or Series) for display in ``lang``: every string cell and index label
    that is a message marked with :func:`N_` (a verdict, a row label) translated; the column names (and a Series'
    name) left as they are, since they are identifiers a lesson selects by.

    The table itself is never changed: its values stay English for the checks and programs that compare them.
    Returns ``table`` itself in English, for anything that is not a DataFrame or Series, and when no value is a
    marked message.

    Example:
        >>> table_in("zh", pd.DataFrame({"verdict": [stats.verdict(0.01, 0.03)]}))["verdict"][0]
        '有帮助'
    """
    import numpy as np
    import pandas as pd

    if lang == "en" or not isinstance(table, (pd.DataFrame, pd.Series)):
        return table
    translations = catalog(lang)

    def word(value):
        if isinstance(value, str) and value and value in _MARKED:
            return translations.gettext(value)
        return value

    def texts(values) -> bool:   # could hold strings: object, string or categorical dtype
        return (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
                or isinstance(values.dtype, pd.CategoricalDtype))

    def translated_index(index):
        if isinstance(index, pd.MultiIndex):
            if not any(texts(level) for level in index.levels):
                return None
            rows = [tuple(word(v) for v in row) for row in index]
            return None if rows == list(index) else pd.MultiIndex.from_tuples(rows, names=index.names)
        if not texts(index):
            return None
        labels = [word(v) for v in index]
        changed = any(a is not b for a, b in zip(labels, index))
        return pd.Index(labels, dtype=object, name=index.name) if changed else None

    def translated_values(column):
        if not texts(column):
            return None
        values = [word(v) for v in column]
        changed = any(a is not b for a, b in zip(values, column))
        return np.array(values, dtype=object) if changed else None

    shown = None
    if isinstance(table, pd.Series):
        values = translated_values(table)
        if values is not None:
            shown = pd.Series(values, index=table.index, name=table.name)
    else:
        for position in range(table.shape[1]):
            values = translated_values(table.iloc[:, position])
            if values is not None:
                shown = table.copy() if shown is None else shown
                shown.isetitem(position, values)
    index = translated_index(table.index)
    if index is not None:
        shown = table.copy() if shown is None else shown
        shown.index = index
    return table if shown is None else shown


def register_table_display() -> bool:
    """Show every pandas DataFrame and Series a notebook displays through :func:`table_in` in the course's language.

    Registers IPython display formatters (``text/plain`` for both, ``text/html`` for DataFrame, the one that has
    an HTML form) that read :func:`language` at each display, so an English session shows exactly what pandas
    shows. Does nothing outside IPython; calling it again changes nothing. :func:`course_utils.setup` calls it.

    Returns:
        True when the formatters are registered (inside IPython), False otherwise.
    """
    import sys

    ipython = sys.modules.get("IPython")   # a kernel has imported it; a plain Python process has not
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return False
    import pandas as pd
    from IPython.lib.pretty import _repr_pprint

    def plain(table, printer, cycle):
        _repr_pprint(table_in(language(), table), printer, cycle)

    def html(table):
        return table_in(language(), table)._repr_html_()

    formatters = shell.display_formatter.formatters
    for cls in (pd.DataFrame, pd.Series):
        formatters["text/plain"].for_type(cls, plain)
        if hasattr(cls, "_repr_html_"):
            formatters["text/html"].for_type(cls, html)
    return True
