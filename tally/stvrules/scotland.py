"""Scottish STV: the Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1, rules 45-52.

Rule ids ``scotland`` and ``scottish-stv``. Arithmetic is fixed by the Order: fixed-point, 5 decimal
places, remainders ignored (``display`` may be lowered; nothing else can be changed).

1. (45, 46) Each ballot counts one vote for its first preference. Quota = floor(valid ballots /
   (seats + 1)) + 1, a whole number. A ballot is valid when it ranks at least one candidate who has not
   withdrawn.
2. (47) A candidate whose vote equals or exceeds the quota is deemed elected (several at once in order
   of vote, highest first). If the seats are then all filled, or the continuing candidates are no more
   than the vacancies left, the count ends (step 5).
3. (48, 49) Otherwise, if an elected candidate's surplus is untransferred, one stage transfers the
   largest surplus: every ballot the candidate holds passes to its next continuing preference with the
   new value  trunc5(surplus x value when received / candidate's total vote)  (rule 48(3), computed per
   ballot paper, remainder ignored). The candidate keeps exactly the quota. Then back to step 2.
4. (50) Otherwise one stage excludes the continuing candidate with the lowest vote; each of their
   ballots passes at its current value to its next continuing preference. Back to step 2.
5. (52) When the continuing candidates are as many as the vacancies left, they are all deemed elected
   without further transfer; continuing candidates left when all seats are filled are not elected.

Ties (49(2)-(3), 51(2)): among candidates with equal surpluses (equal lowest votes), regard is had to the
most recent preceding stage at which their votes were unequal: going back stage by stage (the vote
totals at the end of each earlier stage, first preferences being the first stage), the tied set is
narrowed at each stage to those with the highest (lowest) vote there, until one remains. If they were
equal at every stage the decision "by lot" is the declared tie-breaking order (``[tie]`` line, else
file order; earliest chosen), recorded as a tie.

Known deviations from the Order: none in the votes credited. A candidate elected with exactly the
quota has a zero "surplus" transferred as a stage of its own (as droop does; rule 48 only transfers a
surplus that exceeds the quota); nothing moves, and an extra stage with unchanged totals cannot alter
a rule 49/51 look-back. Non-transferable papers are credited with their
value when they exhaust (the Order does not need that number; it is reported). The statute counts each
ballot paper; identical ballots carry the same value, so a row of ``k`` ballots counts k x its value,
which is the same sum.
"""

from __future__ import annotations

from ..methods import register
from .engine import Count
from .options import resolve


def _prior_stage(E: Count, tied: list[int], highest: bool, purpose: str) -> int:
    if len(tied) == 1:
        return tied[0]
    cands = list(tied)
    for votes in reversed(E.history):
        vals = [votes[c] for c in cands]
        best = max(vals) if highest else min(vals)
        cands = [c for c in cands if votes[c] == best]
        if len(cands) == 1:
            E.record_tie(tied, purpose, cands[0], "Break tie by prior stage")
            return cands[0]
    chosen = E.by_tie_order(cands)[0]
    E.record_tie(tied, purpose, chosen, "Break tie by lot")
    return chosen


@register("scotland", "scottish-stv")
def count_scotland(ballots, seats: int = 1, **options):
    """Count by Scottish STV (see the module docstring for the rule, its ties and deviations)."""
    A, opts, extra = resolve(
        "scotland",
        ballots,
        options,
        defaults={"display": 5},
        force={"arithmetic": "fixed", "precision": 5},
        uses=("arithmetic", "precision", "display"),
    )
    E = Count(ballots, seats, A, "scotland", opts)
    E.extra.update(extra)
    E.quota = A.n(E.nballots // (seats + 1) + 1)
    E.first_count()
    E.log("begin", "Begin Count")

    def complete() -> bool:
        return E.seats_left() <= 0 or len(E.hopeful) <= E.seats_left()

    while True:
        for c in sorted((c for c in E.hopeful if E.vote[c] >= E.quota), key=lambda c: (-E.vote[c], c)):
            E.elect(c, "Elect, transfer pending", pending=True)
        if complete():
            break
        E.new_round()
        E.surplus = sum((E.vote[c] - E.quota for c in E.pending), A.n(0))
        if E.pending:
            high = max(E.vote[c] for c in E.pending)
            c = _prior_stage(E, [c for c in E.pending if E.vote[c] == high], True, "largest surplus")
            E.unpend(c, "Transfer high surplus")
            surplus, total = E.vote[c] - E.quota, E.vote[c]
            for b in E.take(c):
                b.weight = A.muldiv(b.weight, surplus, total)
                E.place(b)
            E.vote[c] = E.quota
            E.log("transfer", f"Surplus transferred: {E.names[c]} ({A.fmt(surplus)})")
            continue
        if E.hopeful:
            low = min(E.vote[c] for c in E.hopeful)
            c = _prior_stage(E, [c for c in E.hopeful if E.vote[c] == low], False, "defeat low candidate")
            E.defeat(c, "Defeat low candidate")
            for b in E.take(c):
                E.place(b)
            E.vote[c] = A.n(0)
            E.log("transfer", f"Transfer defeated: {E.names[c]}")
        if complete():
            break

    for c in E.pending:
        E.unpend(c)
    if len(E.hopeful) <= E.seats_left():
        for c in E.hopeful:
            E.elect(c, "Elect remaining candidates")
    for c in E.hopeful:
        E.defeat(c, "Defeat remaining candidates")
    E.log("end", "Count Complete")
    return E.result()
