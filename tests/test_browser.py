"""The course the way a reader meets it: the built site and JupyterLab in a real Chromium.

1. The site's home page and a lesson page: a figure is visible (it has a size on screen and its pixels
   loaded, not merely an ``<img>`` in the HTML), the "next" link reaches the next lesson, and lesson 7's
   weights admonition is on screen without scrolling.
2. JupyterLab, started like the README starts it (``jupyter lab <lesson>``) on 127.0.0.1 with a token:
   lesson 1 runs top to bottom (smoke profile), then moving the optimiser control of the race explorer
   redraws the plot; "Error displaying widget" anywhere fails the test.
3. A screenshot of every step goes to ``_build/screenshots/`` for a person to look at.

Needs requirements-browser.txt (Playwright) and Debian's Chromium (``apt-get install chromium``; Playwright's
own browser download is never used). The server and the browser are started and stopped here, with bounded
waits. Run with ``make test-browser`` after ``make site``.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from lab_server import running_jupyterlab

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "_build" / "site"))
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
LESSON_1 = "01_nn_basics_numpy.ipynb"
WIDGET_ERROR = "Error displaying widget"
RUN_ALL_SECONDS = 600   # lesson 1 takes 1-2 minutes in the smoke profile on 2 busy cores


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, closed at the end of the module."""
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (Debian/Ubuntu: apt-get install chromium) "
                    "or point COURSE_CHROMIUM at a Chromium binary")
    from playwright.sync_api import sync_playwright   # imported here: `make test` collects this file without it

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def site_url():
    """The built site served on a free port of 127.0.0.1 for the module's tests."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make site` first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def screenshot(page, name: str) -> Path:
    """Save what the browser shows as ``_build/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def assert_on_screen(page, locator, what: str, min_side: int = 100) -> None:
    """``locator`` is displayed, at least ``min_side`` px on each side, and inside the visible viewport."""
    assert locator.is_visible(), f"{what} is not visible"
    box = locator.bounding_box()
    assert box and box["width"] >= min_side and box["height"] >= min_side, f"{what} has no real size: {box}"
    assert 0 <= box["y"] < VIEWPORT["height"] and box["x"] < VIEWPORT["width"], f"{what} is off screen: {box}"


def test_site_shows_a_lesson_figure_and_reaches_the_next_lesson(page, site_url):
    page.goto(site_url + "index.html")
    assert page.locator("article h1").first.is_visible()
    screenshot(page, "01-site-home")
    page.locator("nav a.reference", has_text=re.compile(r"^01 ·")).first.click()
    page.wait_for_url(re.compile(r"/notebooks/01_[^/]+\.html"))
    figure = page.locator(".cell_output img").first
    figure.scroll_into_view_if_needed()
    assert_on_screen(page, figure, "the first figure of lesson 1")
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0"), "the figure's image did not load"
    screenshot(page, "02-site-lesson-1-figure")
    page.locator("a.right-next").click()
    page.wait_for_url(re.compile(r"/notebooks/02_[^/]+\.html"))
    assert page.locator("article h1").first.inner_text().startswith("02 ·")
    screenshot(page, "03-site-next-lesson")


def test_site_lesson_7_says_where_its_weights_came_from_at_the_top(page, site_url):
    page.goto(site_url + "notebooks/07_resnet50_birds.html")
    banner = page.locator(".course-run-banner.random-weights, .course-run-banner.imagenet-weights").first
    assert_on_screen(page, banner, "lesson 7's weights admonition", min_side=40)
    screenshot(page, "04-site-lesson-7-weights")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on lesson 1 (a copy in a temporary folder), smoke profile; stopped afterwards."""
    with running_jupyterlab(ROOT / "notebooks", LESSON_1, tmp_path_factory.mktemp("lab")) as url:
        yield url


def run_all_cells(page) -> None:
    """Run > Run All Cells, then wait (bounded) until every code cell ran or an error stopped the run."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function(   # Run All marks every cell queued ([*]) at once; an error leaves later cells [ ]
        """() => {
               const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
               return prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*'));
           }""", timeout=RUN_ALL_SECONDS * 1000, polling=1000)


def unrun_code_cells(page) -> list[str]:
    """Prompts of code cells that did not run (an error stops Run All), e.g. ``['[ ]:', ...]``."""
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    return [p for p in prompts if re.fullmatch(r"\s*\[\s*\]:\s*", p)]   # hidden-input cells show no prompt


def first_error_output(page) -> str:
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    texts = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    return texts[0][-1500:] if texts else "(no error output found)"


def test_jupyterlab_runs_lesson_1_and_the_optimiser_widget_redraws_the_plot(page, lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.set_default_timeout(60_000)
    page.goto(lab)
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=90_000)
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))
    kernel_idle.first.wait_for(timeout=180_000)   # the kernel is up: Run All would otherwise ask for one
    run_all_cells(page)
    assert not unrun_code_cells(page), f"lesson 1 stopped with an error:\n{first_error_output(page)}"
    assert WIDGET_ERROR not in page.content(), "a widget failed to render"
    optimiser = page.locator(".widget-dropdown", has=page.locator("label", has_text="optimiser")).locator("select")
    try:
        optimiser.wait_for(timeout=30_000)
    except PlaywrightTimeout:
        screenshot(page, "05-lab-lesson-1-no-widget")
        pytest.fail("lesson 1 ran, but its explorer shows no optimiser control: the widget did not render")
    optimiser.scroll_into_view_if_needed()
    cell = page.locator(".jp-CodeCell", has=optimiser)
    widget_plot = cell.locator(".jupyter-widgets-output-area img, .widget-output img")
    default_plot = cell.locator(".jp-OutputArea-output img").first.evaluate("img => img.src")
    screenshot(page, "05-lab-lesson-1-widget-before")

    shown = [default_plot]
    for choice in other_options(optimiser, count=2):
        optimiser.select_option(label=choice)
        wait_for_new_image(page, cell, shown)
        shown.append(widget_plot.last.evaluate("img => img.src"))
        widget_plot.last.scroll_into_view_if_needed()
        screenshot(page, f"06-lab-widget-{choice}")
    assert WIDGET_ERROR not in page.content(), "a widget failed to render"
    assert len(set(shown)) == len(shown), "moving the optimiser control did not change the plot"


def other_options(select, count: int) -> list[str]:
    """``count`` option labels of ``select`` other than the selected one."""
    current = select.evaluate("s => s.options[s.selectedIndex].text")
    return [o for o in select.locator("option").all_inner_texts() if o != current][:count]


def wait_for_new_image(page, cell, seen: list[str], timeout_ms: int = 90_000) -> None:
    """Wait until the widget's output area holds a loaded plot whose ``src`` differs from every one in ``seen``."""
    page.wait_for_function(
        """([cell, seen]) => {
               const imgs = cell.querySelectorAll('.jupyter-widgets-output-area img, .widget-output img');
               const img = imgs[imgs.length - 1];
               return img && img.complete && img.naturalWidth > 0 && !seen.includes(img.src);
           }""", arg=[cell.element_handle(), seen], timeout=timeout_ms, polling=500)
