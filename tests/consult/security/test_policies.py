"""Account and abuse policies: rate limits on every door an attacker hammers, argon2 parameters, the
session cookie's flags."""

from __future__ import annotations

import io
import os
import secrets

import pytest
from argon2 import PasswordHasher, Type
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import Flask

from consult.auth import services
from consult.auth.services import census_size
from consult.config import Config
from consult.consultations.models import Phase
from consult.extensions import Limiter

from ..voting_helpers import contest, to_phase
from .conftest import send
from .test_headers import header_problems

PASSWORD = "a long test passphrase"


def _register_form(n: int) -> dict:
    return {
        "email": f"r{n}@example.org",
        "display_name": "R",
        "password": PASSWORD,
        "password2": PASSWORD,
    }


@pytest.mark.parametrize(
    ("setting", "path", "form"),
    [
        ("RATELIMIT_LOGIN", "/auth/login", lambda n: {"email": "x@example.org", "password": "y"}),
        ("RATELIMIT_REGISTER", "/auth/register", _register_form),
        ("RATELIMIT_RESET", "/auth/reset", lambda n: {"email": "x@example.org"}),
        ("RATELIMIT_RESET", "/auth/reset/some-token", lambda n: {"password": "p", "password2": "p"}),
    ],
    ids=["login", "register", "reset-request", "reset-password"],
)
def test_anonymous_doors_are_rate_limited(app_factory, setting, path, form):
    client = app_factory(RATELIMIT_ENABLED=True, **{setting: "3/minute"}).test_client()
    codes = [send(client, "POST", path, data=form(n)).status_code for n in range(4)]
    assert 429 not in codes[:3] and codes[3] == 429, codes


def test_a_refusal_says_when_to_try_again_and_other_answers_carry_no_limit_headers(app_factory):
    """``RATELIMIT_HEADERS_ENABLED`` off (the default): the 429 alone carries ``Retry-After`` and the
    broken limit's ``X-RateLimit-*`` headers, so an accepted request never reads its counter back."""
    client = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2/minute;5/hour").test_client()
    form = {"email": "x@example.org", "password": "y"}
    answers = [send(client, "POST", "/auth/login", data=form) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    for accepted in answers[:2]:
        assert not [name for name, _ in accepted.headers if name.lower().startswith("x-ratelimit")]
        assert "Retry-After" not in accepted.headers
    refused = answers[2].headers
    assert refused["X-RateLimit-Limit"] == "2" and refused["X-RateLimit-Remaining"] == "0"
    assert 0 <= int(refused["Retry-After"]) <= 61 and int(refused["X-RateLimit-Reset"]) > 0


def test_an_application_wide_limit_still_counts_every_request():
    """The limiter skips its pass over every request only while all limits are view decorators: an
    application-wide limit is still counted on every route, limited or not (a limiter of its own: the
    app's is shared by every app a test process makes)."""
    app = Flask(__name__)
    own = Limiter(key_func=lambda: "client", application_limits=["3/minute"], storage_uri="memory://")
    own.init_app(app)

    @app.get("/")
    def page() -> str:
        return "ok"

    @app.post("/limited")
    @own.limit("1/minute")
    def limited() -> str:
        return "ok"

    client = app.test_client()
    assert [client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.post("/limited").status_code == 429  # the application's budget is spent
    assert own._limits_beyond_views()


def test_limits_are_counted_in_the_configured_shared_store(app_factory):
    """With ``RATELIMIT_STORAGE_URI`` pointing at Redis the counters live there, so every gunicorn worker
    (and host) draws on one budget per client; memory:// keeps them per process."""
    redis = pytest.importorskip("redis")
    uri = os.environ.get("CONSULT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    store = redis.Redis.from_url(uri, socket_timeout=2)
    try:
        store.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {uri} ({exc}); set CONSULT_TEST_REDIS_URL")
    client = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=uri, RATELIMIT_LOGIN="3/minute"
    ).test_client()
    # A client address of this run's own: its counters are found by it, whatever the key prefix.
    address = "10." + ".".join(str(b) for b in secrets.token_bytes(3))
    client.environ_base["REMOTE_ADDR"] = address
    form = {"email": "x@example.org", "password": "y"}
    try:
        codes = [send(client, "POST", "/auth/login", data=form).status_code for _ in range(4)]
        counters = {key: int(store.get(key)) for key in store.scan_iter(f"*{address}*")}
    finally:
        for key in store.scan_iter(f"*{address}*"):
            store.delete(key)
    assert 429 not in codes[:3] and codes[3] == 429, codes
    assert counters and max(counters.values()) >= 3, counters


def test_posting_is_limited_per_client_across_every_posting_route(app_factory, login):
    """Comments, replies, proposals and flags share one budget: switching route does not reset it."""
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_POST="4/minute")
    with app.app_context():
        from tests.consult.factories import Factories

        make = Factories()
        consultation = make.consultation()
        comment = make.comment(consultation)
        user = make.user()
        client = app.test_client()
        login(client, user)
        cid, comment_id = consultation.id, comment.id
    proposal = {"title": "A title", "body": "b"}
    codes = [
        send(client, "POST", f"/consultations/{cid}/comments", data={"body": "a"}).status_code,
        send(client, "POST", f"/comments/{comment_id}/reply", data={"body": "b"}).status_code,
        send(client, "POST", f"/consultations/{cid}/proposals/new", data=proposal).status_code,
        send(client, "POST", f"/comments/{comment_id}/flag", data={"reason": "r"}).status_code,
        send(client, "POST", f"/consultations/{cid}/comments", data={"body": "c"}).status_code,
    ]
    assert 429 not in codes[:4] and codes[4] == 429, codes


def test_default_argon2_parameters_meet_rfc_9106_and_owasp():
    """argon2id, at least 64 MiB and 3 passes (RFC 9106's second recommended option), parallelism 4;
    OWASP's minimum is 19 MiB with 2 passes."""
    assert Config.ARGON2_MEMORY_COST >= RFC_9106_LOW_MEMORY.memory_cost == 65536
    assert Config.ARGON2_TIME_COST >= RFC_9106_LOW_MEMORY.time_cost == 3
    assert Config.ARGON2_PARALLELISM == 4
    assert Config.PASSWORD_MIN_LENGTH >= 12


def test_hashes_carry_the_configured_parameters_and_are_upgraded_at_log_in(app_factory):
    app = app_factory(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=1024, ARGON2_PARALLELISM=1)
    with app.app_context():
        user = services.register("h@example.org", "H", PASSWORD)
        assert user.password_hash.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
        app.config["ARGON2_MEMORY_COST"] = 2048
        services.authenticate("h@example.org", PASSWORD)
        assert user.password_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
        assert PasswordHasher().verify(user.password_hash, PASSWORD)
        assert services.hasher().type is Type.ID


@pytest.mark.parametrize(
    "password",
    ["short", "aaaaaaaaaaaaaaaa", "password1234", "Correcthorsebatterystaple", "xhannah.smith99x"],
    ids=["short", "few-characters", "common", "common-any-case", "contains-email"],
)
def test_weak_passwords_are_refused_at_registration(client, password):
    form = {"email": "hannah.smith@example.org", "display_name": "H", "password": password}
    response = send(client, "POST", "/auth/register", data={**form, "password2": password})
    assert response.status_code == 422
    assert "Set-Cookie" not in response.headers or "uid" not in response.headers["Set-Cookie"]


def test_every_session_cookie_is_httponly_samesite_and_secure_when_configured(app_factory):
    app = app_factory(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = send(client, "POST", "/auth/register", data=_register_form(99))
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c and "Secure" in c for c in cookies)
    assert app.permanent_session_lifetime.total_seconds() <= 8 * 3600


def test_casting_is_limited_per_client_across_cast_and_change(app_factory, login):
    """Casting and changing a ballot share one budget: switching route does not reset it."""
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_CAST="3/minute")
    with app.app_context():
        from tests.consult.factories import Factories

        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        client, contest_id = app.test_client(), c.id
        login(client, make.user())
    ballot = {"rank-1": "o1"}
    codes = [
        send(client, "POST", f"/contests/{contest_id}/cast", data=ballot).status_code,
        send(
            client, "POST", f"/contests/{contest_id}/change", data={**ballot, "secret": "0" * 32}
        ).status_code,
        send(
            client, "POST", f"/contests/{contest_id}/change", data={**ballot, "secret": "1" * 32}
        ).status_code,
        send(client, "POST", f"/contests/{contest_id}/cast", data=ballot).status_code,
    ]
    assert codes == [200, 422, 422, 429], codes


# The app takes no CVR upload; the census CSV is its only file upload.
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"email\n" + b"x" * 1500 + b"@example.org\n", "larger than 1 kB"),
        (b"email\n" + b"a" * 140_000 + b"@example.org\n", "Census row 2: the CSV cannot be read"),
        (b'"' + b"e" * 140_000 + b'"\na@example.org\n', "Census row 1: the CSV cannot be read"),
        (b"email\n\xff\xfe@example.org\n", "must be UTF-8"),
        (b"", "Choose a CSV file"),
    ],
    ids=["over-the-census-limit", "value-over-the-csv-field-limit", "huge-header", "not-utf8", "empty"],
)
def test_census_uploads_are_refused_with_a_clear_message_and_nothing_imported(
    app, client, login, world, content, message
):
    if "larger" in message:
        app.config["CENSUS_MAX_BYTES"] = 1024
    login(client, world.users["owner"])
    upload = (io.BytesIO(content), "census.csv") if content else (io.BytesIO(b""), "")
    response = send(client, "POST", f"/consultations/{world.consultation.id}/census", data={"census": upload})
    assert response.status_code == 422, response.status_code
    assert message in response.get_data(as_text=True)
    assert census_size(world.consultation) == 0


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(app, client, login, world):
    assert (
        Config.MAX_CONTENT_LENGTH <= 8 * 1024 * 1024 and Config.CENSUS_MAX_BYTES < Config.MAX_CONTENT_LENGTH
    )
    app.config["MAX_CONTENT_LENGTH"] = 4096
    login(client, world.users["owner"])
    census = (io.BytesIO(b"email\n" + b"a@example.org\n" * 400), "census.csv")
    response = send(client, "POST", f"/consultations/{world.consultation.id}/census", data={"census": census})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert header_problems(response) == []
    assert census_size(world.consultation) == 0


@pytest.mark.parametrize(
    "password",
    ["short", "aaaaaaaaaaaaaaaa", "password1234", "xhannah.smith99x"],
    ids=["short", "few-characters", "common", "contains-email"],
)
def test_weak_passwords_are_refused_at_password_reset(ctx, client, password):
    user = services.register("hannah.smith@example.org", "H", PASSWORD)
    token = services.request_password_reset(user.email, lambda t: f"/auth/reset/{t}")
    response = send(
        client, "POST", f"/auth/reset/{token}", data={"password": password, "password2": password}
    )
    assert response.status_code == 422
    assert services.authenticate("hannah.smith@example.org", PASSWORD) is not None


OFFSITE = ["//evil.example", "/\\evil.example", "/\\/evil.example", "/\t/evil.example", "/\n/evil.example",
           "https://evil.example", "/%5Cevil.example\\x", " //evil.example", "\\\\evil.example"]  # fmt: skip


@pytest.mark.parametrize("target", OFFSITE, ids=repr)
def test_redirects_after_log_in_and_registration_never_leave_the_site(ctx, client, target):
    """A browser reads ``\\`` as ``/`` and drops tabs and newlines, so ``/\\evil.example`` is off-site."""
    user = services.register("nora@example.org", "N", PASSWORD)
    login_form = {"email": user.email, "password": PASSWORD}
    response = send(client, "POST", "/auth/login", query_string={"next": target}, data=login_form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/consultations", response.headers["Location"]
    send(client, "POST", "/auth/logout")
    response = send(client, "POST", "/auth/register", query_string={"next": target}, data=_register_form(7))
    assert response.status_code == 303
    assert response.headers["Location"] == "/consultations", response.headers["Location"]


@pytest.mark.parametrize("target", OFFSITE, ids=repr)
def test_the_back_link_after_blocking_never_leaves_the_site(client, login, world, target):
    login(client, world.users["moderator"])
    form = {"blocked": "1", "reason": "abuse", "back": target}
    response = send(client, "POST", f"/users/{world.target.id}/block", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/", response.headers["Location"]
