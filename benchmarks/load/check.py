"""After a load run: does the database hold exactly what the clients were told was accepted?

Ballots. Each receipt a client received names one ballot row (receipts are unique), and each ballot row's
receipt was received by a client: the two sets are equal. The poll book has one row per ballot in every
contest, and its (voter, contest) pairs are exactly the ones the clients cast. A cast whose answer never
arrived (timeout, broken connection) is *unknown*: it may or may not be in the database, so each such
cast may explain one extra row, never a missing one.

Comments. Every comment a client saw accepted (its unique token and id) is in the database exactly once
with that id; no load comment is there that no client saw accepted (unknown outcomes aside, as above).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

TOKEN = re.compile(r"Load comment ([0-9a-f]{16})")


@dataclass
class Consistency:
    ballots: int = 0
    participations: int = 0
    receipts_received: int = 0
    comments_in_db: int = 0
    comments_accepted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(url: str, clients: dict) -> Consistency:
    accepted = clients["accepted"]
    unknown = len(clients["unknown"])
    out = Consistency(receipts_received=len(accepted), comments_accepted=len(clients["comments"]))
    engine = create_engine(url)
    with engine.connect() as conn:
        receipts = [r for (r,) in conn.execute(text("SELECT receipt FROM ballot"))]
        per_contest_ballots = dict(
            conn.execute(text("SELECT contest_id, count(*) FROM ballot GROUP BY contest_id")).all()
        )
        pairs = conn.execute(
            text('SELECT u.email, p.contest_id FROM participation p JOIN "user" u ON u.id = p.voter_id')
        ).all()
        comments = conn.execute(
            text("SELECT c.id, c.body_md FROM comment c WHERE c.body_md LIKE 'Load comment %'")
        ).all()
    engine.dispose()

    out.ballots, out.participations = len(receipts), len(pairs)
    problems = out.problems
    received = [row[2] for row in accepted]
    for receipt, n in Counter(received).items():
        if n > 1:
            problems.append(f"receipt {receipt} was handed to clients {n} times")
    for receipt, n in Counter(receipts).items():
        if n > 1:
            problems.append(f"receipt {receipt} is on {n} ballot rows")
    lost = set(received) - set(receipts)
    if lost:
        problems.append(f"{len(lost)} ballots whose receipt a client received are not in the ballot table")
    extra = set(receipts) - set(received)
    if len(extra) > unknown:
        problems.append(f"{len(extra)} ballots no client received a receipt for ({unknown} outcomes unknown)")
    per_contest_parts = Counter(contest for _, contest in pairs)
    for contest in set(per_contest_ballots) | set(per_contest_parts):
        if per_contest_ballots.get(contest, 0) != per_contest_parts.get(contest, 0):
            problems.append(
                f"contest {contest}: {per_contest_ballots.get(contest, 0)} ballots but "
                f"{per_contest_parts.get(contest, 0)} poll-book rows"
            )
    for pair, n in Counter(pairs).items():
        if n > 1:
            problems.append(f"voter {pair[0]} is in the poll book of contest {pair[1]} {n} times")
    cast_pairs = {(email, contest) for email, contest, *_ in accepted}
    missing = cast_pairs - {tuple(p) for p in pairs}
    if missing:
        problems.append(f"{len(missing)} accepted casts have no poll-book row")
    unexpected = {tuple(p) for p in pairs} - cast_pairs
    if len(unexpected) > unknown:
        problems.append(f"{len(unexpected)} poll-book rows for casts no client saw accepted")

    out.comments_in_db = len(comments)
    db_tokens = Counter()
    db_ids = {}
    for comment_id, body in comments:
        match = TOKEN.match(body)
        if match:
            db_tokens[match.group(1)] += 1
            db_ids[match.group(1)] = comment_id
    for token, n in db_tokens.items():
        if n > 1:
            problems.append(f"comment {token} is stored {n} times")
    for token, comment_id in clients["comments"]:
        if token not in db_tokens:
            problems.append(f"accepted comment {token} (id {comment_id}) is not in the database")
        elif db_ids[token] != comment_id:
            problems.append(f"comment {token}: client saw id {comment_id}, database has {db_ids[token]}")
    unseen = set(db_tokens) - {token for token, _ in clients["comments"]}
    if len(unseen) > clients["unknown_comments"]:
        problems.append(f"{len(unseen)} load comments in the database that no client saw accepted")
    return out
