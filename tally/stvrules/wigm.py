"""Weighted Inclusive Gregory Method: generic WIGM and the PR Foundation reference WIGM rule.

``wigm`` (generic WIGM, droop's parametric rule; default arithmetic guarded, precision 18, guard 9):

1. Quota = ballots / (seats + 1), computed in the count's arithmetic. With exact arithmetic (guarded,
   rational) a candidate needs a vote *greater than* the quota; with fixed arithmetic the quota is
   raised by one unit of the last place and a vote *at least* the quota is enough.
2. Each round, while more candidates are hopeful than seats are left: every hopeful candidate with a
   quota is elected with surplus transfer pending (highest vote first). If any surplus is pending, the
   largest is transferred: each of the candidate's ballots gets weight (weight x surplus) / vote, the
   product and the quotient each truncated to the arithmetic's places, and moves to its next hopeful
   preference; the candidate keeps the quota. Otherwise the hopeful candidate with the lowest vote is
   defeated and their ballots move on at their current weight.
3. When the hopeful candidates are no more than the seats left (or no seat is left), pending
   candidates become elected, and the hopeful ones are elected while seats remain, else defeated.

``wigm-prf`` / ``wigm-prf-batch``: the Proportional Representation Foundation's Reference WIGM Rule,
fixed-point 4 places (every product and quotient truncated). Quota = ballots / (seats + 1) + 0.0001;
elected at vote >= quota. As ``wigm`` otherwise, except that ``wigm-prf-batch`` first defeats, each
round, the largest set of *sure losers* (rule B.2): hopeful candidates who, with every hopeful candidate
at or below their vote, number no more than (hopeful - seats left), and whose summed votes plus all
pending surpluses are below the lowest vote outside the set. If that leaves no more hopeful candidates
than seats, the count ends without transferring their ballots.

Ties (surplus order, defeat): by the declared tie-breaking order (see ``engine``); droop's own rule.
With guarded arithmetic two votes within half a unit of the last place (10^g/2) are equal.
"""

from __future__ import annotations

from ..methods import register
from .engine import Count
from .options import resolve


def vote_key(E: Count):
    return lambda c: (E.vote[c], c)


def lowest(E: Count, cands: list[int]) -> list[int]:
    low = min(E.vote[c] for c in cands)
    return [c for c in cands if E.A.eq(E.vote[c], low)]


def highest(E: Count, cands: list[int]) -> list[int]:
    high = max(E.vote[c] for c in cands)
    return [c for c in cands if E.A.eq(E.vote[c], high)]


def transfer_surplus(E: Count, c: int) -> None:
    """Move ``c``'s ballots on with weight (weight x surplus) / vote, each step truncated."""
    A = E.A
    surplus, total = E.vote[c] - E.quota, E.vote[c]
    for b in E.take(c):
        b.weight = A.div(A.mul(b.weight, surplus), total)
        E.place(b)
    E.vote[c] = E.quota
    E.log("transfer", f"Surplus transferred: {E.names[c]} ({A.fmt(surplus)})")


def transfer_defeated(E: Count, cands: list[int]) -> None:
    for c in cands:
        for b in E.take(c):
            E.place(b)
    for c in cands:
        E.vote[c] = E.A.n(0)
    E.log("transfer", "Transfer defeated: " + ", ".join(E.names[c] for c in cands))


def elect_with_quota(E: Count, has_quota) -> None:
    for c in sorted((c for c in E.hopeful if has_quota(c)), key=vote_key(E), reverse=True):
        E.elect(c, "Elect, transfer pending", pending=True)


def finish(E: Count) -> None:
    for c in E.pending:
        E.unpend(c)
    for c in E.hopeful:
        if E.n_elected() < E.seats:
            E.elect(c, "Elect remaining")
        else:
            E.defeat(c, "Defeat remaining")
    E.log("end", "Count Complete")


def sure_losers(E: Count) -> list[int]:
    """PRF rule B.2: the largest set of sure losers, in vote order (empty when there is none)."""
    A = E.A
    surplus = sum((E.vote[c] - E.quota for c in E.pending), A.n(0))
    groups: list[list[int]] = []
    floor = A.n(0)
    for c in sorted(E.hopeful, key=vote_key(E)):
        if groups and floor + surplus >= E.vote[c]:
            groups[-1].append(c)
        else:
            groups.append([c])
            floor = E.vote[c]
    max_defeat = len(E.hopeful) - E.seats_left()
    total, ncand, best = A.n(0), 0, None
    for g in range(len(groups) - 1):
        ncand += len(groups[g])
        if ncand > max_defeat:
            break
        total += sum((E.vote[c] for c in groups[g]), A.n(0))
        if total + surplus < E.vote[groups[g + 1][0]]:
            best = g
    return [c for g in groups[: best + 1] for c in g] if best is not None else []


def run_wigm(E: Count, *, exact_quota: bool, batch: bool) -> None:
    A = E.A
    E.quota = A.div(A.n(E.nballots), A.n(E.seats + 1))
    if not exact_quota:
        E.quota += A.epsilon

    def has_quota(c: int) -> bool:
        return A.gt(E.vote[c], E.quota) if exact_quota else A.ge(E.vote[c], E.quota)

    E.first_count()
    E.log("begin", "Begin Count")
    while len(E.hopeful) > E.seats_left() > 0:
        E.new_round()
        elect_with_quota(E, has_quota)
        if batch:
            losers = sure_losers(E)
            if losers:
                for c in sorted(losers):
                    E.defeat(c, "Defeat sure loser")
                if len(E.hopeful) <= E.seats_left():
                    break
                transfer_defeated(E, losers)
                continue
        if E.pending:
            c = E.break_tie(highest(E, E.pending), "surplus")
            E.unpend(c, "Transfer high surplus")
            transfer_surplus(E, c)
        elif E.hopeful:
            c = E.break_tie(lowest(E, E.hopeful), "defeat")
            E.defeat(c, "Defeat")
            transfer_defeated(E, [c])
    finish(E)


@register("wigm")
def count_wigm(ballots, seats: int = 1, **options):
    """Generic WIGM (see the module docstring for the rule, ties and arithmetic)."""
    given = dict(options)
    arith = given.get("arithmetic") or "guarded"
    defaults = {"arithmetic": "guarded", "precision": 18}
    if arith == "fixed":
        defaults = {"arithmetic": "fixed", "precision": 9}
    elif arith == "guarded" and given.get("guard") is None:
        defaults["guard"] = (given.get("precision") or 18) // 2
    A, opts, extra = resolve(
        "wigm", ballots, given, defaults=defaults, uses=("arithmetic", "precision", "guard", "display")
    )
    E = Count(ballots, seats, A, "wigm", opts)
    E.extra.update(extra)
    run_wigm(E, exact_quota=A.exact, batch=False)
    return E.result()


def _prf(method: str, batch: bool):
    def count_prf(ballots, seats: int = 1, **options):
        A, opts, extra = resolve(
            method,
            ballots,
            options,
            defaults={},
            force={"arithmetic": "fixed", "precision": 4, "display": 4},
            uses=("arithmetic", "precision", "display"),
        )
        E = Count(ballots, seats, A, method, opts)
        E.extra.update(extra)
        run_wigm(E, exact_quota=False, batch=batch)
        return E.result()

    count_prf.__name__ = f"count_{method.replace('-', '_')}"
    count_prf.__doc__ = (
        f"PR Foundation reference WIGM ({'batch defeat of sure losers' if batch else 'single defeat'})."
    )
    return count_prf


count_wigm_prf = register("wigm-prf")(_prf("wigm-prf", batch=False))
count_wigm_prf_batch = register("wigm-prf-batch")(_prf("wigm-prf-batch", batch=True))
