"""The Chinese edition (``notebooks/zh/``): code written once, translations that say when they are stale.

A translated lesson has the English lesson's cells, in the same order and with the same cell ids:

* **code cells** are the English cells byte for byte (source and metadata). Nobody edits them in ``zh/``:
  ``sync`` copies them, so a code fix is made once, in English;
* **markdown cells** hold the translation. Each records which English text it translates, as the SHA-256 of
  the English cell's source in its metadata: ``"translation": {"source_sha256": "..."}``. When the English
  cell changes, the digest no longer matches and the translation is *stale*. A cell that ``sync`` added and
  nobody translated yet holds the English text and ``"source_sha256": null`` (*untranslated*).

Commands (from the course folder)::

    python -m course_utils.tools.translations status [LESSON ...]   # every stale or untranslated cell; exit 1 if any
    python -m course_utils.tools.translations sync [LESSON ...]     # copy code cells, add/remove/reorder cells
    python -m course_utils.tools.translations apply notebooks/zh/05_x.ipynb cells.json   # a translator's update
    python -m course_utils.tools.translations catalog               # the message catalog: extract, merge, compile

``LESSON`` is a lesson's file name or its number (``05``); no lesson means all of them. ``status`` shows, for
a stale cell, how the English text changed since it was translated (found in the git history) and the English
text now. ``apply`` reads ``{"<cell id>": "<translated markdown>", ...}``, writes those cells and stamps each
with the digest of the English cell as it is now: that is how a translator says "this translates the current
English". ``tests/test_translations.py`` fails while any cell is stale, untranslated or differs in code.

What the code *prints* is translated through the message catalog ``course_utils/locale/zh/LC_MESSAGES/course.po``
(:mod:`course_utils.tools.catalog`): ``catalog`` extracts the messages from ``course_utils/`` and the lessons' code
cells, merges them into the ``.po`` (new ones untranslated, changed ones fuzzy) and compiles ``course.mo``;
``status`` (without lessons named) also lists every catalog entry that needs work. ``tests/test_catalog.py`` fails
while any does.
"""
from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .student import lesson_files

LANGUAGE = "zh"
STAMP_KEY = "translation"
DIGEST_KEY = "source_sha256"

STALE, UNTRANSLATED, CODE_DIFFERS, MISSING, EXTRA, NO_TRANSLATION = (
    "stale", "untranslated", "code differs", "missing", "extra", "no translation")


@dataclass(frozen=True)
class Problem:
    """One cell of a translated lesson that needs work (``index`` is the English cell's position, from 0)."""

    lesson: str
    kind: str
    cell_id: str
    index: int

    def describe(self) -> str:
        where = f"{self.lesson}: cell {self.index} (id {self.cell_id})"
        return {
            STALE: f"{where} is stale: its English text changed after it was translated",
            UNTRANSLATED: f"{where} is not translated yet",
            CODE_DIFFERS: f"{where} is a code cell that differs from the English one (run sync)",
            MISSING: f"{where} is missing from the translation (run sync)",
            EXTRA: f"{where}: the translation has a cell the English lesson does not (run sync)",
            NO_TRANSLATION: f"{self.lesson} has no translation yet (run sync, then translate it)",
        }[self.kind]


def source_of(cell: dict) -> str:
    """A cell's source as one string (notebooks store it as a string or a list of lines)."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def digest(text: str) -> str:
    """SHA-256 (hex) of a cell's text: what a translation records of the English it translates."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recorded_digest(cell: dict) -> str | None:
    """The digest a translated markdown cell recorded, or None when it was never translated."""
    return (cell.get("metadata", {}).get(STAMP_KEY) or {}).get(DIGEST_KEY)


def english_folder() -> Path:
    """``notebooks/`` of this course checkout."""
    from ..config import repo_root

    root = repo_root()
    if root is None:
        raise SystemExit("translations: run this from a course checkout (the folder with notebooks/).")
    return root / "notebooks"


def translation_folder(english: Path) -> Path:
    """Where the translated lessons live: ``notebooks/zh/``."""
    return english / LANGUAGE


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_notebook(path: Path, nb: dict) -> None:
    """Write a notebook the way the course stores them (one-space indent, UTF-8, final newline)."""
    from ..caching import write_bytes_atomically

    write_bytes_atomically(path, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def same_code(english: dict, translated: dict) -> bool:
    """True when a code cell is the English cell byte for byte (source and metadata)."""
    return (translated.get("cell_type") == "code" and source_of(english) == source_of(translated)
            and english.get("metadata", {}) == translated.get("metadata", {}))


def problems(english_nb: dict, translated_nb: dict | None, lesson: str) -> list[Problem]:
    """Every cell of ``translated_nb`` that needs work, in English cell order."""
    if translated_nb is None:
        return [Problem(lesson, NO_TRANSLATION, "-", -1)]
    found: list[Problem] = []
    translated = {cell.get("id"): cell for cell in translated_nb["cells"]}
    english_ids = [cell.get("id") for cell in english_nb["cells"]]
    for index, cell in enumerate(english_nb["cells"]):
        match = translated.get(cell.get("id"))
        if match is None:
            found.append(Problem(lesson, MISSING, cell.get("id"), index))
        elif cell["cell_type"] == "code" or match.get("cell_type") != "markdown":
            if not same_code(cell, match):
                found.append(Problem(lesson, CODE_DIFFERS if cell["cell_type"] == "code" else MISSING,
                                     cell.get("id"), index))
        elif recorded_digest(match) is None:
            found.append(Problem(lesson, UNTRANSLATED, cell.get("id"), index))
        elif recorded_digest(match) != digest(source_of(cell)):
            found.append(Problem(lesson, STALE, cell.get("id"), index))
    for index, cell in enumerate(translated_nb["cells"]):
        if cell.get("id") not in english_ids:
            found.append(Problem(lesson, EXTRA, cell.get("id"), index))
    if not found and [cell.get("id") for cell in translated_nb["cells"]] != english_ids:
        found.append(Problem(lesson, EXTRA, "(order)", 0))  # same cells, another order: sync restores it
    return found


def synced(english_nb: dict, translated_nb: dict | None) -> dict:
    """The translation rebuilt on the English lesson: its code cells, its order, every translation kept.

    A translated markdown cell keeps its text and its digest (so it stays stale until a translator updates
    it); a new English markdown cell comes in untranslated, holding the English text; cells the English
    lesson no longer has are dropped.
    """
    kept = {cell.get("id"): cell for cell in (translated_nb or {"cells": []})["cells"]
            if cell.get("cell_type") == "markdown"}
    cells = []
    for cell in english_nb["cells"]:
        new = copy.deepcopy(cell)
        if cell["cell_type"] == "code":   # the translation stores no outputs: nbval compares the English lesson's
            new["outputs"], new["execution_count"] = [], None
        if cell["cell_type"] == "markdown":
            old = kept.get(cell.get("id"))
            stamp = {DIGEST_KEY: recorded_digest(old) if old else None}
            new["metadata"] = {**new.get("metadata", {}), STAMP_KEY: stamp}
            if old is not None and stamp[DIGEST_KEY] is not None:
                new["source"] = old["source"]
                if "attachments" in old:
                    new["attachments"] = old["attachments"]
        cells.append(new)
    nb = copy.deepcopy(english_nb)
    nb["cells"] = cells
    return nb


def apply_translations(english_nb: dict, translated_nb: dict, texts: dict[str, str]) -> dict:
    """Set the given markdown cells' text and stamp each with the digest of its English cell now."""
    english = {cell.get("id"): cell for cell in english_nb["cells"]}
    nb = copy.deepcopy(translated_nb)
    by_id = {cell.get("id"): cell for cell in nb["cells"]}
    for cell_id, text in texts.items():
        if cell_id not in by_id or cell_id not in english:
            raise KeyError(f"no cell with id {cell_id!r} in both the English lesson and its translation; "
                           "run `sync` first and copy the ids from `status`")
        if english[cell_id]["cell_type"] != "markdown":
            raise ValueError(f"cell {cell_id!r} is a code cell: code is not translated (it is the English code)")
        cell = by_id[cell_id]
        cell["source"] = text.splitlines(keepends=True)   # stored as lines, as Jupyter writes them
        cell["metadata"] = {**cell.get("metadata", {}),
                            STAMP_KEY: {DIGEST_KEY: digest(source_of(english[cell_id]))}}
    return nb


def english_when_translated(english_path: Path, cell_id: str, wanted: str, max_commits: int = 300) -> str | None:
    """The English cell's text at the time it was translated: the git revision whose cell has digest ``wanted``."""
    root = english_path.parent
    try:
        revisions = subprocess.run(["git", "log", f"-{max_commits}", "--format=%H", "--", english_path.name],
                                   cwd=root, capture_output=True, text=True, check=True).stdout.split()
        for revision in revisions:
            shown = subprocess.run(["git", "show", f"{revision}:./{english_path.name}"], cwd=root,
                                   capture_output=True, text=True)
            if shown.returncode != 0:
                continue
            for cell in json.loads(shown.stdout).get("cells", []):
                if cell.get("id") == cell_id and digest(source_of(cell)) == wanted:
                    return source_of(cell)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    return None


def explain_stale(english_path: Path, english_cell: dict, translated_cell: dict) -> str:
    """How the English text changed since translation (a diff when git knows), and the English text now."""
    now = source_of(english_cell)
    before = english_when_translated(english_path, english_cell.get("id"), recorded_digest(translated_cell))
    if before is None:
        return "    (the translated English version is not in the git history)\n    English now:\n" + _indent(now)
    diff = difflib.unified_diff(before.splitlines(), now.splitlines(), "English when translated", "English now",
                                lineterm="")
    return _indent("\n".join(diff))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def select_lessons(english: Path, names: list[str]) -> list[Path]:
    """The English lessons named by file name or number (all of them when ``names`` is empty)."""
    lessons = lesson_files(english)
    if not names:
        return lessons
    chosen = []
    for name in names:
        stem = Path(name).name
        matches = [path for path in lessons if path.name == stem or path.name.startswith(f"{stem.zfill(2)}_")]
        if not matches:
            raise SystemExit(f"translations: no lesson {name!r} in {english} (give a file name or a number like 05)")
        chosen.extend(matches)
    return chosen


def status(english: Path, lessons: list[Path], explain: bool = True) -> list[Problem]:
    """Print every cell that needs work; return them."""
    found: list[Problem] = []
    for path in lessons:
        target = translation_folder(english) / path.name
        english_nb = read_notebook(path)
        translated_nb = read_notebook(target) if target.exists() else None
        lesson_problems = problems(english_nb, translated_nb, f"{LANGUAGE}/{path.name}")
        found.extend(lesson_problems)
        for problem in lesson_problems:
            print(problem.describe())
            if explain and problem.kind == STALE:
                cells = {cell.get("id"): cell for cell in translated_nb["cells"]}
                print(explain_stale(path, english_nb["cells"][problem.index], cells[problem.cell_id]))
    if found:
        print(f"\n{len(found)} cell(s) need work. Code and cell order: `sync`. Text: translate, then `apply`.")
    else:
        print(f"All {len(lessons)} translated lesson(s) are up to date with the English lessons.")
    return found


def sync(english: Path, lessons: list[Path]) -> None:
    """Rebuild each translation on its English lesson (see :func:`synced`) and say what changed."""
    folder = translation_folder(english)
    folder.mkdir(exist_ok=True)
    for path in lessons:
        target = folder / path.name
        english_nb = read_notebook(path)
        old = read_notebook(target) if target.exists() else None
        new = synced(english_nb, old)
        if new != old:
            write_notebook(target, new)
            print(f"updated {target.relative_to(english.parent)}")
        remaining = [p for p in problems(english_nb, new, path.name) if p.kind in (STALE, UNTRANSLATED)]
        if remaining:
            print(f"  {path.name}: {len(remaining)} markdown cell(s) to translate or update (see `status`)")


def catalog_status(root: Path) -> list:
    """Print every message catalog entry that needs work (see :func:`course_utils.tools.catalog.catalog_problems`)."""
    from . import catalog

    found = catalog.catalog_problems(root)
    for problem in found:
        print(problem.describe())
    if found:
        print(f"{len(found)} catalog entr{'y' if len(found) == 1 else 'ies'} need work: run `catalog`, then translate "
              "in course_utils/locale/<lang>/LC_MESSAGES/course.po (remove the fuzzy flag once checked), and run "
              "`catalog` again to compile.\n")
    else:
        print("The message catalog is complete: every message the code prints is translated.")
    return found


def update_catalog(root: Path) -> int:
    """``catalog``: extract, merge and compile, say which files changed, then report what needs work."""
    from . import catalog

    for path in catalog.update(root):
        print(f"updated {path.relative_to(root)}")
    return 1 if catalog_status(root) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.translations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("status", "list stale, untranslated and differing cells (exit 1 if any)"),
                       ("sync", "copy code cells from English; add, drop and reorder cells to match")):
        command = commands.add_parser(name, help=text)
        command.add_argument("lessons", nargs="*", help="lesson file names or numbers (default: all)")
    commands.add_parser("catalog", help="extract the printed messages, merge them into each course.po, compile "
                                        "course.mo; then list the entries that need work (exit 1 if any)")
    apply = commands.add_parser("apply", help="write translated markdown cells and stamp them as current")
    apply.add_argument("translation", type=Path, help="notebooks/zh/<lesson>.ipynb")
    apply.add_argument("cells", type=Path, help='JSON file: {"<cell id>": "<translated markdown>", ...}')
    args = parser.parse_args(argv)

    english = english_folder()
    if args.command == "apply":
        english_path = english / args.translation.name
        if not english_path.exists() or not args.translation.exists():
            print(f"translations: {args.translation} is not a translated lesson (run `sync` first)", file=sys.stderr)
            return 2
        texts = json.loads(args.cells.read_text(encoding="utf-8"))
        try:
            nb = apply_translations(read_notebook(english_path), read_notebook(args.translation), texts)
        except (KeyError, ValueError) as err:
            print(f"translations: {err.args[0]}", file=sys.stderr)
            return 2
        write_notebook(args.translation, nb)
        print(f"{args.translation}: {len(texts)} cell(s) written and stamped as translating the current English")
        return 0
    if args.command == "catalog":
        return update_catalog(english.parent)
    lessons = select_lessons(english, args.lessons)
    if args.command == "sync":
        sync(english, lessons)
        return 0
    found = status(english, lessons)
    if not args.lessons:
        found = catalog_status(english.parent) + found
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
