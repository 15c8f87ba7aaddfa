"""Every state-changing route refuses a request without a valid CSRF token (htmx requests included)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter, Rule

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE):
            routes.append((method, _build(rule)))
    return routes


def _build(rule: Rule) -> str:
    values = {
        arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x" for arg in rule.arguments
    }
    return rule.build(values, append_unknown=False)[1]


def test_the_app_has_state_changing_routes_to_check(app):
    routes = state_changing_routes(app)
    assert len(routes) >= 20
    assert ("POST", "/auth/login") in routes and ("POST", "/comments/1/reply") in routes


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("token", ["missing", "forged"])
def test_every_state_changing_route_refuses_a_request_without_a_valid_token(app, make, login, htmx, token):
    user = make.user("admin")
    client = app.test_client()
    login(client, user)
    headers = {"HX-Request": "true"} if htmx else {}
    if token == "forged":
        headers["X-CSRFToken"] = "forged.token.value"
    refused = []
    for method, path in state_changing_routes(app):
        response = client.open(
            path,
            method=method,
            headers=headers,
            data={"csrf_token": "nope"} if token == "forged" else {},
            csrf=False,
        )
        if response.status_code == 400 and b"CSRF" in response.data:
            refused.append(path)
        else:
            pytest.fail(f"{method} {path} answered {response.status_code} without a valid CSRF token")
    assert refused


def test_a_valid_token_in_the_htmx_header_is_accepted(client, make, login):
    consultation = make.consultation()
    user = make.user()
    login(client, user)
    response = client.post(
        f"/consultations/{consultation.id}/comments",
        data={"body": "hello", "stance": "for"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"hello" in response.data


def test_a_valid_token_in_the_form_field_is_accepted(client, make, login):
    consultation = make.consultation()
    login(client, make.user())
    token = client.csrf_token()
    response = client.post(
        f"/consultations/{consultation.id}/comments", data={"body": "hi", "csrf_token": token}, csrf=False
    )
    assert response.status_code == 303
