"""consult.csrf_tokens: Flask-WTF's tokens and checks, with the signer kept per secret. Tokens made either way
pass either check, and every refusal is Flask-WTF's, message for message."""

from __future__ import annotations

import time

import pytest
from flask import g, render_template_string, session
from flask_wtf import csrf as wtf
from wtforms import ValidationError

from consult import csrf_tokens as csrf


def _outcome(check, data) -> str:
    try:
        check(data)
    except ValidationError as error:
        return str(error)
    return "ok"


def test_tokens_and_refusals_are_flask_wtfs(app, monkeypatch):
    with app.test_request_context("/"):
        ours = csrf.generate_csrf()
        assert wtf.generate_csrf() == ours  # one token per request, kept in g either way
        g.pop("csrf_token")
        theirs = wtf.generate_csrf()
        for token in (ours, theirs):
            assert _outcome(csrf.validate_csrf, token) == _outcome(wtf.validate_csrf, token) == "ok"
        cases = {"missing": None, "forged": "forged.token.value", "tampered": ours[:-8] + "AAAAAAAA"}
        for name, data in cases.items():
            mine, stock = _outcome(csrf.validate_csrf, data), _outcome(wtf.validate_csrf, data)
            assert mine == stock != "ok", name
        other = ours
        session["csrf_token"] = "another raw token"
        assert (
            _outcome(csrf.validate_csrf, other)
            == _outcome(wtf.validate_csrf, other)
            == ("The CSRF tokens do not match.")
        )
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + app.config["WTF_CSRF_TIME_LIMIT"] + 5)
        assert (
            _outcome(csrf.validate_csrf, other)
            == _outcome(wtf.validate_csrf, other)
            == ("The CSRF token has expired.")
        )
        monkeypatch.undo()
        session.pop("csrf_token")
        assert (
            _outcome(csrf.validate_csrf, other)
            == _outcome(wtf.validate_csrf, other)
            == ("The CSRF session token is missing.")
        )


def test_templates_and_the_check_use_consults_functions(app):
    assert app.jinja_env.globals["csrf_token"] is csrf.generate_csrf
    assert isinstance(app.extensions["csrf"], csrf.CSRFProtect)
    with app.test_request_context("/"):
        page = render_template_string("{{ csrf_token() }}")
        assert page == g.csrf_token and page
        assert csrf.validate_csrf(page) is None


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_a_post_with_a_good_token_passes_and_https_still_wants_a_referrer(app, secure):
    client = app.test_client()
    base = "https://localhost" if secure else "http://localhost"
    token = client.csrf_token()
    answer = client.post(
        "/auth/login", base_url=base, data={"csrf_token": token, "email": "a@b.c"}, csrf=False
    )
    if secure:
        assert answer.status_code == 400 and b"referrer" in answer.data.lower()
        answer = client.post(
            "/auth/login",
            base_url=base,
            data={"csrf_token": token, "email": "a@b.c"},
            headers={"Referer": f"{base}/auth/login"},
            csrf=False,
        )
    assert answer.status_code != 400
