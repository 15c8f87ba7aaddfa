"""Proportional approval committees: sequential and exact PAV, sequential Phragmén, Method of Equal Shares.

All take ``ApprovalBallots`` and elect exactly ``seats`` candidates, with exact arithmetic (scaled
integers for PAV, fractions for Phragmén and Equal Shares); identical ballots are grouped first, which is
exact. Ties are settled by option ``tie_break``: ``"seeded"`` (default; ``tally.seeded_ties`` order,
options ``seed`` and ``contest_id``) or ``"index"`` (the candidate listed first wins, as abcvoting's
resolute rules), and every tie is recorded in ``ties``. ``elected`` is in order of election (exact PAV:
candidate order).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb, lcm
from typing import Any

import numpy as np

from . import _ranking
from ._kernels_approval import class_counts as _class_counts
from ._kernels_approval import committee_scores as _committee_scores
from ._kernels_approval import pav_gains as _pav_gains
from .approval import check_ballots
from .ballot_types import ApprovalBallots
from .budget import equal_shares_run
from .errors import TallyError
from .methods import register
from .result import Result

TIE_BREAKS = ("seeded", "index")
MAX_COMMITTEES = 200_000


def _setup(ballots, seats, options, extra=()):
    check_ballots(ballots, seats, "proportional approval rules")
    seed, contest = _ranking.check(options, ("tie_break", *extra))
    tie_break = options.get("tie_break", "seeded")
    if tie_break not in TIE_BREAKS:
        raise TallyError(f"option tie_break must be one of {', '.join(TIE_BREAKS)}, got {tie_break!r}")
    g = ballots.grouped()
    app = np.ascontiguousarray(g.approvals).view(np.uint8)
    return seed, contest, tie_break, app, np.ascontiguousarray(g.weights, dtype=np.int64)


def _pick(cands, names, seed, contest, tie_break, round_no, ties, kind):
    """One of the tied candidate indices, by the declared rule; ties of two or more are recorded."""
    if len(cands) == 1:
        return cands[0]
    if tie_break == "index":
        ordered = [names[c] for c in sorted(cands)]
        ties.append(
            {**_ranking.record(kind, ordered, round_no), "rule": "candidate order (first listed wins)"}
        )
        return min(cands)
    chosen = _ranking.pick([names[c] for c in cands], seed, contest, round_no, ties, kind)
    return names.index(chosen)


def _result(method, ballots, elected, rounds, opts, ties, extra=None) -> Result:
    names = list(ballots.candidates.names)
    return Result(
        method=method,
        candidates=names,
        elected=[names[c] for c in elected],
        rounds=rounds,
        options=opts,
        ties=ties,
        details={"ballots": ballots.n_ballots, **(extra or {})},
    )


def _opts(seed, contest, tie_break, **more):
    out: dict[str, Any] = {"tie_break": tie_break, **more}
    if tie_break == "seeded":
        out.update(seed=seed, contest_id=contest)
    return out


@register("seq-pav", "seqpav")
def sequential_pav(ballots: ApprovalBallots, seats: int = 1, **options: Any) -> Result:
    """Sequential PAV: ``seats`` rounds; each elects the candidate with the largest marginal PAV gain,
    the sum over its approvers of 1/(s+1), s = how many already elected candidates the ballot approves.
    Gains are exact integers in units of 1/lcm(1..seats). Ties: ``tie_break``."""
    seed, contest, tie_break, app, w = _setup(ballots, seats, options)
    names = list(ballots.candidates.names)
    m = len(names)
    scale = lcm(*range(1, seats + 1))
    satisfied = np.zeros(app.shape[0], dtype=np.int64)
    elected_mask = np.zeros(m, dtype=np.bool_)
    elected: list[int] = []
    rounds, ties = [], []
    for r in range(1, seats + 1):
        gains = _pav_gains(app, w, satisfied, elected_mask, scale)
        open_ = [c for c in range(m) if not elected_mask[c]]
        best = max(int(gains[c]) for c in open_)
        c = _pick(
            [x for x in open_ if gains[x] == best], names, seed, contest, tie_break, r, ties, "equal PAV gain"
        )
        elected.append(c)
        elected_mask[c] = True
        satisfied += app[:, c]
        rounds.append(
            {
                "round": r,
                "elected": names[c],
                "gain": Fraction(best, scale),
                "gains": {names[x]: Fraction(int(gains[x]), scale) for x in open_},
            }
        )
    return _result("seq-pav", ballots, elected, rounds, _opts(seed, contest, tie_break), ties)


@register("pav")
def exact_pav(ballots: ApprovalBallots, seats: int = 1, **options: Any) -> Result:
    """Proportional Approval Voting, exact: the committee of ``seats`` candidates maximising the sum
    over ballots of 1 + 1/2 + ... + 1/s (s = approved members), by trying every committee (exact
    integers in units of 1/lcm(1..seats)). Refused with an error when there are more than
    ``max_committees`` (option, default 200000) committees or more than 64 candidates. Several optimal
    committees are a tie: ``tie_break`` ``index`` takes the first in lexicographic order of candidate
    indices; ``seeded`` the one whose members, written in the seeded order (round 0), come first."""
    seed, contest, tie_break, app, w = _setup(ballots, seats, options, ("max_committees",))
    limit = options.get("max_committees", MAX_COMMITTEES)
    names = list(ballots.candidates.names)
    m = len(names)
    total = comb(m, seats)
    if m > 64 or total > limit:
        raise TallyError(
            f"exact PAV would try {total} committees of {seats} among {m} candidates: over the limit "
            f"max_committees={limit} (use seq-pav, or raise the limit)"
        )
    scale = lcm(*range(1, seats + 1))
    harmonic = np.array([sum(scale // i for i in range(1, j + 1)) for j in range(seats + 1)], dtype=np.int64)
    bits = np.uint64(1) << np.arange(m, dtype=np.uint64)
    masks = (app.astype(np.uint64) * bits).sum(axis=1, dtype=np.uint64) if m else np.zeros(0, np.uint64)
    combos = list(combinations(range(m), seats))
    cmasks = np.array([sum(1 << c for c in cc) for cc in combos], dtype=np.uint64)
    scores = _committee_scores(np.ascontiguousarray(masks), w, cmasks, harmonic)
    best = int(scores.max())
    optimal = [combos[i] for i in np.flatnonzero(scores == best)]
    ties: list = []
    if len(optimal) > 1:
        if tie_break == "index":
            chosen = optimal[0]
            rule = "lexicographically first committee by candidate index"
        else:
            rank = {names.index(n): i for i, n in enumerate(_ranking.order(names, seed, contest, 0))}
            chosen = min(optimal, key=lambda cc: sorted(rank[c] for c in cc))
            rule = "committee first in the seeded order (round 0)"
        labels = [",".join(names[c] for c in cc) for cc in optimal]
        ties.append(
            {
                "round": 0,
                "kind": "equal PAV score",
                "tied": labels,
                "rule": rule,
                "selected": ",".join(names[c] for c in chosen),
            }
        )
    else:
        chosen = optimal[0]
    extra = {
        "pav_score": Fraction(best, scale),
        "optimal_committees": [[names[c] for c in cc] for cc in optimal],
    }
    rounds = [{"committees_tried": total}]
    return _result("pav", ballots, list(chosen), rounds, _opts(seed, contest, tie_break), ties, extra)


def _phragmen(app, w, klass, loads, elected, seats, names, seed, contest, tie_break, ties, rounds, phase):
    """Sequential Phragmén from the given classes (voters sharing a load) and their loads."""
    m = app.shape[1]
    while len(elected) < seats:
        counts = _class_counts(app, w, klass, len(loads))
        t: dict[int, Fraction | None] = {}
        for c in range(m):
            if c in elected:
                continue
            row = counts[c]
            weight = int(row.sum())
            t[c] = (
                None
                if weight == 0
                else (1 + sum(int(row[j]) * loads[j] for j in np.flatnonzero(row))) / weight
            )
        finite = [v for v in t.values() if v is not None]
        if finite:
            best = min(finite)
            tied = [c for c, v in t.items() if v == best]
        else:
            best = None
            tied = list(t)
        r = len(elected) + 1
        c = _pick(tied, names, seed, contest, tie_break, r, ties, "equal Phragmén load")
        elected.append(c)
        if best is not None:
            loads.append(best)
            klass[app[:, c].astype(bool)] = len(loads) - 1
        rounds.append({"round": r, "phase": phase, "elected": names[c], "max_load": best})
    return elected


@register("seq-phragmen", "seqphragmen")
def sequential_phragmen(ballots: ApprovalBallots, seats: int = 1, **options: Any) -> Result:
    """Sequential Phragmén: every ballot carries a load, first 0. Electing c sets the load of each of
    its approvers to t_c = (1 + sum of their loads) / (number of approvers); each round elects the
    candidate with the smallest t_c (exact fractions). Candidates nobody approves come last. Ties:
    ``tie_break``."""
    seed, contest, tie_break, app, w = _setup(ballots, seats, options)
    names = list(ballots.candidates.names)
    klass = np.zeros(app.shape[0], dtype=np.int64)
    ties, rounds = [], []
    elected = _phragmen(
        app, w, klass, [Fraction(0)], [], seats, names, seed, contest, tie_break, ties, rounds, "phragmen"
    )
    return _result("seq-phragmen", ballots, elected, rounds, _opts(seed, contest, tie_break), ties)


ES_COMPLETIONS = ("seq-phragmen", "av", "none")


@register("equal-shares", "mes")
def equal_shares(ballots: ApprovalBallots, seats: int = 1, **options: Any) -> Result:
    """Method of Equal Shares (Rule X) for committees: each ballot holds seats/n; a candidate costs 1
    and is affordable when its approvers hold at least 1; the one its approvers can buy at the lowest
    equal payment q (each paying min(money, q)) is elected and they pay. When nothing is affordable,
    option ``completion`` fills the committee: ``seq-phragmen`` (default, as abcvoting: Phragmén with
    each ballot's starting load = minus its money left), ``av`` (most approvals first) or ``none``
    (the committee may stay smaller). Exact fractions. Ties: ``tie_break``."""
    seed, contest, tie_break, app, w = _setup(ballots, seats, options, ("completion",))
    completion = options.get("completion", "seq-phragmen")
    if completion not in ES_COMPLETIONS:
        raise TallyError(f"option completion must be one of {', '.join(ES_COMPLETIONS)}, got {completion!r}")
    names = list(ballots.candidates.names)
    m = len(names)
    n = int(w.sum())
    ties: list = []
    rounds: list = []
    elected: list[int] = []
    if n:
        keyed = [str(i).zfill(len(str(m))) for i in range(m)] if tie_break == "index" else names
        es_tb = "project-id" if tie_break == "index" else "seeded"
        t2: list = []
        sel, steps, classes = equal_shares_run(
            app, w, (Fraction(1),) * m, Fraction(seats, n), keyed, seed, contest, es_tb, t2, with_classes=True
        )
        for t in t2:
            t["tied"] = sorted(names[keyed.index(x)] for x in t["tied"])
            t["order"] = [names[keyed.index(x)] for x in t["order"]]
            t["selected"] = names[keyed.index(t["selected"])]
            if tie_break == "index":
                t["rule"] = "candidate order (first listed wins)"
        ties.extend(t2)
        elected = list(sel[:seats])
        for i, s in enumerate(steps[:seats]):
            rounds.append(
                {
                    "round": i + 1,
                    "phase": "equal shares",
                    "elected": names[elected[i]],
                    "payment": s["max_payment"],
                }
            )
        klass, budgets = classes
    if len(elected) < seats and completion == "seq-phragmen":
        if not n:
            klass, budgets = np.zeros(app.shape[0], dtype=np.int64), [Fraction(0)]
        loads = [-b for b in budgets]
        elected = _phragmen(
            app,
            w,
            klass,
            loads,
            elected,
            seats,
            names,
            seed,
            contest,
            tie_break,
            ties,
            rounds,
            "seq-phragmen completion",
        )
    elif len(elected) < seats and completion == "av":
        score = (app.astype(np.int64) * w[:, None]).sum(axis=0) if n else np.zeros(m, dtype=np.int64)
        while len(elected) < seats:
            open_ = [c for c in range(m) if c not in elected]
            best = max(int(score[c]) for c in open_)
            r = len(elected) + 1
            c = _pick(
                [x for x in open_ if score[x] == best],
                names,
                seed,
                contest,
                tie_break,
                r,
                ties,
                "equal approvals",
            )
            elected.append(c)
            rounds.append({"round": r, "phase": "av completion", "elected": names[c], "approvals": best})
    opts = _opts(seed, contest, tie_break, completion=completion)
    return _result("equal-shares", ballots, elected, rounds, opts, ties)
