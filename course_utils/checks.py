"""Self-checks for lessons and checkers for exercises.

A check prints one friendly line, ``✅`` or ``❌`` with a hint. For a learner a
failed check is a message, not a crash. Under CI (``CI`` set) or with
``COURSE_STRICT_CHECKS=1`` a failed check raises :class:`CheckFailed`, so a lesson
whose key result drifts fails the test suite.

Exercises are checked by :mod:`course_utils.exercises` (``cu.check("3.1", answer_3_1, globals())``),
which computes each expected answer from the lesson's state and reuses :class:`CheckFailed`,
:class:`CheckResult` and :func:`strict_mode` from here.

Every line comes in the lesson's language (:mod:`course_utils.i18n`): the words the course adds (target,
profile, hint) and the name and hint a lesson passes in, which are looked up in the message catalog when
the line is printed (the English text is the msgid; ``translations catalog`` extracts them from the lessons'
code cells). A name built from values is written ``i18n.tr("share of {n} runs", n=n)`` in the lesson.
"""
from __future__ import annotations

from . import config
from .i18n import N_, tr


class CheckFailed(AssertionError):
    """A lesson's key result or an exercise answer is off (raised in strict mode only)."""


class CheckResult:
    """The outcome of a check: true when it passed.

    It displays nothing in a notebook (the check has already printed its line), so a
    check can end a cell without an extra ``True`` under the ✅.
    """

    def __init__(self, passed: bool):
        self.passed = passed

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"CheckResult(passed={self.passed})"

    def _ipython_display_(self) -> None:
        pass


def strict_mode() -> bool:
    """True under CI or when ``COURSE_STRICT_CHECKS`` is on: failed checks raise (see config.strict_checks)."""
    return config.strict_checks()


def report(passed: bool, message: str, hint: str = "") -> CheckResult:
    """Print a pass/fail line; raise CheckFailed on failure in strict mode.

    ``message`` is printed as given (the check functions below have translated it); ``hint`` is translated.
    """
    if passed:
        print(f"✅ {message}")
        return CheckResult(True)
    line = f"❌ {message}" + ("\n   " + tr("Hint: {hint}", hint=tr(hint)) if hint else "")
    print(line)
    if strict_mode():
        raise CheckFailed(line)
    return CheckResult(False)


class _AnyValue:
    """The type of :data:`ANY`."""

    def __repr__(self) -> str:
        return "checks.ANY"


ANY = _AnyValue()
"""A threshold that accepts every value, NaN included: ``smoke=checks.ANY`` where the smoke profile's two seeds and
handful of photos can only show that the code runs. The lower end of an interval over seeds is such a value: when
every seed gives the same difference (likely with 80 test photos) it is NaN (:func:`course_utils.stats.paired_interval`),
and NaN is below every number."""


def _check_threshold(name: str, value: float, full, smoke, hint: str, relation: str) -> CheckResult:
    """``value`` against the profile's threshold (``smoke`` None: the full one), ``relation`` "≥" or "≤"."""
    threshold = config.by_profile(full=full, smoke=full if smoke is None else smoke)
    if threshold is ANY:
        return report(True, tr("{name} = {value:.4g} (any value: the {profile} profile only runs the code)",
                               name=tr(name), value=value, profile=config.get_profile()))
    passed = value >= threshold if relation == "≥" else value <= threshold
    template = (N_("{name} = {value:.4g} (target ≥ {threshold:g}, {profile} profile)") if relation == "≥"
                else N_("{name} = {value:.4g} (target ≤ {threshold:g}, {profile} profile)"))
    return report(passed, tr(template, name=tr(name), value=value, threshold=threshold, profile=config.get_profile()),
                  hint)


def check_at_least(name: str, value: float, full: float, smoke: float | None = None, hint: str = "") -> CheckResult:
    """Check ``value >= threshold``; the threshold depends on the run profile. NaN is below every threshold
    (a result that could not be computed is not a result), except :data:`ANY`.

    Example:
        >>> check_at_least("test accuracy", 0.981, full=0.97, smoke=0.80)
        ✅ test accuracy = 0.981 (target ≥ 0.97, full profile)
    """
    return _check_threshold(name, value, full, smoke, hint, "≥")


def check_at_most(name: str, value: float, full: float, smoke: float | None = None, hint: str = "") -> CheckResult:
    """Check ``value <= threshold`` (for errors, losses, times); NaN fails, except against :data:`ANY`."""
    return _check_threshold(name, value, full, smoke, hint, "≤")


def check_between(name: str, value: float, low: float, high: float, hint: str = "") -> CheckResult:
    """Check ``low <= value <= high``."""
    return report(low <= value <= high, tr("{name} = {value:.4g} (expected {low:g} to {high:g})",
                                           name=tr(name), value=value, low=low, high=high), hint)


def check_true(name: str, condition: bool, hint: str = "") -> CheckResult:
    """Check that a statement about the results holds, e.g. ``check_true("scratch < transfer", a < b)``."""
    return report(bool(condition), tr(name), hint)
