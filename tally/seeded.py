"""Declared tie-break for native contests: a seeded hash order.

Tied candidates are ordered by ``sha256(seed ‖ contest ‖ round ‖ candidate)`` ascending, where the parts
are UTF-8 text joined by the unit separator ``\\x1f`` and ``round`` is a decimal integer; the candidate
with the smallest digest comes first (wins the tie). The seed and contest id are declared before the
count and printed in every result, so anyone can recompute the order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .errors import TallyError

DEFAULT_SEED = "0"
DEFAULT_CONTEST = "contest"


def digest(seed: str, contest: str, round_no: int, candidate: str) -> str:
    text = "\x1f".join((str(seed), str(contest), str(int(round_no)), str(candidate)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def order(names: Sequence[str], seed: str, contest: str, round_no: int) -> list[str]:
    """``names`` sorted by the seeded hash (first = wins the tie); digests never collide in practice,
    and a collision falls back to the name itself so the order stays total."""
    return sorted(names, key=lambda n: (digest(seed, contest, round_no, n), n))


def check(seed, contest) -> tuple[str, str]:
    """Validate the declared tie-break seed and contest id (text, not empty)."""
    for label, value in (("tie_seed", seed), ("contest", contest)):
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
            raise TallyError(f"option {label} must be non-empty text, got {value!r}")
    return str(seed), str(contest)


def record(kind: str, tied: Sequence[str], chosen: Sequence[str], round_no: int, seed: str) -> dict:
    """The record of one tie, as it goes into ``Result.ties``."""
    return {
        "kind": kind,
        "round": round_no,
        "tied": list(tied),
        "chosen": list(chosen),
        "rule": f"seeded sha256 order (seed {seed!r})",
    }


def rank_by_score(scores: Sequence, names: Sequence[str], seed: str, contest: str, ties: list, why: str):
    """Indices ordered by score, highest first; each group of equal scores is ordered by the seeded
    hash with round = the group's first place (1-based), and recorded in ``ties``."""
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
            ties.append(record(f"{why}, places {i + 1}-{j + 1}", ordered, ordered, i + 1, seed))
            lookup = {n: g for g, n in ((g, names[g]) for g in group)}
            group = [lookup[n] for n in ordered]
        out.extend(group)
        i = j + 1
    return out
