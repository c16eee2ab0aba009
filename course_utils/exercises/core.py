"""The exercise registry: one checker and one hint per exercise id ("N.M").

A lesson's checkers live in ``course_utils/exercises/lessonNN.py``. Each is a function
``checker(answer, ns)`` that receives the learner's answer and the lesson's namespace
(``globals()`` of the notebook), computes the expected result from that namespace, and
returns :data:`CORRECT` (or raises "not quite" through :func:`expect`). It is registered with
:func:`exercise`, which also stores the exercise's two hints, in English and in Chinese: ``hint`` nudges
(``cu.hint("3.1")``), ``recipe`` gives the method in words (``cu.hint("3.1", 2)``); neither is the solution's
code (``tests/test_exercise_checkers.py`` compares them)::

    @exercise("3.1", hint="Count how many times the kernel fits along one side.",
              recipe="...", hint_zh="数一数卷积核沿一条边能放下几次。", recipe_zh="...")
    def _output_size(answer, ns):
        expect(callable(answer), say("answer_3_1 should be a function", "answer_3_1 应该是一个函数"))
        ...
        return CORRECT

Everything a learner reads comes in the lesson's language (:mod:`course_utils.i18n`): a
reason is written as ``say(english, chinese)`` at the place it is raised, and the hint a
learner sees is :meth:`Exercise.hint_text`.

Inside a checker, :func:`expect` ends the check with "not quite" when a condition fails,
:func:`lesson_value` fetches a name the lesson defines (or says which cell to run first), :func:`call` runs a
function the learner wrote (its exception becomes "not quite"), and :func:`prediction_note` compares the
prediction a "predict, then measure" exercise recorded (``prediction_N_M``) with the measurement.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from ..i18n import language, say

EXERCISE_ID = re.compile(r"^(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Verdict:
    """What a checker concluded: correct, or not quite with the reason shown to the learner."""

    correct: bool
    reason: str = ""


CORRECT = Verdict(True)


def correct(note: str = "") -> Verdict:
    """A "correct" verdict with an optional note for the learner (e.g. how far off their prediction was)."""
    return Verdict(True, note)


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


def call(function: Callable, *args: Any, name: str = "your function") -> Any:
    """``function(*args)``; an exception it raises ends the check with "not quite" naming the exception."""
    try:
        return function(*args)
    except (NotQuite, LessonStateMissing):
        raise
    except Exception as err:  # the learner's code broke: a verdict on the answer, not a crash of the check
        raise NotQuite(say(f"{name} raised {type(err).__name__}: {str(err)[:300]}",
                           f"{name} 引发了 {type(err).__name__}：{str(err)[:300]}")) from err


def is_number(value: Any) -> bool:
    """A single real number (not a bool, not a string, not an array with more than one entry)."""
    try:
        return not isinstance(value, (str, bytes, bool)) and np.ndim(value) == 0 and np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def prediction_note(ns: Mapping[str, Any], exercise_id: str, measured: Any, unit: str = "") -> str:
    """Feedback on the prediction a learner recorded in ``prediction_N_M`` before measuring (never graded).

    Numbers: how far off, absolute and relative; anything else: whether it matched. ``measured`` may be a dict
    (several measurements): the prediction is then a dict with some of its keys.
    """
    name = "prediction_" + exercise_id.replace(".", "_")
    predicted = ns.get(name)
    if predicted is None:
        return say(f"no prediction recorded: next time write `{name}` before you measure, and compare",
                   f"没有记下预测：下次请先写好 `{name}` 再测量，然后比较两者")
    if isinstance(measured, Mapping):
        if not isinstance(predicted, Mapping) or not set(predicted) & set(measured):
            return say(f"`{name}` should map some of {sorted(map(str, measured))} to your predicted values",
                       f"`{name}` 应该把 {sorted(map(str, measured))} 中的几项映射到你的预测值")
        parts = [_one_note(k, predicted[k], measured[k], unit) for k in measured if k in predicted]
        return say("your predictions: ", "你的预测：") + "; ".join(parts)
    return say("your prediction: ", "你的预测：") + _one_note("", predicted, measured, unit)


def _one_note(key: Any, predicted: Any, measured: Any, unit: str) -> str:
    label = f"{key}: " if key != "" else ""
    if is_number(predicted) and is_number(measured):
        p, m = float(predicted), float(measured)
        off = p - m
        relative = f", {abs(off) / abs(m):.0%}" if m != 0 else ""
        return say(f"{label}{p:g}{unit}, measured {m:.4g}{unit} (off by {off:+.3g}{unit}{relative})",
                   f"{label}{p:g}{unit}，实测 {m:.4g}{unit}（相差 {off:+.3g}{unit}{relative}）")
    same = str(predicted).strip().lower() == str(measured).strip().lower()
    return say(f"{label}{predicted!r}, measured {measured!r} ({'right' if same else 'not what happened'})",
               f"{label}{predicted!r}，实测 {measured!r}（{'猜对了' if same else '与实际不符'}）")


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
    """One registered exercise: its id, its two hints (English, and Chinese in ``*_zh``) and its checker.

    ``hint`` nudges (where to look, what to think about); ``recipe`` gives the method in words, still not the code.
    """

    id: str
    hint: str
    checker: Callable[[Any, Mapping[str, Any]], Verdict]
    hint_zh: str = ""
    recipe: str = ""
    recipe_zh: str = ""

    def hint_text(self, level: int = 1) -> str:
        """The hint of tier ``level`` (1: a nudge, 2: the recipe) in the lesson's language."""
        if level >= 2 and self.recipe:
            return self.recipe_zh if language() == "zh" and self.recipe_zh else self.recipe
        return self.hint_zh if language() == "zh" and self.hint_zh else self.hint


_REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str, hint: str, hint_zh: str = "", recipe: str = "", recipe_zh: str = "") -> Callable:
    """Decorator: register ``checker`` for ``exercise_id`` with its nudge ``hint``, its ``recipe`` (tier 2) and
    their Chinese versions."""
    lesson_number(exercise_id)  # refuse a malformed id at import time

    def register(checker: Callable[[Any, Mapping[str, Any]], Verdict]) -> Callable:
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id].checker.__module__ != checker.__module__:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, hint.strip(), checker, hint_zh.strip(), recipe.strip(),
                                          recipe_zh.strip())
        return checker

    return register


def normal_id(exercise_id: Any) -> str:
    """The id as a string: ``1.1`` (a number, as a learner may type it) -> ``"1.1"``; strings are kept."""
    if isinstance(exercise_id, float):
        return f"{exercise_id:g}"
    return str(exercise_id).strip()


def lesson_number(exercise_id: Any) -> int:
    """The lesson an id belongs to: ``"3.1"`` -> 3. Raises UnknownExercise for a malformed id."""
    match = EXERCISE_ID.match(normal_id(exercise_id))
    if not match:
        raise UnknownExercise(say(f"{exercise_id!r} is not an exercise id; write it as a string in quotes, e.g. "
                                  "cu.hint(\"3.1\") (lesson 3, exercise 1)",
                                  f"{exercise_id!r} 不是练习编号；请把编号写成带引号的字符串，例如 "
                                  "cu.hint(\"3.1\")（第 3 课的练习 1）"))
    return int(match.group(1))


def lesson_module_name(lesson: int) -> str:
    """Dotted name of the module holding lesson ``lesson``'s checkers."""
    return f"{__package__}.lesson{lesson:02d}"


def get(exercise_id: Any) -> Exercise:
    """The registered exercise, importing its lesson's checker module on first use (``1.1`` means ``"1.1"``)."""
    lesson = lesson_number(exercise_id)
    exercise_id = normal_id(exercise_id)
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
