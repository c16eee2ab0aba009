"""The installed package contains every part of course_utils (an explicit list once left `exercises` out)."""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def subpackages() -> list[str]:
    """Every folder of course_utils that holds Python code, as a dotted package name."""
    folders = {p.parent for p in (ROOT / "course_utils").rglob("*.py") if "__pycache__" not in p.parts}
    return sorted(".".join(f.relative_to(ROOT).parts) for f in folders)


def packaged(name: str, setuptools_config: dict) -> bool:
    """Would setuptools include package `name` under this pyproject configuration?"""
    explicit = setuptools_config.get("packages")
    if isinstance(explicit, list):
        return name in explicit
    patterns = setuptools_config.get("packages", {}).get("find", {}).get("include", [])
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def test_every_subpackage_is_installed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    missing = [name for name in subpackages() if not packaged(name, config)]
    assert "course_utils.exercises" in subpackages()
    assert not missing, f"pyproject.toml leaves out {missing}: a wheel would not contain them"
