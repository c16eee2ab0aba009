"""Sphinx configuration of the course's website: ``make site`` builds it into ``_build/site/``.

The source folder is the repository root and this folder only holds the configuration, so every
page is read from where it lives (single source): README.md is the home page, the lessons come from
``notebooks/``, the results and the instructor guide from ``docs/``. MyST-NB executes each lesson
in the profile named by ``COURSE_PROFILE`` (default ``full``) and caches the executed notebook with
jupyter-cache, so a rebuild re-runs only the lessons whose code changed (one cache per profile and
version of course_utils: see execution_cache.py).

Build by hand (``make site`` does exactly this, after installing requirements-site.txt)::

    COURSE_PROFILE=smoke sphinx-build -b html -c site -d _build/site-doctrees . _build/site

Settings (environment variables):
    COURSE_PROFILE           ``full`` (default) or ``smoke``: the run profile the lessons execute in.
    COURSE_REPO_URL          the repository's public URL (``https://github.com/<owner>/<repo>``); when set,
                             every lesson gets Colab and Binder launch buttons and a link to its source.
                             Unset: no launch buttons and no repository links at all.
    COURSE_REPO_BRANCH       the branch those buttons open (default ``main``).
    COURSE_SITE_CELL_TIMEOUT seconds one cell may run before the build fails (default 1800).
    COURSE_EXECUTED_DIR      where `make test` left the lessons it executed (default ``_build/executed``); a
                             lesson found there with the same code, profile and helpers is not executed again.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

SITE_DIR = Path(__file__).resolve().parent
ROOT = SITE_DIR.parent
sys.path.insert(0, str(SITE_DIR))
sys.path.insert(0, str(ROOT))

from course_utils import config as course_config  # noqa: E402  (no TensorFlow import)
from execution_cache import adopt_executed, cache_folder  # noqa: E402
from toc import RESULTS_DOC, TOC, lesson_docnames  # noqa: E402

# -- Project -------------------------------------------------------------------------------------
project = "Deep learning and transfer learning with TensorFlow/Keras"
author = "the course authors"
copyright = "the course authors, MIT licence"
root_doc = "README"  # the README's overview is the home page; course_site also writes it as index.html

extensions = ["myst_nb", "course_site", "page_notes", "lesson_errors"]

# Read only the course's pages from the repository root; skip everything else without walking it.
include_patterns = ["README.md", "README.zh.md", "notebooks/[0-9][0-9]_*.ipynb", "notebooks/zh/[0-9][0-9]_*.ipynb",
                    "notebooks/glossary.md", "docs/instructor.md",
                    "docs/authoring.md", f"{RESULTS_DOC}.md", "docs/results/*.md", "data/README.md", "site/README.md"]
exclude_patterns = ["_build", ".venv*", ".git", "learner", "student", "artifacts", "**/.ipynb_checkpoints"]

# -- Lessons: execution --------------------------------------------------------------------------
COURSE_PROFILE = course_config.get_profile()  # 'full' unless COURSE_PROFILE says otherwise; unknown -> error
nb_execution_mode = "cache"
nb_execution_cache_path = str(cache_folder(ROOT / "_build", COURSE_PROFILE, ROOT / "course_utils"))
# Lessons `make test` already executed (same profile, helpers and code) are reused, not run a second time.
EXECUTED_DIR = Path(os.environ.get("COURSE_EXECUTED_DIR") or ROOT / "_build" / "executed")
_adopted = adopt_executed(Path(nb_execution_cache_path), EXECUTED_DIR, COURSE_PROFILE,
                                sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
if _adopted:
    print(f"[course] reusing {len(_adopted)} lesson(s) executed by `make test` ({EXECUTED_DIR}): "
          + ", ".join(_adopted))
nb_execution_in_temp = False            # run in notebooks/, as a learner does
nb_execution_timeout = int(os.environ.get("COURSE_SITE_CELL_TIMEOUT", "1800"))
nb_execution_raise_on_error = True      # a failing lesson fails the build (lesson_errors names lesson and cell)
nb_execution_show_tb = True
nb_merge_streams = True                 # one output block per cell instead of one per print
nb_execution_excludepatterns: list[str] = []
nb_ipywidgets_js: dict = {}             # widgets need a kernel: page_notes replaces them with a note, so no CDN scripts

course_toc = TOC
course_lessons = lesson_docnames() + lesson_docnames("notebooks/zh")   # zh pages reuse the English runs (same code)
course_profile = COURSE_PROFILE         # part of the build environment: a new profile re-reads every page
course_weights_pages = ["notebooks/07_resnet50_birds", "notebooks/zh/07_resnet50_birds"]

# -- MyST ----------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
myst_heading_anchors = 3

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Deep learning and transfer learning"
html_copy_source = True                 # _sources/ holds each lesson's .ipynb for the download button
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}

REPO_URL = os.environ.get("COURSE_REPO_URL", "").strip().rstrip("/")
if REPO_URL:   # a Colab button is honest only if the lesson it opens installs course_utils from this repository
    from colab_cell import lesson_paths, problems
    from sphinx.errors import ConfigError

    if mismatched := problems(lesson_paths(ROOT / "notebooks"), REPO_URL):
        raise ConfigError("COURSE_REPO_URL is set, but the lessons' Colab set-up cells disagree:\n  "
                          + "\n  ".join(mismatched))
    html_theme_options.update({
        "repository_url": REPO_URL,
        "repository_branch": os.environ.get("COURSE_REPO_BRANCH", "main"),
        "path_to_docs": "",
        "use_repository_button": True,
        "launch_buttons": {"colab_url": "https://colab.research.google.com",
                           "binderhub_url": "https://mybinder.org",
                           "notebook_interface": "jupyterlab"},
    })

course_build_info = {"profile": COURSE_PROFILE, "repo_url": REPO_URL or None, "adopted_from_tests": _adopted}  # -> build-info.json, for tests
