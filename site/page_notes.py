"""Sphinx extension: notes at the top of lesson pages, decided by what the executed lesson printed.

* Lesson 7's page (``course_weights_pages``) opens with an admonition that says whether its outputs came
  from ImageNet weights or from the random-weights pipeline check. It is read from the notebook's own
  output (the weights note and the ``NO PRETRAINED WEIGHTS`` banner of
  ``course_utils.lessons.backbones``), never from configuration, so it cannot disagree with the run; a
  page where neither is found fails the build.
* Every lesson page executed in a profile other than ``full`` says so at the top.
* An interactive widget cannot work on a static page (there is no kernel to redraw the figure), so its
  output becomes a sentence saying where the controls work; the figure above it is the default view.
"""
from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

RANDOM_WEIGHTS_MARKER = "NO PRETRAINED WEIGHTS"   # printed by backbones.random_weights_banner
WEIGHTS_NOTE_PREFIXES = ("ImageNet weights (", "random initialisation (")  # backbones.WeightsChoice.note
WIDGET_VIEW_SCRIPT = '<script type="application/vnd.jupyter.widget-view+json">'  # how MyST-NB writes a widget
BANNER_CLASS = "course-run-banner"
WIDGET_NOTE_CLASS = "course-widget-note"
WIDGET_NOTE = ("Interactive controls appear here when this notebook runs in Jupyter (JupyterLab, Colab or Binder): "
               "move them to redraw the figure. The figure above shows their default setting.")


def output_text(doctree: nodes.document) -> str:
    """All text the executed notebook printed (MyST-NB renders stream outputs as literal blocks)."""
    blocks = doctree.findall(lambda n: isinstance(n, nodes.literal_block) and "output" in n.get("classes", []))
    return "\n".join(block.astext() for block in blocks)


def weights_note(printed: str) -> str | None:
    """The line the lesson printed about its weights (``WeightsChoice.note``), or None if there is none."""
    for line in printed.splitlines():
        if line.strip().startswith(WEIGHTS_NOTE_PREFIXES):
            return line.strip()
    return None


def weights_admonition(printed: str, docname: str) -> nodes.Element:
    """A note (ImageNet weights) or a warning (random weights), worded from what the run printed.

    Raises:
        ExtensionError: the page printed neither a weights note nor the random-weights banner, so the
            site cannot tell the reader where its numbers came from.
    """
    note = weights_note(printed)
    if note is None and RANDOM_WEIGHTS_MARKER not in printed:
        raise ExtensionError(
            f"{docname}: the executed lesson printed no weights note ({' / '.join(WEIGHTS_NOTE_PREFIXES)}) and no "
            f"'{RANDOM_WEIGHTS_MARKER}' banner, so the site cannot say whether its outputs come from ImageNet "
            "weights. Keep the cell that prints weights_choice.note and the banner.")
    if RANDOM_WEIGHTS_MARKER in printed or not note.startswith(WEIGHTS_NOTE_PREFIXES[0]):
        return admonition("warning", "Random weights: a pipeline check, not transfer learning", [
            f"The outputs on this page were produced with {note or 'random initialisation'}. "
            "The backbone never saw ImageNet, so every accuracy, confusion matrix and Grad-CAM map below is "
            "NOT meaningful; timings, shapes and parameter counts are. "
            "Run the lesson with the ImageNet weights to see what transfer learning really does."], "random-weights")
    return admonition("note", "Pretrained ImageNet weights", [
        f"The outputs on this page were produced with {note}."], "imagenet-weights")


def profile_admonition(profile: str) -> nodes.Element:
    """A warning that a page was executed in a reduced profile (tiny data, few steps)."""
    return admonition("warning", f"Built in the '{profile}' profile", [
        f"This page was executed with COURSE_PROFILE={profile}: tiny subsets and very short training, to test "
        "the pipeline quickly. Its numbers and plots are not the lesson's results; those are recorded in the "
        "results pages."], f"profile-{profile}")


def admonition(style: str, title: str, paragraphs: list[str], tag: str) -> nodes.Element:
    """An admonition with its own title, coloured like a ``style`` ("warning", "note") one; classes mark it for tests."""
    node = nodes.admonition(classes=[style, BANNER_CLASS, tag])
    node += nodes.title(text=title)
    for text in paragraphs:
        node += nodes.paragraph(text=text)
    return node


def insert_below_title(doctree: nodes.document, node: nodes.Element) -> None:
    """Put ``node`` right under the page's first heading (or first on the page if it has none)."""
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        doctree.insert(0, node)
    else:
        section.insert(1, node)


def replace_widget_views(doctree: nodes.document) -> int:
    """Replace each widget output with :data:`WIDGET_NOTE`; returns how many were replaced."""
    views = list(doctree.findall(lambda n: isinstance(n, nodes.raw) and n.astext().startswith(WIDGET_VIEW_SCRIPT)))
    for view in views:
        view.replace_self(nodes.paragraph(text=WIDGET_NOTE, classes=[WIDGET_NOTE_CLASS]))
    return len(views)


def add_page_notes(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: weights admonition, profile warning and widget notes on the lesson pages."""
    docname = app.env.docname
    if docname in app.config.course_lessons and app.config.course_profile != "full":
        insert_below_title(doctree, profile_admonition(app.config.course_profile))
    if docname in app.config.course_weights_pages:   # inserted last, so it sits first under the title
        insert_below_title(doctree, weights_admonition(output_text(doctree), docname))
    replace_widget_views(doctree)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the settings (``rebuild='env'``: changing one re-reads every page) and the handler."""
    app.add_config_value("course_lessons", [], "env")
    app.add_config_value("course_profile", "full", "env")
    app.add_config_value("course_weights_pages", [], "env")
    app.connect("doctree-read", add_page_notes)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
