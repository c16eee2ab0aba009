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


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it (yet): a message kept in a table or a
    default argument is translated later, where it is printed, by :func:`tr` of the variable holding it.

    Example:
        >>> LABELS = {"Seed": N_("Seed")}     # extracted; printed as tr(LABELS[key])
    """
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

