"""Minneapolis STV: Minneapolis Code of Ordinances, Title 8.5, Chapter 167, s.167.70 (multiple-seat
single transferable vote), as counted by droop 0.12 (rule id ``mpls``). Arithmetic is fixed by the
ordinance: fixed-point, 4 places, remainders ignored.

Threshold = floor(ballots / (seats + 1)) + 1. A candidate who reaches the threshold stays *continuing*
(hopeful) until their surplus is transferred; only then are they declared elected (167.70(1)(d)).

Round 1 counts first preferences (undeclared write-ins, BLT ``[undeclared]``, included); round 2 then
defeats the undeclared write-ins and moves their ballots on. Each later round:

1. (c) Certain losers: with S = the summed surpluses of continuing candidates at or above the threshold,
   the largest set of lowest continuing candidates below the threshold, taken in groups of equal vote,
   such that their votes (each group counted at its vote times its size, as the ordinance's "votes that
   could possibly be transferred") plus S are *less* than the vote of the next higher candidate below
   the threshold, and that leaves enough continuing candidates for the seats. They are defeated at once
   and their ballots move on at their current value. (Where the sum *equals* the next vote the ordinance
   calls them impossible to elect; like droop this rule does not, since they could tie: see the
   ordinance's s.167.20 and droop's note 1.)
2. (d) Otherwise, if a continuing candidate has reached the threshold, the one with the largest vote is
   elected and their ballots move on with value trunc4(value x surplus / vote) (product and quotient
   each truncated to 4 places); the candidate keeps the threshold.
3. (f) Otherwise, if the continuing candidates are no more than the seats left, they are all elected
   and the count ends.
4. (e) Otherwise the continuing candidate with the fewest votes is defeated; if that leaves no more
   continuing candidates than seats, they are elected and the count ends, else their ballots move on.
5. (a) After counting, if the elected candidates plus the continuing ones at the threshold fill the
   seats, the latter are elected ("Candidate at threshold") and the count ends.

Ballots move to the next continuing candidate; a ballot with none left is exhausted.

Ties (largest surplus, defeat): "by lot" per the City Charter, here the declared tie-breaking order
(see ``engine``), droop's own substitute.
"""

from __future__ import annotations

from ..methods import register
from .engine import Count
from .options import resolve
from .wigm import highest, lowest, vote_key


def _certain_losers(E: Count, surplus) -> list[int]:
    cands = sorted((c for c in E.hopeful if E.vote[c] < E.quota), key=vote_key(E))
    groups: list[list[int]] = []
    for c in cands:
        if groups and E.vote[groups[-1][0]] == E.vote[c]:
            groups[-1].append(c)
        else:
            groups.append([c])
    max_defeat = len(E.hopeful) - E.seats_left()
    total, maybe, losers = E.A.n(0), [], []
    for g in range(len(groups) - 1):
        group = groups[g]
        maybe = maybe + group
        if len(maybe) > max_defeat:
            break
        total += E.vote[group[0]] * len(group)
        nxt = E.vote[groups[g + 1][0]]
        if total + surplus == nxt:
            E.log("log", "Not defeating uncertain loser(s): " + ", ".join(E.names[c] for c in group))
        if total + surplus < nxt:
            losers = list(maybe)
    return sorted(losers)


def _move(E: Count, c: int) -> None:
    for b in E.take(c):
        E.place(b)


@register("mpls")
def count_mpls(ballots, seats: int = 1, **options):
    """Minneapolis STV (see the module docstring for the rule, its ties and deviations)."""
    A, opts, extra = resolve(
        "mpls",
        ballots,
        options,
        defaults={},
        force={"arithmetic": "fixed", "precision": 4, "display": 4},
        uses=("arithmetic", "precision", "display"),
    )
    E = Count(ballots, seats, A, "mpls", opts, undeclared_ok=True)
    E.extra.update(extra)
    E.quota = A.n(E.nballots // (seats + 1) + 1)
    E.first_count()

    def at_threshold() -> list[int]:
        return [c for c in E.hopeful if E.vote[c] >= E.quota]

    def set_surplus() -> None:
        E.surplus = sum((E.vote[c] - E.quota for c in at_threshold()), A.n(0))

    def elect_remaining() -> None:
        for c in E.hopeful:
            E.elect(c, "Elect remaining candidates")

    while True:
        E.new_round()
        undeclared = [c for c in E.undeclared if E.state[c] == "hopeful"]
        if E.round > 1 and undeclared:
            for c in undeclared:
                E.defeat(c, "Defeat undeclared write-in")
            for c in undeclared:
                _move(E, c)
                E.vote[c] = A.n(0)
            set_surplus()
            E.log("transfer", "Transfer defeated: " + ", ".join(E.names[c] for c in undeclared))
        elif E.round > 1:
            set_surplus()
            losers = _certain_losers(E, E.surplus)
            if losers:
                for c in losers:
                    E.defeat(c, "Defeat certain loser")
                for c in losers:
                    _move(E, c)
                    E.vote[c] = A.n(0)
                E.log("transfer", "Transfer defeated: " + ", ".join(E.names[c] for c in losers))
            elif at_threshold():
                c = E.break_tie(highest(E, at_threshold()), "largest surplus")
                E.elect(c, "Elect")
                surplus, total = E.vote[c] - E.quota, E.vote[c]
                for b in E.take(c):
                    b.weight = A.div(A.mul(b.weight, surplus), total)
                    E.place(b)
                E.vote[c] = E.quota
                set_surplus()
                E.log("transfer", f"Transfer surplus: {E.names[c]} ({A.fmt(surplus)})")
            elif len(E.hopeful) <= E.seats_left():
                elect_remaining()
                break
            else:
                c = E.break_tie(lowest(E, E.hopeful), "defeat low candidate")
                E.defeat(c, "Defeat low candidate")
                if len(E.hopeful) <= E.seats_left():
                    elect_remaining()
                    break
                _move(E, c)
                E.vote[c] = A.n(0)
                E.log("transfer", f"Transfer defeated: {E.names[c]}")
        set_surplus()
        E.log("count", "Count Votes")
        at = at_threshold()
        if at and E.n_elected() + len(at) >= seats:
            for c in sorted(at, key=vote_key(E), reverse=True):
                E.elect(c, "Candidate at threshold")
            break
    for c in E.hopeful:
        E.defeat(c, "Defeat remaining candidates")
    E.log("end", "Count Complete")
    return E.result()
