"""A few seconds of the load run (``benchmarks/load``) on SQLite: gunicorn with two workers, locust voters
and posters over loopback, then the database checked against what the clients were told. Consistency
only; the timing figures come from the full run (``make load``), never from this test."""

from __future__ import annotations

from benchmarks.load.__main__ import parse, run_one


def test_short_load_run_loses_and_duplicates_nothing(monkeypatch):
    # Cheap hashes for the accounts and the server alike: this test is about consistency, not argon2.
    monkeypatch.setenv("CONSULT_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONSULT_ARGON2_MEMORY_COST", "8")
    monkeypatch.setenv("CONSULT_ARGON2_PARALLELISM", "1")
    # The window closes when every voter has voted in every contest (60 s is only the upper bound). Posters
    # wait up to one post interval before their first post: with 4 contests the voters were sometimes done
    # within that wait (about 0.3 s), and no comment at all was posted.
    run = "sqlite --voters 8 --posters 3 --contests 8 --duration 60 --post-interval 0.25"
    options = ["--workers", "2", "--threads", "2", "--login-allowance", "60", "--quiet"]
    # Per-worker counting is enough here (the limits never bite); the full run shares them through Redis.
    args = parse([*run.split(), *options, "--ratelimit-storage", "memory://"])
    report = run_one("sqlite", args)
    assert report["window_opened"]
    assert report["problems"] == [] and report["consistent"]
    assert report["errors"] == {} and report["rate_limit_refusals"] == {}
    assert report["accepted_ballots"] == 8 * 8 == report["ballots_in_db"] == report["poll_book_rows"]
    assert report["receipts_received"] == report["accepted_ballots"]
    assert report["comments_accepted"] == report["comments_in_db"] > 0
