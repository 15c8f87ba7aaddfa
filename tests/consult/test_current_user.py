"""``consult.access.load_current_user``: ``g.user`` is the request session's own ``User``, read from the
database on every request (straight through the driver when the session is new, as in production), so a
role change, a block or a new ``session_version`` counts from the very next request."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask import g
from sqlalchemy import event, inspect, select, update

from consult import access
from consult.auth.models import Role, User, utcnow
from consult.extensions import db

from .factories import Factories


def _signed_in(app, record: bool = True):
    """A user made in a context of its own (so every request below has a new session), and what each
    request saw of ``g.user``."""
    with app.app_context():
        user = Factories().user()
        signed_in = SimpleNamespace(id=user.id, session_version=user.session_version)
        db.session.remove()
    seen: list[dict] = []
    if not record:
        return signed_in, seen

    @app.after_request
    def record(response):
        user = g.user
        if user is None:
            seen.append({})
            return response
        state = inspect(user)
        loaded = db.session.execute(
            select(*User.__table__.columns).where(User.id == user.id)
        ).one()  # an ORM load would return g.user itself: compare with the row as SQLAlchemy reads it
        seen.append(
            {
                "persistent": state.persistent,
                "own session": state.session is db.session(),
                "modified": state.modified,
                "unloaded": set(state.unloaded),
                "same as the row": all(
                    getattr(user, column.key) == getattr(loaded, column.key)
                    for column in User.__table__.columns
                ),
                "the ORM's object": db.session.get(User, user.id) is user,
                "blocked_at": user.blocked_at,
                "role": user.role,
                "created_at": user.created_at,
            }
        )
        return response

    return signed_in, seen


def test_g_user_is_the_sessions_own_loaded_user(app, login):
    signed_in, seen = _signed_in(app)
    client = app.test_client()
    login(client, signed_in)
    assert client.get("/auth/account").status_code == 200
    assert seen == [
        {
            "persistent": True,
            "own session": True,
            "modified": False,
            "unloaded": set(),
            "same as the row": True,
            "the ORM's object": True,
            "blocked_at": None,
            "role": Role.CITIZEN.value,
            "created_at": seen[0]["created_at"],
        }
    ]


def test_a_role_change_a_block_and_a_new_session_version_count_at_the_next_request(app, login):
    signed_in, seen = _signed_in(app)
    client = app.test_client()
    login(client, signed_in)

    def change(**values) -> None:
        with app.app_context():
            db.session.execute(update(User).where(User.id == signed_in.id).values(**values))
            db.session.commit()
            db.session.remove()

    assert client.get("/auth/account").status_code == 200
    change(role=Role.ORGANISER.value)
    assert client.get("/auth/account").status_code == 200
    assert seen[-1]["role"] == Role.ORGANISER.value and seen[-1]["same as the row"]
    blocked = utcnow()
    change(blocked_at=blocked)
    assert client.get("/").status_code == 200
    assert seen[-1] == {}  # signed out
    change(blocked_at=None)
    login(client, signed_in)
    assert client.get("/").status_code == 200 and seen[-1]["blocked_at"] is None
    change(session_version=signed_in.session_version + 1)
    assert client.get("/").status_code == 200
    assert seen[-1] == {}
    with client.session_transaction() as sess:
        assert "uid" not in sess


def test_dates_are_read_as_sqlalchemy_reads_them(app, login):
    """SQLite keeps dates as text; the driver's row goes through SQLAlchemy's result processors."""
    signed_in, seen = _signed_in(app)
    client = app.test_client()
    login(client, signed_in)
    assert client.get("/").status_code == 200
    assert isinstance(seen[-1]["created_at"], datetime) and seen[-1]["same as the row"]
    assert access._user_rows  # read through the driver, not the ORM's fallback for a session in use


def test_statement_listeners_see_the_users_row_read(app, login):
    """Profiling and statement counts (``before_cursor_execute``, ``after_cursor_execute``) see the read
    of the signed-in user's row like any other statement."""
    signed_in, _ = _signed_in(app, record=False)
    client = app.test_client()
    login(client, signed_in)
    seen: dict[str, list[str]] = {"before_cursor_execute": [], "after_cursor_execute": []}
    listeners = {
        name: (lambda _conn, _cursor, sql, *_args, found=found: found.append(sql))
        for name, found in seen.items()
    }
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        assert client.get("/auth/account").status_code == 200
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
    reads = [sql for sql in seen["before_cursor_execute"] if "user" in sql and "WHERE" in sql]
    assert len(reads) == 1 and reads == [sql for sql in seen["after_cursor_execute"] if sql in reads]
