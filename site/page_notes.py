"""Sphinx extension: notes at the top of lesson pages, decided by what the executed lesson printed.

* Lesson 7's page (``course_weights_pages``) opens with an admonition that says whether its outputs came
  from ImageNet weights or from the random-weights pipeline check. It is read from the notebook's own
  output (the weights note and the ``NO PRETRAINED WEIGHTS`` banner of
  ``course_utils.lessons.backbones``), never from configuration, so it cannot disagree with the run; a
  page where neither is found fails the build.
* Every lesson page executed in a profile other than ``full`` says so at the top.
* An interactive widget cannot work on a static page (there is no kernel to redraw the figure), so its
  output becomes a sentence saying where the controls work; the figure above it is the default view.
* Every page that exists in both languages (the overview and each lesson) links to the other language at the
  top. The Chinese lesson pages say that their outputs come from the English run (the code is the same, so the
  site executes each lesson once): the course's printed messages are English there, Chinese in Jupyter.
  The notes themselves are written in the page's language.
"""
from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from toc import counterpart, is_chinese

RANDOM_WEIGHTS_MARKER = "NO PRETRAINED WEIGHTS"   # printed by backbones.random_weights_banner
WEIGHTS_NOTE_PREFIXES = ("ImageNet weights (", "random initialisation (")  # backbones.WeightsChoice.note
WIDGET_VIEW_SCRIPT = '<script type="application/vnd.jupyter.widget-view+json">'  # how MyST-NB writes a widget
BANNER_CLASS = "course-run-banner"
WIDGET_NOTE_CLASS = "course-widget-note"
SWITCH_CLASS = "course-language-switch"
WIDGET_NOTE = ("Interactive controls appear here when this notebook runs in Jupyter (JupyterLab, Colab or Binder): "
               "move them to redraw the figure. The figure above shows their default setting.")
WIDGET_NOTE_ZH = ("在 Jupyter（JupyterLab、Colab 或 Binder）中运行本笔记本时，这里会出现交互控件：拖动它们即可重绘上图。"
                  "上图显示的是控件的默认设置。")


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


def weights_admonition(printed: str, docname: str, zh: bool = False) -> nodes.Element:
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
            "weights. Keep the cell that prints weights_choice.describe() (the note itself, in English) and the banner.")
    if (RANDOM_WEIGHTS_MARKER in printed or not note.startswith(WEIGHTS_NOTE_PREFIXES[0])) and zh:
        return admonition("warning", "随机权重：这是流程检查，不是迁移学习", [
            f"本页的输出由 {note or 'random initialisation'} 产生。骨干网络从未见过 ImageNet，因此下面的每个准确率、"
            "混淆矩阵和 Grad-CAM 热力图都没有意义；计时、形状和参数量是有意义的。"
            "请用 ImageNet 权重运行本课，看看迁移学习真正的效果。"], "random-weights")
    if zh:
        return admonition("note", "预训练的 ImageNet 权重", [f"本页的输出由 {note} 产生。"], "imagenet-weights")
    if RANDOM_WEIGHTS_MARKER in printed or not note.startswith(WEIGHTS_NOTE_PREFIXES[0]):
        return admonition("warning", "Random weights: a pipeline check, not transfer learning", [
            f"The outputs on this page were produced with {note or 'random initialisation'}. "
            "The backbone never saw ImageNet, so every accuracy, confusion matrix and Grad-CAM map below is "
            "NOT meaningful; timings, shapes and parameter counts are. "
            "Run the lesson with the ImageNet weights to see what transfer learning really does."], "random-weights")
    return admonition("note", "Pretrained ImageNet weights", [
        f"The outputs on this page were produced with {note}."], "imagenet-weights")


def profile_admonition(profile: str, zh: bool = False) -> nodes.Element:
    """A warning that a page was executed in a reduced profile (tiny data, few steps)."""
    if zh:
        return admonition("warning", f"本页在 '{profile}' 配置下生成", [
            f"本页以 COURSE_PROFILE={profile} 执行：数据子集很小、训练很短，只为快速检查整个流程能否跑通。页面上的数字和图"
            "不是本课的结果；本课的结果记录在结果页面中。"], f"profile-{profile}")
    return admonition("warning", f"Built in the '{profile}' profile", [
        f"This page was executed with COURSE_PROFILE={profile}: tiny subsets and very short training, to test "
        "the pipeline quickly. Its numbers and plots are not the lesson's results; those are recorded in the "
        "results pages."], f"profile-{profile}")


def english_outputs_note() -> nodes.Element:
    """On a Chinese lesson page: its outputs are the English run's (same code), so printed messages are English."""
    return admonition("note", "输出来自英文版的运行", [
        "中文版的代码与英文版逐字节相同，所以网站只执行一次，本页显示的是英文版执行时的输出：课程打印的检查信息、提示和"
        "表格在这里是英文。在 Jupyter 中运行中文版（notebooks/zh/ 或 learner/zh/）时，这些信息以中文显示；"
        "图中的文字始终是英文。"], "english-outputs")


def language_switch(app: Sphinx, docname: str) -> nodes.Element | None:
    """A one-line link to the same page in the other language, or None when there is none."""
    other = counterpart(docname)
    if other is None or other not in app.env.found_docs:
        return None
    label = "English version" if is_chinese(docname) else "中文版"
    paragraph = nodes.paragraph(classes=[SWITCH_CLASS])
    paragraph += nodes.reference(text=label, refuri=app.builder.get_relative_uri(docname, other),
                                 classes=[SWITCH_CLASS])
    return paragraph


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


def replace_widget_views(doctree: nodes.document, zh: bool = False) -> int:
    """Replace each widget output with :data:`WIDGET_NOTE` (or its Chinese); returns how many were replaced."""
    views = list(doctree.findall(lambda n: isinstance(n, nodes.raw) and n.astext().startswith(WIDGET_VIEW_SCRIPT)))
    for view in views:
        view.replace_self(nodes.paragraph(text=WIDGET_NOTE_ZH if zh else WIDGET_NOTE, classes=[WIDGET_NOTE_CLASS]))
    return len(views)


def add_page_notes(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: language switch, weights admonition, profile warning and widget notes on the lesson pages."""
    docname = app.env.docname
    zh = is_chinese(docname)
    if zh and docname in app.config.course_lessons:
        insert_below_title(doctree, english_outputs_note())
    if docname in app.config.course_lessons and app.config.course_profile != "full":
        insert_below_title(doctree, profile_admonition(app.config.course_profile, zh))
    if docname in app.config.course_weights_pages:   # inserted late, so it sits near the top under the title
        insert_below_title(doctree, weights_admonition(output_text(doctree), docname, zh))
    if (switch := language_switch(app, docname)) is not None:
        insert_below_title(doctree, switch)
    replace_widget_views(doctree, zh)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the settings (``rebuild='env'``: changing one re-reads every page) and the handler."""
    app.add_config_value("course_lessons", [], "env")
    app.add_config_value("course_profile", "full", "env")
    app.add_config_value("course_weights_pages", [], "env")
    app.connect("doctree-read", add_page_notes)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
