"""PostgreSQL restarted in the middle of casting: while it is down clients get a clear retryable answer
(503, ``Retry-After``, a plain message; never a 500), nothing is half-written, and casting resumes by
itself once it is back, without restarting the app (a disconnect, or an idle connection failing its test
before use, makes the pool replace every connection made before it).

The server is a throwaway cluster of this test's own (:class:`.servers.PostgresCluster`), never the
shared one. Without PostgreSQL's binaries the test skips with the reason, unless
``CONSULT_REQUIRE_POSTGRES=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade

from consult import create_app
from consult.extensions import db

from ..conftest import BASE_CONFIG
from .casting import prepare, run_database_restarts
from .servers import PostgresCluster

VOTERS = 90
DOWN_SECONDS = 2.0


@pytest.fixture
def cluster():
    reason = PostgresCluster.missing()
    if reason:
        if os.environ.get("CONSULT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"CONSULT_REQUIRE_POSTGRES=1 but a throwaway PostgreSQL cannot be made: {reason}")
        pytest.skip(f"PostgreSQL restart test skipped: {reason}")
    made = PostgresCluster()
    try:
        made.create()
        yield made
    finally:
        made.destroy()


def test_a_postgres_restart_mid_casting_is_a_503_then_casting_resumes(cluster, tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": cluster.url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    try:
        election = prepare(app, VOTERS, seed=15)
        figures = run_database_restarts(
            app, election, cluster, tmp_path, restarts=1, down_seconds=DOWN_SECONDS
        )
    finally:
        with app.app_context():
            db.engine.dispose()
    print("PostgreSQL restart figures:", figures)
