"""Accounts: registration, password policy, log-in/out, sessions, password reset, roles, CLI."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.auth import services
from consult.auth.models import PasswordResetToken, Role, User, utcnow
from consult.errors import PermissionDenied, ServiceError
from consult.extensions import db

from .factories import PASSWORD


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("aaaaaaaaaaaaaaa", "5 different"),
        ("password1234", "too common"),
        ("my-alice-password", "email"),
    ],
    ids=["too-short", "too-few-characters", "common", "contains-email"],
)
def test_password_policy_names_the_rule_broken(ctx, password, message):
    with pytest.raises(ServiceError, match=message):
        services.register("alice@example.org", "Alice", password)


def test_register_hashes_with_argon2_and_normalises_email(ctx):
    user = services.register("  Alice@Example.ORG ", "Alice", PASSWORD)
    assert user.email == "alice@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert user.role == Role.CITIZEN
    assert services.authenticate("ALICE@example.org", PASSWORD).id == user.id
    assert services.authenticate("alice@example.org", "wrong password!!") is None
    assert services.authenticate("nobody@example.org", PASSWORD) is None


def test_register_refuses_a_duplicate_email(ctx):
    services.register("a@example.org", "A", PASSWORD)
    with pytest.raises(ServiceError, match="already exists"):
        services.register("A@example.org", "A2", PASSWORD)


def test_register_view_logs_in_and_redirects(client):
    response = client.post(
        "/auth/register",
        data={"email": "new@example.org", "display_name": "New", "password": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 303
    page = client.get("/auth/account")
    assert page.status_code == 200 and b"new@example.org" in page.data


def test_register_view_shows_the_error(client):
    response = client.post(
        "/auth/register",
        data={"email": "x@example.org", "display_name": "X", "password": "short", "password2": "short"},
    )
    assert response.status_code == 422
    assert b"at least 12 characters" in response.data


def test_login_logout_cycle(client, make):
    user = make.user(email="bob@example.org")
    assert client.get("/auth/account").status_code == 302
    bad = client.post("/auth/login", data={"email": "bob@example.org", "password": "not the password"})
    assert bad.status_code == 401 and b"Email or password is wrong" in bad.data
    ok = client.post(
        "/auth/login?next=/consultations", data={"email": "bob@example.org", "password": PASSWORD}
    )
    assert ok.status_code == 303 and ok.headers["Location"] == "/consultations"
    assert client.get("/auth/account").status_code == 200
    assert client.post("/auth/logout").status_code == 303
    assert client.get("/auth/account").status_code == 302
    assert user.id


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, make, target):
    make.user(email="carol@example.org")
    response = client.post(
        f"/auth/login?next={target}", data={"email": "carol@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/consultations"


def test_session_cookie_flags(app_factory, ctx):
    for secure in (False, True):
        app = app_factory(SESSION_COOKIE_SECURE=secure)
        with app.app_context():
            services.register(f"s{int(secure)}@example.org", "S", PASSWORD)
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"email": f"s{int(secure)}@example.org", "password": PASSWORD}
        )
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_password_change_and_block_end_existing_sessions(client, make, login):
    user = make.user()
    login(client, user)
    assert client.get("/auth/account").status_code == 200
    services.set_password(user, "another long passphrase")
    assert client.get("/auth/account").status_code == 302


def test_blocked_user_cannot_log_in(client, make):
    user = make.user(email="dan@example.org")
    user.blocked_at, user.blocked_reason = utcnow(), "spam"
    db.session.commit()
    response = client.post("/auth/login", data={"email": "dan@example.org", "password": PASSWORD})
    assert response.status_code == 401


def test_password_reset_by_a_logged_token(client, make, caplog):
    make.user(email="erin@example.org")
    with caplog.at_level(logging.WARNING):
        response = client.post("/auth/reset", data={"email": "erin@example.org"})
    assert response.status_code == 200 and b"reset link is on its way" in response.data
    link = re.search(r"http://localhost(/auth/reset/\S+)", caplog.text).group(1)
    assert client.get(link).status_code == 200
    new = "a brand new passphrase"
    assert client.post(link, data={"password": new, "password2": new}).status_code == 303
    assert services.authenticate("erin@example.org", new) is not None
    again = client.post(link, data={"password": new + "x", "password2": new + "x"})
    assert again.status_code == 422 and b"invalid or has expired" in again.data


def test_password_reset_for_unknown_email_looks_the_same(client, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.post("/auth/reset", data={"email": "ghost@example.org"})
    assert b"reset link is on its way" in response.data
    assert "/auth/reset/" not in caplog.text


def test_expired_reset_token_is_refused(ctx, make):
    user = make.user()
    token = services.request_password_reset(user.email, lambda t: t)
    row = db.session.scalar(select(PasswordResetToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(ServiceError, match="expired"):
        services.reset_password(token, "another long passphrase")


def test_smtp_backend_sends_the_reset_mail(app_factory, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append((host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, msg):
            sent.append(msg)

    monkeypatch.setattr(services.smtplib, "SMTP", FakeSMTP)
    app = app_factory(MAIL_BACKEND="smtp", SMTP_HOST="mail.example.org", SMTP_PORT=2525)
    with app.app_context():
        user = services.register("fay@example.org", "Fay", PASSWORD)
        services.request_password_reset(user.email, lambda t: f"https://site/reset/{t}")
    assert sent[0] == ("mail.example.org", 2525)
    assert sent[1]["To"] == "fay@example.org" and "https://site/reset/" in sent[1].get_content()


def test_only_admins_change_roles_and_not_their_own(ctx, make):
    admin, citizen, other = make.user(Role.ADMIN), make.user(), make.user()
    with pytest.raises(PermissionDenied):
        services.set_role(other, "moderator", actor=citizen)
    with pytest.raises(ServiceError, match="your own role"):
        services.set_role(admin, "citizen", actor=admin)
    with pytest.raises(ServiceError, match="Unknown role"):
        services.set_role(other, "king", actor=admin)
    services.set_role(other, "officer", actor=admin)
    assert other.role == "officer"


def test_admin_role_page_lists_and_changes_roles(client, make, login):
    admin, user = make.user(Role.ADMIN), make.user(name="Target")
    assert client.get("/admin/users").status_code == 302
    login(client, user)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{admin.id}/role", data={"role": "citizen"}).status_code == 403
    login(client, admin)
    assert b"Target" in client.get("/admin/users?q=targ").data
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "auditor"}).status_code == 303
    db.session.refresh(user)
    assert user.role == "auditor"


def test_cli_create_admin_and_set_role(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "--email", "root@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "root@example.org")).role == "admin"
    services.register("mod@example.org", "Mod", PASSWORD)
    result = runner.invoke(args=["users", "set-role", "mod@example.org", "moderator"])
    assert result.exit_code == 0 and "moderator" in result.output
    result = runner.invoke(args=["users", "set-role", "nobody@example.org", "moderator"])
    assert result.exit_code != 0 and "No account" in result.output
    weak = runner.invoke(
        args=["users", "create-admin", "--email", "weak@example.org"], input="short\nshort\n"
    )
    assert weak.exit_code != 0 and "at least 12" in weak.output


def test_login_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2/minute")
    client = app.test_client()
    codes = [
        client.post("/auth/login", data={"email": "x@example.org", "password": "y"}).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]
    assert client.get("/auth/login").status_code == 200  # only POSTs count
