"""The exercise registry: one checker and one hint per exercise id ("N.M").

A lesson's checkers live in ``course_utils/exercises/lessonNN.py``. Each is a function
``checker(answer, ns)`` that receives the learner's answer and the lesson's namespace
(``globals()`` of the notebook), computes the expected result from that namespace, and
returns :data:`CORRECT` (or raises "not quite" through :func:`expect`). It is registered with
:func:`exercise`, which also stores the exercise's two hints: ``hint`` nudges
(``cu.hint("3.1")``), ``recipe`` gives the method in words (``cu.hint("3.1", 2)``); neither is the solution's
code (``tests/test_exercise_checkers.py`` compares them)::

    @exercise("3.1", hint="Count how many times the kernel fits along one side.", recipe="...")
    def _output_size(answer, ns):
        expect(callable(answer), tr("answer_3_1 should be a function"))
        ...
        return CORRECT

Everything a learner reads comes in the lesson's language (:mod:`course_utils.i18n`): a
reason is written in English as ``tr("... {name} ...", name=value)`` where it is raised, the hints in
English in ``@exercise``, and the message catalog (``course_utils/locale``) holds their translations.

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

from ..i18n import tr

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


def call(function: Callable, *args: Any, name: str = "your function", time_limit: float | None = None,
         when_stopped: str = "") -> Any:
    """``function(*args)``; an exception it raises ends the check with "not quite" naming the exception.

    ``time_limit`` (seconds): run the call in a separate thread and wait at most that long; a call still running
    then (a loop that never ends) is stopped and ends the check with "not quite", saying so, followed by
    ``when_stopped`` (what probably loops). Without it the call runs in the caller's thread, with no limit.
    """
    try:
        if time_limit is None:
            return function(*args)
        return _call_with_time_limit(function, args, time_limit)
    except (NotQuite, LessonStateMissing):
        raise
    except _StillRunning as err:
        raise NotQuite(tr("{name} did not return within {seconds:g} s and was stopped", name=name,
                          seconds=time_limit) + (": " + when_stopped if when_stopped else "")) from err
    except Exception as err:  # the learner's code broke: a verdict on the answer, not a crash of the check
        raise NotQuite(tr("{name} raised {type_name}: {err}", name=name, type_name=type(err).__name__,
                          err=str(err)[:300])) from err


class _StillRunning(Exception):
    """A learner's call outlived its time limit."""


class _Stop(BaseException):
    """Raised inside a learner's call that outlived its time limit (a BaseException, so ``except Exception`` in the
    learner's code does not swallow it)."""


def _call_with_time_limit(function: Callable, args: tuple, seconds: float) -> Any:
    """``function(*args)`` in a daemon thread; :class:`_StillRunning` if it has not returned after ``seconds``.

    The thread is then asked to stop (an asynchronous :class:`_Stop` exception, which interrupts a Python loop at its
    next bytecode; a call blocked inside C code stops when it returns to Python)."""
    import ctypes
    import threading

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args)
        except _Stop:
            pass
        except BaseException as err:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = err

    worker = threading.Thread(target=run, name="course-exercise-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_Stop))
        worker.join(1.0)
        raise _StillRunning(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


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
        return tr("no prediction recorded: next time write `{name}` before you measure, and compare", name=name)
    if isinstance(measured, Mapping):
        if not isinstance(predicted, Mapping) or not set(predicted) & set(measured):
            return tr("`{name}` should map some of {keys} to your predicted values", name=name,
                      keys=sorted(map(str, measured)))
        parts = [_one_note(k, predicted[k], measured[k], unit) for k in measured if k in predicted]
        text = parts[0]
        for part in parts[1:]:
            text = tr("{notes}; {note}", notes=text, note=part)   # the separator is the catalog's (Chinese ；)
        return tr("your predictions: ") + text
    return tr("your prediction: ") + _one_note("", predicted, measured, unit)


def _one_note(key: Any, predicted: Any, measured: Any, unit: str) -> str:
    label = f"{key}: " if key != "" else ""
    if is_number(predicted) and is_number(measured):
        p, m = float(predicted), float(measured)
        off = p - m
        relative = (tr(", {share:.0%} of the measured value", share=abs(off) / abs(m)) if m != 0 and off != 0
                    else "")
        return tr("{label}{p:g}{unit}, measured {m:.4g}{unit} (off by {off:+.3g}{unit}{relative})", label=label, p=p,
                  unit=unit, m=m, off=off, relative=relative)
    same = str(predicted).strip().lower() == str(measured).strip().lower()
    return tr("{label}{predicted!r}, {verdict}: measured {measured!r}", label=label, predicted=predicted,
              measured=measured, verdict=tr("right") if same else tr("not what happened"))


def lesson_value(ns: Mapping[str, Any], name: str) -> Any:
    """The value the lesson bound to ``name``; a clear error if that cell has not run yet."""
    if name not in ns:
        raise LessonStateMissing(tr("the lesson's variable `{name}` is not defined here: run the lesson's cells "
                                    "above this exercise first (Run > Run All Above Selected Cell)", name=name))
    return ns[name]


@dataclass(frozen=True)
class Exercise:
    """One registered exercise: its id, its two hints (English; translated through the message catalog) and its
    checker.

    ``hint`` nudges (where to look, what to think about); ``recipe`` gives the method in words, still not the code.
    """

    id: str
    hint: str
    checker: Callable[[Any, Mapping[str, Any]], Verdict]
    recipe: str = ""

    def hint_text(self, level: int = 1) -> str:
        """The hint of tier ``level`` (1: a nudge, 2: the recipe) in the lesson's language."""
        return tr(self.recipe if level >= 2 and self.recipe else self.hint)


_REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str, hint: str, recipe: str = "") -> Callable:
    """Decorator: register ``checker`` for ``exercise_id`` with its nudge ``hint`` and its ``recipe`` (tier 2),
    both in English: the message catalog holds their translations (``hint=`` and ``recipe=`` are extracted)."""
    lesson_number(exercise_id)  # refuse a malformed id at import time

    def register(checker: Callable[[Any, Mapping[str, Any]], Verdict]) -> Callable:
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id].checker.__module__ != checker.__module__:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, hint, checker, recipe)
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
        raise UnknownExercise(tr("{exercise_id!r} is not an exercise id; write it as a string in quotes, e.g. "
                                 "cu.hint(\"3.1\") (lesson 3, exercise 1)", exercise_id=exercise_id))
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
        raise UnknownExercise(tr("lesson {lesson} has no exercises ({exercise_id!r})", lesson=lesson,
                                 exercise_id=exercise_id)) from None
    if exercise_id not in _REGISTRY:
        known = sorted(e for e in _REGISTRY if lesson_number(e) == lesson)
        raise UnknownExercise(tr("no exercise {exercise_id!r}; lesson {lesson} has {known}", exercise_id=exercise_id,
                                 lesson=lesson, known=", ".join(known) or tr("none")))
    return _REGISTRY[exercise_id]


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every lesson module, by id (imports all ``lessonNN`` modules)."""
    import course_utils.exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        if re.fullmatch(r"lesson\d\d", info.name):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return dict(sorted(_REGISTRY.items(), key=lambda item: tuple(map(int, item[0].split(".")))))
