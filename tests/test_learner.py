"""The learner edition (``make learner``): made from notebooks/, and never overwriting what the learner changed."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from course_utils.tools import learner, student

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _lesson(number: int, text: str = "first version") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell(f"answer_{number}_1 = None   # your answer here\n### BEGIN SOLUTION\n"
                                         f"answer_{number}_1 = 42\n### END SOLUTION")
    solution.metadata.update({"tags": ["solution"], "exercise": f"{number}.1", "jupyter": {"source_hidden": True}})
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {number:02d} · Lesson\n{text}"), solution,
                nbformat.v4.new_code_cell(f'cu.check("{number}.1", answer_{number}_1, globals())')]
    return nb


@pytest.fixture
def course(tmp_path):
    """notebooks/ with two lessons and a glossary; the learner edition goes to learner/ beside it."""
    source = tmp_path / "notebooks"
    source.mkdir()
    for number in (0, 1):
        nbformat.write(_lesson(number), source / f"{number:02d}_lesson.ipynb")
    (source / "glossary.md").write_text("# Glossary\n", encoding="utf-8")
    return source, tmp_path / "learner"


def _edit(path: Path, answer: str) -> bytes:
    """What a learner does: fill in the answer and save."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("None   # your answer here", answer)
    nbformat.write(nb, path)
    return path.read_bytes()


def _actions(outcomes) -> dict[str, str]:
    return {o.name: o.action for o in outcomes}


def test_first_run_writes_every_lesson_without_solutions(course):
    source, target = course
    outcomes = learner.update_learner_edition(source, target)
    assert _actions(outcomes) == {"00_lesson.ipynb": "added", "01_lesson.ipynb": "added", "glossary.md": "added"}
    text = (target / "01_lesson.ipynb").read_text(encoding="utf-8")
    assert "answer_1_1 = 42" not in text and "BEGIN SOLUTION" not in text and "source_hidden" not in text
    assert (target / "glossary.md").read_text(encoding="utf-8") == "# Glossary\n"  # links to the glossary work
    manifest = json.loads((target / learner.MANIFEST).read_text(encoding="utf-8"))["files"]
    assert set(manifest) == {"00_lesson.ipynb", "01_lesson.ipynb", "glossary.md"}


def test_regenerating_keeps_the_learners_edits_and_offers_the_update_beside_them(course, capsys):
    source, target = course
    learner.update_learner_edition(source, target)
    edited = _edit(target / "01_lesson.ipynb", "my own answer")
    nbformat.write(_lesson(1, "second version"), source / "01_lesson.ipynb")  # the course is updated

    assert learner.main(["--source", str(source), "--out", str(target)]) == 0
    assert (target / "01_lesson.ipynb").read_bytes() == edited  # the learner's work survives, byte for byte
    offered = target / "01_lesson.updated.ipynb"
    assert "second version" in offered.read_text(encoding="utf-8")
    assert "answer_1_1 = 42" not in offered.read_text(encoding="utf-8")  # the offer has no solution either
    note = capsys.readouterr().out
    assert "kept your copy of 01_lesson.ipynb" in note and "01_lesson.updated.ipynb" in note
    assert str(target.resolve()) in note  # it says where the edition is

    outcomes = learner.update_learner_edition(source, target)  # a third run changes nothing
    assert (target / "01_lesson.ipynb").read_bytes() == edited
    assert _actions(outcomes)["01_lesson.ipynb"] == "offered"  # ... and still points at the offer


def test_an_edited_copy_of_an_unchanged_lesson_is_left_alone(course):
    source, target = course
    learner.update_learner_edition(source, target)
    edited = _edit(target / "00_lesson.ipynb", "'mine'")
    assert _actions(learner.update_learner_edition(source, target))["00_lesson.ipynb"] == "kept"
    assert (target / "00_lesson.ipynb").read_bytes() == edited
    assert not (target / "00_lesson.updated.ipynb").exists()


def test_an_unedited_copy_is_updated_in_place(course):
    source, target = course
    learner.update_learner_edition(source, target)
    nbformat.write(_lesson(0, "second version"), source / "00_lesson.ipynb")
    assert _actions(learner.update_learner_edition(source, target))["00_lesson.ipynb"] == "updated"
    assert "second version" in (target / "00_lesson.ipynb").read_text(encoding="utf-8")
    assert not (target / "00_lesson.updated.ipynb").exists()


def test_a_new_lesson_is_added_and_the_others_are_untouched(course):
    source, target = course
    learner.update_learner_edition(source, target)
    edited = _edit(target / "00_lesson.ipynb", "'mine'")
    nbformat.write(_lesson(2), source / "02_lesson.ipynb")
    actions = _actions(learner.update_learner_edition(source, target))
    assert actions == {"00_lesson.ipynb": "kept", "01_lesson.ipynb": "unchanged", "02_lesson.ipynb": "added",
                       "glossary.md": "unchanged"}
    assert (target / "02_lesson.ipynb").exists() and (target / "00_lesson.ipynb").read_bytes() == edited


def test_a_deleted_offer_is_not_offered_again_until_the_lesson_changes(course):
    source, target = course
    learner.update_learner_edition(source, target)
    _edit(target / "01_lesson.ipynb", "1")
    nbformat.write(_lesson(1, "second version"), source / "01_lesson.ipynb")
    learner.update_learner_edition(source, target)
    (target / "01_lesson.updated.ipynb").unlink()  # the learner looked at the offer and declined it
    assert _actions(learner.update_learner_edition(source, target))["01_lesson.ipynb"] == "kept"
    assert not (target / "01_lesson.updated.ipynb").exists()
    nbformat.write(_lesson(1, "third version"), source / "01_lesson.ipynb")  # a newer lesson is offered again
    assert _actions(learner.update_learner_edition(source, target))["01_lesson.ipynb"] == "offered"
    assert "third version" in (target / "01_lesson.updated.ipynb").read_text(encoding="utf-8")


def test_an_edited_offer_is_not_overwritten_either(course):
    source, target = course
    learner.update_learner_edition(source, target)
    _edit(target / "01_lesson.ipynb", "1")
    nbformat.write(_lesson(1, "second version"), source / "01_lesson.ipynb")
    learner.update_learner_edition(source, target)
    offer = _edit(target / "01_lesson.updated.ipynb", "2")  # the learner started working in the offered copy
    nbformat.write(_lesson(1, "third version"), source / "01_lesson.ipynb")
    outcome = {o.name: o for o in learner.update_learner_edition(source, target)}["01_lesson.ipynb"]
    assert outcome.action == "offer kept" and (target / "01_lesson.updated.ipynb").read_bytes() == offer


def test_without_a_manifest_a_differing_copy_counts_as_edited(course):
    """A lost manifest must not turn the learner's work into 'unedited, safe to overwrite'."""
    source, target = course
    learner.update_learner_edition(source, target)
    edited = _edit(target / "00_lesson.ipynb", "'mine'")
    (target / learner.MANIFEST).unlink()
    nbformat.write(_lesson(0, "second version"), source / "00_lesson.ipynb")
    assert _actions(learner.update_learner_edition(source, target))["00_lesson.ipynb"] == "offered"
    assert (target / "00_lesson.ipynb").read_bytes() == edited


def test_the_learner_edition_refuses_the_lessons_folder(course, capsys):
    source, _ = course
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    assert learner.main(["--source", str(source), "--out", str(source)]) == 2
    assert "lessons' folder" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before


def test_the_default_edition_is_learner_at_the_course_root_and_git_ignored():
    assert learner.default_target() == ROOT / "learner"
    ignored = subprocess.run(["git", "check-ignore", "-q", "learner/00_welcome.ipynb"], cwd=ROOT)
    assert ignored.returncode == 0, "learner/ must be git-ignored (.gitignore)"


def test_make_lab_builds_the_learner_edition_then_opens_it():
    plan = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    build = plan.find("course_utils.tools.learner")
    assert build >= 0 and re.search(r"jupyter lab --ServerApp\.root_dir=learner learner/00_welcome\.ipynb",
                                    plan[build:]), plan


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_use_no_path_relative_to_notebooks(lesson):
    """learner/ sits beside notebooks/: code must find files through course_utils, not 'notebooks/...' or '../'."""
    nb = nbformat.read(lesson, as_version=4)
    relative = re.compile(r"""["'](\.\./|\./|notebooks/)""")
    bad = [(i, m.group(0)) for i, c in enumerate(nb.cells) if c.cell_type == "code"
           for m in relative.finditer(c.source)]
    assert not bad, f"{lesson.name}: paths relative to the lessons' folder in cells {bad}"


def test_the_real_learner_edition_holds_no_solution(tmp_path):
    """Every lesson of the course, generated as a learner gets it: valid, and every exercise unanswered."""
    outcomes = learner.update_learner_edition(ROOT / "notebooks", tmp_path / "learner")
    assert {o.action for o in outcomes} == {"added"} and len(outcomes) == len(LESSONS) + 1
    for path in LESSONS:
        nb = nbformat.read(tmp_path / "learner" / path.name, as_version=4)
        nbformat.validate(nb)
        assert not any(student.BEGIN in c.source or c.get("outputs") for c in nb.cells), path.name
