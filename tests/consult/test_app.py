"""The app shell: configuration, database settings, migrations, security headers, htmx, CSP hygiene."""

from __future__ import annotations

import re
from importlib import resources

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from consult import create_app
from consult.config import from_environment, instance_secret
from consult.extensions import db


def test_environment_overrides_config_with_types():
    config = from_environment(
        {
            "CONSULT_DATABASE_URL": "postgresql+psycopg://x/y",
            "CONSULT_RATELIMIT_LOGIN": "3/minute",
            "CONSULT_FLAGS_TO_HIDE": "7",
            "CONSULT_SESSION_COOKIE_SECURE": "yes",
            "CONSULT_NOT_A_SETTING": "ignored",
            "OTHER": "ignored",
        }
    )
    assert config == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x/y",
        "RATELIMIT_LOGIN": "3/minute",
        "FLAGS_TO_HIDE": 7,
        "SESSION_COOKIE_SECURE": True,
    }


def test_default_database_is_sqlite_in_instance_folder_with_generated_secret(monkeypatch):
    monkeypatch.delenv("CONSULT_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/consult.sqlite")
    assert len(app.config["SECRET_KEY"]) == 64


def test_secret_key_comes_from_environment(monkeypatch):
    monkeypatch.setenv("CONSULT_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


def test_database_settings_per_backend(ctx, database):
    """SQLite: WAL with synchronous FULL, foreign keys, busy timeout. PostgreSQL: this run's own schema on
    the search path."""
    if database.backend == "postgresql":
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT current_schema()")).scalar().startswith("consult_test_")
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL: every commit synced
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.engine.dialect.name == "sqlite"
    assert ctx.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] == 5.0


def test_migrations_produce_the_schema_of_the_models(ctx):
    """The database was built by ``flask db upgrade``; autogenerate must find nothing left to do."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_hsts_only_when_cookies_are_secure(app_factory):
    assert "Strict-Transport-Security" not in app_factory().test_client().get("/").headers
    secure = app_factory(SESSION_COOKIE_SECURE=True).test_client().get("/")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_htmx_is_served_from_the_installed_package(client):
    response = client.get("/vendor/htmx.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    packaged = resources.files("js_lib_htmx").joinpath("static/htmx/htmx.min.js").read_bytes()
    assert response.data == packaged
    assert b'version:"2.' in response.data


def test_base_page_loads_only_local_scripts_and_the_csrf_meta(client):
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/' in attrs for attrs in scripts)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert '"includeIndicatorStyles": false' in html
    assert 'href="#main"' in html and 'id="main"' in html


def test_layout_links_follow_the_script_root(client):
    """The layout's links are built once per script root (consult.links), so an app mounted under a
    prefix links under it, and the same app without one does not."""
    for root in ("/consult", "", "/consult"):
        html = client.get("/", base_url=f"http://localhost{root}/").get_data(as_text=True)
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', html)
        assert f'href="{root}/static/consult.css"' in html and f'src="{root}/vendor/htmx.min.js"' in html
        assert f'href="{root}/consultations"' in html and f'href="{root}/auth/login"' in html
        assert links and all(link.startswith(f"{root}/") for link in links)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"), "inline script"),
    (re.compile(r"\sstyle\s*="), "style attribute"),
    (re.compile(r"<style"), "style element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"hx-on"), "hx-on (needs eval)"),
]


def assert_csp_clean(html: str) -> None:
    for pattern, what in INLINE:
        match = pattern.search(html)
        assert match is None, f"{what}: {html[max(0, match.start() - 80) : match.end() + 80]}"


def test_pages_need_no_inline_script_or_style(client, make, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser)
    proposal = make.proposal(consultation)
    comment = make.comment(consultation, body="root")
    make.comment(consultation, body="reply", parent=comment)
    login(client, organiser)
    for path in [
        "/",
        "/consultations",
        f"/consultations/{consultation.id}",
        f"/consultations/{consultation.id}/edit",
        f"/consultations/{consultation.id}/eligibility",
        f"/consultations/{consultation.id}/moderation",
        f"/proposals/{proposal.id}",
        f"/comments/{comment.id}",
        f"/comments/{comment.id}/reply",
        "/consultations/new",
        "/auth/account",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_csp_clean(response.get_data(as_text=True))


def test_static_stylesheet_is_served(client):
    with client.get("/static/consult.css") as response:
        assert response.status_code == 200
        assert b":focus-visible" in response.data


def test_instance_secret_is_created_once_and_private(tmp_path):
    first = instance_secret(str(tmp_path))
    assert first == instance_secret(str(tmp_path)) and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_signed_in_pages_are_not_cached(client, make, login):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login(client, make.user())
    assert client.get("/").headers["Cache-Control"] == "private, no-store"
