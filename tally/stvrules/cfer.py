"""CfER STV: Californians for Electoral Reform's draft California Elections Code s.10059 ("choice voting"),
as counted by droop (rule ids ``cfer``, single defeat, and ``cfer-batch``, with the optional defeat set
of s.10059(k)). Arithmetic is fixed by the rule: fixed-point, 5 places, every product and quotient
truncated.

Each round:

(c) In the first round, if the hopeful candidates are no more than the seats, all are elected.
(d) Every hopeful candidate with vote >= threshold is elected (highest vote first); their surplus is the
    vote above the threshold (transfer pending when it is above zero).
(e) If the elected candidates fill the seats, the rest are defeated and the count ends.
(f) ``cfer-batch`` only: the largest *defeat set* of s.10059(k) is defeated: the lowest t hopeful
    candidates such that (1) the hopeful candidates outside the set plus the elected are at least the
    seats, (2) the set's votes plus the total pending surplus are below the lowest vote outside the set,
    and (3) one of: (A) one seat is left, (B) the candidates outside the set exactly fill the seats,
    (C) set votes + surplus < threshold - highest hopeful vote, (D) no surplus and set votes minus the
    set's highest vote < threshold - highest hopeful vote.
(g) Otherwise every pending surplus is transferred (in candidate order): each of the candidate's ballots
    gets weight (weight x surplus) / vote, each step truncated to 5 places, and moves to its next hopeful
    preference; the candidate keeps the threshold.
(h) Otherwise the hopeful candidate with the fewest votes is defeated.
(i) After defeats: if hopeful + elected candidates no longer exceed the seats, all are elected and the
    count ends; else the defeated candidates' ballots move on at their current weight.

Threshold: droop computes ballots / (seats + 1) + 0.00001 (one unit of the fifth place). Known deviation:
the draft's text says "divided by ... plus one, disregarding any fraction", i.e. floor(ballots /
(seats + 1)) + 1; droop's reference counts, which this rule reproduces, use the former.

Ties (defeat only): by the declared tie-breaking order (see ``engine``), standing for the statute's
drawing by lot.
"""

from __future__ import annotations

from ..methods import register
from .engine import Count
from .options import resolve
from .wigm import lowest, transfer_defeated, transfer_surplus, vote_key


def _defeat_set(E: Count) -> list[int]:
    A = E.A
    surplus = sum((E.vote[c] - E.quota for c in E.pending), A.n(0))
    cands = sorted(E.hopeful, key=vote_key(E))
    n_elected = E.n_elected()
    best: list[int] = []
    for t in range(len(cands) - 1):
        trial, nextc = cands[: t + 1], cands[t + 1]
        if len(cands) - (t + 1) + n_elected < E.seats:
            break
        votes = sum((E.vote[c] for c in trial), A.n(0))
        if votes + surplus >= E.vote[nextc]:
            continue
        gap = E.quota - E.vote[cands[-1]]
        if (
            n_elected + 1 == E.seats
            or len(cands) - len(trial) + n_elected == E.seats
            or votes + surplus < gap
            or (surplus == 0 and votes - E.vote[cands[t]] < gap)
        ):
            best = trial
    return best


def _count(ballots, seats: int, options: dict, method: str, batch: bool):
    A, opts, extra = resolve(
        method,
        ballots,
        options,
        defaults={},
        force={"arithmetic": "fixed", "precision": 5, "display": 5},
        uses=("arithmetic", "precision", "display"),
    )
    E = Count(ballots, seats, A, method, opts)
    E.extra.update(extra)
    E.quota = A.div(A.n(E.nballots), A.n(seats + 1)) + A.epsilon
    E.first_count()
    E.log("begin", "Begin Count")
    while True:
        E.new_round()
        if E.round == 1 and len(E.hopeful) <= seats:
            for c in E.hopeful:
                E.elect(c, "Elect all")
            break
        for c in sorted((c for c in E.hopeful if E.vote[c] >= E.quota), key=vote_key(E), reverse=True):
            if E.vote[c] > E.quota:
                E.elect(c, "Elect, transfer pending", pending=True)
            else:
                E.elect(c, "Elect")
        if E.n_elected() >= seats:
            for c in E.pending:
                E.unpend(c)
            for c in E.hopeful:
                E.defeat(c, "Defeat remaining")
            break
        defeats = _defeat_set(E) if batch else []
        if defeats:
            for c in sorted(defeats):
                E.defeat(c, "Defeat batch")
        elif E.pending:
            for c in E.pending:
                E.unpend(c, "Transfer surplus")
                transfer_surplus(E, c)
        else:
            c = E.break_tie(lowest(E, E.hopeful), "defeat")
            E.defeat(c, "Defeat")
            defeats = [c]
        if defeats:
            if len(E.hopeful) + E.n_elected() <= seats:
                for c in E.pending:
                    E.unpend(c)
                    E.log("elect", f"Elect pending: {E.names[c]}")
                for c in E.hopeful:
                    E.elect(c, "Elect remaining")
                break
            transfer_defeated(E, defeats)
    E.log("end", "Count Complete")
    return E.result()


@register("cfer")
def count_cfer(ballots, seats: int = 1, **options):
    """CfER STV, single defeat (see the module docstring)."""
    return _count(ballots, seats, options, "cfer", batch=False)


@register("cfer-batch")
def count_cfer_batch(ballots, seats: int = 1, **options):
    """CfER STV with batch defeat of s.10059(k) (see the module docstring)."""
    return _count(ballots, seats, options, "cfer-batch", batch=True)
