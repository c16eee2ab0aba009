"""The Colab set-up cell of every lesson: insert it, point it at the course's repository, check it.

Google Colab ships TensorFlow and Keras but neither pooch nor this course's helper package, course_utils.
Each lesson therefore starts its Setup with one cell that, inside Colab only, says what it installs and
installs both (course_utils from the course's public Git repository); anywhere else it does nothing.
The cell carries the tags ``colab-setup`` (found by this tool) and ``remove-cell`` (left out of the
website and the slides).

    python site/colab_cell.py --insert               # add the cell to every lesson that lacks it
    python site/colab_cell.py --repo-url URL         # write the repository URL into every lesson's cell
    python site/colab_cell.py --check [--repo-url URL]   # exit 1 if a lesson lacks the cell (or names another URL)

The website's Colab buttons use COURSE_REPO_URL; ``make site`` refuses to build them when a lesson's cell
names a different repository (see site/conf.py), so a Colab button always opens a lesson that installs
the helpers from the same place.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TAG = "colab-setup"
URL_LINE = re.compile(r'^COURSE_REPO_URL = "([^"]*)"', re.M)
SOURCE = '''# Google Colab only: install what Colab lacks, pooch and this course's helpers (course_utils), from the
# course's repository. Anywhere else (your machine, Binder, CI) this cell does nothing.
import sys
COURSE_REPO_URL = "{url}"   # set in every lesson by `python site/colab_cell.py --repo-url <public Git URL>`
if "google.colab" in sys.modules:
    if not COURSE_REPO_URL:
        raise RuntimeError("This copy of the course does not name its repository: set COURSE_REPO_URL above "
                           "to the course's public Git URL, then run this cell again.")
    print(f"Colab: installing pooch and course_utils from {{COURSE_REPO_URL}} (about a minute)...")
    %pip install --quiet pooch "course-utils @ git+{{COURSE_REPO_URL}}"'''


def lesson_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: Path, nb: dict) -> None:
    """Write in the stored notebooks' style: indent 1, UTF-8 as is, trailing newline."""
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def source_lines(text: str) -> list[str]:
    """Notebook JSON's list-of-lines form of ``text``."""
    return text.splitlines(keepends=True)


def colab_cell_index(nb: dict) -> int | None:
    """Index of the lesson's Colab set-up cell, or None."""
    return next((i for i, c in enumerate(nb["cells"]) if TAG in c.get("metadata", {}).get("tags", [])), None)


def new_cell(url: str = "") -> dict:
    return {"cell_type": "code", "execution_count": None, "id": "colab-setup",
            "metadata": {"slideshow": {"slide_type": "skip"}, "tags": [TAG, "remove-cell"]},
            "outputs": [], "source": source_lines(SOURCE.format(url=url))}


def insert_cell(nb: dict) -> bool:
    """Insert the cell before the first code cell (the Setup imports); False if the lesson already has one."""
    if colab_cell_index(nb) is not None:
        return False
    first_code = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    cell = new_cell()
    if nb.get("nbformat_minor", 0) < 5 or any("id" not in c for c in nb["cells"]):
        del cell["id"]   # notebooks without cell ids stay without
    nb["cells"].insert(first_code, cell)
    return True


def cell_url(nb: dict) -> str | None:
    """The repository URL the lesson's Colab cell installs from ('' if unset), or None without a cell."""
    index = colab_cell_index(nb)
    if index is None:
        return None
    match = URL_LINE.search("".join(nb["cells"][index]["source"]))
    return match.group(1) if match else ""


def set_url(nb: dict, url: str) -> bool:
    """Write ``url`` into the lesson's Colab cell; True if it changed."""
    cell = nb["cells"][colab_cell_index(nb)]
    old = "".join(cell["source"])
    new = URL_LINE.sub(lambda m: f'COURSE_REPO_URL = "{url}"', old, count=1)
    cell["source"] = source_lines(new)
    return new != old


def problems(paths: list[Path], url: str | None) -> list[str]:
    """What is wrong with the lessons' Colab cells: missing, or (when ``url`` is given) naming another URL."""
    found = []
    for path in paths:
        named = cell_url(load(path))
        if named is None:
            found.append(f"{path.name}: no Colab set-up cell (run python site/colab_cell.py --insert)")
        elif url is not None and named.rstrip("/") != url.rstrip("/"):
            found.append(f"{path.name}: its Colab cell installs from {named!r}, not {url!r} "
                         f"(run python site/colab_cell.py --repo-url {url})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--insert", action="store_true", help="add the cell to lessons that lack it")
    parser.add_argument("--repo-url", help="the course's public Git repository URL")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 on a problem")
    args = parser.parse_args(argv)
    paths = lesson_paths()
    if args.check:
        found = problems(paths, args.repo_url)
        print("\n".join(found) or f"{len(paths)} lessons: Colab set-up cell present")
        return 1 if found else 0
    for path in paths:
        nb = load(path)
        changed = insert_cell(nb) if args.insert else False
        if args.repo_url is not None and colab_cell_index(nb) is not None:
            changed = set_url(nb, args.repo_url) or changed
        if changed:
            save(path, nb)
            print(f"updated {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
