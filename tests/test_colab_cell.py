"""The Colab set-up cell (site/colab_cell.py): in every lesson, silent outside Colab, installing inside it.

The cell's code is run through IPython's own input transformer (it contains a ``%pip`` line), once as on a
normal machine and once with a stand-in ``google.colab`` module and a recording shell, so no package is
installed by the test.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))
import colab_cell  # noqa: E402  (site/colab_cell.py)

LESSONS = colab_cell.lesson_paths(ROOT / "notebooks")
URL = "https://github.com/example/dl-course"


class RecordingShell:
    """Stands in for IPython's shell: records line magics, expanding ``{name}`` like IPython does."""

    def __init__(self, namespace: dict):
        self.namespace, self.magics = namespace, []

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> None:
        self.magics.append((name, line.format(**self.namespace)))


def run_cell(source: str, in_colab: bool, monkeypatch) -> RecordingShell:
    """Execute the cell's code as IPython would, with or without a ``google.colab`` module loaded."""
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace: dict = {}
    shell = RecordingShell(namespace)
    namespace["get_ipython"] = lambda: shell
    exec(TransformerManager().transform_cell(source), namespace)
    return shell


def cell_source(url: str) -> str:
    return "".join(colab_cell.new_cell(url)["source"])


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_starts_its_setup_with_the_colab_cell(lesson):
    nb = colab_cell.load(lesson)
    index = colab_cell.colab_cell_index(nb)
    assert index is not None, f"{lesson.name}: run python site/colab_cell.py --insert"
    first_code = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    assert index == first_code, "the Colab cell must run before any other code"
    assert "remove-cell" in nb["cells"][index]["metadata"]["tags"]


def test_all_lessons_install_from_the_same_repository():
    urls = {colab_cell.cell_url(colab_cell.load(p)) for p in LESSONS}
    assert len(urls) == 1, f"lessons' Colab cells name different repositories: {urls}"


def test_outside_colab_the_cell_does_nothing(monkeypatch):
    assert run_cell(cell_source(""), in_colab=False, monkeypatch=monkeypatch).magics == []
    assert run_cell(cell_source(URL), in_colab=False, monkeypatch=monkeypatch).magics == []


def test_in_colab_the_cell_installs_pooch_and_course_utils_and_says_so(monkeypatch, capsys):
    shell = run_cell(cell_source(URL), in_colab=True, monkeypatch=monkeypatch)
    assert shell.magics == [("pip", f'install --quiet pooch "course-utils @ git+{URL}"')]
    assert f"installing pooch and course_utils from {URL}" in capsys.readouterr().out


def test_in_colab_without_a_repository_the_cell_says_what_to_set(monkeypatch):
    with pytest.raises(RuntimeError, match="set COURSE_REPO_URL above"):
        run_cell(cell_source(""), in_colab=True, monkeypatch=monkeypatch)


def test_insert_is_idempotent_and_set_url_rewrites_only_the_url():
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# 99 · T"]},
        {"cell_type": "code", "id": "b", "metadata": {}, "source": ["import numpy"], "outputs": [],
         "execution_count": None}]}
    assert colab_cell.insert_cell(nb) and not colab_cell.insert_cell(nb)
    assert [c["id"] for c in nb["cells"]] == ["a", "colab-setup", "b"]
    assert colab_cell.set_url(nb, URL) and colab_cell.cell_url(nb) == URL
    assert "".join(nb["cells"][1]["source"]) == cell_source(URL)
    assert colab_cell.problems([], URL) == []
