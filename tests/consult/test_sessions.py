"""The session cookie: consult.sessions keeps Flask's signed cookies exactly (format, signature, expiry,
key rotation), only without rebuilding the serializer and re-deriving the key on every request."""

from __future__ import annotations

import re
import time
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


def test_a_cookie_read_again_is_checked_as_the_first_time(monkeypatch):
    """The second read of a cookie comes from memory: same contents, the same expiry, and a cookie that
    differs by one byte, or whose key left the fallbacks, is not read."""
    app = _app("new" * 11, ["old" * 11], lifetime=100)
    interface = app.session_interface
    old = _app("old" * 11)
    signed = _cookie(old, old.session_interface)
    client = app.test_client()
    client.set_cookie("session", signed)
    assert [client.get("/get").text for _ in range(2)] == ["7", "7"]
    assert interface._opened  # kept after the first read
    i = len(signed) // 2
    tampered = signed[:i] + ("A" if signed[i] != "A" else "B") + signed[i + 1 :]
    client.set_cookie("session", tampered)
    assert client.get("/get").text == "None"
    client.set_cookie("session", signed)
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key retired: the kept cookie no longer counts
    assert client.get("/get").text == "None"
    app.config["SECRET_KEY_FALLBACKS"] = ["old" * 11]
    assert client.get("/get").text == "7"
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 101)  # past the lifetime
    assert client.get("/get").text == "None"
    monkeypatch.setattr(time, "time", lambda: now - 3600)  # signed in the future
    assert client.get("/get").text == "None"


def test_only_plain_contents_are_kept():
    app = _app("s" * 32)
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    client = app.test_client()
    client.set_cookie("session", serializer.dumps({"uid": 7, "seen": [1, 2]}))
    assert client.get("/get").text == "7"
    client.set_cookie("session", serializer.dumps({"uid": 7}))
    assert client.get("/get").text == "7"
    assert [list(kept) for kept in interface._opened.values()] == [[serializer.dumps({"uid": 7})]]


def _answers(interface, refresh: bool) -> list:
    app = _app("s" * 32)
    app.session_interface = interface
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh

    @app.get("/read")
    def read() -> str:
        return str(session.get("uid"))

    @app.get("/nothing")
    def nothing() -> str:
        return "-"

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        return "p"

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "c"

    @app.get("/vary")
    def vary():
        return str(session.get("uid")), {"Vary": "HX-Request"}

    client = app.test_client()
    seen = []
    for path in [
        "/nothing",
        "/read",
        "/set",
        "/read",
        "/vary",
        "/permanent",
        "/read",
        "/clear",
        "/read",
        "/clear",
    ]:
        answer = client.get(path)
        cookies = [
            re.sub(r"session=[^;]*", "session=V", value) for value in answer.headers.getlist("Set-Cookie")
        ]
        seen.append((path, answer.text, answer.headers.getlist("Vary"), cookies))
    return seen


@pytest.mark.parametrize("refresh", [False, True], ids=["no-refresh", "refresh-each-request"])
def test_answers_carry_flasks_vary_and_cookie_headers(refresh):
    assert _answers(SessionInterface(), refresh) == _answers(SecureCookieSessionInterface(), refresh)
