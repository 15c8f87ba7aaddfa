"""Fixtures for the web app, run on SQLite and on PostgreSQL.

- ``database`` (session scope, parametrised ``sqlite`` / ``postgresql``): a database built once per test
  session by running the Alembic migrations (so every test also exercises them). PostgreSQL uses
  ``CONSULT_TEST_DATABASE_URL`` and a schema of its own (``consult_test_<pid>_<random>``, reached through
  ``search_path``) dropped at the end, so concurrent test runs on one server never meet. Without the URL
  the PostgreSQL tests skip with the reason; with ``CONSULT_REQUIRE_POSTGRES=1`` a missing URL or an
  unreachable server fails them instead.
- ``app``: a fresh app on that database; every table is emptied after the test. Rate limits are off
  (tests that check them turn them on), argon2 is cheap, CSRF stays ON.
- ``ctx``: ``app`` with an application context pushed, for calling services and models directly.
- ``client``: a test client that sends a valid CSRF token with every state-changing request (pass
  ``csrf=False`` to send none) — see :class:`CsrfClient`.
- ``login(client, user)``: signs ``user`` in by writing the signed session, no password round trip.
- ``make``: factories (:mod:`tests.consult.factories`) bound to the current context.
- ``browser`` (session) and ``live_server``: headless chromium through Playwright and a migrated SQLite app
  served by werkzeug in a thread on a free port; ``new_page(browser, errors)`` opens a page that records
  console errors (CSP violations included). Without chromium or playwright these skip with the reason,
  unless ``CONSULT_REQUIRE_BROWSER=1`` (then they fail). Screenshots go to :data:`SHOTS` (git-ignored).
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from consult import create_app
from consult.extensions import db

from . import factories

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "RATELIMIT_ENABLED": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
}


@dataclass
class Database:
    backend: str
    uri: str
    engine_options: dict[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        return {"SQLALCHEMY_DATABASE_URI": self.uri, "SQLALCHEMY_ENGINE_OPTIONS": dict(self.engine_options)}


def _require_postgres() -> bool:
    return os.environ.get("CONSULT_REQUIRE_POSTGRES") == "1"


def _postgres(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not url:
        if _require_postgres():
            pytest.fail("CONSULT_REQUIRE_POSTGRES=1 but CONSULT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL run skipped: CONSULT_TEST_DATABASE_URL is not set")
    schema = f"consult_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "unreachable"
        admin.dispose()
        message = f"PostgreSQL at {url} is unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        if _require_postgres():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield Database("postgresql", url, {"connect_args": {"options": f"-csearch_path={schema}"}})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _migrate(database: Database) -> None:
    from flask_migrate import upgrade

    app = create_app({**BASE_CONFIG, **database.config()})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "consult.sqlite"
        database = Database("sqlite", f"sqlite:///{path}")
        _migrate(database)
        yield database
    else:
        gen = _postgres(request)
        database = next(gen)
        _migrate(database)
        yield database
        next(gen, None)


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


class CsrfClient(FlaskClient):
    """Adds a valid ``X-CSRFToken`` to POST/PUT/PATCH/DELETE requests unless called with ``csrf=False``."""

    def open(self, *args: Any, csrf: bool = True, **kwargs: Any):
        method = str(kwargs.get("method", "GET")).upper()
        if csrf and method in UNSAFE:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """A signed token matching the raw token kept in this client's session (created if absent)."""
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", secrets.token_hex(20))
        app = self.application
        key = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        return URLSafeTimedSerializer(key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def app_factory(database: Database) -> Iterator:
    """Make apps on the test database with extra config; tables are emptied after the test."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app({**BASE_CONFIG, **database.config(), **config})
        app.test_client_class = CsrfClient
        made.append(app)
        return app

    yield make
    if made:
        with made[0].app_context():
            _empty_tables()
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(app_factory) -> Flask:
    return app_factory()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> CsrfClient:
    return app.test_client()


@pytest.fixture
def login():
    def sign_in(client: FlaskClient, user) -> None:
        with client.session_transaction() as sess:
            sess.clear()
            sess["uid"] = user.id
            sess["sv"] = user.session_version

    return sign_in


@pytest.fixture
def make(ctx: Flask) -> factories.Factories:
    return factories.Factories()


# --- browser ----------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CONSULT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CONSULT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    if not Path(CHROMIUM).exists():
        _unavailable(f"chromium not found at {CHROMIUM}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(tmp_path) -> Iterator[tuple[str, object]]:
    """A migrated SQLite app served on a free port; yields (base URL, app)."""
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}",
            "SECRET_KEY": "browser-test-secret",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8,
            "ARGON2_PARALLELISM": 1,
        }
    )
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def new_page(browser, errors: list[str]):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page
