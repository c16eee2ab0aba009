"""Project hygiene: notebooks, README, requirements and CI stay true to each other."""
import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def requirement_lines(lines):
    """Normalised 'name spec' strings, comments and the editable install dropped."""
    found = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-e"):
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", line).groups()
            found.add(f"{name.lower().replace('_', '-')}{spec.replace(' ', '')}")
    return found


def test_requirements_and_environment_list_the_same_packages():
    pip = requirement_lines((ROOT / "requirements.txt").read_text().splitlines())
    yml = (ROOT / "environment.yml").read_text().splitlines()
    conda_pip = requirement_lines(l.strip()[2:] for l in yml if l.startswith("      - "))
    assert pip == conda_pip
    assert "-e ." in (ROOT / "requirements.txt").read_text() and "- -e ." in "\n".join(yml)
    assert any(p.startswith("tensorflow>=2.16") for p in pip)


def test_there_are_notebooks_starting_with_the_welcome():
    assert NOTEBOOKS and NOTEBOOKS[0].name.startswith("00_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    stored = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
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


def test_ci_runs_the_readme_test_command():
    command = re.search(r"```(?:bash|sh)?\n(make test)\n```", README)
    assert command, "the README must show the test command in its own code block"
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_data_folder_tracks_only_its_readme():
    tracked = subprocess.run(["git", "ls-files", "data"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert tracked == ["data/README.md"]
    assert "COURSE_DATA_DIR" in (ROOT / "data" / "README.md").read_text()
