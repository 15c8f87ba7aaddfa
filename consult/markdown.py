"""Markdown to safe HTML: markdown-it-py (raw HTML disabled) then nh3 with an allow-list.

Links get ``rel="nofollow noopener noreferrer ugc"``; images are not allowed (no tracking pixels, no
layout breakage); only http(s) and mailto URLs survive.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_md.enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render(source: str) -> str:
    """Sanitised HTML for ``source``. ``# headings`` are demoted to ``h2`` (the page owns ``h1``)."""
    html = _md.render(source or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )


def safe(html: str) -> Markup:
    """Mark stored, already sanitised HTML for templates."""
    return Markup(html)
