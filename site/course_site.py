"""Sphinx extension for the course's website: navigation, in-page anchors and the home page as index.html.

* The table of contents (``toc.TOC``) becomes hidden toctrees when Sphinx reads README.md and the results
  index, so those files stay plain Markdown that reads well on GitHub too.
* The glossary marks its entries with raw HTML anchors (``<a id="neuron"></a>``), which MyST does not know
  as link targets; they are registered so links like ``glossary.md#neuron`` resolve without a warning,
  while a link to an anchor that does not exist still warns.
* The home page is also written as ``index.html`` so the site opens at its root, and ``build-info.json``
  records the profile and repository URL the site was built with.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")


def toctree_markdown(caption: str, docnames: list[str]) -> str:
    """A hidden MyST toctree listing ``docnames`` (absolute, from the source root) under ``caption``."""
    entries = "\n".join(f"/{name}" for name in docnames)
    return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{entries}\n```\n"


def inject_toctrees(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: append the configured toctrees to the pages that hold them."""
    for caption, docnames in app.config.course_toc.get(docname, {}).items():
        source[0] += toctree_markdown(caption, docnames)


def html_anchors(doctree: nodes.document) -> list[str]:
    """The ids of raw HTML anchors (``<a id="x">``) written in a page's Markdown."""
    raws = doctree.findall(lambda n: isinstance(n, nodes.raw) and "html" in n.get("format", "").split())
    return [anchor for raw in raws for anchor in HTML_ANCHOR.findall(raw.astext())]


def register_html_anchors(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: make each raw HTML anchor a link target of its page (the std domain's anonymous labels).

    Sphinx forgets a page's labels when the page is read again, so a removed anchor stops resolving.
    """
    docname = app.env.docname
    labels = app.env.get_domain("std").anonlabels
    for anchor in html_anchors(doctree):
        labels[f"{docname}#{anchor}"] = (docname, anchor)


def finish_site(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: copy the home page to ``index.html`` and record how the site was built.

    The copy sits in the same folder as the home page, so its links stay valid. ``build-info.json``
    holds ``course_build_info`` (profile, repository URL) for the tests and for anyone who wonders
    which profile a published site was executed in.
    """
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    home = outdir / f"{app.config.root_doc}.html"
    if home.name != "index.html":
        shutil.copyfile(home, outdir / "index.html")
    (outdir / "build-info.json").write_text(json.dumps(app.config.course_build_info, indent=1) + "\n")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the table-of-contents setting (``rebuild='env'``: a change re-reads every page) and the handlers."""
    app.add_config_value("course_toc", {}, "env")
    app.add_config_value("course_build_info", {}, "html")
    app.connect("source-read", inject_toctrees)
    app.connect("doctree-read", register_html_anchors)
    app.connect("build-finished", finish_site)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
