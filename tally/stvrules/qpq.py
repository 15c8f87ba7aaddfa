"""Quota Preferential by Quotient (QPQ), D. R. Woodall, "QPQ, a quota-preferential STV-like election
rule", Voting matters 17 (2003), as counted by droop (rule id ``qpq``). Default arithmetic: guarded,
9 places + 9 guard digits (any arithmetic may be asked for).

Every ballot carries the fractional number of candidates it has so far elected (0 at the start).
Each stage:

2.3 The ballots *contributing* to a hopeful candidate c are those on which c is the topmost hopeful
    candidate; c's quotient is qc = vc / (1 + tc), with vc the number of those ballots and tc the sum of
    the fractions of candidates they have elected.
2.4 A ballot is active if it ranks a hopeful candidate. Quota = va / (1 + s - tx): va active ballots,
    s seats, tx the candidates elected by the inactive ballots.
2.5a If the highest quotient exceeds the quota, that candidate is elected, and each ballot contributing
    to them is now deemed to have elected 1/qc candidates in total.
2.5b Otherwise the hopeful candidate with the smallest quotient is excluded, and the count restarts
    from the beginning (2.2) without them: every elected candidate is hopeful again and every ballot
    has elected 0.
2.6 The count ends when the seats are filled, or when the hopeful candidates are no more than the seats
    left, who are then elected.

The record shows, for each candidate, vc as the vote and qc as the quotient.

Ties (largest or smallest quotient): by the declared tie-breaking order (see ``engine``), standing for
the paper's drawing by lot. With guarded arithmetic quotients within half a unit of the ninth place
are equal.
"""

from __future__ import annotations

from ..methods import register
from .engine import Count
from .options import resolve


class QpqCount(Count):
    def totals(self) -> dict[str, str]:
        A = self.A
        return {"ta": A.fmt(getattr(self, "ta", A.n(0))), "tx": A.fmt(getattr(self, "tx", A.n(0)))}

    def log(self, tag: str, msg: str, **fields) -> None:
        q = {
            self.names[c]: self.A.fmt(v) for c, v in enumerate(self.quotient) if self.state[c] != "withdrawn"
        }
        super().log(tag, msg, quotient=q, **fields)


def _advance(E: Count, b) -> None:
    r = b.ranking
    while b.index < len(r) and E.state[r[b.index]] != "hopeful":
        b.index += 1


@register("qpq")
def count_qpq(ballots, seats: int = 1, **options):
    """QPQ (see the module docstring for the rule and its ties)."""
    given = dict(options)
    defaults = {"arithmetic": "guarded", "precision": 9}
    if given.get("arithmetic") == "fixed":
        defaults = {"arithmetic": "fixed", "precision": 9}
    elif given.get("arithmetic") == "rational":
        defaults = {"arithmetic": "rational", "display": 9}
    A, opts, extra = resolve(
        "qpq", ballots, given, defaults=defaults, uses=("arithmetic", "precision", "guard", "display")
    )
    E = QpqCount(ballots, seats, A, "qpq", opts)
    E.extra.update(extra)
    zero, one = A.n(0), A.one
    E.quotient = [zero] * len(E.names)
    E.quota = A.div(A.n(E.nballots), A.n(seats + 1))
    E.log("begin", "Begin Count")

    def complete() -> bool:
        return E.seats_left() <= 0 or len(E.hopeful) <= E.seats_left()

    restart = True
    while not complete():
        E.new_round()
        if restart:
            restart = False
            for c in E.cands("elected"):
                E.state[c] = "hopeful"
            E.elected_order = []
            for b in E.ballots:
                b.index, b.weight = 0, zero
                _advance(E, b)
        hopeful = E.hopeful
        tc = {c: zero for c in hopeful}
        vc = {c: 0 for c in hopeful}
        E.tx, va = zero, 0
        for b in E.ballots:
            if b.index >= len(b.ranking):
                E.tx += b.weight * b.count
            else:
                va += b.count
                c = b.ranking[b.index]
                tc[c] += b.weight * b.count
                vc[c] += b.count
        E.ta = zero
        for c in hopeful:
            E.vote[c] = A.n(vc[c])
            E.quotient[c] = A.div(A.n(vc[c]), one + tc[c])
            E.ta += tc[c]
        E.quota = A.div(A.n(va), A.n(1 + seats) - E.tx)
        high = max(E.quotient[c] for c in hopeful)
        if A.gt(high, E.quota):
            tied = [c for c in hopeful if A.eq(E.quotient[c], high)]
            c = E.break_tie(tied, "largest quotient", "Break tie by lot")
            E.elect(c, "Elect high quotient")
            weight = A.div(one, E.quotient[c])
            for b in E.ballots_of(c):
                b.weight = weight
                _advance(E, b)
            E.log("transfer", f"Transfer elected: {E.names[c]} ({A.fmt(high)})")
        else:
            low = min(E.quotient[c] for c in hopeful)
            tied = [c for c in hopeful if A.eq(E.quotient[c], low)]
            c = E.break_tie(tied, "smallest quotient", "Break tie by lot")
            E.defeat(c, "Defeat low quotient")
            for b in E.ballots_of(c):
                _advance(E, b)
            E.log("transfer", f"Transfer defeated: {E.names[c]}")
            restart = True
    if len(E.hopeful) <= E.seats_left():
        for c in E.hopeful:
            E.elect(c, "Elect remaining candidates")
    for c in E.hopeful:
        E.defeat(c, "Defeat remaining candidates")
    E.log("end", "Count Complete")
    return E.result()
