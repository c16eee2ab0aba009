"""The site builder's behaviour, on a tiny course built in a temporary folder with the real site/ config.

A rebuild re-executes only the lesson that changed; a failing lesson stops the build naming the lesson and
the cell; lesson 7's weights admonition follows what the run printed (and a run that printed nothing about
its weights fails the build); launch buttons exist only when COURSE_REPO_URL is set. The tiny lessons print
and plot a little and need no TensorFlow, so each build takes seconds. Marked ``site`` (needs
requirements-site.txt): ``make test-browser`` runs it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site"))
import colab_cell  # noqa: E402  (site/colab_cell.py)

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
SPHINX_TIMEOUT = 600
RANDOM_RUN = ['print("random initialisation (smoke profile, which does not download them)")',
              'print("!!!!\\n  NO PRETRAINED WEIGHTS: this run uses random initialisation.\\n!!!!")']


def write_lesson(path: Path, title: str, *code: str) -> None:
    """A lesson notebook: a title cell, then one code cell per string in ``code``."""
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")] + [nbformat.v4.new_code_cell(c) for c in code]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                        "display_name": "Python 3"}})
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A copy of site/ and course_utils/ with a README and three tiny lessons (00, 01, 07), built once.

    The tests share it to keep kernel start-ups few; each test puts back any lesson it breaks.
    """
    tmp_path = tmp_path_factory.mktemp("course")
    for folder in ("site", "course_utils"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "README.md").write_text("# Tiny course\n\nThe overview.\n")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "glossary.md").write_text("# Glossary\n\n- <a id=\"neuron\"></a>**neuron**: a unit.\n")
    write_lesson(notebooks / "00_alpha.ipynb", "00 · Alpha", 'print("alpha")')
    write_lesson(notebooks / "01_beta.ipynb", "01 · Beta\n\nA [neuron](glossary.md#neuron).", "x = 1 + 1\nprint('beta', x)")
    write_lesson(notebooks / "07_resnet50_birds.ipynb", "07 · Birds", *RANDOM_RUN)
    first = build(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert executed(first) == {"00_alpha.ipynb", "01_beta.ipynb", "07_resnet50_birds.ipynb"}
    assert "local id not found" not in first.stderr, "the glossary's HTML anchors must resolve"
    return tmp_path


def build(course: Path, **env: str) -> subprocess.CompletedProcess:
    """``sphinx-build`` of the tiny course with the repository's site/ config (as ``make site`` runs it)."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", "site", "-d", "_build/doctrees", ".",
               "_build/site"]
    full_env = {k: v for k, v in os.environ.items() if k != "COURSE_REPO_URL"}
    full_env.update({"COURSE_PROFILE": "smoke", "PYTHONPATH": str(course), **env})
    return subprocess.run(command, cwd=course, env=full_env, capture_output=True, text=True, timeout=SPHINX_TIMEOUT)


def executed(result: subprocess.CompletedProcess) -> set[str]:
    """Names of the lessons the build executed (not taken from the cache)."""
    log = result.stdout + result.stderr
    return {line.split(":")[0].rsplit("/", 1)[-1] for line in log.splitlines() if "Executed notebook in" in line}


def page(course: Path, name: str) -> str:
    return (course / "_build" / "site" / "notebooks" / f"{name}.html").read_text(encoding="utf-8")


def test_the_site_opens_at_index_html(course):
    assert (course / "_build" / "site" / "index.html").is_file()
    assert "The overview." in (course / "_build" / "site" / "index.html").read_text(encoding="utf-8")


def test_a_rebuild_re_executes_only_the_changed_lesson(course):
    lesson = course / "notebooks" / "01_beta.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nb.cells[1].source = "x = 2 + 2\nprint('beta', x)"   # cell 0 is the title
    nbformat.write(nb, lesson)
    shutil.rmtree(course / "_build" / "doctrees")   # Sphinx re-reads every page: only the execution cache saves runs
    rebuild = build(course)
    assert rebuild.returncode == 0, rebuild.stderr[-3000:]
    assert executed(rebuild) == {"01_beta.ipynb"}
    assert "beta 4" in page(course, "01_beta")


def test_a_failing_lesson_fails_the_build_naming_the_lesson_and_the_cell(course):
    lesson = course / "notebooks" / "00_alpha.ipynb"
    good = lesson.read_bytes()
    write_lesson(lesson, "00 · Alpha", "x = 1", "y = x / 0  # the broken cell")
    try:
        result = build(course)
    finally:
        lesson.write_bytes(good)
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert "notebooks/00_alpha.ipynb failed at cell 2 (code cell 2: 'y = x / 0  # the broken cell')" in log
    assert "ZeroDivisionError: division by zero" in log


def test_lesson_7_admonition_follows_the_run_and_silence_fails_the_build(course):
    assert "course-run-banner random-weights" in page(course, "07_resnet50_birds")
    assert "imagenet-weights" not in page(course, "07_resnet50_birds")
    lesson = course / "notebooks" / "07_resnet50_birds.ipynb"
    random_run = lesson.read_bytes()
    try:
        write_lesson(lesson, "07 · Birds", 'print("ImageNet weights (resnet50_notop.h5, checksum verified)")')
        assert build(course).returncode == 0
        assert "course-run-banner imagenet-weights" in page(course, "07_resnet50_birds")
        assert "random-weights" not in page(course, "07_resnet50_birds")

        write_lesson(lesson, "07 · Birds", 'print("no word about weights")')
        silent = build(course)
        assert silent.returncode != 0
        assert "cannot say whether its outputs come from ImageNet" in silent.stdout + silent.stderr
    finally:
        lesson.write_bytes(random_run)


def test_launch_buttons_come_from_one_setting_that_the_colab_cells_must_match(course):
    assert "colab.research.google.com" not in page(course, "01_beta")
    assert "mybinder.org" not in page(course, "01_beta")
    url = "https://github.com/example/dl-course"
    refused = build(course, COURSE_REPO_URL=url)   # the tiny lessons have no Colab set-up cell yet
    assert refused.returncode != 0 and "01_beta.ipynb: no Colab set-up cell" in refused.stdout + refused.stderr

    for lesson in (course / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        nb = colab_cell.load(lesson)
        colab_cell.insert_cell(nb)
        colab_cell.set_url(nb, url)
        colab_cell.save(lesson, nb)
    with_url = build(course, COURSE_REPO_URL=url)
    assert with_url.returncode == 0, with_url.stderr[-3000:]
    lesson = page(course, "01_beta")
    assert "https://colab.research.google.com/github/example/dl-course/blob/main/notebooks/01_beta.ipynb" in lesson
    assert "https://mybinder.org/v2/gh/example/dl-course/main" in lesson
    assert "google.colab" not in lesson, "the Colab set-up cell is left out of the site"


def test_lessons_executed_by_the_tests_are_reused_unless_their_code_changed(course, tmp_path):
    """``make test`` runs the lessons under nbval, whose plugin leaves them in _build/executed/<profile>-<helpers>;
    the build adopts the ones whose code is the lesson's code now (gamma: shown as nbval ran it) and runs the
    others (delta)."""
    from course_utils.tools.run_lesson import helpers_fingerprint

    from test_lessons import run_nbval

    notebooks = course / "notebooks"
    code = 'import os\nprint("{name} ran under", os.environ.get("RUNNER", "the site build"))'
    ran = tmp_path / "ran"
    ran.mkdir()
    for name in ("02_gamma.ipynb", "03_delta.ipynb"):
        write_lesson(ran / name, name[:8], code.format(name=name[3:8]))
    nbval = run_nbval(ran, env={"COURSE_EXECUTED_DIR": str(tmp_path / "executed"), "RUNNER": "nbval"})
    assert nbval.returncode == 0, nbval.stdout[-3000:]
    [saved] = (tmp_path / "executed").glob("smoke-*")
    executed_dir = course / "_build" / "executed" / f"smoke-{helpers_fingerprint(course / 'course_utils')}"
    shutil.copytree(saved, executed_dir, dirs_exist_ok=True)
    write_lesson(notebooks / "02_gamma.ipynb", "02_gamma", code.format(name="gamma"))
    write_lesson(notebooks / "03_delta.ipynb", "03_delta", code.format(name="delta") + "  # changed after the tests")
    try:
        result = build(course)
        assert result.returncode == 0, result.stderr[-3000:]
        assert executed(result) == {"03_delta.ipynb"}
        assert "gamma ran under nbval" in page(course, "02_gamma")
        assert "delta ran under the site build" in page(course, "03_delta")
        info = (course / "_build" / "site" / "build-info.json").read_text()
        assert '"02_gamma.ipynb"' in info and '"03_delta.ipynb"' not in info
    finally:
        for name in ("02_gamma.ipynb", "03_delta.ipynb"):
            (notebooks / name).unlink()


def test_a_chinese_lesson_reuses_the_english_run_and_links_to_it(course):
    """A lesson in notebooks/zh/ with the English code is not executed again (same code, same cache entry); each
    page links to the other language, and the Chinese page says its outputs are the English run's."""
    notebooks = course / "notebooks"
    (notebooks / "zh").mkdir(exist_ok=True)
    english = nbformat.read(notebooks / "01_beta.ipynb", as_version=4)
    english.cells[0].source = "# 01 · 贝塔\n\n一个[神经元](../glossary.md#neuron)。"
    nbformat.write(english, notebooks / "zh" / "01_beta.ipynb")
    (course / "README.zh.md").write_text("# 小课程\n\n概览。\n", encoding="utf-8")
    try:
        result = build(course)
        assert result.returncode == 0, result.stderr[-3000:]
        assert executed(result) == set(), "the Chinese lesson must reuse the English run, not execute"
        zh_page = (course / "_build" / "site" / "notebooks" / "zh" / "01_beta.html").read_text(encoding="utf-8")
        en_page = page(course, "01_beta")
        assert 'href="../01_beta.html"' in zh_page and 'href="zh/01_beta.html"' in en_page
        assert "course-run-banner english-outputs" in zh_page and "english-outputs" not in en_page
        assert "beta" in zh_page   # the English run's output
        home = (course / "_build" / "site" / "README.html").read_text(encoding="utf-8")
        assert 'href="README.zh.html"' in home
    finally:
        shutil.rmtree(notebooks / "zh")
        (course / "README.zh.md").unlink()
