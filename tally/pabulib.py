"""Pabulib ``.pb`` reader (participatory budgeting, https://pabulib.org/format).

A file has three sections, each a line ``META``, ``PROJECTS`` or ``VOTES`` followed by a header row and
``;``-separated rows (CSV quoting allowed, CRLF or LF line ends, UTF-8 with or without BOM):

- ``META``: ``key;value`` rows; ``budget`` is required, ``vote_type`` defaults to ``approval``,
  ``rule`` names the counting rule (mapped to a method id by ``RULE_METHODS``).
- ``PROJECTS``: ``project_id`` and ``cost`` required; ``name``, ``votes``, ``score``, ``selected`` kept.
- ``VOTES``: ``voter_id`` and ``vote`` (comma-separated project ids) required; ``points`` (one integer
  per listed project) for ``cumulative`` and ``scoring`` ballots and optionally for ``ordinal`` ones.

Points per voter and project (the budget ballot matrix):
- ``approval`` and ``choose-1``: 1 for every listed project (``points`` ignored);
- ``cumulative``, ``scoring``: the ``points`` column, non-negative integers;
- ``ordinal``: the ``points`` column when present; otherwise the first rank gets L points, the next
  L-1, and so on, with L = META ``max_length`` or, when absent, the longest ballot in the file.

A project listed twice on one ballot, an unknown project, a bad number or a missing column is an error
naming the file and line.
"""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import numpy as np

from .ballots import Candidates
from .budget import BudgetBallots
from .errors import TallyError
from .formats import Loaded, loader

VOTE_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")

# Pabulib META rule -> method id (and options the rule implies).
RULE_METHODS = {
    "greedy": "greedy",
    "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold",
    "greedy-custom": "greedy-custom",
    "equalshares": "equalshares",
    "equalshares-comparison": "equalshares-comparison",
    "equalshares/add1": "equalshares/add1",
    "equalshares/add1-comparison": "equalshares/add1-comparison",
    "equalshares/utilitarian": "equalshares/utilitarian",
}


def _number(text: str, what: str, path: str, line: int) -> Fraction:
    try:
        value = Fraction(text.strip().replace(",", "."))
    except (ValueError, ZeroDivisionError):
        raise TallyError(f"{what} {text!r} is not a number", file=path, record=f"line {line}") from None
    return value


def _int(text: str, what: str, path: str, line: int) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise TallyError(f"{what} {text!r} is not an integer", file=path, record=f"line {line}") from None


def read_pb(path: str | Path) -> BudgetBallots:
    """Read a Pabulib file into a ``BudgetBallots``."""
    p = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TallyError(f"not UTF-8 text ({err.reason} at byte {err.start})", file=p) from None
    lines = text.splitlines()
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    current = None
    rows = csv.reader(lines, delimiter=";", quotechar='"')
    for lineno, row in enumerate(rows, start=1):
        stripped = [c.strip() for c in row]
        if len(stripped) == 1 and stripped[0].upper() in ("META", "PROJECTS", "VOTES"):
            current = stripped[0].upper()
            if current in sections:
                raise TallyError(f"section {current} appears twice", file=p, record=f"line {lineno}")
            sections[current] = []
            continue
        if not any(stripped):
            continue
        if current is None:
            raise TallyError("text before the META section", file=p, record=f"line {lineno}")
        sections[current].append((lineno, stripped))
    for name in ("META", "PROJECTS", "VOTES"):
        if name not in sections:
            raise TallyError(f"no {name} section", file=p)
        if not sections[name]:
            raise TallyError(f"section {name} has no header row", file=p)

    def table(name: str, required: tuple[str, ...]):
        (hline, header), *body = sections[name]
        cols = [h.lower() for h in header]
        for col in required:
            if col not in cols:
                raise TallyError(f"{name} header has no {col!r} column", file=p, record=f"line {hline}")
        out = []
        for lineno, row in body:
            if len(row) != len(cols):
                raise TallyError(
                    f"{name} row has {len(row)} fields, the header has {len(cols)}",
                    file=p,
                    record=f"line {lineno}",
                )
            out.append((lineno, dict(zip(cols, row, strict=True))))
        return out

    meta: dict[str, str] = {}
    for _line, row in table("META", ("key", "value")):
        meta[row["key"]] = row["value"]
    if "budget" not in meta:
        raise TallyError("META has no budget", file=p)
    budget = _number(meta["budget"], "budget", p, sections["META"][0][0])
    vote_type = meta.get("vote_type", "approval").strip().lower()
    if vote_type not in VOTE_TYPES:
        raise TallyError(f"vote_type {vote_type!r} is not one of {', '.join(VOTE_TYPES)}", file=p)

    ids: list[str] = []
    costs: list[Fraction] = []
    names: list[str] = []
    declared: dict[str, dict[str, str]] = {}
    for lineno, row in table("PROJECTS", ("project_id", "cost")):
        pid = row["project_id"]
        if not pid:
            raise TallyError("empty project_id", file=p, record=f"line {lineno}")
        if pid in declared:
            raise TallyError(f"project {pid!r} listed twice", file=p, record=f"line {lineno}")
        cost = _number(row["cost"], "cost", p, lineno)
        if cost < 0:
            raise TallyError(f"project {pid!r} has a negative cost", file=p, record=f"line {lineno}")
        ids.append(pid)
        costs.append(cost)
        names.append(row.get("name", ""))
        declared[pid] = {k: row[k] for k in ("votes", "score", "selected") if k in row}
    index = {pid: i for i, pid in enumerate(ids)}

    votes = table("VOTES", ("voter_id", "vote"))
    has_points = bool(votes) and "points" in votes[0][1]
    if vote_type in ("cumulative", "scoring") and votes and not has_points:
        raise TallyError(f"{vote_type} ballots need a points column", file=p, record=f"line {votes[0][0]}")
    lists = []
    for lineno, row in votes:
        vote = [v.strip() for v in row["vote"].split(",")] if row["vote"] else []
        seen = set()
        for v in vote:
            if v not in index:
                raise TallyError(f"vote for unknown project {v!r}", file=p, record=f"line {lineno}")
            if v in seen:
                raise TallyError(f"project {v!r} listed twice on one ballot", file=p, record=f"line {lineno}")
            seen.add(v)
        pts = None
        if has_points and vote_type != "approval" and vote_type != "choose-1":
            pts = [_int(x, "points", p, lineno) for x in row["points"].split(",")] if row["points"] else []
            if len(pts) != len(vote):
                raise TallyError(
                    f"{len(pts)} points for {len(vote)} projects", file=p, record=f"line {lineno}"
                )
            if any(x < 0 for x in pts):
                raise TallyError("negative points", file=p, record=f"line {lineno}")
        lists.append((vote, pts))
    if vote_type == "ordinal" and not has_points:
        longest = max((len(v) for v, _ in lists), default=0)
        top = _int(meta["max_length"], "max_length", p, 0) if "max_length" in meta else longest
        if top < longest:
            raise TallyError(f"a ballot ranks more than max_length = {top} projects", file=p)

    matrix = np.zeros((len(lists), len(ids)), dtype=np.int64)
    for r, (vote, pts) in enumerate(lists):
        for k, v in enumerate(vote):
            if pts is not None:
                matrix[r, index[v]] = pts[k]
            elif vote_type == "ordinal":
                matrix[r, index[v]] = top - k
            else:
                matrix[r, index[v]] = 1
    threshold = None
    if "min_project_score_threshold" in meta:
        threshold = _number(meta["min_project_score_threshold"], "min_project_score_threshold", p, 0)
    return BudgetBallots.from_arrays(
        matrix,
        projects=Candidates(tuple(ids)),
        costs=costs,
        budget=budget,
        vote_type=vote_type,
        threshold=threshold,
        meta={"meta": meta, "declared": declared, "names": names},
    )


@loader(".pb")
def load_pb(path: Path) -> Loaded:
    ballots = read_pb(path)
    meta = ballots.meta["meta"]
    rule = meta.get("rule", "").strip()
    method = RULE_METHODS.get(rule)
    if rule and method is None:
        known = ", ".join(sorted(RULE_METHODS))
        raise TallyError(f"META rule {rule!r} has no method here (known: {known})", file=str(path))
    return Loaded(ballots=ballots, seats=None, method=method, title=meta.get("description"), meta=meta)
