"""Configuration: defaults in :class:`Config`, overridden by ``CONSULT_*`` environment variables.

Every key of :class:`Config` can be set from the environment as ``CONSULT_<KEY>`` (for example
``CONSULT_RATELIMIT_LOGIN=5/minute``); booleans accept 1/0, true/false, yes/no. Two names are special:
``CONSULT_DATABASE_URL`` sets ``SQLALCHEMY_DATABASE_URI`` and ``CONSULT_SECRET_KEY`` sets ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any


class Config:
    """Defaults. No secret is ever hard-coded: the key comes from the environment or the instance folder."""

    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SECRET_KEY: str | None = None
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Seconds a client is asked to wait (Retry-After) when the database is unreachable (503).
    RETRY_AFTER_SECONDS = 2
    # A pooled connection to a database server idle this long is tested before use (see create_app).
    POOL_PING_IDLE_SECONDS = 1

    # Sessions are signed cookies: the web tier keeps no state.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    # The cookie is signed again only when the session changes (log-in, first CSRF token): a session then
    # ends 8 hours after it began, however busy, and no answer spends CPU re-signing an unchanged cookie.
    SESSION_REFRESH_EACH_REQUEST = False

    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Uploads: the census CSV is the only file the app takes (no CVR upload). A request body larger than
    # MAX_CONTENT_LENGTH is refused (413) before it is read; a census file over CENSUS_MAX_BYTES is
    # refused with a message, never cut short. Werkzeug's form limits (500 kB per field, 1,000 parts) stay.
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    CENSUS_MAX_BYTES = 5 * 1024 * 1024

    RATELIMIT_ENABLED = True
    # memory:// counts per process: with W gunicorn workers a client gets up to W times each limit. With
    # several workers or hosts point it at a shared store, e.g. redis://127.0.0.1:6379 (the `redis`
    # package must be installed); the prefix keeps apps that share the store apart.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "consult"
    # X-RateLimit-* and Retry-After on refusals (429) only: on every limited answer they cost a read of the
    # counters back from the store (see consult.extensions.Limiter). True: on every limited answer.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_LOGIN = "10/minute;50/hour"
    RATELIMIT_REGISTER = "5/minute;20/hour"
    RATELIMIT_RESET = "5/minute;20/hour"
    RATELIMIT_POST = "20/minute;300/hour"
    RATELIMIT_CAST = "10/minute;60/hour"
    # Reverse proxies in front of the app that append the client's address to X-Forwarded-For (nginx,
    # a load balancer). 0: the header is ignored (direct exposure). With N, the N-th address from the
    # right is the client, so per-address rate limits apply per client and not to the proxy as a whole.
    PROXY_FIX_X_FOR = 0
    # Path of the instance Ed25519 signing key (default: <instance>/signing_key.pem, created 0600).
    SIGNING_KEY: str | None = None

    PASSWORD_MIN_LENGTH = 12
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    RESET_TOKEN_HOURS = 1

    # "log" writes password-reset links to the server log; "smtp" sends them.
    MAIL_BACKEND = "log"
    MAIL_SENDER = "consult@localhost"
    SMTP_HOST = "localhost"
    SMTP_PORT = 25

    PROPOSAL_EDIT_MINUTES = 15
    FLAGS_TO_HIDE = 3
    COMMENT_MAX_DEPTH = 4
    PAGE_SIZE = 20


_SPECIAL = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """The ``CONSULT_*`` variables that name a :class:`Config` key, coerced to that key's type."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("CONSULT_"):
            continue
        key = _SPECIAL.get(name[8:], name[8:])
        if not hasattr(Config, key) or key.startswith("_"):
            continue
        default = getattr(Config, key)
        if isinstance(default, bool):
            out[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif isinstance(default, int):
            out[key] = int(raw)
        else:
            out[key] = raw
    return out


def instance_secret(instance_path: str) -> str:
    """A random secret kept in the instance folder (mode 0600), created on first use.

    Created with ``O_EXCL`` so workers starting together all end up with the one secret written first.
    """
    path = Path(instance_path) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    for _ in range(50):  # another process may be between creating and writing the file
        secret = path.read_text().strip()
        if secret:
            return secret
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty; delete it or set CONSULT_SECRET_KEY")
