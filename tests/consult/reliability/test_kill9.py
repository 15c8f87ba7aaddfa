"""kill -9 during casting: gunicorn (master and every worker) is killed with SIGKILL at random moments
while clients cast, and restarted each time; afterwards every receipt a client received is in the ballot
box exactly once, poll book and ballot box match row for row, and the certified package verifies (rules in
:mod:`.casting`). On SQLite and on PostgreSQL (a schema of its own, see ``conftest.database``).

The short version here does 3 kills; ``benchmarks/reliability/kill9.py`` runs the long one (20 kills).
"""

from __future__ import annotations

from consult.extensions import db

from .casting import prepare, run_kills, server_url

KILLS = 3
VOTERS = 160


def test_kill9_of_every_server_process_loses_and_duplicates_no_ballot(app, tmp_path):
    election = prepare(app, VOTERS, seed=6)
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    url = server_url(database, app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    with app.app_context():
        db.engine.dispose()
    figures = run_kills(app, election, url, tmp_path, KILLS, seed=6)
    print("kill -9 figures:", figures)
    assert figures["cut_sends"] > 0, "no request was cut by a kill: the test proved nothing"
