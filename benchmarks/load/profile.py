"""``python -m benchmarks.load.profile``: CPU cost of one voter journey inside one process, with cProfile.

No server and no network: the Flask test client drives the same requests as a load voter (open the
ballot, cast; the receipt page the cast answers carries the receipt file, so there is no third request)
for ``--voters`` voters x ``--contests`` contests, after a warm-up, on a fresh SQLite database or on a new
database on the PostgreSQL server ``--url`` (dropped at the end). Prints the CPU milliseconds per request
kind and per journey (process time, so other load on the machine barely matters) and the functions with
the most cumulative time.

``--posters P`` adds the posters' path of the load run after the voters: P posters each open the
consultation page (its discussion) once, all before the first post as when the load window opens, then
they post in turn, ``--posts`` times each, through htmx, alternating a new comment and a reply to a comment
posted earlier, as ``PosterUser`` does (the new comment's fragment is the answer). Their requests are
timed (and profiled) the same way, as ``discussion``, ``comment`` and ``reply``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import secrets
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from .prepare import PASSWORD, create_database, drop_database, populate, sqlite_url

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RECEIPT = re.compile(r'<code id="receipt">([0-9a-f]{64})</code>')


STATEMENTS: list[str] = []


def _count_statement(_conn, _cursor, statement, *_args) -> None:
    STATEMENTS.append(statement)


def _signed_in(app, email: str):
    """A test client logged in as ``email`` through the log-in form."""
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    client.post(
        "/auth/login",
        data={"csrf_token": CSRF.search(page).group(1), "email": email, "password": PASSWORD},
    )
    return client


def journeys(app, plan, voters: list[str], times: dict[str, list[float]], queries=None) -> None:
    for email in voters:
        client = _signed_in(app, email)
        for contest in plan.contests:
            began, STATEMENTS[:] = time.process_time(), []
            page = client.get(f"/contests/{contest.id}").get_data(as_text=True)
            times["ballot"].append(time.process_time() - began)
            if queries is not None:
                queries["ballot"] = list(STATEMENTS)
            token = CSRF.search(page).group(1)
            form = {"csrf_token": token, "rank-1": contest.keys[0]}
            if contest.ballot_type != "ranked":
                form = {"csrf_token": token, "choice": contest.keys[0]}
            cast_key = re.search(r'name="cast_key" value="([^"]+)"', page)
            if cast_key:
                form["cast_key"] = cast_key.group(1)
            began, STATEMENTS[:] = time.process_time(), []
            response = client.post(f"/contests/{contest.id}/cast", data=form)
            times["cast"].append(time.process_time() - began)
            if queries is not None:
                queries["cast"] = list(STATEMENTS)
            assert response.status_code == 200, response.status_code
            assert RECEIPT.search(response.get_data(as_text=True)), "a receipt page without a receipt"


COMMENT_ID = re.compile(r'id="comment-(\d+)"')


def posters(app, plan, emails: list[str], posts: int, times: dict[str, list[float]], queries=None) -> None:
    """The load run's posters: each opens the discussion once (all before the first post, as when the load
    window opens), then they post in turn, ``posts`` times each."""
    seen: list[int] = []
    htmx = {"HX-Request": "true"}
    sessions = []
    for email in emails:
        client = _signed_in(app, email)
        began, STATEMENTS[:] = time.process_time(), []
        page = client.get(f"/consultations/{plan.consultation_id}").get_data(as_text=True)
        times["discussion"].append(time.process_time() - began)
        if queries is not None:
            queries["discussion"] = list(STATEMENTS)
        sessions.append((client, CSRF.search(page).group(1)))
    for k in range(posts):
        for n, (client, token) in enumerate(sessions):
            form = {"csrf_token": token, "body": f"Load comment {n}.{k}: *agreed*.", "stance": "neutral"}
            if seen and (n + k) % 2:
                kind, path = "reply", f"/comments/{seen[(n * 7 + k) % len(seen)]}/reply"
            else:
                kind, path = "comment", f"/consultations/{plan.consultation_id}/comments"
            began, STATEMENTS[:] = time.process_time(), []
            response = client.post(path, data=form, headers=htmx)
            times[kind].append(time.process_time() - began)
            if queries is not None:
                queries[kind] = list(STATEMENTS)
            assert response.status_code == 200, response.status_code
            seen.append(int(COMMENT_ID.search(response.get_data(as_text=True)).group(1)))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.profile", description=__doc__)
    parser.add_argument(
        "--url",
        help="a PostgreSQL server's URL: the journeys run on a new database there, dropped at the end "
        "(default: a fresh SQLite file)",
    )
    parser.add_argument("--voters", type=int, default=20)
    parser.add_argument("--contests", type=int, default=20)
    parser.add_argument("--posters", type=int, default=0, help="posters after the voters (see above)")
    parser.add_argument("--posts", type=int, default=10, help="posts per poster")
    parser.add_argument("--top", type=int, default=35, help="functions to list (0: no cProfile)")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument(
        "--sql", action="count", default=0, help="print the SQL of each request kind (twice: in full)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="consult-profile-"))
    url = create_database(args.url) if args.url else sqlite_url(folder)
    try:
        run(args, url)
    finally:
        if args.url:
            drop_database(url)


def run(args: argparse.Namespace, url: str) -> None:
    from consult import create_app

    key = secrets.token_hex(16)
    plan = populate(url, args.voters + 2, args.posters + 1 if args.posters else 0, args.contests, key)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": key, "RATELIMIT_ENABLED": True})
    # One client address here for every voter: the limits are checked on every request but never bite.
    app.config.update(
        RATELIMIT_CAST="1000000/minute", RATELIMIT_LOGIN="1000000/minute", RATELIMIT_POST="1000000/minute"
    )
    from sqlalchemy import event

    with app.app_context():
        from consult.extensions import db

        event.listen(db.engine, "before_cursor_execute", _count_statement)
    warm: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[str]] = {}
    journeys(app, plan, plan.voters[:2], warm, queries)  # warm-up: imports, template compilation, caches
    if args.posters:
        posters(app, plan, plan.posters[:1], 2, warm, queries)
    for kind, statements in queries.items():
        print(f"{kind}: {len(statements)} SQL statements")
        if args.sql:
            for statement in statements:
                print("   ", " ".join(statement.split())[: 160 if args.sql == 1 else None])
    times: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile(time.process_time)  # CPU time: other load on the machine does not count
    if args.top:
        profiler.enable()
    journeys(app, plan, plan.voters[2:], times)
    if args.posters:
        posters(app, plan, plan.posters[1:], args.posts, times)
    profiler.disable()
    how = "profiled" if args.top else "not profiled"
    for kind, values in times.items():
        print(
            f"{kind:>13}: {1000 * sum(values) / len(values):6.2f} ms CPU per request ({how}), n={len(values)}"
        )
    steps = [kind for kind in ("ballot", "cast") if times[kind]]
    if steps:
        journey = [sum(parts) for parts in zip(*(times[kind] for kind in steps), strict=True)]
        print(f"{'journey':>13}: {1000 * sum(journey) / len(journey):6.2f} ms CPU ({' + '.join(steps)})")
    if args.top:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
