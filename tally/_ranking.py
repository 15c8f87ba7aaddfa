"""Rankings with declared tie-breaks for the Condorcet, approval, proportional, budget and quadratic
methods, on top of ``tally.seeded_ties`` (tied candidates ordered by ``sha256(seed|contest_id|round|name)``
ascending, first selected). Options ``seed`` (default ``"0"``) and ``contest_id`` (default ``""``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import TallyError
from .seeded_ties import RULE, tie_order

DEFAULT_SEED = "0"
DEFAULT_CONTEST = ""


def check(options: dict[str, Any], extra: Sequence[str] = ()) -> tuple[str, str]:
    """Refuse unknown options; return the declared ``seed`` and ``contest_id``."""
    known = {"seed", "contest_id", *extra}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TallyError(f"unknown option(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    seed = options.get("seed", DEFAULT_SEED)
    contest = options.get("contest_id", DEFAULT_CONTEST)
    for label, value in (("seed", seed), ("contest_id", contest)):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TallyError(f"option {label} must be text, got {value!r}")
    if str(seed) == "":
        raise TallyError("option seed must not be empty")
    return str(seed), str(contest)


def order(names: Sequence[str], seed: str, contest: str, round_no: int) -> list[str]:
    return tie_order(seed, contest, round_no, list(names))


def record(kind: str, ordered: Sequence[str], round_no: int, **facts: Any) -> dict[str, Any]:
    """One tie as it goes into ``Result.ties`` (same shape as ``seeded_ties.break_tie``)."""
    return {
        "round": round_no,
        "kind": kind,
        "tied": sorted(ordered),
        "rule": RULE,
        "order": list(ordered),
        "selected": ordered[0],
        **facts,
    }


def pick(names: Sequence[str], seed: str, contest: str, round_no: int, ties: list, kind: str, **facts) -> str:
    """The first of ``names`` in the seeded order; a tie (two or more names) is recorded."""
    if len(names) == 1:
        return names[0]
    ordered = order(names, seed, contest, round_no)
    ties.append(record(kind, ordered, round_no, **facts))
    return ordered[0]


def rank_by_score(scores: Sequence, names: Sequence[str], seed: str, contest: str, ties: list, why: str):
    """Indices ordered by score, highest first; each group of equal scores is put in seeded order with
    round = the group's first place (1-based) and recorded in ``ties``."""
    idx = sorted(range(len(names)), key=lambda i: scores[i], reverse=True)
    out: list[int] = []
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and scores[idx[j + 1]] == scores[idx[i]]:
            j += 1
        group = idx[i : j + 1]
        if len(group) > 1:
            ordered = order([names[g] for g in group], seed, contest, i + 1)
            ties.append(record(f"{why}, places {i + 1}-{j + 1}", ordered, i + 1))
            lookup = {names[g]: g for g in group}
            group = [lookup[n] for n in ordered]
        out.extend(group)
        i = j + 1
    return out
