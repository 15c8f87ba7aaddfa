"""URLs that pages repeat, built once per process instead of by ``url_for`` on every page.

- ``layout_links()`` in a template: the layout's static and navigation URLs (:data:`LAYOUT`), as the
  attributes of one object per application and script root (the path prefix a proxy may mount the app
  under). ``base.html`` calls it once per page; each link is then an attribute look-up, not a URL build.
- ``id_url(endpoint, name=id)``: ``url_for(endpoint, name=id)`` for a route whose only variable is one
  integer id (``/contests/<int:contest_id>/cast``). The URL is built once per endpoint and script root
  with a marker id and split around it; each call joins the two halves around the id. Anything else (not
  exactly one argument, not a non-negative ``int``, a route whose URL does not hold the marker once) goes
  to ``url_for``.

The caches hold one entry per endpoint (or layout) and script root, never one per object or user, for
at most :data:`MAX_ROOTS` script roots (a trusted proxy may send any ``SCRIPT_NAME``): URLs under any
further root are built by ``url_for`` on every call.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask, request, url_for

# name in templates -> (endpoint, values)
LAYOUT: dict[str, tuple[str, dict[str, str]]] = {
    "favicon": ("static", {"filename": "favicon.svg"}),
    "stylesheet": ("static", {"filename": "consult.css"}),
    "htmx": ("vendor.htmx_js", {}),
    "script": ("static", {"filename": "consult.js"}),
    "home": ("home.index", {}),
    "consultations": ("consultations.index", {}),
    "new_consultation": ("consultations.new", {}),
    "users": ("admin.users", {}),
    "account": ("auth.account", {}),
    "logout": ("auth.logout", {}),
    "login": ("auth.login", {}),
    "register": ("auth.register", {}),
    "open_data": ("consultations.api_index", {}),
    "csv": ("consultations.export_csv", {}),
}

MARKER = 987_654_321  # an id no route's fixed text contains
MAX_ROOTS = 8


def init_app(app: Flask) -> None:
    layouts: dict[str, SimpleNamespace] = {}
    halves: dict[tuple[str, str, str], tuple[str, str] | None] = {}
    roots: set[str] = set()

    def remembered(root: str) -> bool:
        if root not in roots and len(roots) < MAX_ROOTS:
            roots.add(root)
        return root in roots

    def layout_links() -> SimpleNamespace:
        root = request.script_root
        links = layouts.get(root)
        if links is None:
            links = SimpleNamespace(
                **{name: url_for(endpoint, **values) for name, (endpoint, values) in LAYOUT.items()}
            )
            if remembered(root):
                layouts[root] = links
        return links

    def id_url(endpoint: str, **values: Any) -> str:
        if len(values) == 1:
            ((name, value),) = values.items()
            if type(value) is int and value >= 0:
                root = request.script_root
                key = (root, endpoint, name)
                try:
                    pair = halves[key]
                except KeyError:
                    parts = url_for(endpoint, **{name: MARKER}).split(str(MARKER))
                    pair = (parts[0], parts[1]) if len(parts) == 2 else None
                    if remembered(root):
                        halves[key] = pair
                if pair is not None:
                    return f"{pair[0]}{value}{pair[1]}"
        return url_for(endpoint, **values)

    layout_links.roots = id_url.roots = roots  # type: ignore[attr-defined]  # for the tests
    app.jinja_env.globals["layout_links"] = layout_links
    app.jinja_env.globals["id_url"] = id_url
