"""Per-ballot rules a contest declares for its voters, checked one ballot at a time (``check_ballot``).

A ballot is first put in canonical form by ``tally.audit.canonical_ballot`` (known ids, integers, no
repeated approval); ``check_ballot`` then applies the contest's ``ballot_rules`` (the same dict an
``AuditConfig`` carries) and raises ``BallotError`` whose message is a plain sentence a voter can act on:

- ``ranked``: no skipped rank and no overvote (the web form has one candidate per rank), no candidate
  ranked twice, at least one candidate ranked, at most ``max_ranks`` ranks when given.
- ``approval``: between ``min`` (default 0) and ``max`` (default: every option) approvals.
- ``budget``: an approval budget ballot (a list of project ids) whose total cost (``costs``: project id ->
  integer cost) is at most ``budget``; at least one project (``min``, default 1).
- ``quadratic``: option id -> integer votes; the sum of squared votes is at most ``credits``; negative
  votes only when ``allow_negative`` is true; at least one non-zero vote.

``rules_problems(ballot_type, rules, candidates)`` checks the rules themselves (for a contest editor).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import BallotError

BALLOT_TYPES = ("ranked", "approval", "budget", "quadratic")


def _int(rules: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = rules.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BallotError(f"contest rule {key!r} must be an integer")
    return value


def rules_problems(ballot_type: str, rules: Mapping[str, Any], candidates: Sequence[str]) -> list[str]:
    """Plain-language problems with a contest's ballot rules (empty when they are usable)."""
    n = len(candidates)
    problems: list[str] = []
    if ballot_type not in BALLOT_TYPES:
        return [f"unknown ballot type {ballot_type!r}"]
    try:
        if ballot_type == "ranked":
            m = _int(rules, "max_ranks", None)
            if m is not None and m < 1:
                problems.append("the number of ranks must be at least 1")
        elif ballot_type == "approval":
            lo, hi = _int(rules, "min", 0), _int(rules, "max", n)
            if lo < 0 or hi < 1 or lo > hi or (n and lo > n):
                problems.append(
                    f"the approval limits must satisfy 0 <= minimum <= maximum, got {lo} and {hi}"
                )
        elif ballot_type == "budget":
            cap = _int(rules, "budget", None)
            costs = rules.get("costs")
            if cap is None or cap <= 0:
                problems.append("the budget cap must be a positive whole number")
            if not isinstance(costs, Mapping) or set(costs) != set(candidates):
                problems.append("every project needs a cost")
            elif any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in costs.values()):
                problems.append("every project cost must be a positive whole number")
        elif ballot_type == "quadratic":
            credits = _int(rules, "credits", None)
            if credits is None or credits < 1:
                problems.append("the voice credits must be a positive whole number")
            if not isinstance(rules.get("allow_negative", False), bool):
                problems.append("'allow_negative' must be true or false")
    except BallotError as err:
        problems.append(err.message)
    if n == 0:
        problems.append("the contest has no options yet")
    return problems


def check_ballot(ballot_type: str, content: Any, candidates: Sequence[str], rules: Mapping[str, Any]) -> None:
    """Raise ``BallotError`` (a sentence for the voter) unless canonical ``content`` obeys ``rules``."""
    if ballot_type == "ranked":
        _ranked(content, rules)
    elif ballot_type == "approval":
        lo, hi = _int(rules, "min", 0), _int(rules, "max", len(candidates))
        k = len(content)
        if k < lo:
            raise BallotError(f"Choose at least {lo} option{'s' if lo != 1 else ''}; you chose {k}.")
        if k > hi:
            raise BallotError(f"Choose at most {hi} option{'s' if hi != 1 else ''}; you chose {k}.")
    elif ballot_type == "budget":
        _budget(content, rules)
    elif ballot_type == "quadratic":
        _quadratic(content, rules)
    else:
        raise BallotError(f"unknown ballot type {ballot_type!r}")


def _ranked(content: Any, rules: Mapping[str, Any]) -> None:
    if not content:
        raise BallotError("Rank at least one candidate.")
    seen: set[str] = set()
    for place, rank in enumerate(content, start=1):
        if rank is None:
            raise BallotError(f"Rank {place} is empty but a later rank is filled; fill the ranks in order.")
        if isinstance(rank, list):
            raise BallotError(f"Rank {place} holds more than one candidate; give each rank one candidate.")
        if rank in seen:
            raise BallotError(f"You ranked {rank} more than once; rank each candidate at most once.")
        seen.add(rank)
    cap = _int(rules, "max_ranks", None)
    if cap is not None and len(content) > cap:
        raise BallotError(f"Rank at most {cap} candidates; you ranked {len(content)}.")


def budget_total(content: Any, rules: Mapping[str, Any]) -> int:
    """Total cost of the projects on an approval budget ballot."""
    costs = rules.get("costs") or {}
    return sum(int(costs[p]) for p in content)


def _budget(content: Any, rules: Mapping[str, Any]) -> None:
    if isinstance(content, Mapping):
        raise BallotError("A budget ballot here is a list of chosen projects, not points.")
    if len(content) < (_int(rules, "min", 1) or 0):
        raise BallotError("Choose at least one project.")
    cap = _int(rules, "budget", None)
    total = budget_total(content, rules)
    if cap is not None and total > cap:
        raise BallotError(
            f"Your projects cost {total} in total, more than the budget of {cap}; remove some projects."
        )


def quadratic_cost(content: Mapping[str, int]) -> int:
    """Voice credits a quadratic ballot spends: the sum of squared votes."""
    return sum(v * v for v in content.values())


def _quadratic(content: Any, rules: Mapping[str, Any]) -> None:
    if not isinstance(content, Mapping):
        raise BallotError("A quadratic ballot gives each option a number of votes.")
    if not content:
        raise BallotError("Give at least one option a vote.")
    if not rules.get("allow_negative", False):
        against = sorted(k for k, v in content.items() if v < 0)
        if against:
            raise BallotError(f"Votes against an option are not allowed here ({', '.join(against)}).")
    credits = _int(rules, "credits", None)
    spent = quadratic_cost(content)
    if credits is not None and spent > credits:
        raise BallotError(
            f"Your votes cost {spent} credits (each option costs its votes squared), "
            f"more than the {credits} you have."
        )
