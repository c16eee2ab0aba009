"""The learner edition: ``learner/`` at the course root, made from ``notebooks/`` and never overwritten.

``make learner`` (``python -m course_utils.tools.learner``) writes every lesson without its solutions (see
``student``) into ``learner/``, plus the glossary, and records the SHA-256 of each file it wrote in
``learner/.generated.json``. Run again after a course update, it decides file by file:

* missing in ``learner/``                      -> added (a new lesson, or one the learner deleted to start over);
* unchanged since it was generated             -> updated to the new lesson (the learner loses nothing);
* changed by the learner (edited, run, saved)  -> left alone; if the lesson changed upstream, the new version is
  written beside it as ``NAME.updated.ipynb`` and a note says so.

A copy is "changed by the learner" when its bytes differ from what was generated, so even a run-and-save counts:
the tool errs on the side of never touching the learner's work. Files with no record (a lost manifest) count as
changed unless they equal the new version.

What it prints is in the language of the edition it writes (``student.edition_language`` of ``--source``):
``--source notebooks/zh --out learner/zh`` reports in Chinese, the English edition in English. The tool runs
from the course root, so the working folder cannot tell; the summary names the first lesson by its path from
the working folder (``learner/zh/00_welcome.ipynb``), the path ``jupyter lab`` takes from there.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ..caching import write_bytes_atomically
from ..i18n import tr_in
from .student import (companion_files, default_lessons_folder, edition_language, lesson_files,
                      refuse_source_folder, run_edition_writer, student_notebook_text)

MANIFEST = ".generated.json"
ADDED, UPDATED, UNCHANGED, KEPT, OFFERED, OFFER_KEPT = ("added", "updated", "unchanged", "kept", "offered",
                                                        "offer kept")


@dataclass
class Outcome:
    """What happened to one file of the edition."""
    name: str
    action: str
    offer: str = ""  # the ``.updated`` file's name, for OFFERED and OFFER_KEPT


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def offered_name(name: str) -> str:
    """Name of the updated upstream version offered beside an edited copy: ``05_x.ipynb`` -> ``05_x.updated.ipynb``."""
    path = Path(name)
    return f"{path.stem}.updated{path.suffix}"


def read_manifest(folder: Path) -> dict[str, str]:
    """File name -> SHA-256 of what was last generated there; empty when there is no (readable) manifest."""
    try:
        return dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_manifest(folder: Path, manifest: dict[str, str]) -> None:
    """Save the manifest atomically (a half-written manifest would make every file look edited)."""
    text = json.dumps({"about": "SHA-256 of each file `make learner` generated; do not edit",
                       "files": dict(sorted(manifest.items()))}, indent=1)
    write_bytes_atomically(folder / MANIFEST, (text + "\n").encode("utf-8"))


def _write(folder: Path, name: str, content: bytes, manifest: dict[str, str]) -> None:
    write_bytes_atomically(folder / name, content)
    manifest[name] = sha256(content)


def place(folder: Path, name: str, content: bytes, manifest: dict[str, str]) -> Outcome:
    """Put the generated ``content`` at ``folder/name`` unless that would overwrite the learner's changes."""
    path, new = folder / name, sha256(content)
    if not path.exists():
        _write(folder, name, content, manifest)
        return Outcome(name, ADDED)
    current = sha256(path.read_bytes())
    if current == new:
        manifest[name] = new
        return Outcome(name, UNCHANGED)
    if current == manifest.get(name):
        _write(folder, name, content, manifest)
        return Outcome(name, UPDATED)
    if manifest.get(name) == new:  # the learner changed it and upstream did not: nothing to offer
        return Outcome(name, KEPT)
    offer = offered_name(name)
    offer_path = folder / offer
    if not offer_path.exists() and manifest.get(offer) == new:
        return Outcome(name, KEPT)  # this very version was offered and the learner deleted it: do not insist
    if offer_path.exists() and sha256(offer_path.read_bytes()) not in (manifest.get(offer), new):
        return Outcome(name, OFFER_KEPT, offer)  # the learner works in the offered copy too: leave it
    _write(folder, offer, content, manifest)
    return Outcome(name, OFFERED, offer)


def generated_files(source: Path) -> dict[str, bytes]:
    """File name -> content of the learner edition of every lesson in ``source`` and of its glossary."""
    files = {path.name: student_notebook_text(path).encode("utf-8") for path in lesson_files(source)}
    files.update({path.name: path.read_bytes() for path in companion_files(source)})
    return files


def update_learner_edition(source: Path, target: Path) -> list[Outcome]:
    """Create or update the learner edition of ``source`` in ``target``; never overwrite the learner's changes.

    Raises:
        OutputFolderError: ``target`` is, contains or lies inside ``source``.
    """
    refuse_source_folder(target, [source])
    files = generated_files(source)  # build everything first: a marker error leaves the folder untouched
    target.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(target)
    outcomes = [place(target, name, content, manifest) for name, content in files.items()]
    write_manifest(target, manifest)
    return outcomes


def describe(outcome: Outcome, lang: str = "en") -> str | None:
    """One line for the learner about a file (in ``lang``, ``"en"`` or ``"zh"``), or None when there is nothing
    to say."""
    name, offer = outcome.name, outcome.offer
    if outcome.action == OFFERED:
        return tr_in(lang, "  kept your copy of {name}; the updated lesson is beside it: {offer} (compare them, copy "
                           "over what you need, then delete the one you do not want; a deleted offer comes back only "
                           "when the lesson changes again)", name=name, offer=offer)
    if outcome.action == OFFER_KEPT:
        return tr_in(lang, "  kept your copy of {name} and your edits in {offer}; the lesson changed again: delete "
                           "or rename {offer} and run `make learner` to receive the newest version", name=name,
                           offer=offer)
    if outcome.action == ADDED:
        return tr_in(lang, "  added {name}", name=name)
    if outcome.action == UPDATED:
        return tr_in(lang, "  updated {name}", name=name)
    return None


def shown_path(path: Path) -> Path:
    """``path`` as the learner types it from the working folder (the course root): relative when it lies
    inside the working folder (``learner/zh``), else absolute."""
    resolved = path.expanduser().resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve())
    except ValueError:
        return resolved


def default_target() -> Path:
    """``learner/`` at the course root (next to ``notebooks/``)."""
    return default_lessons_folder().parent / "learner"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.tools.learner [--source notebooks] [--out learner]``; 2 = refused."""
    parser = argparse.ArgumentParser(description="Create or update the learner edition (never overwrites edits).")
    parser.add_argument("--source", type=Path, default=None, help="the lessons (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=None, help="the learner edition (default: learner/)")
    args = parser.parse_args(argv)
    source, target = args.source or default_lessons_folder(), args.out or default_target()
    if not lesson_files(source):
        parser.error(tr_in(edition_language([source]), "no lessons (NN_name.ipynb) found in {source}", source=source))
    lang = edition_language([source])
    outcomes, code = run_edition_writer(lambda: update_learner_edition(source, target), lang)
    if code:
        return code
    lines = [line for line in (describe(outcome, lang) for outcome in outcomes) if line]
    kept = sum(o.action == KEPT for o in outcomes)
    start = (shown_path(target) / "00_welcome.ipynb").as_posix()
    print(tr_in(lang, "Learner edition: {resolve}  (start with {start})", resolve=target.resolve(), start=start))
    print("\n".join(lines) if lines else tr_in(lang, "  everything up to date"))
    if kept:
        print(tr_in(lang, "  {kept} file(s) you changed are kept as they are (the lessons did not change since)",
                          kept=kept))
    return 0


if __name__ == "__main__":
    sys.exit(main())
