"""The exercise registry: one checker and one hint per exercise id ("N.M").

A lesson's checkers live in ``course_utils/exercises/lessonNN.py``. Each is a function
``checker(answer, ns)`` that receives the learner's answer and the lesson's namespace
(``globals()`` of the notebook), computes the expected result from that namespace, and
returns :data:`CORRECT` or :func:`not_quite` with the reason. It is registered with
:func:`exercise`, which also stores the exercise's hint, in English and in Chinese::

    @exercise("3.1", hint="Count how many times the kernel fits along one side.",
              hint_zh="数一数卷积核沿一条边能放下几次。")
    def _output_size(answer, ns):
        expect(callable(answer), say("answer_3_1 should be a function", "answer_3_1 应该是一个函数"))
        ...
        return CORRECT

Everything a learner reads comes in the lesson's language (:mod:`course_utils.i18n`): a
reason is written as ``say(english, chinese)`` at the place it is raised, and the hint a
learner sees is :meth:`Exercise.hint_text`.

Inside a checker, :func:`expect` ends the check with "not quite" when a condition fails, and
:func:`lesson_value` fetches a name the lesson defines (or says which cell to run first).
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..i18n import language, say

EXERCISE_ID = re.compile(r"^(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Verdict:
    """What a checker concluded: correct, or not quite with the reason shown to the learner."""

    correct: bool
    reason: str = ""


CORRECT = Verdict(True)


def not_quite(reason: str) -> Verdict:
    """A "not quite" verdict; ``reason`` says what is wrong without giving the answer away."""
    return Verdict(False, reason)


class NotQuite(Exception):
    """Raised by :func:`expect` inside a checker; the check turns it into a "not quite" verdict."""


class LessonStateMissing(Exception):
    """The namespace lacks a name the checker needs: the lesson's earlier cells have not run."""


class UnknownExercise(KeyError):
    """No checker is registered under this exercise id."""


def expect(condition: Any, reason: str) -> None:
    """Stop the check with "not quite — <reason>" unless ``condition`` is true."""
    if not condition:
        raise NotQuite(reason)


def lesson_value(ns: Mapping[str, Any], name: str) -> Any:
    """The value the lesson bound to ``name``; a clear error if that cell has not run yet."""
    if name not in ns:
        raise LessonStateMissing(say(f"the lesson's variable `{name}` is not defined here: run the lesson's cells "
                                     "above this exercise first (Run > Run All Above Selected Cell)",
                                     f"这里还没有定义本课的变量 `{name}`：请先运行本练习上方的单元格"
                                     "（Run > Run All Above Selected Cell）"))
    return ns[name]


@dataclass(frozen=True)
class Exercise:
    """One registered exercise: its id, its hint (English, and Chinese in ``hint_zh``) and its checker."""

    id: str
    hint: str
    checker: Callable[[Any, Mapping[str, Any]], Verdict]
    hint_zh: str = ""

    def hint_text(self) -> str:
        """The hint in the lesson's language (the English one where no Chinese hint is written)."""
        return self.hint_zh if language() == "zh" and self.hint_zh else self.hint


_REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str, hint: str, hint_zh: str = "") -> Callable:
    """Decorator: register ``checker`` for ``exercise_id`` with its ``hint`` and the Chinese ``hint_zh``."""
    lesson_number(exercise_id)  # refuse a malformed id at import time

    def register(checker: Callable[[Any, Mapping[str, Any]], Verdict]) -> Callable:
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id].checker.__module__ != checker.__module__:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, hint.strip(), checker, hint_zh.strip())
        return checker

    return register


def lesson_number(exercise_id: str) -> int:
    """The lesson an id belongs to: ``"3.1"`` -> 3. Raises UnknownExercise for a malformed id."""
    match = EXERCISE_ID.match(str(exercise_id))
    if not match:
        raise UnknownExercise(say(f"{exercise_id!r} is not an exercise id; ids look like \"3.1\" (lesson 3, exercise 1)",
                                  f"{exercise_id!r} 不是练习编号；编号形如 \"3.1\"（第 3 课的练习 1）"))
    return int(match.group(1))


def lesson_module_name(lesson: int) -> str:
    """Dotted name of the module holding lesson ``lesson``'s checkers."""
    return f"{__package__}.lesson{lesson:02d}"


def get(exercise_id: str) -> Exercise:
    """The registered exercise, importing its lesson's checker module on first use."""
    lesson = lesson_number(exercise_id)
    if exercise_id in _REGISTRY:
        return _REGISTRY[exercise_id]
    try:
        importlib.import_module(lesson_module_name(lesson))
    except ModuleNotFoundError as err:
        if err.name != lesson_module_name(lesson):
            raise
        raise UnknownExercise(say(f"lesson {lesson} has no exercises ({exercise_id!r})",
                                  f"第 {lesson} 课没有练习（{exercise_id!r}）")) from None
    if exercise_id not in _REGISTRY:
        known = sorted(e for e in _REGISTRY if lesson_number(e) == lesson)
        raise UnknownExercise(say(f"no exercise {exercise_id!r}; lesson {lesson} has {', '.join(known) or 'none'}",
                                  f"没有练习 {exercise_id!r}；第 {lesson} 课的练习有：{'、'.join(known) or '无'}"))
    return _REGISTRY[exercise_id]


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every lesson module, by id (imports all ``lessonNN`` modules)."""
    import course_utils.exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        if re.fullmatch(r"lesson\d\d", info.name):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return dict(sorted(_REGISTRY.items(), key=lambda item: tuple(map(int, item[0].split(".")))))
