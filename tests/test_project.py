"""Project hygiene: notebooks, README, requirements and CI stay true to each other."""
import os
import re
import shlex
import subprocess
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from course_utils.env import read_requirements

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def requirements(path: Path) -> dict[str, Requirement]:
    """The requirements a pip requirements file lists, by canonical name (comments and ``-e .`` dropped)."""
    return read_requirements(path.read_text().splitlines())


def lower_bound(requirement: Requirement) -> Version:
    """The ``>=`` bound of a range such as ``tensorflow>=2.19.0,<2.22``."""
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert len(bounds) == 1, f"{requirement}: give exactly one lower bound (>=), the version make test-min tests"
    return bounds[0]


def test_requirements_and_environment_list_the_same_packages():
    pip = {name: str(r) for name, r in requirements(ROOT / "requirements.txt").items()}
    yml = (ROOT / "environment.yml").read_text().splitlines()
    conda_pip = {name: str(r) for name, r in read_requirements(l.strip()[2:] for l in yml if l.startswith("      - ")).items()}
    assert pip == conda_pip
    assert "-e ." in (ROOT / "requirements.txt").read_text() and "- -e ." in "\n".join(yml)


def test_every_requirement_is_a_tested_range():
    for name, requirement in requirements(ROOT / "requirements.txt").items():
        lower_bound(requirement)  # exactly one >=
        uppers = [s for s in requirement.specifier if s.operator == "<"]
        assert len(uppers) == 1, f"{requirement}: give a range >=tested-min,<just-above-tested-max"


def test_minimum_pins_are_the_lower_bounds_of_the_ranges():
    ranges = requirements(ROOT / "requirements.txt")
    pins = requirements(ROOT / "requirements-min.txt")
    assert sorted(pins) == sorted(ranges), "requirements-min.txt must pin exactly the packages of requirements.txt"
    for name, pin in pins.items():
        (spec,) = pin.specifier
        assert spec.operator == "==", f"{pin}: pin with =="
        assert Version(spec.version) == lower_bound(ranges[name]), f"{name}: requirements-min.txt pins {spec.version}, " \
            f"requirements.txt's lower bound is {lower_bound(ranges[name])}"
    assert "-e ." in (ROOT / "requirements-min.txt").read_text()


def test_tested_range_covers_what_colab_ships():
    """A Colab launch button is honest only if Colab's TensorFlow (2.19, early 2026) is inside the range."""
    assert requirements(ROOT / "requirements.txt")["tensorflow"].specifier.contains("2.19.0")


def test_installed_versions_are_the_ones_this_environment_tests():
    """make test runs inside the ranges; make test-min (COURSE_EXPECT_MIN_VERSIONS=1) at exactly the lower bounds."""
    minimum = os.environ.get("COURSE_EXPECT_MIN_VERSIONS") == "1"
    expected = requirements(ROOT / ("requirements-min.txt" if minimum else "requirements.txt"))
    for name, requirement in expected.items():
        assert version(name) in requirement.specifier, f"{name} {version(name)} is installed, expected {requirement}"


def readme_version_rows() -> dict[str, dict[str, Version]]:
    """The README's Versions table: {"newest": {package: version}, "oldest": {...}}."""
    section = README.split("### Versions", 1)[1].split("\n#", 1)[0]
    lines = [l for l in section.splitlines() if l.startswith("|")]
    header = [canonicalize_name(c.strip()) for c in lines[0].strip("|").split("|")][1:]
    rows = {}
    for line in lines[2:]:
        label, *cells = [c.strip() for c in line.strip("|").split("|")]
        rows[label.split()[0]] = {name: Version(v) for name, v in zip(header, cells)}
    return rows


def test_readme_versions_table_shows_the_tested_ends():
    rows, ranges = readme_version_rows(), requirements(ROOT / "requirements.txt")
    assert set(rows) == {"newest", "oldest"} and "tensorflow" in rows["oldest"]
    for name, oldest in rows["oldest"].items():
        assert oldest == lower_bound(ranges[name]), f"README says the oldest {name} is {oldest}"
    for name, newest in rows["newest"].items():
        assert newest in ranges[name].specifier and newest > rows["oldest"][name], f"README's newest {name}"


def test_there_are_notebooks_starting_with_the_welcome():
    assert NOTEBOOKS and NOTEBOOKS[0].name.startswith("00_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    stored = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)
              and "nbval-check-output" not in c.metadata.get("tags", [])]   # nbval compares those (test_lessons.py)
    assert not stored, f"cells {stored} carry stored outputs: clear them"
    source = "\n".join(c.source for c in nb.cells)
    assert not re.search(r"[\"'](?:/(?:home|Users|root|tmp|mnt|work)/|[A-Za-z]:\\\\)", source), "absolute path"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {path.name[:2]} ·")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source]
    for required in ("## Setup", "## Summary", "## Next"):
        assert required in headings, f"missing section {required}"


def test_every_notebook_is_listed_in_the_readme_in_order():
    listed = re.findall(r"notebooks/(\d\d_[\w]+\.ipynb)", README)
    assert [p.name for p in NOTEBOOKS] == list(dict.fromkeys(listed))


def ci_commands() -> list[list[str]]:
    """The commands ``.ci/run`` executes, as shell words.

    Comments are dropped, lines are split at ``||``, ``&&``, ``;`` and ``|``, and a leading
    ``time`` is removed, so ``time make test || status=1`` yields ``["make", "test"]``.
    """
    commands = []
    for line in (ROOT / ".ci" / "run").read_text().splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        command = []
        for word in [*lexer, ";"]:
            if word in ("||", "&&", ";", "|", "&"):
                while command[:1] == ["time"]:
                    command = command[1:]
                commands += [command] if command else []
                command = []
            else:
                command.append(word)
    return commands


def test_ci_runs_the_readme_test_command():
    command = re.search(r"```(?:bash|sh)?\n(make test)\n```", README)
    assert command, "the README must show the test command in its own code block"
    assert command.group(1).split() in ci_commands(), ".ci/run must run the README's test command itself"


def test_ci_runs_the_minimum_environment():
    assert ["make", "test-min"] in ci_commands(), ".ci/run must test the lower bounds too (make test-min)"


def test_data_folder_tracks_only_its_readme():
    tracked = subprocess.run(["git", "ls-files", "data"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert tracked == ["data/README.md"]
    assert "COURSE_DATA_DIR" in (ROOT / "data" / "README.md").read_text()


@pytest.mark.parametrize("setting, folder", [(["LANG=zh"], "learner/zh"), (["COURSE_LANG=zh"], "learner/zh"),
                                             (["LANG=zh_CN.UTF-8"], "learner"), ([], "learner")])
def test_make_lab_opens_the_chinese_edition_only_when_asked(setting, folder):
    """`make lab LANG=zh` opens learner/zh/; a shell's own locale (LANG=zh_CN.UTF-8) keeps the English edition."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "COURSE_LANG")}
    dry_run = subprocess.run(["make", "-n", "lab", *setting], cwd=ROOT, env=env, capture_output=True, text=True)
    assert dry_run.returncode == 0, dry_run.stderr
    lab = [line for line in dry_run.stdout.splitlines() if "jupyter lab" in line]
    assert lab and f" {folder}/00_welcome.ipynb" in lab[-1] and "root_dir=learner" in lab[-1], dry_run.stdout
    assert "--source notebooks/zh --out learner/zh" in dry_run.stdout   # both editions are always made
