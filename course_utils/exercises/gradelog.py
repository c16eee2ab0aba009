"""The grading channel: one JSON line per check, for ``python -m course_utils.tools.grade``.

When the environment variable ``COURSE_GRADE_LOG`` names a file, every ``cu.check`` appends
``{"exercise": "N.M", "verdict": ..., "message": ..., "lesson": "NN"}`` to it, one object per
line. The protocol is agreed with the grader (``docs/instructor.md``): verdicts are exactly
``correct``, ``not quite``, ``not answered`` and ``error``; the grader keeps the last line per
exercise. A log that cannot be written is reported once and never stops the lesson.
"""
from __future__ import annotations

import json
import os
import warnings

GRADE_LOG_ENV = "COURSE_GRADE_LOG"
VERDICTS = ("correct", "not quite", "not answered", "error")
_warned: set[str] = set()


def record(exercise_id: str, verdict: str, message: str = "", lesson: int | None = None) -> None:
    """Append one verdict line to the grade log, if ``COURSE_GRADE_LOG`` is set."""
    path = os.environ.get(GRADE_LOG_ENV, "").strip()
    if not path:
        return
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} is not one of {VERDICTS}")
    entry = {"exercise": exercise_id, "verdict": verdict, "message": " ".join(str(message).split())}
    if lesson is not None:
        entry["lesson"] = f"{lesson:02d}"
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError as err:
        if path not in _warned:
            _warned.add(path)
            warnings.warn(f"cannot write the grade log {path} ({err}); checks still print their verdicts")
