"""PostgreSQL: requests that read, or read and then write one statement, run without a transaction block.

psycopg opens a transaction with a ``BEGIN`` of its own before a request's first statement and the
session ends it with ``COMMIT`` or ``ROLLBACK``: two round trips to the server per request, each a wait
and a wake-up on both sides. PostgreSQL reads in READ COMMITTED, where every statement takes its own
snapshot anyway, so for a request that only reads, or reads and then writes with a single statement,
autocommit changes nothing that can be seen: each statement is its own transaction, and a single write
statement is all or nothing and durable (``synchronous_commit`` stays on) when it returns, before the
answer is made. The two round trips are saved.

Only the endpoints in :data:`ENDPOINTS` run so, each checked by hand to write at most one statement: the
ballot page reads only; the cast reads, then writes the poll-book row and the ballot in one statement
(``voting.services._CAST_ONE_STATEMENT``; a second cast fails on the poll book's unique constraint and
nothing is written). The receipt file is made in the receipt page, without a request of its own. An
endpoint joins the list only if that stays true. SQLite is not concerned: its writes need the
transaction (two statements per cast, and its writers' lock).
"""

from __future__ import annotations

from flask import Flask, request

from .extensions import db

ENDPOINTS = frozenset({"voting.contest", "voting.cast"})


def init_app(app: Flask) -> None:
    """Register the switch (PostgreSQL only); call before any ``before_request`` that reads the database."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.before_request(_autocommit_if_listed)


def _autocommit_if_listed() -> None:
    # A request's session is new here (nothing before this hook reads the database). A test that shares
    # its own session with the requests may have opened a transaction already: that one is left as it is.
    if request.endpoint in ENDPOINTS and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
