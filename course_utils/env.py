"""The one set-up call at the top of every lesson: seeds, plot style, environment report."""
from __future__ import annotations

import os
import platform
import random
import sys
import unicodedata

from . import config
from .i18n import N_, register_table_display, tr

DEFAULT_SEED = 42
TESTED_PYTHON = (3, 11)  # the Python of both test environments (make test, make test-min)
# the labels of setup()'s report, translated when printed; the returned dict keeps the English keys (code reads them)
LABELS = (N_("CPU cores"), N_("Run profile"), N_("Data cache"), N_("Data mirror"), N_("Seed"))


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and TensorFlow so a rerun gives the same numbers on the same machine."""
    import keras
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # also seeds TensorFlow's global generator


def environment_info() -> dict[str, str]:
    """Versions, hardware and course settings, as a dict of short strings."""
    import keras
    import numpy as np
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "Python": platform.python_version(),
        "TensorFlow": tf.__version__,
        "Keras": keras.__version__,
        "NumPy": np.__version__,
        "CPU cores": str(os.cpu_count()),
        "GPU": ", ".join(g.name for g in gpus) if gpus else tr("none (CPU only: fine for this course)"),
        "Run profile": config.get_profile(),
        "Data cache": str(config.data_dir()),
        "Data mirror": config.data_mirror() or tr("none (downloads from the origins)"),
    }


def read_requirements(lines) -> dict:
    """The requirements in pip requirements lines, by canonical name: ``{"tensorflow": Requirement(...)}``.

    Comments, blank lines and options such as ``-e .`` are left out. The one parser of requirement files:
    lesson 0's version check and the tests that keep the requirement files in step both use it.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found = {}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text and not text.startswith("-"):
            requirement = Requirement(text)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def tested_range(package: str) -> str | None:
    """The version range the course's ``requirements.txt`` gives ``package``, e.g. ``">=2.19,<2.22"``.

    CI tests both ends of each range: the newest releases it allows and the oldest, pinned in
    ``requirements-min.txt``. Lesson 0 checks the installed versions against these ranges.

    Returns:
        The range as text, or None outside a course checkout or for a package the file does not list.
    """
    from packaging.utils import canonicalize_name

    root = config.repo_root()
    if root is None or not (root / "requirements.txt").is_file():
        return None
    requirement = read_requirements((root / "requirements.txt").read_text().splitlines()).get(canonicalize_name(package))
    if requirement is None:
        return None
    lower_first = sorted(requirement.specifier, key=lambda spec: not spec.operator.startswith(">"))
    return ",".join(str(spec) for spec in lower_first)


def in_range(version: str, allowed: str) -> bool:
    """True when ``version`` (e.g. ``"2.21.0"``) lies in the range ``allowed`` (e.g. ``">=2.19,<2.22"``)."""
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(allowed).contains(version, prereleases=True)


def setup(seed: int = DEFAULT_SEED, show: bool = True) -> dict[str, str]:
    """Prepare a lesson: check the profile, seed everything, set the plot style, report.

    Inside IPython it also has tables displayed in the lesson's language
    (:func:`course_utils.i18n.register_table_display`).

    Call it once, in the lesson's Setup section.

    It does not quieten TensorFlow's C++ start-up log: ``TF_CPP_MIN_LOG_LEVEL`` works only
    when set before TensorFlow is first imported, and a lesson imports TensorFlow (or
    Keras) before it calls ``setup()``. A lesson that wants a quiet start sets the
    variable in its first import cell, before ``import tensorflow`` (lesson 7 does).

    Raises:
        ProfileError: ``COURSE_PROFILE`` holds an unknown value.

    Example:
        >>> info = setup()   # prints versions, CPU/GPU, profile and data folders
    """
    config.get_profile()  # fail early on a mistyped profile
    from .plots import set_style

    seed_everything(seed)
    set_style()
    register_table_display()   # in a notebook: tables show their marked words (verdicts, row labels) translated
    info = environment_info()
    info["Seed"] = str(seed)
    if show:
        print(report_lines(info))
        if sys.version_info[:2] != TESTED_PYTHON:
            tested = ".".join(map(str, TESTED_PYTHON))
            print(tr("Note: the course is tested on Python {tested}; this is Python {python_version}. If a cell "
                     "fails for no reason the lesson gives, try Python {tested}.", tested=tested,
                     python_version=platform.python_version()))
    return info


def report_lines(info: dict[str, str]) -> str:
    """``info`` as aligned "label  value" lines, the labels in the lesson's language.

    Chinese characters take two columns in a notebook's monospaced output, so the padding
    counts display columns, not characters.
    """
    labels = {key: tr(key) if key in LABELS else key for key in info}
    width = max(map(_columns, labels.values()))
    return "\n".join(f"{label}{' ' * (width - _columns(label))}  {info[key]}" for key, label in labels.items())


def _columns(text: str) -> int:
    """Display width of ``text`` in a monospaced font (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
