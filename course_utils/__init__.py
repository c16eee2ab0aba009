"""Helpers for the deep-learning and transfer-learning course.

Importing this package has no side effects: nothing is seeded, downloaded or
printed until a lesson calls a function (usually :func:`course_utils.setup` first),
and TensorFlow is imported only by the modules that need it.

The package has four parts (``docs/authoring.md`` has the full map):

- the **lesson core**, at the top: ``config`` (profiles, folders), ``env``
  (``setup``), ``checks`` (self-checks), ``exercises`` (``check``, ``hint``,
  ``solution``: one checker per exercise), ``plots``, ``models``, ``evaluation``,
  ``runs`` (seeds' training subsets), ``stats`` (the statistics policy: paired intervals, McNemar,
  Wilson; on scipy.stats), ``caching`` (cache keys,
  fingerprints, atomic writes), ``widgets``;
- ``course_utils.data``: the data stack (``registry``, ``fetch``, ``datasets``,
  ``birds``, ``bird_sources``, ``images``, ``weights``, ``status``, ``features``, ``cub_species``);
- ``course_utils.lessons``: plumbing for one lesson's topic (``surfaces``, ``nn_basics``,
  ``convolution``, ``transfer`` and its parts ``transfer_data``, ``transfer_models``,
  ``transfer_runs``, ``transfer_grid``, ``transfer_results``, ``augmentation``,
  ``gradcam``, ``backbones``, ``finetune``, ``bird_source``);
- ``course_utils.tools``: authoring and classroom tools that lessons never import
  (``student``, ``slides``, ``experiments``, ``run_lesson``, ``iris_timing``), run as ``python -m course_utils.tools.X``.

Lessons import in one style: ``import course_utils as cu`` for ``cu.setup``, ``cu.by_profile``,
``cu.check``, ``cu.hint`` and ``cu.solution``, and ``from course_utils import <module>`` for any module (its
short name: ``from course_utils import datasets, finetune, stats``), then ``module.function(...)``. Every module
of the data stack and of ``lessons`` has such a short name. Lessons never import ``course_utils.tools``
(``tests/test_house_rules.py`` checks both).
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Mapping

from .config import by_profile, data_dir, data_mirror, get_profile, is_smoke
from .env import setup

def _modules_of(part: str) -> dict[str, str]:
    """``{module name: part}`` for every module of ``course_utils.<part>`` (read from the folder, nothing imported)."""
    import pkgutil
    from pathlib import Path

    return {m.name: part for m in pkgutil.iter_modules([str(Path(__file__).with_name(part))]) if not m.ispkg}


# The short names lessons use (``from course_utils import datasets, finetune``): every module of the data stack
# and of ``lessons``; a new module there gets its short name without an edit here.
_SHORT_NAMES = {**_modules_of("data"), **_modules_of("lessons")}


def check(exercise_id: str, answer: Any, namespace: Mapping[str, Any] | None = None):
    """Check an exercise answer: ``cu.check("3.1", answer_3_1, globals())`` (see ``course_utils.exercises``)."""
    from .exercises import check as check_exercise

    return check_exercise(exercise_id, answer, namespace)


def hint(exercise_id: str, level: int = 1) -> None:
    """Print a hint of an exercise: ``cu.hint("3.1")`` nudges, ``cu.hint("3.1", 2)`` gives the recipe."""
    from .exercises import hint as print_hint

    print_hint(exercise_id, level)


def solution(exercise_id: str) -> None:
    """Print the solution of an exercise, read from the instructor notebook: ``cu.solution("3.1")``."""
    from .exercises import solution as print_solution

    print_solution(exercise_id)


def __getattr__(name: str) -> ModuleType:
    """Import ``course_utils.<part>.<name>`` on first use of the short name ``course_utils.<name>``."""
    if name in _SHORT_NAMES:
        module = importlib.import_module(f"{__name__}.{_SHORT_NAMES[name]}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SHORT_NAMES))


__all__ = ["by_profile", "check", "data_dir", "data_mirror", "get_profile", "hint", "is_smoke", "setup", "solution"]
__version__ = "0.1.0"
