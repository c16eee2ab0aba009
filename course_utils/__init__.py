"""Helpers for the deep-learning and transfer-learning course.

Importing this package has no side effects: nothing is seeded, downloaded or
printed until a lesson calls a function (usually :func:`course_utils.setup` first),
and TensorFlow is imported only by the modules that need it.

The package has four parts (``docs/authoring.md`` has the full map):

- the **lesson core**, at the top: ``config`` (profiles, folders), ``env``
  (``setup``), ``checks`` (self-checks and exercises), ``plots``, ``models``,
  ``evaluation``, ``widgets``;
- ``course_utils.data``: the data stack (``registry``, ``fetch``, ``datasets``,
  ``birds``, ``images``, ``weights``, ``status``, ``features``);
- ``course_utils.lessons``: plumbing for one lesson's topic (``surfaces``,
  ``convolution``, ``transfer``, ``augmentation``, ``gradcam``, ``backbones``);
- ``course_utils.tools``: authoring and classroom tools that lessons never import
  (``student``, ``slides``, ``experiments``), run as ``python -m course_utils.tools.X``.

Every module of the data stack and of ``lessons`` stays one short import away:
``from course_utils import datasets`` works as well as
``from course_utils.data import datasets``.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from .config import by_profile, data_dir, data_mirror, get_profile, is_smoke
from .env import setup

_SHORT_NAMES = {
    **{name: "data" for name in ("registry", "fetch", "datasets", "birds", "images", "weights", "status",
                                 "features")},
    **{name: "lessons" for name in ("surfaces", "convolution", "transfer", "augmentation", "gradcam",
                                    "backbones")},
}


def __getattr__(name: str) -> ModuleType:
    """Import ``course_utils.<part>.<name>`` on first use of the short name ``course_utils.<name>``."""
    if name in _SHORT_NAMES:
        module = importlib.import_module(f"{__name__}.{_SHORT_NAMES[name]}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SHORT_NAMES))


__all__ = ["by_profile", "data_dir", "data_mirror", "get_profile", "is_smoke", "setup"]
__version__ = "0.1.0"
