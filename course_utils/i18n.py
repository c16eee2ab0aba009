"""The language of what the course prints: English, or Chinese for the Chinese edition.

The Chinese edition (``notebooks/zh/``) runs the English lessons' code byte for byte, so a
lesson cannot pass its language to the course: the course works it out instead. A Jupyter
kernel runs in its notebook's folder, and every Chinese edition lives in a folder named
``zh`` (``notebooks/zh/``, ``learner/zh/``, ``student/zh/``)::

    COURSE_LANG=zh   -> "zh"   (the variable always wins: "en" or "zh")
    cwd .../zh       -> "zh"
    anything else    -> "en"

Messages keep both texts side by side at the place they are printed, so a change to one
is seen next to the other::

    print(say(f"✅ {name}: correct", f"✅ {name}：正确"))

Only text a learner reads is translated; identifiers, file names, commands and the grade
log's verdict strings stay English (programs parse them).
"""
from __future__ import annotations

import os
from pathlib import Path

LANG_ENV = "COURSE_LANG"
LANGUAGES = ("en", "zh")


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
        return "zh" if Path.cwd().name == "zh" else "en"
    except OSError:   # the working folder was deleted: no edition to follow
        return "en"


def say(en: str, zh: str) -> str:
    """The text for the current language: ``en`` or ``zh`` (both are given at the call site).

    Example:
        >>> say("not answered yet", "尚未作答")   # in English
        'not answered yet'
    """
    return zh if language() == "zh" else en
