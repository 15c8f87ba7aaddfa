"""Meek's method and Warren's variant (droop's parametric rules), and the PR Foundation reference Meek rule.

Every candidate has a keep factor kf (1 while hopeful, 0 once defeated or withdrawn). A *distribution*
passes each ballot down its ranking with weight w = 1: at each candidate with kf > 0 the candidate keeps
part of w and the rest goes on, until the ballot ends or w reaches 0; what is left is the residual.

- ``meek``: keeps w x kf and passes on w x (1 - kf), both truncated (OpenSTV's MeekSTV arithmetic).
- ``warren``: keeps min(kf, w) and passes on w - keep.
- ``meek-prf``: keeps w x kf rounded *up* to 9 places and passes on w minus that.

Equal rankings (``b=c``, ``meek`` and ``warren`` only), droop's treatment: a ballot with an equal
ranking is passed rank by rank; at each rank the weight is split equally (truncated) among the rank's
candidates still hopeful or elected, each share is kept and passed on as above, and each remainder
continues down the rest of the ranking. A rank with none of its candidates hopeful or elected ends
such a ballot (its weight is residual). Known deviation from the usual reading of Meek's method, kept
to reproduce droop's counts: ballots *without* equal rankings pass over defeated candidates, ballots
with one stop at them (droop's eq2: after B's defeat the final tally keeps 2 votes residual).

A round: (1) iterate: distribute; quota = votes of hopeful and elected candidates / (seats + 1) (exact
arithmetic; with fixed arithmetic plus one unit of the last place, and for ``meek-prf`` the division is
truncated to 9 places plus 0.000000001); elect every hopeful candidate whose vote exceeds the quota (is
at least the quota with fixed arithmetic) and end the round if any was elected; total surplus s = sum of
(vote - quota) over elected candidates; stop iterating when s <= omega (``meek-prf``: s < omega), or when
s did not fall since the last iteration (stable), or (``meek``/``warren`` with ``defeat_batch`` safe) when
a batch of sure losers exists: the largest set of lowest hopeful candidates, never splitting candidates
whose votes lie within s of each other, that leaves enough hopefuls for the seats and whose votes plus s
are below the next hopeful's vote; else set each elected candidate's kf to kf x quota / vote (each step
rounded up) and distribute again. (2) If a batch was found, defeat it (kf = 0, in candidate order, the
count redistributed after each). Otherwise defeat the lowest hopeful candidate, every hopeful within s
of the lowest vote being tied with it. (3) The count ends when the hopeful candidates are no more than
the seats left; they are then elected, or defeated if no seat is left.

omega is 10^-o (``omega`` option: meek/warren default 9 for guarded 18, 10 for rational, 2/3 of the
precision for fixed; meek-prf: 6, with fixed 9-place arithmetic forced).

Ties (defeat): candidates within the surplus of the lowest vote are tied; the declared tie-breaking order
chooses (see ``engine``). droop's own rule.
"""

from __future__ import annotations

from fractions import Fraction

from ..methods import register
from .engine import Count
from .options import resolve
from .wigm import vote_key


class MeekCount(Count):
    """A Count with keep factors and Meek's residual."""

    def totals(self) -> dict[str, str]:
        A = self.A
        return {"residual": A.fmt(getattr(self, "residual", A.n(0))), "votes_total": A.fmt(self.votes_total)}

    def log(self, tag: str, msg: str, **fields) -> None:
        kf = {self.names[c]: self.A.fmt(k) for c, k in enumerate(self.kf) if self.state[c] != "withdrawn"}
        super().log(tag, msg, kf=kf, **fields)


def _distribute(E: MeekCount, rule: str) -> None:
    """One Meek/Warren distribution of every ballot; sets each candidate's vote and the residual."""
    A = E.A
    one, zero = A.one, A.n(0)
    kf = E.kf
    vote = [zero] * len(E.names)
    live = [s in ("hopeful", "elected", "pending") for s in E.state]
    plain = [b for b in E.ballots if not b.equal]
    if A.name == "rational":
        residual = _dist_exact(A, plain, kf, vote, rule)
    else:
        residual = _dist_scaled(A.scale, max(A.geps, 1), plain, kf, vote, rule)
    for b in E.ballots:
        if b.equal:
            residual += A.n(b.count) - _dist_equal(E, b.ranking, 0, one, b.count, vote, live, rule)
    E.vote = vote
    E.residual = residual


def _dist_exact(A, ballots, kf, vote, rule):
    residual = A.n(0)
    for b in ballots:
        m, w, kept = b.count, A.one, A.n(0)
        for c in b.ranking:
            k = kf[c]
            if not k:
                continue
            if rule == "warren":
                keep = k if k < w else w
                w = w - keep
            else:
                keep = w * k
                w = w * (1 - k)
            vote[c] += keep * m
            kept += keep * m
            if w <= 0:
                break
        residual += m - kept
    return residual


def _dist_scaled(S: int, lim: int, ballots, kf, vote, rule):
    """Integer (fixed or guarded) distribution. ``lim``: a weight below it counts as zero and k < w needs
    w - k >= lim (guarded: half a unit of the last place; fixed: one unit), as ``Arithmetic.cmp``."""
    residual = 0
    for b in ballots:
        m, w, kept = b.count, S, 0
        for c in b.ranking:
            k = kf[c]
            if not k:
                continue
            if rule == "meek":
                keep = w * k // S
                w = w * (S - k) // S
            elif rule == "meek-prf":
                keep = -(-w * k // S)
                w -= keep
            else:
                keep = k if w - k >= lim else w
                w -= keep
            vote[c] += keep * m
            kept += keep * m
            if w < lim:
                break
        residual += m * S - kept
    return residual


def _dist_equal(E: MeekCount, ranking, i: int, w, m: int, vote, live, rule) -> object:
    A = E.A
    kept = A.n(0)
    if i >= len(ranking):
        return kept
    r = ranking[i]
    group = [c for c in (r if isinstance(r, tuple) else (r,)) if live[c]]
    if not group:
        return kept
    share = A.div(w, A.n(len(group)))
    for c in group:
        k = E.kf[c]
        if rule == "warren":
            keep = k if A.lt(k, share) else share
            rest = share - keep
        else:
            keep = A.mul(share, k)
            rest = A.mul(share, A.one - k)
        vote[c] += keep * m
        kept += keep * m
        if rest > 0:
            kept += _dist_equal(E, ranking, i + 1, rest, m, vote, live, rule)
    return kept


def _batch(E: MeekCount, surplus) -> list[int]:
    groups: list[list[int]] = []
    floor = E.A.n(0)
    for c in sorted(E.hopeful, key=vote_key(E)):
        if groups and floor + surplus >= E.vote[c]:
            groups[-1].append(c)
        else:
            groups.append([c])
            floor = E.vote[c]
    max_defeat = len(E.hopeful) - E.seats_left()
    total, ncand, best = E.A.n(0), 0, None
    for g in range(len(groups) - 1):
        ncand += len(groups[g])
        if ncand > max_defeat:
            break
        total += sum((E.vote[c] for c in groups[g]), E.A.n(0))
        if total + surplus < E.vote[groups[g + 1][0]]:
            best = g
    return [c for g in groups[: best + 1] for c in g] if best is not None else []


def _run(E: MeekCount, rule: str, omega10: int, batch: bool) -> None:
    A = E.A
    prf = rule == "meek-prf"
    omega = A.div(A.one, A.n(10**omega10))
    exact = A.exact
    seats1 = A.n(E.seats + 1)
    E.kf = [A.n(0) if s == "withdrawn" else A.one for s in E.state]
    for b in E.ballots:
        b.equal = any(isinstance(r, tuple) for r in b.ranking)

    def calc_quota(votes):
        if prf:
            return A.div(votes, seats1) + A.epsilon
        return A.div(votes, seats1) if exact else A.div(votes, seats1) + A.epsilon

    def has_quota(c: int) -> bool:
        return A.gt(E.vote[c], E.quota) if exact else A.ge(E.vote[c], E.quota)

    E.votes_total = A.n(E.nballots)
    E.quota = calc_quota(E.votes_total)
    for b in E.ballots:
        top = b.ranking[0]
        if isinstance(top, tuple):
            share = A.div(A.one, A.n(len(top)))
            for c in top:
                E.vote[c] += share * b.count
        else:
            E.vote[top] += A.n(b.count)
    E.log("begin", "Begin Count")

    def iterate():
        last = A.n(E.nballots)
        while True:
            _distribute(E, rule)
            E.votes_total = sum((E.vote[c] for c in E.cands("hopeful", "elected")), A.n(0))
            E.quota = calc_quota(E.votes_total)
            elected = False
            for c in E.hopeful:
                if has_quota(c):
                    E.elect(c, "Elect")
                    elected = True
            E.surplus = sum((E.vote[c] - E.quota for c in E.cands("elected")), A.n(0))
            if prf and E.surplus < 0:
                E.surplus = A.n(0)
            if elected:
                return "elected", None
            if (A.lt if prf else A.le)(E.surplus, omega):
                return "omega", None
            if A.ge(E.surplus, last):
                E.log("log", f"Stable state detected ({A.fmt(E.surplus)})")
                return "stable", None
            if batch:
                losers = _batch(E, E.surplus)
                if losers:
                    return "batch", losers
            last = E.surplus
            for c in E.cands("elected"):
                E.kf[c] = A.div(A.mul(E.kf[c], E.quota, up=True), E.vote[c], up=True)

    def drop(c: int, msg: str) -> None:
        E.defeat(c, msg)
        E.kf[c] = A.n(0)
        E.vote[c] = A.n(0)
        if not prf:
            _distribute(E, rule)

    while not (len(E.hopeful) <= E.seats_left() or E.seats_left() <= 0):
        E.new_round()
        status, losers = iterate()
        if not prf:
            E.log("iterate", f"Iterate ({status})")
        if status == "elected":
            continue
        if status == "batch":
            for c in sorted(losers):
                drop(c, "Defeat certain loser")
            continue
        if E.hopeful:
            low = min(E.vote[c] for c in E.hopeful)
            tied = [c for c in E.hopeful if A.ge(low + E.surplus, E.vote[c])]
            c = E.break_tie(tied, "defeat low candidate" if prf else "defeat")
            how = (
                f"surplus {A.fmt(E.surplus)} < omega"
                if status == "omega"
                else f"stable surplus {A.fmt(E.surplus)}"
            )
            drop(c, f"Defeat ({how})")
    for c in E.hopeful:
        if E.n_elected() < E.seats:
            E.elect(c, "Elect remaining")
        else:
            drop(c, "Defeat remaining")
    E.votes_total = sum((E.vote[c] for c in E.cands("elected")), A.n(0))
    E.residual = A.n(E.nballots) - E.votes_total
    E.log("end", "Count Complete")


def _count(method: str, ballots, seats: int, options: dict):
    given = dict(options)
    if method == "meek-prf":
        A, opts, extra = resolve(
            method,
            ballots,
            given,
            defaults={},
            force={"arithmetic": "fixed", "precision": 9, "display": 9, "omega": 6},
        )
    else:
        arith = given.get("arithmetic") or "guarded"
        if arith == "guarded":
            p = given.get("precision") or 18
            defaults = {"arithmetic": "guarded", "precision": 18, "guard": p // 2, "omega": p // 2}
        elif arith == "fixed":
            p = given.get("precision") or 9
            defaults = {"arithmetic": "fixed", "precision": 9, "omega": p * 2 // 3}
        else:
            defaults = {"arithmetic": "rational", "omega": 10}
        A, opts, extra = resolve(method, ballots, given, defaults=defaults)
    E = MeekCount(ballots, seats, A, method, opts, equal_ok=method != "meek-prf")
    E.extra.update(extra)
    E.extra["omega"] = (
        A.fmt(A.div(A.one, A.n(10 ** opts["omega"])))
        if A.name != "rational"
        else str(Fraction(1, 10 ** opts["omega"]))
    )
    _run(E, "warren" if method == "warren" else method, opts["omega"], batch=method != "meek-prf")
    return E.result()


@register("meek")
def count_meek(ballots, seats: int = 1, **options):
    """Meek's method, droop's parametric rule (see the module docstring)."""
    return _count("meek", ballots, seats, options)


@register("warren")
def count_warren(ballots, seats: int = 1, **options):
    """Warren's variant of Meek's method (see the module docstring)."""
    return _count("warren", ballots, seats, options)


@register("meek-prf")
def count_meek_prf(ballots, seats: int = 1, **options):
    """The PR Foundation's Reference Meek Rule: fixed 9 places, omega 10^-6, single defeats."""
    return _count("meek-prf", ballots, seats, options)
