"""URLs that every page repeats (static assets, navigation), built once per process instead of per request.

``fixed_url(endpoint, **values)`` in a template is ``url_for(endpoint, **values)`` remembered per
application and script root (the path prefix a proxy may mount the app under), so the layout's dozen
links cost a dictionary look-up each instead of a URL build. Only for URLs whose arguments are constants
in the template: the cache holds one entry per distinct call, never one per object or user.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for


def init_app(app: Flask) -> None:
    built: dict[tuple, str] = {}

    def fixed_url(endpoint: str, **values: Any) -> str:
        key = (request.script_root, endpoint, *values.items())
        url = built.get(key)
        if url is None:
            url = built[key] = url_for(endpoint, **values)
        return url

    app.jinja_env.globals["fixed_url"] = fixed_url
