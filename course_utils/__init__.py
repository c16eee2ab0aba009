"""Helpers for the deep-learning and transfer-learning course.

Importing this package has no side effects: nothing is seeded, downloaded or
printed until a lesson calls a function (usually :func:`course_utils.setup` first).

Modules, one concern each: ``config`` (profiles, folders), ``registry`` and
``fetch`` (downloads with checksums), ``datasets`` (MNIST, Fashion-MNIST, Iris),
``birds`` and ``images`` (image folders), ``status`` (dataset table, prefetch),
``weights`` (pretrained Keras weights), ``env`` (setup), ``checks`` (self-checks
and exercises), ``plots`` and ``models``.
"""
from .config import by_profile, data_dir, data_mirror, get_profile, is_smoke
from .env import setup

__all__ = ["by_profile", "data_dir", "data_mirror", "get_profile", "is_smoke", "setup"]
__version__ = "0.1.0"
