"""The session cookie: consult.sessions keeps Flask's signed cookies exactly (format, signature, expiry,
key rotation), only without rebuilding the serializer and re-deriving the key on every request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from consult.sessions import SessionInterface


def _app(secret: str, fallbacks: list[str] | None = None, lifetime: int = 3600) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret,
        SECRET_KEY_FALLBACKS=fallbacks or [],
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=lifetime),
    )
    app.session_interface = SessionInterface()

    @app.get("/set")
    def set_value() -> str:
        session["uid"] = 7
        return "set"

    @app.get("/get")
    def get_value() -> str:
        return str(session.get("uid"))

    return app


def _cookie(app: Flask, interface) -> str:
    return interface.get_signing_serializer(app).dumps({"uid": 7})


def test_cookies_are_flasks_own_both_ways():
    app = _app("s" * 32)
    stock = SecureCookieSessionInterface()
    assert SessionInterface().get_signing_serializer(app).loads(_cookie(app, stock)) == {"uid": 7}
    assert stock.get_signing_serializer(app).loads(_cookie(app, SessionInterface())) == {"uid": 7}
    client = app.test_client()
    client.get("/set")
    assert client.get("/get").text == "7"


@pytest.mark.parametrize(
    ("fallbacks", "read"),
    [(["old" * 11], "7"), ([], "None")],
    ids=["old-key-in-fallbacks", "old-key-dropped"],
)
def test_key_rotation_and_other_keys(fallbacks, read):
    """A cookie signed with the previous key is read only while that key is a fallback; a cookie signed
    with another secret never is (the cached derived keys are per secret)."""
    old = _app("old" * 11)
    signed = _cookie(old, old.session_interface)
    rotated = _app("new" * 11, fallbacks)
    client = rotated.test_client()
    client.set_cookie("session", signed)
    assert client.get("/get").text == read
    stranger = _app("xyz" * 11).test_client()
    stranger.set_cookie("session", _cookie(rotated, rotated.session_interface))
    assert stranger.get("/get").text == "None"


def test_an_expired_cookie_is_not_read():
    app = _app("s" * 32, lifetime=-1)
    client = app.test_client()
    client.set_cookie("session", _cookie(app, app.session_interface))
    assert client.get("/get").text == "None"
