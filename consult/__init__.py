"""consult: deliberative consultations with a certified tally (the Flask app).

Adding a feature: a package ``consult/<feature>/`` with ``models.py`` (typed models on
:data:`consult.extensions.db`), ``services.py`` (every state change; raise
:class:`consult.errors.ServiceError` or :class:`~consult.errors.PermissionDenied`), ``views.py``
(exports ``bp``; fetch objects through
:func:`consult.access.get_visible_or_404` / :func:`consult.consultations.services.visible_or_404`, answer
htmx with :func:`consult.fragments.page_or_fragment`), templates in ``templates/<feature>/``; register
``bp`` in :func:`create_app`, add a migration (``flask --app consult db migrate -m "..."``) and, for
demo content, a step in :data:`consult.demo.DEMO_STEPS`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from htmx_flask import Htmx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import autocommit, links, security, sessions, sqlite_writers, templating
from .access import IdConverter
from .config import Config, from_environment, instance_secret
from .errors import PermissionDenied, ServiceError
from .extensions import csrf, db, limiter, migrate
from .fragments import is_htmx

ROOT = Path(__file__).resolve().parent.parent
UNAVAILABLE = (
    "The service is briefly unavailable (its database cannot be reached). Nothing from this request was "
    "saved half-way. Try again in a few seconds; sending a ballot again never casts it twice."
)
MIGRATIONS = ROOT / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: :class:`Config`, then ``CONSULT_*`` environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.session_interface = sessions.SessionInterface()
    app.config.from_object(Config)
    app.config.update(from_environment(os.environ))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'consult.sqlite'}"
    if isinstance(app.config["PERMANENT_SESSION_LIFETIME"], int):
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
    _sqlite_options(app)
    _pool_options(app)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])

    db.init_app(app)
    _ping_idle_connections(app)
    app.teardown_appcontext(lambda _exc: close_session())  # runs before Flask-SQLAlchemy's own
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    Htmx(app)
    security.init_app(app)

    from . import access, admin, auth, consultations, deliberation, home, results, voting
    from .markdown import safe

    autocommit.init_app(app)  # before load_current_user, the first statement of a request
    app.before_request(access.load_current_user)
    app.jinja_env.filters["safe_html"] = safe
    links.init_app(app)
    app.jinja_env.globals["Role"] = auth.models.Role
    app.jinja_env.globals["can_transition"] = consultations.services.can_transition
    for feature in (home, auth, consultations, deliberation, admin, voting, results):
        app.register_blueprint(feature.bp)
    templating.init_app(app)  # after the blueprints: drops their copies of the default context processor
    app.cli.add_command(home.demo_command)
    _error_pages(app)
    return app


def _sqlite_options(app: Flask) -> None:
    """SQLite waits ``SQLITE_BUSY_TIMEOUT_MS`` for a lock instead of failing at once, and its writers
    take turns on a kernel lock, each transaction opened with BEGIN IMMEDIATE
    (:mod:`consult.sqlite_writers`)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        connect_args.setdefault("factory", sqlite_writers.Connection)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _pool_options(app: Flask) -> None:
    """Pooled connections to a database server are taken most recently returned first (``pool_use_lifo``:
    under light load a few connections stay busy and the rest go idle). A connection that sat idle in the
    pool for ``POOL_PING_IDLE_SECONDS`` or more is tested with a round trip before use
    (:func:`_ping_idle_connections`); one in steady use is not, which saves a round trip per request.
    SQLite connections are file handles in the process that cannot be dropped from outside, never tested."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_use_lifo", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ping_idle_connections(app: Flask) -> None:
    """Test a pooled server connection before use when it has been idle ``POOL_PING_IDLE_SECONDS``.

    A failed test means the server went away (a restart, an administrator's kill): every connection
    pooled before then is replaced and the request gets a fresh one, so service resumes by itself. A
    connection in steady use is not tested; if the server dies under it, the statement fails as a
    disconnect, the 503 handler answers (retryable, nothing half-written) and SQLAlchemy replaces every
    connection pooled before the failure, so the next requests reconnect."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") or "pool_pre_ping" in (
        app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    ):
        return
    config = app.config
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")  # none yet on a new connection
        if returned_at is None or time.monotonic() - returned_at < config["POOL_PING_IDLE_SECONDS"]:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError() from exc
            raise


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLite connection: WAL journal (readers never block the writer), every commit synced to disk
    before it returns (``synchronous=FULL``, SQLite's usual default, stated here because a receipt is shown
    only after the commit and must survive a power cut), and foreign keys."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def close_session() -> None:
    """End the request's session (rolls back what was not committed). When the database dropped the
    connection (a restart, an administrator's shutdown) that rollback fails, possibly after the answer was
    made; the connection is then already invalidated, and closing again releases it, so a dropped
    connection never turns an answer into a 500. The pool (``pool_pre_ping``) replaces it next time."""
    try:
        db.session.remove()
    except DBAPIError:
        try:
            db.session.remove()
        except DBAPIError:
            db.session.registry.clear()


def _error_pages(app: Flask) -> None:
    """Errors as a page, or for htmx as a message swapped into the page's alert region."""

    def page(status: int, message: str):
        if is_htmx():
            body = render_template("_error_fragment.html", message=message)
            return (
                body,
                status,
                {"HX-Retarget": "#htmx-errors", "HX-Reswap": "innerHTML", "Vary": "HX-Request"},
            )
        return render_template("error.html", status=status, message=message), status

    def unavailable(error: Exception):
        """The database could not be reached or is busy: 503 with Retry-After, a plain page that needs no
        database (the session is unusable here), never a 500. The request's transaction was rolled back as
        a whole; a ballot whose commit was cut off may or may not be in, which a resend with the same cast
        key settles (original receipt or a fresh cast, never two ballots)."""
        close_session()
        app.logger.warning("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
        headers = {"Retry-After": str(app.config["RETRY_AFTER_SECONDS"]), "Cache-Control": "no-store"}
        if is_htmx():
            headers.update({"HX-Retarget": "#htmx-errors", "HX-Reswap": "innerHTML", "Vary": "HX-Request"})
            return render_template("_error_fragment.html", message=UNAVAILABLE), 503, headers
        return render_template("unavailable.html", message=UNAVAILABLE), 503, headers

    app.register_error_handler(OperationalError, unavailable)
    app.register_error_handler(PermissionDenied, lambda e: page(403, str(e)))
    app.register_error_handler(ServiceError, lambda e: page(400, str(e)))
    app.register_error_handler(403, lambda e: page(403, "You may not do this."))
    app.register_error_handler(404, lambda e: page(404, "There is nothing here."))
    app.register_error_handler(429, lambda e: page(429, "Too many attempts; wait a moment and try again."))
    app.register_error_handler(
        413,
        lambda e: page(
            413, f"The upload is too large (at most {app.config['MAX_CONTENT_LENGTH'] // 1024} kB)."
        ),
    )
    app.register_error_handler(
        400, lambda e: page(400, getattr(e, "description", None) or "The request could not be understood.")
    )
