"""PostgreSQL restarted in the middle of casting: while it is down clients get a clear retryable answer
(503, ``Retry-After``, a plain message; never a 500), nothing is half-written, and casting resumes by
itself once it is back, without restarting the app (``pool_pre_ping`` replaces the dead connections).

The server is a throwaway cluster of this test's own (:class:`.servers.PostgresCluster`), never the
shared one. Without PostgreSQL's binaries the test skips with the reason, unless
``CONSULT_REQUIRE_POSTGRES=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os
import time

import pytest
from flask_migrate import upgrade

from consult import create_app
from consult.extensions import db

from ..conftest import BASE_CONFIG
from .casting import Clients, check_ballot_box, prepare
from .servers import Gunicorn, PostgresCluster

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
    election = prepare(app, VOTERS, seed=15)
    server = Gunicorn(cluster.url, tmp_path, app.secret_key, workers=3)
    server.start()
    try:
        clients = Clients(server.port, election, threads=8, deadline=60).start()
        while clients.done < VOTERS // 3:
            time.sleep(0.01)
        cluster.stop("fast")
        down_at = time.monotonic()
        time.sleep(DOWN_SECONDS)
        cluster.start()
        up_at = time.monotonic()
        clients.join()
    finally:
        server.stop()
    figures = check_ballot_box(app, election)
    with app.app_context():
        db.engine.dispose()
    print("PostgreSQL restart figures:", figures)
    assert figures["statuses"].get(503, 0) > 0, "no client saw the outage: the test proved nothing"
    assert set(figures["statuses"]) == {200, 503}
    assert figures["retry_after"] == [str(app.config["RETRY_AFTER_SECONDS"])]
    assert server.starts == 1, "the app was restarted: casting did not resume by itself"
    resumed = [v for v in election.voters if v.done_at and v.done_at > up_at]
    assert resumed, "no ballot was cast after PostgreSQL came back"
    assert all(v.refused is None for v in election.voters)
    assert up_at - down_at >= DOWN_SECONDS
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
