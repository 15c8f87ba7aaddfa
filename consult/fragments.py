"""One URL, fragment or page: an htmx request gets the partial that the full page also includes."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def is_htmx() -> bool:
    return bool(getattr(request, "htmx", False))


def page_or_fragment(page: str, fragment: str, status: int = 200, **context: Any) -> Response:
    """Render ``fragment`` for an htmx request, else ``page`` (which includes ``fragment``).

    Always sends ``Vary: HX-Request`` so caches keep the two apart.
    """
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
