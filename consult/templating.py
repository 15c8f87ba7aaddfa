"""Template globals for the pieces every page repeats, and the Jinja environment's per-render costs.

- ``csrf()``: the hidden CSRF field of a form; ``phase_badge(phase)``: a consultation phase's badge.
  Plain functions returning markup, not macros: a macro must be imported into each template that uses it
  (``{% from "_macros.html" import ... %}``, which checks the render's globals against the macro
  module's on every render) and each call runs a macro frame. Their output is the macros' they replace,
  escaped the same way.
- :class:`Template`: a template's globals are a ``ChainMap`` (its own over the environment's), and Jinja
  reads them into every new render context (``dict(chain_map)`` for a page, ``set(chain_map)`` for an
  include), a Python-level step per global; the merge here copies each map in C. Same context.
- Flask gives every blueprint its own copy of the default context processor (``g``, ``request``,
  ``session``), so a render in a blueprint's view ran it twice; the copies are dropped (the
  application's own still runs first, on every render).
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

import flask.templating
import jinja2
from flask import Flask
from jinja2.runtime import Context, new_context
from markupsafe import Markup, escape

from .csrf_tokens import generate_csrf


def csrf() -> Markup:
    """The hidden field that carries the request's CSRF token (Flask-WTF's ``csrf_token()``)."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def phase_badge(phase: Any) -> Markup:
    text = escape(phase)
    return Markup(f'<span class="badge phase-{text}">{text}</span>')


class Template(jinja2.Template):
    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: dict[str, Any] | None = None,
    ) -> Context:
        found = self.globals
        if type(found) is ChainMap:
            merged: dict[str, Any] = {}
            for scope in reversed(found.maps):
                merged.update(scope)
            found = merged
        return new_context(self.environment, self.name, self.blocks, vars, shared, found, locals)


def init_app(app: Flask) -> None:
    """Call after every blueprint is registered."""
    app.jinja_env.template_class = Template
    app.jinja_env.globals["csrf"] = csrf
    app.jinja_env.globals["phase_badge"] = phase_badge
    # Flask's own name for it; should a release rename it, every copy stays (as before) instead of failing.
    default = getattr(flask.templating, "_default_template_ctx_processor", None)
    for name, processors in app.template_context_processors.items():
        if name is not None and default is not None:
            processors[:] = [p for p in processors if p is not default]
