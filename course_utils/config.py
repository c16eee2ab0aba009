"""Run profiles and folders: the course's settings, read from environment variables.

These variables configure the course (instructors and the tests rely on these names):

* ``COURSE_PROFILE``: ``full`` (default, what learners run) or ``smoke`` (CI: small
  subsets, few epochs, small images).
* ``COURSE_DATA_DIR``: where downloaded and prepared data are cached.
* ``COURSE_DATA_MIRROR``: a local folder or a base URL that replaces the origins.
* ``COURSE_ARTIFACTS_DIR`` (optional): where lessons save models and results
  (default: ``artifacts/`` in the course checkout).
* ``COURSE_LANG`` (optional): ``en`` or ``zh``, the language of what the course prints
  (check lines, hints, errors); by default ``zh`` when the notebook runs in a folder named
  ``zh`` (the Chinese edition), else ``en``. Read by :func:`course_utils.i18n.language`.

Two on/off switches are read here too: ``COURSE_STRICT_CHECKS`` and ``CI`` (see
:func:`strict_checks`). An on/off variable is off when unset, empty, ``0``, ``false``,
``no`` or ``off`` (any case), and on otherwise.

Nothing here has side effects on import; every function reads the environment when
it is called, so a changed variable takes effect at once.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from .i18n import tr

PROFILES = ("full", "smoke")
APP_NAME = "dl-transfer-course"
OFF_WORDS = ("", "0", "false", "no", "off")
T = TypeVar("T")


class ProfileError(ValueError):
    """Raised when ``COURSE_PROFILE`` holds a value the course does not know."""


def get_profile() -> str:
    """Return the active run profile, ``"full"`` or ``"smoke"``.

    Raises:
        ProfileError: if ``COURSE_PROFILE`` is set to anything else.

    Example:
        >>> get_profile()  # with COURSE_PROFILE unset
        'full'
    """
    value = os.environ.get("COURSE_PROFILE", "full").strip().lower() or "full"
    if value not in PROFILES:
        raise ProfileError(tr("COURSE_PROFILE={value!r} is not a run profile this course knows. Use one of "
                              "{profiles} (or unset it for 'full').", value=value, profiles=", ".join(PROFILES)))
    return value


def is_smoke() -> bool:
    """True when running the quick ``smoke`` profile (as CI does)."""
    return get_profile() == "smoke"


def by_profile(full: T, smoke: T) -> T:
    """Pick the value for the active profile.

    Lessons use this in their parameter cell, so a learner reads the full value and
    CI gets the small one from the same line.

    Example:
        >>> EPOCHS = by_profile(full=10, smoke=1)
    """
    return smoke if is_smoke() else full


def env_flag(name: str) -> bool:
    """Read an on/off environment variable: off when unset, empty, 0, false, no or off.

    CI services set ``CI=true``; a person who turns it off writes ``CI=false`` or ``CI=0``,
    which must mean off, not "set, therefore on".

    Example:
        >>> env_flag("CI")  # with CI=false
        False
    """
    return os.environ.get(name, "").strip().lower() not in OFF_WORDS


def under_ci() -> bool:
    """True when a CI service runs the course (``CI`` set to an on value)."""
    return env_flag("CI")


def strict_checks() -> bool:
    """True when a failed self-check must raise instead of printing a message.

    ``COURSE_STRICT_CHECKS`` decides when it is set to a non-empty value (``1`` on,
    ``0`` off, so a person can turn strictness off under CI); otherwise strict means
    running under CI.
    """
    if os.environ.get("COURSE_STRICT_CHECKS", "").strip():
        return env_flag("COURSE_STRICT_CHECKS")
    return under_ci()


def data_dir() -> Path:
    """Folder where the course caches data: ``COURSE_DATA_DIR`` or a per-user default.

    The default is the operating system's user cache folder (for example
    ``~/.cache/dl-transfer-course`` on Linux). The folder is not created here.
    """
    override = os.environ.get("COURSE_DATA_DIR", "").strip()
    if override:
        return Path(override).expanduser().resolve()
    import pooch  # local import: pooch picks the right per-OS cache folder

    return Path(pooch.os_cache(APP_NAME)).expanduser()


def data_mirror() -> str | None:
    """The mirror named by ``COURSE_DATA_MIRROR``: a base URL, a local folder, or None.

    A local folder is returned as an absolute path string; relative paths are read
    from the current working directory.
    """
    value = os.environ.get("COURSE_DATA_MIRROR", "").strip()
    if not value:
        return None
    if is_url(value):
        return value.rstrip("/") + "/"
    return str(Path(value).expanduser().resolve())


def is_url(location: str) -> bool:
    """True when ``location`` is an http(s) or ftp URL rather than a folder."""
    return location.split("://", 1)[0].lower() in ("http", "https", "ftp") and "://" in location


def repo_root() -> Path | None:
    """The course checkout this package lives in, or None when installed elsewhere."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").exists() and (root / "notebooks").is_dir() else None


def artifacts_root() -> Path:
    """The folder that holds one artifacts folder per profile (see :func:`artifacts_dir`)."""
    override = os.environ.get("COURSE_ARTIFACTS_DIR", "").strip()
    if override:
        return Path(override).expanduser().resolve()
    root = repo_root()
    return root / "artifacts" if root else data_dir() / "artifacts"


def artifacts_dir() -> Path:
    """Folder for models and results a lesson saves, one per run profile.

    Uses ``COURSE_ARTIFACTS_DIR/<profile>`` when that variable is set (``make test-min``
    sets it, so the minimum-versions run trains its own models instead of loading the
    newest run's), else ``<course checkout>/artifacts/<profile>`` (git-ignored) when the
    package runs from a checkout, otherwise ``<data_dir()>/artifacts/<profile>``. Keeping
    profiles apart means a quick smoke-run model is never mistaken for a fully trained one.
    The folder is created if missing.
    """
    folder = artifacts_root() / get_profile()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
