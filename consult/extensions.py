"""Flask extensions, created here and bound in ``create_app``."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import flask_limiter
from flask import Flask, Response, request
from flask.globals import request_ctx
from flask_limiter import RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .csrf_tokens import CSRFProtect

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


# limits' fixed-window ``incr_expire`` for each key in turn, stopping after the first counter that goes over
# its amount: the counting of a request's limits in one Redis round trip instead of one per limit.
# ARGV: expiry, cost, amount for each key. Returns the 1-based index of the broken limit, or 0.
_INCR_IN_TURN = """
for i, key in ipairs(KEYS) do
    local amount = tonumber(ARGV[3 * i - 1])
    local current = redis.call("incrby", key, amount)
    if tonumber(current) == amount then
        redis.call("expire", key, ARGV[3 * i - 2])
    end
    if tonumber(current) > tonumber(ARGV[3 * i]) then
        return i
    end
end
return 0
"""


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
    - A view's own limits (the decorators) are counted by :meth:`_count_view_limits` while they are plain,
      as all of this app's are: a limit string (fixed or from a callable), a key function, a scope, a
      method list and a cost, nothing else (no ``exempt_when``, ``deduct_when``, ``on_breach``, meta
      limits, request filters, exemptions or hints). Flask-Limiter resolves them again on every request
      (the limit strings parsed, the exemption scopes of the route and its blueprints, ordered sets):
      about half of its cost per limited request, without the store. Here a limit string is parsed once;
      then each limit is counted in Flask-Limiter's order with its own key, scope, store and limiter,
      breaking at the first refusal, and the request's limits are recorded as Flask-Limiter records them
      (``current_limit``, ``current_limits``). Anything else goes through Flask-Limiter as before.
      With Redis and fixed windows (the default strategy), a request's limits are counted in one round
      trip (:data:`_INCR_IN_TURN`: limits' own script for each counter in turn, stopping at the first
      that goes over) instead of one per limit.
    """

    _PLAIN_LIMIT = ("per_method", "exempt_when", "deduct_when", "on_breach", "meta_limits")
    _USED = (
        "_key_prefix",
        "_fail_on_first_breach",
        "_in_memory_fallback_enabled",
        "_swallow_errors",
        "_limiter",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_by_name: dict[str, tuple | None] = {}
        self._parsed_limits: dict[tuple[str, tuple], list] = {}
        self._in_turn: tuple[Any, Any] | None = None  # (Redis storage, its registered _INCR_IN_TURN)

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.after_request(self._refusal_headers)
        # Flask-Limiter's after_request hook makes the request's limiter context (a dict on the request
        # context, a LimiterContext in it) on every request, limited or not, to find nothing to do unless
        # headers are on or a limit deducts on the answer (``deduct_when``): it runs only then.
        hooks = app.after_request_funcs.get(None, [])
        for i, hook in enumerate(hooks):
            if getattr(getattr(hook, "func", None), "__name__", "") == "__inject_headers":
                hooks[i] = partial(self._after_request_if_needed, hook)

    def _own_context(self) -> Any:
        contexts = getattr(request_ctx._get_current_object(), "_limiter_request_context", None)
        return None if contexts is None else contexts.get(self)

    def _after_request_if_needed(self, hook: Any, response: Response) -> Response:
        if self._headers_enabled or getattr(self._own_context(), "conditional_deductions", None):
            return hook(response)
        return response

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware:
            if not self._limits_beyond_views():
                return
        elif callable_name and self._count_view_limits(callable_name):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _count_view_limits(self, name: str) -> bool:
        """Count the plain limits decorating ``name`` (see the class); False, having counted nothing, when
        Flask-Limiter's own pass is needed."""
        if not (self.enabled and self.initialized):
            return False
        groups = self._plain_groups(name)
        endpoint = self.identify_request()
        manager = self.limit_manager
        # Private attributes read with a true default: a release that renames one gets Flask-Limiter's pass.
        if (
            groups is None
            or not endpoint
            or endpoint.rpartition(".")[2] == "static"
            or self._limits_beyond_views()
            or any(getattr(self, attr, True) for attr in ("_storage_dead", "_request_filters", "_on_breach"))
            or any(
                getattr(manager, attr, True)
                for attr in ("_route_exemptions", "_blueprint_exemptions", "_endpoint_hints")
            )
        ):
            return False
        try:
            limits = self._runtime_limits(name, groups)
        except ValueError:  # a limit string that does not parse: Flask-Limiter logs it and skips it
            return False
        try:
            self._count(endpoint, limits)
        except RateLimitExceeded:
            raise
        except Exception:
            # The store failed: as Flask-Limiter does (in-memory fallback, swallowed, or raised).
            if self._in_memory_fallback_enabled and not self._storage_dead:
                self.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
                self._storage_dead = True
                self.context.seen_limits.clear()
                super()._check_request_limit(callable_name=name, in_middleware=False)
            elif self._swallow_errors:
                self.logger.exception("Failed to rate limit. Swallowing error")
            else:
                raise
        return True

    def _plain_groups(self, name: str) -> tuple | None:
        """The limit groups decorating ``name`` if every one is plain, else None (checked once per name:
        limits are declared when the views are, before the first request)."""
        known = self._plain_by_name
        if name not in known:
            groups = tuple(getattr(self.limit_manager, "_decorated_limits", {}).get(name, ()))
            plain = (
                groups
                and all(hasattr(self, attr) for attr in self._USED)
                and all(
                    not any(getattr(group, attr, True) for attr in self._PLAIN_LIMIT)
                    and isinstance(getattr(group, "cost", None), int)
                    for group in groups
                )
            )
            known[name] = groups if plain else None
        return known[name]

    def _runtime_limits(self, name: str, groups: tuple) -> list:
        """The groups' limits as Flask-Limiter makes them, in the order it counts them, each limit string
        parsed once."""
        strings = tuple(
            g.limit_provider() if callable(g.limit_provider) else g.limit_provider for g in groups
        )
        parsed = self._parsed_limits
        found = parsed.get((name, strings))
        if found is None:
            if len(parsed) > 256:  # limit strings read from a changing config: start again
                parsed.clear()
            found = parsed[(name, strings)] = sorted(
                (limit for group in groups for limit in group), key=lambda x: x.limit
            )
        return found

    def _count(self, endpoint: str, limits: list[Any]) -> None:
        """Flask-Limiter's ``__evaluate_limits`` for plain limits."""
        method = request.method
        counted: list[tuple[Any, list[str], RequestLimit]] = []
        for lim in limits:
            if lim.methods is not None and method.lower() not in lim.methods:
                continue
            scope = lim.scope_for(endpoint, method)
            key = lim.key_func()
            args = [key, scope]
            if not (key and scope):
                self.logger.error(f"Skipping limit: {lim.limit}. Empty value found in parameters.")
                continue
            if self._key_prefix:
                args = [self._key_prefix, *args]
            counted.append((lim, args, RequestLimit(self, lim.limit, args, False, lim.shared)))
        view_limits = [request_limit for _, _, request_limit in counted]
        failed: list[tuple[Any, list[str]]] = []
        for_header: RequestLimit | None = None
        for lim, args, request_limit in self._hit(counted):
            self.logger.info("ratelimit %s (%s) exceeded at endpoint: %s", lim.limit, args[-2], args[-1])
            failed.append((lim, args))
            request_limit.breached = True
            for_header = request_limit
        if not for_header and view_limits:
            explicit = [limit for limit in view_limits if not limit.shared]
            for_header = explicit[0] if explicit else view_limits[0]
        context = self.context
        context.view_rate_limit = for_header
        if failed and self._fail_on_first_breach:  # Flask-Limiter records the limits up to the broken one
            view_limits = view_limits[: view_limits.index(for_header) + 1]
        context.view_rate_limits = view_limits
        if failed:
            raise RateLimitExceeded(sorted(failed, key=lambda x: x[0].limit)[0][0])

    def _hit(self, counted: list[tuple[Any, list[str], RequestLimit]]) -> list:
        """Count each limit in turn, stopping after the first refusal (unless configured to go on);
        returns the refused ones."""
        limiter = self.limiter
        if (
            len(counted) > 1
            and self._fail_on_first_breach
            and type(limiter) is FixedWindowRateLimiter
            and type(limiter.storage) is RedisStorage
        ):
            storage = limiter.storage
            if self._in_turn is None or self._in_turn[0] is not storage:
                self._in_turn = (storage, storage.get_connection().register_script(_INCR_IN_TURN))
            keys, argv = [], []
            for lim, args, _ in counted:
                keys.append(storage.prefixed_key(lim.limit.key_for(*args)))
                argv += [lim.limit.get_expiry(), lim.cost, lim.limit.amount]
            broken = int(self._in_turn[1](keys, argv))
            return [counted[broken - 1]] if broken else []
        refused = []
        for entry in counted:
            lim, args, _ = entry
            if not limiter.hit(lim.limit, *args, cost=lim.cost):
                refused.append(entry)
                if self._fail_on_first_breach:
                    break
        return refused

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
