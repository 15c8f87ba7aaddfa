"""Security headers on every response, and htmx served from its installed package.

The Content-Security-Policy allows scripts and styles from this origin only: templates carry no inline
``<script>``, no ``style=`` attributes and no event-handler attributes, and htmx is configured (through a
``<meta name="htmx-config">`` tag) not to inject its indicator ``<style>`` and not to evaluate code.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import Blueprint, Flask, Response, abort, current_app, g, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

vendor = Blueprint("vendor", __name__)

# htmx 2 as shipped in the django-js-lib-htmx wheel (package data; Django itself is not needed).
_HTMX = ("js_lib_htmx", "static/htmx/htmx.min.js")


def htmx_path():
    package, name = _HTMX
    return resources.files(package).joinpath(name)


@cache
def _htmx_bytes() -> bytes | None:
    path = htmx_path()
    return path.read_bytes() if path.is_file() else None


@vendor.get("/vendor/htmx.min.js")
def htmx_js() -> Response:
    data = _htmx_bytes()
    if data is None:
        abort(404)
    response = Response(data, mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["VENDOR_MAX_AGE"]
    response.add_etag()
    return response.make_conditional(request)


_LOWER = {name.lower() for name in HEADERS}
_HEADER_ITEMS = list(HEADERS.items())
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    """Every answer gets :data:`HEADERS`, except those a view set itself. One pass over the answer's few
    headers instead of a ``setdefault`` per header (each one a scan, and for a missing header a raised and
    caught ``KeyError``)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    if present.isdisjoint(_LOWER):
        headers.extend(_HEADER_ITEMS)
    else:
        headers.extend([item for item in _HEADER_ITEMS if item[0].lower() not in present])
    if "cache-control" not in present and g.get("user") is not None:
        headers["Cache-Control"] = "private, no-store"  # signed-in pages stay out of shared caches
    if current_app.config["SESSION_COOKIE_SECURE"] and "strict-transport-security" not in present:
        headers.add(*_HSTS)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("VENDOR_MAX_AGE", 3600)
    app.register_blueprint(vendor)
    app.after_request(add_security_headers)
