"""The built website (``make site``): every page, link and image resolves; lessons show their outputs honestly.

These tests read ``_build/site`` (or ``COURSE_SITE_DIR``) and need requirements-site.txt, so they carry the
``site`` marker, which ``make test`` leaves out; ``make test-browser`` runs them after ``make site``.
"""
from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "_build" / "site"))
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LAUNCH_HOSTS = ("colab.research.google.com", "mybinder.org")


class PageParser(HTMLParser):
    """Collects a page's anchors (id/name), its links (href/src) and the text of its elements by class."""

    LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src", "iframe": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str]] = []   # (tag, attribute, value)
        self.classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.ids.update(v for k, v in attrs if k in ("id", "name") and v)
        self.classes.extend((values.get("class") or "").split())
        attr = self.LINK_ATTRS.get(tag)
        if attr and values.get(attr):
            self.links.append((tag, attr, values[attr]))


def parse(page: Path) -> PageParser:
    parser = PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def html_pages() -> list[Path]:
    """The site's pages (``_static`` holds the theme's Jinja macro files, which are not pages)."""
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.relative_to(SITE).parts)


def is_internal(url: str) -> bool:
    """A link inside the site: no scheme (http:, data:, mailto:, ...) and not protocol-relative."""
    return not urlsplit(url).scheme and not url.startswith("//")


def broken_link(page: Path, url: str, ids_of) -> str | None:
    """Why ``url`` (found on ``page``) is broken, or None if it resolves to a file and anchor of the site."""
    parts = urlsplit(url)
    target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
    if SITE.resolve() not in (target, *target.parents):
        return "points outside the site"
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return "missing file"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in ids_of(target):
        return f"no element with id {fragment!r}"
    return None


@pytest.fixture(scope="module")
def site() -> Path:
    """The built site; fails (never skips) with what to run when it is missing."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make site` (COURSE_PROFILE=smoke for a quick build) first")
    return SITE


@pytest.fixture(scope="module")
def build_info(site) -> dict:
    return json.loads((site / "build-info.json").read_text())


def lesson_page(site: Path, lesson: Path) -> Path:
    return site / "notebooks" / f"{lesson.stem}.html"


def test_home_page_is_the_readme_overview(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    title = re.search(r"^# (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M).group(1)
    assert f"<h1>{title}" in home.replace("&amp;", "&")
    for lesson in LESSONS:   # the home page's navigation reaches every lesson
        assert f'href="notebooks/{lesson.stem}.html"' in home, lesson.name


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_a_page_with_executed_outputs_and_figures(site, lesson):
    page = lesson_page(site, lesson)
    assert page.is_file(), f"no page for {lesson.name}"
    parsed = parse(page)
    assert parsed.classes.count("cell_output") >= 3, "the lesson's outputs are missing: was it executed?"
    figures = [v for tag, _, v in parsed.links if tag == "img" and "_images/" in v]
    assert figures, "no figure from the executed lesson on its page"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_page_links_to_its_notebook_and_the_overview(site, lesson):
    page = lesson_page(site, lesson)
    links = [v for tag, _, v in parse(page).links if tag == "a"]
    notebooks = [(page.parent / unquote(urlsplit(v).path)).resolve() for v in links if v.endswith(f"{lesson.name}")]
    assert notebooks, f"{page.name} has no link to {lesson.name}"
    assert all(n.read_bytes() == lesson.read_bytes() for n in notebooks), "the link must give the lesson's notebook"
    assert any(urlsplit(v).path in ("../README.html", "../index.html") for v in links), "no link to the overview"


def test_the_reference_pages_are_built(site):
    expected = ["notebooks/glossary", "docs/instructor", "docs/results"] + [
        f"docs/results/{p.stem}" for p in (ROOT / "docs" / "results").glob("*.md")]
    missing = [name for name in expected if not (site / f"{name}.html").is_file()]
    assert not missing


def test_no_broken_internal_links_or_images(site):
    ids_cache: dict[Path, set[str]] = {}

    def ids_of(target: Path) -> set[str]:
        if target not in ids_cache:
            ids_cache[target] = parse(target).ids
        return ids_cache[target]

    broken = []
    for page in html_pages():
        for tag, attr, url in parse(page).links:
            reason = is_internal(url) and broken_link(page, url, ids_of)
            if reason:
                broken.append(f"{page.relative_to(site)}: <{tag} {attr}={url!r}>: {reason}")
    assert not broken, "\n".join(broken[:40])
    assert len(html_pages()) >= len(LESSONS) + 5


def test_lesson_7_says_where_its_weights_came_from(site):
    page = (site / "notebooks" / "07_resnet50_birds.html").read_text(encoding="utf-8")
    printed = "\n".join(re.findall(r'class="output[^"]*">(.*?)</pre>', page, re.S))
    assert "weights" in printed, "lesson 7's page shows no printed output about its weights"
    random_run = "NO PRETRAINED WEIGHTS" in printed
    banner = "random-weights" if random_run else "imagenet-weights"
    other = "imagenet-weights" if random_run else "random-weights"
    assert re.search(rf'class="[^"]*course-run-banner {banner}', page), f"no {banner} admonition"
    assert not re.search(rf'class="[^"]*course-run-banner {other}', page)
    assert page.index("course-run-banner") < page.index("cell_output"), "the admonition must come before any output"


def test_lesson_pages_say_which_profile_they_ran_in(site, build_info):
    profile = build_info["profile"]
    for lesson in LESSONS:
        page = lesson_page(site, lesson).read_text(encoding="utf-8")
        assert (f"course-run-banner profile-{profile}" in page) == (profile != "full"), lesson.name


def test_widgets_become_a_note_on_the_static_site(site):
    page = lesson_page(site, ROOT / "notebooks" / "01_nn_basics_numpy.ipynb").read_text(encoding="utf-8")
    assert "course-widget-note" in page
    assert "widget-view+json" not in page and "embed-amd.js" not in page


def test_launch_buttons_only_with_a_repository_url(site, build_info):
    pages = [p.read_text(encoding="utf-8") for p in html_pages()]
    launch_links = [host for text in pages for host in LAUNCH_HOSTS if host in text]
    if build_info["repo_url"] is None:
        assert not launch_links, "launch buttons without COURSE_REPO_URL would be dead links"
    else:
        lesson = lesson_page(site, LESSONS[1]).read_text(encoding="utf-8")
        assert all(host in lesson for host in LAUNCH_HOSTS)


# ---- the Chinese edition -------------------------------------------------------------------------------------

def zh_page(site: Path, lesson: Path) -> Path:
    return site / "notebooks" / "zh" / f"{lesson.stem}.html"


def switch_targets(page: Path) -> list[str]:
    """Where the page's language switch points (the links inside ``course-language-switch``)."""
    html = page.read_text(encoding="utf-8")
    return re.findall(r'<a class="[^"]*course-language-switch[^"]*" href="([^"]+)"', html) + \
        re.findall(r'<a[^>]*href="([^"]+)"[^>]*class="[^"]*course-language-switch', html)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_a_chinese_page_and_the_two_link_each_other(site, lesson):
    english, chinese = lesson_page(site, lesson), zh_page(site, lesson)
    assert chinese.is_file(), f"no Chinese page for {lesson.name}"
    to_chinese = {(english.parent / urlsplit(u).path).resolve() for u in switch_targets(english)}
    to_english = {(chinese.parent / urlsplit(u).path).resolve() for u in switch_targets(chinese)}
    assert to_chinese == {chinese.resolve()}, f"{english.name}: the language switch must lead to {chinese}"
    assert to_english == {english.resolve()}, f"{chinese.name}: the language switch must lead back to {english}"
    text = chinese.read_text(encoding="utf-8")
    assert parse(chinese).classes.count("cell_output") >= 3, "the Chinese page shows no outputs"
    assert "course-run-banner english-outputs" in text, "the Chinese page must say its outputs are the English run's"
    assert re.search(r"[\u4e00-\u9fff]{20}", text), "the Chinese page holds no Chinese prose"


def test_the_chinese_overview_is_built_and_reaches_every_chinese_lesson(site):
    overview = (site / "README.zh.html").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert f'href="notebooks/zh/{lesson.stem}.html"' in overview, lesson.name
    assert [urlsplit(u).path for u in switch_targets(site / "README.zh.html")] == ["README.html"]
