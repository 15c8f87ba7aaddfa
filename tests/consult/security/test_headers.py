"""Security headers and the Content-Security-Policy on every response: every route, every method it
takes, signed in or not, plain or htmx, and the error answers (404, 405, CSRF 400, 429) too."""

from __future__ import annotations

from .conftest import methods_of, path_of, rules, send

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def header_problems(response) -> list[str]:
    problems = [
        f"{name}={response.headers.get(name)!r}"
        for name, value in EXPECTED.items()
        if response.headers.get(name) != value
    ]
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'"):
        if directive not in csp:
            problems.append(f"CSP lacks {directive}")
    if "frame-ancestors 'none'" not in csp or "base-uri 'none'" not in csp:
        problems.append("CSP lacks frame-ancestors/base-uri")
    if "unsafe-inline" in csp or "unsafe-eval" in csp or "*" in csp:
        problems.append("CSP allows inline, eval or any host")
    if "Permissions-Policy" not in response.headers:
        problems.append("no Permissions-Policy")
    return problems


def test_every_route_answers_with_the_security_headers(client, login, world):
    seen = 0
    wrong = []
    for who in ("anonymous", "citizen", "admin"):
        for rule in rules(client.application):
            path = path_of(rule, world.values())
            for method in methods_of(rule, {"GET", "POST", "HEAD", "OPTIONS"}):
                for headers in ({}, {"HX-Request": "true"}):
                    if world.users[who] is not None:
                        login(client, world.users[who])
                    response = send(client, method, path, headers=headers, data={})
                    seen += 1
                    wrong += [
                        f"{who} {method} {path} {response.status_code}: {p}"
                        for p in header_problems(response)
                    ]
    assert seen > 200
    assert not wrong, wrong[:20]


def test_error_answers_carry_the_headers_too(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="1/minute")
    client = app.test_client()
    answers = {
        404: send(client, "GET", "/no/such/page"),
        405: send(client, "DELETE", "/"),
        400: send(client, "POST", "/auth/logout", csrf=False),
    }
    send(client, "POST", "/auth/login", data={"email": "a@example.org", "password": "x"})
    answers[429] = send(client, "POST", "/auth/login", data={"email": "a@example.org", "password": "x"})
    for status, response in answers.items():
        assert response.status_code == status
        assert header_problems(response) == [], status


def test_signed_in_answers_are_never_stored_by_shared_caches(client, login, world):
    for rule in rules(client.application):
        if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "vendor.htmx_js"):
            continue
        login(client, world.users["admin"])
        response = send(client, "GET", path_of(rule, world.values()))
        assert response.headers.get("Cache-Control") == "private, no-store", rule.endpoint


def test_a_server_error_carries_the_headers_and_no_detail(app_factory):
    """A crash (500, exceptions not propagated as in production) still answers with the headers, and the
    page says nothing of the exception."""
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.get("/crash-for-this-test")
    def crash():
        raise RuntimeError("internal detail 7f3a")

    for headers in ({}, {"HX-Request": "true"}):
        response = send(app.test_client(), "GET", "/crash-for-this-test", headers=headers)
        assert response.status_code == 500
        assert header_problems(response) == []
        assert "7f3a" not in response.get_data(as_text=True)
