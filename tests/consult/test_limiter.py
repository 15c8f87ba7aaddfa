"""``consult.extensions.Limiter`` counts plain view limits itself; what it counts, refuses and records must
be what Flask-Limiter does. Both run the same requests against apps of their own; their answers, the
limits each request recorded, and the counters left in the store are compared."""

from __future__ import annotations

import os
import secrets

import flask_limiter
import pytest
from flask import Flask, request

from consult.extensions import Limiter


def _app(limiter_class, calls: list[str], storage: str, prefix: str) -> tuple[Flask, flask_limiter.Limiter]:
    app = Flask(__name__)
    config = {"LOGIN": "2/minute;3/hour"}
    limiter = limiter_class(
        key_func=lambda: request.headers.get("X-Client", ""), storage_uri=storage, key_prefix=prefix
    )
    limiter.init_app(app)
    shared = limiter.shared_limit(lambda: "3/minute", scope="cast", methods=["POST"])

    @app.route("/login", methods=["GET", "POST"])
    @limiter.limit(lambda: config["LOGIN"], methods=["POST"])
    def login() -> str:
        return "login"

    @app.post("/a")
    @shared
    def a() -> str:
        return "a"

    @app.post("/b")
    @shared
    def b() -> str:
        return "b"

    @app.get("/free")
    def free() -> str:
        return "free"

    @app.after_request
    def record(response):
        calls.append(
            repr(
                (
                    request.path,
                    response.status_code,
                    [
                        (lim.key.replace(limiter._key_prefix, "p"), lim.breached, lim.shared)
                        for lim in limiter.current_limits
                    ],
                    {k: v for k, v in response.headers if k.lower().startswith(("x-ratelimit", "retry"))},
                )
            )
        )
        return response

    app.config_for_test = config
    return app, limiter


REQUESTS = [
    ("GET", "/login", "c1"),
    ("POST", "/login", "c1"),
    ("POST", "/login", "c1"),
    ("POST", "/login", "c1"),  # minute limit broken
    ("POST", "/login", "c2"),  # another client
    ("POST", "/login", ""),  # no key: skipped
    ("POST", "/a", "c1"),
    ("POST", "/b", "c1"),  # one budget for both routes
    ("POST", "/a", "c1"),
    ("POST", "/b", "c1"),  # refused
    ("GET", "/free", "c1"),
    ("CONFIG", "1/minute", ""),  # the limit string changes between requests
    ("POST", "/login", "c3"),
    ("POST", "/login", "c3"),
    ("CONFIG", "3/minute;2/hour", ""),  # the second limit breaks first, then the first
    ("POST", "/login", "c4"),
    ("POST", "/login", "c4"),
    ("POST", "/login", "c4"),
    ("POST", "/login", "c4"),
    ("POST", "/login", "c4"),
]


def _redis_uri() -> str:
    redis = pytest.importorskip("redis")
    uri = os.environ.get("CONSULT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    try:
        redis.Redis.from_url(uri, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {uri} ({exc}); set CONSULT_TEST_REDIS_URL")
    return uri


def _run(limiter_class, storage: str) -> tuple[list[str], dict[str, int]]:
    calls: list[str] = []
    prefix = f"p{secrets.token_hex(4)}"
    app, limiter = _app(limiter_class, calls, storage, prefix)
    client = app.test_client()
    for method, path, who in REQUESTS:
        if method == "CONFIG":
            app.config_for_test["LOGIN"] = path
            continue
        client.open(path, method=method, headers={"X-Client": who})
    if storage == "memory://":
        counters = dict(limiter.storage.storage)
    else:
        store = limiter.storage.get_connection()
        keys = list(store.scan_iter(f"*{prefix}*"))
        counters = {key.decode(): int(store.get(key)) for key in keys}
        store.delete(*keys)
    return calls, {key.replace(prefix, "p"): value for key, value in counters.items()}


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_plain_view_limits_count_refuse_and_record_as_flask_limiter_does(monkeypatch, store):
    storage = "memory://" if store == "memory" else _redis_uri()
    counted: list[str] = []
    own = Limiter._count_view_limits

    def spy(self, name):
        handled = own(self, name)
        counted.append(handled)
        return handled

    monkeypatch.setattr(Limiter, "_count_view_limits", spy)
    in_one_trip: list[bool] = []
    own_hit = Limiter._hit

    def hit_spy(self, counted):
        refused = own_hit(self, counted)
        in_one_trip.append(self._in_turn is not None)
        return refused

    monkeypatch.setattr(Limiter, "_hit", hit_spy)
    ours = _run(Limiter, storage)
    assert any(in_one_trip) == (store == "redis")  # Redis: several limits counted in one round trip
    assert counted and all(counted)  # every limited request was counted by the plain path
    theirs = _run(flask_limiter.Limiter, storage)
    assert ours == theirs
    assert any("429" in call for call in ours[0])
    assert ours[1]  # counters left in the store


def _one_limit(limiter_class=Limiter, limit: str = "5/minute", config=None, **options):
    """An app whose ``POST /x`` is limited to ``limit`` (with ``options``) for its one client."""
    app = Flask(__name__)
    app.config.update(config or {})
    limiter = limiter_class(key_func=lambda: "client", storage_uri="memory://")
    limiter.init_app(app)

    @app.post("/x")
    @limiter.limit(limit, **options)
    def x() -> str:
        return "x"

    return app, limiter


def test_a_limit_that_is_not_plain_goes_through_flask_limiter():
    app, limiter = _one_limit(limit="1/minute", exempt_when=lambda: request.headers.get("X-Exempt") == "1")
    client = app.test_client()
    assert client.post("/x").status_code == 200
    assert client.post("/x", headers={"X-Exempt": "1"}).status_code == 200
    assert client.post("/x").status_code == 429
    assert limiter._plain_groups("tests.consult.test_limiter.x") is None


def _with_a_failing_store(limiter_class, swallow: bool, monkeypatch) -> list:
    app, limiter = _one_limit(
        limiter_class, config={"RATELIMIT_SWALLOW_ERRORS": swallow, "PROPAGATE_EXCEPTIONS": True}
    )

    def broken(*_args, **_kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(limiter.limiter, "hit", broken)
    client = app.test_client()
    outcomes = []
    for _ in range(2):
        try:
            outcomes.append(client.post("/x").status_code)
        except ConnectionError as error:
            outcomes.append(str(error))
    return outcomes


@pytest.mark.parametrize("swallow", [False, True], ids=["raised", "swallowed"])
def test_a_failing_store_is_handled_as_flask_limiter_handles_it(monkeypatch, swallow):
    ours = _with_a_failing_store(Limiter, swallow, monkeypatch)
    assert ours == _with_a_failing_store(flask_limiter.Limiter, swallow, monkeypatch)
    assert ours == ([200, 200] if swallow else ["store down", "store down"])


def test_with_limits_off_nothing_is_counted_or_refused():
    app, _ = _one_limit(limit="1/minute", config={"RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert [client.post("/x").status_code for _ in range(3)] == [200, 200, 200]


def _headers_and_deductions(limiter_class, headers: bool) -> list:
    app, limiter = _one_limit(limiter_class, config={"RATELIMIT_HEADERS_ENABLED": headers})

    @app.post("/deducted")
    @limiter.limit("2/minute", deduct_when=lambda response: response.status_code == 201)
    def deducted():
        return "made", 201 if request.args.get("make") else 200

    @app.get("/free")
    def free() -> str:
        return "free"

    client = app.test_client()
    seen = []
    for path in ["/x", "/x", "/free", "/deducted", "/deducted", "/deducted?make=1", "/deducted?make=1"] * 2:
        route, _, query = path.partition("?")
        answer = client.open(route, method="GET" if route == "/free" else "POST", query_string=query)
        headers = {k: v for k, v in answer.headers if k in ("X-RateLimit-Limit", "X-RateLimit-Remaining")}
        # (a refusal carries its limit's headers in consult whatever the setting: compared apart)
        seen.append((path, answer.status_code, headers if answer.status_code != 429 else {}))
    return seen


@pytest.mark.parametrize("headers", [True, False], ids=["headers", "no-headers"])
def test_limit_headers_and_deductions_on_the_answer_still_work(headers):
    """Flask-Limiter's after-request hook runs when it has work: headers on, or a limit deducted on the
    answer (``deduct_when``)."""
    ours = _headers_and_deductions(Limiter, headers)
    assert ours == _headers_and_deductions(flask_limiter.Limiter, headers)
    assert bool(ours[0][2]) == headers
    assert [status for path, status, _ in ours if path == "/deducted?make=1"] == [201, 201, 429, 429]
