"""Flask-WTF's CSRF protection, the same tokens and checks, without rebuilding the signer per token.

Flask-WTF builds a new ``URLSafeTimedSerializer`` for every token it makes (each page with a form) and
every token it checks (each POST), and itsdangerous derives the HMAC key from the secret again each time.
Here the serializer is kept per secret, with the derived key (:class:`consult.sessions._KeyCachingSigner`).
Tokens are Flask-WTF's (``WTF_CSRF_SECRET_KEY`` or ``SECRET_KEY``, salt ``wtf-csrf-token``, the raw token
in the session under ``WTF_CSRF_FIELD_NAME``), checked with the same time limit, the same messages, and
the same referrer rule over HTTPS; tokens made by Flask-WTF itself are accepted and the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_wtf import csrf as wtf
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError

from .sessions import _KeyCachingSigner

logger = logging.getLogger(wtf.__name__)
SALT = "wtf-csrf-token"
_serializers: dict[Any, URLSafeTimedSerializer] = {}


def _serializer(secret_key: Any) -> URLSafeTimedSerializer:
    serializer = _serializers.get(secret_key)
    if serializer is None:
        serializer = _serializers[secret_key] = URLSafeTimedSerializer(
            secret_key, salt=SALT, signer=_KeyCachingSigner
        )
    return serializer


def _secret_and_field() -> tuple[Any, str]:
    config = current_app.config
    secret_key = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if secret_key is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field_name is None:
        raise RuntimeError("A field name is required to use CSRF.")
    return secret_key, field_name


def generate_csrf() -> str:
    """Flask-WTF's ``generate_csrf()``: the request's signed token (made once per request), the raw token
    kept in the session."""
    secret_key, field_name = _secret_and_field()
    if field_name not in g:
        if field_name not in session:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        serializer = _serializer(secret_key)
        try:
            token = serializer.dumps(session[field_name])
        except TypeError:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = serializer.dumps(session[field_name])
        setattr(g, field_name, token)
    return g.get(field_name)


def validate_csrf(data: str | None) -> None:
    """Flask-WTF's ``validate_csrf(data)``; raises :class:`wtforms.ValidationError` with its messages."""
    secret_key, field_name = _secret_and_field()
    time_limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in session:
        raise ValidationError("The CSRF session token is missing.")
    try:
        token = _serializer(secret_key).loads(data, max_age=time_limit)
    except SignatureExpired as e:
        raise ValidationError("The CSRF token has expired.") from e
    except BadData as e:
        raise ValidationError("The CSRF token is invalid.") from e
    if not hmac.compare_digest(session[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


class CSRFProtect(wtf.CSRFProtect):
    """Flask-WTF's extension with :func:`generate_csrf` in templates and :func:`validate_csrf` in
    :meth:`protect`."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = generate_csrf
        processors = app.template_context_processors[None]
        # Flask-WTF has just added its context processor (csrf_token, csrf_meta_tag): put ours in its place.
        if processors and set(processors[-1]()) == {"csrf_token", "csrf_meta_tag"}:
            processors[-1] = _context
        else:  # pragma: no cover - a Flask-WTF release that registers it otherwise: ours runs after it
            app.context_processor(_context)

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's ``protect``, checking the token with :func:`validate_csrf`."""
        if apply_exemptions:
            if not request.endpoint:
                return
            if self._is_exempt():
                return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            validate_csrf(self._get_csrf_token())
        except ValidationError as e:
            logger.info(e.args[0])
            self._error_response(e.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            good_referrer = f"https://{request.host}/"
            if not wtf.same_origin(request.referrer, good_referrer):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # mark this request as CSRF valid


def _context() -> dict[str, Any]:
    return {"csrf_token": generate_csrf, "csrf_meta_tag": wtf.csrf_meta_tag}
