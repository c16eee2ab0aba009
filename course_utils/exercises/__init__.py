"""Exercises: check an answer, ask for a hint, show a solution.

Every exercise of the course is used the same way from a lesson::

    cu.check("3.1", answer_3_1, globals())   # the check cell, always this one line
    cu.hint("3.1")                           # a nudge, when stuck
    cu.hint("3.1", 2)                        # the recipe, in words
    cu.solution("3.1")                       # the solution, read from the instructor notebook

``check`` prints one line:

- ``✅ Exercise 3.1: correct``
- ``❌ Exercise 3.1: not quite — <why>``
- ``Exercise 3.1: not answered yet`` (the answer is still ``None``)

A checker never crashes on an answer: whatever it is given (a string, a number, an array of the wrong shape, a
function that raises, a model with the wrong output), the verdict is "not quite" with a reason; "the check could
not run" is kept for a lesson whose earlier cells have not run (or an unknown exercise id). A "predict, then
measure" exercise adds, to its verdict, how far the prediction the learner recorded (``prediction_N_M``) was
from the measurement; the prediction is never graded.

The expected result is never in the notebook: the exercise's checker, in
``course_utils/exercises/lessonNN.py``, computes it from the lesson's state (the namespace
passed as ``globals()``). Under CI (``CI`` set) or with ``COURSE_STRICT_CHECKS=1`` a "not
quite" or a checker error raises :class:`course_utils.checks.CheckFailed`; "not answered yet"
never does, so a learner edition runs from top to bottom. With ``COURSE_GRADE_LOG`` set,
every check also appends its verdict to that file for the grader (see :mod:`.gradelog`).

What the learner reads comes in the lesson's language (:func:`course_utils.i18n.language`: English,
or Chinese in the Chinese edition, e.g. ``✅ 练习 3.1：正确``); the grade log's verdicts stay the
four English strings whatever the language, since the grader parses them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..checks import CheckFailed, CheckResult, strict_mode
from ..i18n import tr
from . import gradelog, solutions
from .core import (CORRECT, Exercise, LessonStateMissing, NotQuite, UnknownExercise, Verdict, all_exercises, call,
                   correct, exercise, expect, get, lesson_number, lesson_value, normal_id, prediction_note)
from .gradelog import GRADE_LOG_ENV

__all__ = ["check", "hint", "solution", "Outcome", "evaluate", "CORRECT", "Verdict", "correct", "expect", "call",
           "prediction_note",
           "lesson_value", "exercise", "get", "all_exercises", "UnknownExercise", "GRADE_LOG_ENV"]


@dataclass(frozen=True)
class Outcome:
    """The result of checking one answer: ``verdict`` is one of the grade log's four strings (never translated)."""

    exercise: str
    verdict: str
    message: str = ""

    @property
    def line(self) -> str:
        """The line printed for the learner, in the lesson's language."""
        if self.verdict == "correct":
            note = tr(" — {message}", message=self.message) if self.message else ""
            return tr("✅ Exercise {exercise}: correct", exercise=self.exercise) + note
        if self.verdict == "not answered":
            return tr("Exercise {exercise}: not answered yet", exercise=self.exercise)
        if self.verdict == "not quite":
            return tr("❌ Exercise {exercise}: not quite — {message}", exercise=self.exercise, message=self.message)
        return tr("❌ Exercise {exercise}: the check could not run — {message}", exercise=self.exercise,
                  message=self.message)


def evaluate(exercise_id: str, answer: Any, namespace: Mapping[str, Any] | None = None) -> Outcome:
    """Check ``answer`` without printing or raising: the verdict and its message."""
    try:
        checker = get(exercise_id).checker
    except UnknownExercise as err:
        return Outcome(str(exercise_id), "error", f"UnknownExercise: {err.args[0]}")
    exercise_id = normal_id(exercise_id)
    if answer is None:
        return Outcome(exercise_id, "not answered")
    try:
        verdict = checker(answer, namespace if namespace is not None else {})
    except NotQuite as err:
        return Outcome(exercise_id, "not quite", str(err))
    except LessonStateMissing as err:
        return Outcome(exercise_id, "error", str(err))
    except Exception as err:  # the answer is not what the checker can use (a wrong type, a broken function, ...)
        name = "answer_" + exercise_id.replace(".", "_")
        return Outcome(exercise_id, "not quite", tr("{name} could not be checked ({type_name}: {err}): is it the "
                                                    "kind of value the exercise asks for?", name=name,
                                                    type_name=type(err).__name__, err=str(err)[:300]))
    if verdict.correct:
        return Outcome(exercise_id, "correct", verdict.reason)
    return Outcome(exercise_id, "not quite", verdict.reason)


def check(exercise_id: str, answer: Any, namespace: Mapping[str, Any] | None = None) -> CheckResult:
    """Check an exercise answer against the lesson's state, print the verdict, log it for grading.

    Args:
        exercise_id: "N.M", e.g. "3.1".
        answer: the learner's answer (``None`` means not answered yet).
        namespace: the lesson's variables, normally ``globals()`` of the notebook.

    Raises:
        CheckFailed: in strict mode (CI), when the answer is not quite right or cannot be checked.
    """
    outcome = evaluate(exercise_id, answer, namespace)
    line = outcome.line
    if outcome.verdict == "not quite":
        line += tr("\n   Stuck? cu.hint(\"{exercise}\") gives a hint.", exercise=outcome.exercise)
    print(line)
    lesson = _lesson_or_none(outcome.exercise)
    gradelog.record(outcome.exercise, outcome.verdict, outcome.message, lesson)
    if outcome.verdict in ("not quite", "error") and strict_mode():
        raise CheckFailed(outcome.line)
    return CheckResult(outcome.verdict == "correct")


def hint(exercise_id: str, level: int = 1) -> None:
    """Print a hint of an exercise in the lesson's language: level 1 nudges, level 2 gives the recipe in words."""
    try:
        found = get(exercise_id)
    except UnknownExercise as err:
        print(err.args[0])
        return
    if level >= 2:
        print(tr("Recipe for exercise {id}: {hint_text}", id=found.id, hint_text=found.hint_text(2)))
        return
    more = tr("\n   Still stuck? cu.hint(\"{id}\", 2) gives the recipe.", id=found.id) if found.recipe else ""
    print(tr("Hint for exercise {id}: {hint_text}", id=found.id, hint_text=found.hint_text(1))
          + more)


def solution(exercise_id: str) -> None:
    """Print the solution of an exercise, read from the instructor notebook in ``notebooks/``."""
    try:
        exercise_id = get(exercise_id).id
    except UnknownExercise as err:
        print(err.args[0])
        return
    try:
        code = solutions.solution_code(exercise_id, lesson_number(exercise_id))
    except solutions.NoInstructorNotebooks as err:
        print(tr("Exercise {exercise_id}: no solutions here. {err}\n"
                 "If your instructor handed out this notebook on its own, the solutions are not part of your "
                 "edition: ask them, or try cu.hint() first.", exercise_id=exercise_id, err=err))
        return
    print(tr("# Solution of exercise {exercise_id}: paste it into the answer cell, read it, run it.\n"
             "{code}", exercise_id=exercise_id, code=code))


def _lesson_or_none(exercise_id: str) -> int | None:
    try:
        return lesson_number(exercise_id)
    except UnknownExercise:
        return None
