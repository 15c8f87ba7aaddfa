"""The shared access helpers every view uses: current user, login and role checks, object lookup.

Rule: an object the user may not *see* is a 404 (its existence is not disclosed); an object they may see
but not *change* is a 403. Views fetch objects only through :func:`get_visible_or_404` (or
:func:`load_visible_or_404` with a prebuilt statement) or :func:`db.get_or_404` followed by an explicit
check, never by trusting an id from the form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from werkzeug.routing import IntegerConverter, Map

from .extensions import db

if TYPE_CHECKING:  # the auth package imports this module; its models are loaded lazily here
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from .auth.models import Role, User

T = TypeVar("T")

# Primary keys are 32-bit on PostgreSQL (``integer``): a larger id cannot name a row, and handing it to
# the driver overflows (a 500). URLs and form ids past it are simply not found.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL: a non-negative id that fits the database's integer, else 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


@cache
def _user_by_id() -> Select:
    """The signed-in user's row, as one statement built once: SQLAlchemy keys a reused statement's SQL
    cache entry once, where ``db.session.get`` builds and keys a new statement on every request."""
    from .auth.models import User

    return select(User).where(User.id == bindparam("uid"))


class _UserRow:
    """The signed-in user's row read straight through the driver, per SQL dialect (built once).

    Every request reads this row, so its ORM load was a fixed cost on every page: a statement run through
    the ORM and SQLAlchemy's execution layers costs several times the driver call. Here the statement is
    compiled once per dialect; the row goes through the same result processors SQLAlchemy would apply
    (SQLite's dates), and its errors through SQLAlchemy's own handler (a dropped connection is still a
    disconnect: wrapped, the pool invalidated, a 503)."""

    def __init__(self, dialect: Any) -> None:
        from .auth.models import User

        table = User.__table__
        columns = list(table.columns)
        compiled = select(*columns).where(table.c.id == bindparam("uid")).compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = compiled.positional
        mapper = User.__mapper__
        self.keys = [mapper.get_property_by_column(column).key for column in columns]
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        self.processors = [(i, proc) for i, proc in enumerate(processors) if proc is not None]
        self.new_user = mapper.class_manager.new_instance

    def fetch(self, connection: Connection, uid: int) -> tuple | None:
        statement, params = self.sql, (uid,) if self.positional else {"uid": uid}
        dispatch = connection.dispatch
        cursor = None
        try:
            cursor = connection.connection.dbapi_connection.cursor()
            # Statement listeners (profiling, statement counts) see this statement as SQLAlchemy's own.
            for listener in dispatch.before_cursor_execute:
                statement, params = listener(connection, cursor, statement, params, None, False)
            cursor.execute(statement, params)
            for listener in dispatch.after_cursor_execute:
                listener(connection, cursor, statement, params, None, False)
            row = cursor.fetchone()
            cursor.close()
        except Exception as error:  # noqa: BLE001 - classified by SQLAlchemy exactly as for its own statements
            connection._handle_dbapi_exception(error, statement, params, cursor, None)
        if row is None or not self.processors:
            return row
        values = list(row)
        for i, proc in self.processors:
            values[i] = proc(values[i])
        return values

    def persistent(self, orm_session: Session, values: Any) -> User:
        """The row as the session's own persistent, unmodified ``User`` (what an ORM load makes), without
        running SQL: every column loaded, nothing pending, in the session's identity map."""
        user = self.new_user()
        user.__dict__.update(zip(self.keys, values, strict=True))
        make_transient_to_detached(user)
        orm_session.add(user)
        return user


_user_rows: dict[Any, _UserRow] = {}


def _signed_in_user(uid: int) -> User | None:
    orm_session = db.session()
    if orm_session.identity_map or orm_session.new:
        # A session already in use (a test sharing its session with the requests): the ORM's load,
        # which returns an object this session already holds.
        return orm_session.execute(_user_by_id(), {"uid": uid}).scalar_one_or_none()
    connection = orm_session.connection()
    dialect = connection.dialect
    rows = _user_rows.get(dialect)
    if rows is None:
        rows = _user_rows[dialect] = _UserRow(dialect)
    values = rows.fetch(connection, uid)
    return None if values is None else rows.persistent(orm_session, values)


def load_current_user() -> None:
    """``before_request``: put the signed-in, not blocked user (or None) in ``g.user``: the session's own
    ``User``, read from the database on every request, so a changed role, a block or a new
    ``session_version`` (password change) counts from the very next request, in every worker."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = _signed_in_user(uid)
    if user is None or user.session_version != session.get("sv") or user.is_blocked:
        session.clear()
        return
    g.user = user


def is_local_path(target: str | None) -> bool:
    """Whether ``target`` is a same-site path safe to redirect to: one leading ``/``, no scheme or host,
    no backslash and no control character or space. Browsers read ``\\`` as ``/`` and drop tabs and
    newlines, so ``/\\evil.example`` and ``/<tab>/evil.example`` would leave the site; a newline would
    also break the ``Location`` header."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def current_user() -> User | None:
    return g.get("user")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in and holding one of ``roles`` (admin always passes), else 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not g.user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_visible_or_404(
    model: type[T], ident: Any, visible: Callable[[T, User | None], bool], options: list | None = None
) -> T:
    """Fetch ``model`` by primary key (with loader ``options``); 404 if absent or if ``visible(obj, user)``
    is false."""
    if isinstance(ident, int) and not 0 <= ident <= MAX_ID:
        abort(404)
    return _visible_or_404(db.session.get(model, ident, options=options), visible)


def load_visible_or_404(statement: Select, ident: int, visible: Callable[[T, User | None], bool]) -> T:
    """:func:`get_visible_or_404` for a prebuilt ``statement`` that selects one object by the bound
    parameter ``id`` (with its loader options: the statement's SQL cache key is then computed once, not
    on every request)."""
    if not 0 <= ident <= MAX_ID:
        abort(404)
    return _visible_or_404(
        db.session.execute(statement, {"id": ident}).unique().scalar_one_or_none(), visible
    )


def _visible_or_404(obj: T | None, visible: Callable[[T, User | None], bool]) -> T:
    if obj is None or not visible(obj, g.get("user")):
        abort(404)
    return obj


def authorize(allowed: bool) -> None:
    """403 unless ``allowed``."""
    if not allowed:
        abort(403)
