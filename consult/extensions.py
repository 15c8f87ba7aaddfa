"""Flask extensions, created here and bound in ``create_app``."""

from __future__ import annotations

import time

import flask_limiter
from flask import Flask, Response
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic migrations are stable across SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Objects stay readable after a commit: a view that commits then renders (the receipt page after a cast)
# does not reload every row it already has. Each request has its own session, so nothing goes stale
# beyond the request that changed it.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, with two costs of every request cut.

    - Flask-Limiter counts a request in two places: a ``before_request`` hook (application-wide, default,
      blueprint and meta limits) and the decorator of each limited view (``limiter.limit``,
      ``limiter.shared_limit``). Every limit of this app is a view decorator, so the hook finds nothing to
      count, yet resolving that costs every request ~60 µs of CPU. It runs only when such a limit is set
      (``RATELIMIT_APPLICATION``, ``RATELIMIT_DEFAULT``, ``RATELIMIT_META``, a limited blueprint); the
      decorators count exactly as before.
    - With ``RATELIMIT_HEADERS_ENABLED`` off (the default) a refused request (429) still says when to try
      again: ``Retry-After`` and the ``X-RateLimit-*`` headers of the limit it broke. Flask-Limiter would
      put them on every limited answer, reading the counter back from its store after counting (with Redis,
      two more round trips per cast, about 0.5 ms of CPU); only a refusal needs them.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.after_request(self._refusal_headers)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._limits_beyond_views():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _limits_beyond_views(self) -> bool:
        # Read through getattr with a true default: should a Flask-Limiter release rename one of these,
        # the full check runs on every request again (slower, never a limit skipped or an error).
        manager = self.limit_manager
        return bool(
            getattr(manager, "application_limits", True)
            or getattr(manager, "default_limits", True)
            or getattr(manager, "_blueprint_limits", True)
            or getattr(self, "_meta_limits", True)
        )

    def _refusal_headers(self, response: Response) -> Response:
        if response.status_code != 429 or self._headers_enabled:
            return response
        breached = self.current_limit
        if breached is not None:
            reset_at = breached.reset_at
            response.headers["X-RateLimit-Limit"] = str(breached.limit.amount)
            response.headers["X-RateLimit-Remaining"] = str(breached.remaining)
            response.headers["X-RateLimit-Reset"] = str(reset_at)
            response.headers["Retry-After"] = str(max(0, int(reset_at - time.time())))
        return response


limiter = Limiter(key_func=get_remote_address)
