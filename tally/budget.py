"""Participatory budgets with Pabulib semantics: greedy rules and the Method of Equal Shares.

Ballots are ``BudgetBallots``: a points matrix (voters x projects, non-negative integers; 1/0 for
approval), int64 weights, project ids, exact costs and the budget. A project's **score** is its total
points (supporters for approval and choose-1 ballots, the sum of points for cumulative, scoring and
ordinal ballots). A voter **supports** a project they gave a positive number of points.

``seats`` is ignored: the budget limits the outcome. ``elected`` lists project ids in the order the rule
selected them. Ties (equal scores, equal Equal-Shares prices) are settled by option ``tie_break``:
``"seeded"`` (default; ``tally.seeded_ties`` order with options ``seed`` and ``contest_id``) or
``"project-id"`` (project ids in ascending text order, as pabutools' lexicographic rule), and recorded.
Greedy rules and Equal Shares never fund projects nobody supports; the utilitarian completion may.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from . import _ranking
from ._kernels_approval import class_counts as _class_counts
from ._kernels_budget import mes_float_prices as _mes_float_prices
from ._kernels_budget import score_sums as _score_sums
from .ballots import Candidates
from .budget_mes import Supports
from .budget_mes import run as mes_run
from .errors import BallotError, TallyError
from .methods import register
from .result import Result

TIE_BREAKS = ("seeded", "project-id")


@dataclass(frozen=True)
class BudgetBallots:
    """Budget ballots: ``points`` (rows x projects, int64 >= 0), ``weights``, ``projects`` (ids),
    ``costs`` (exact), ``budget``, ``vote_type``, the declared score ``threshold`` (or None), ``meta``."""

    points: np.ndarray
    weights: np.ndarray
    projects: Candidates
    costs: tuple[Fraction, ...]
    budget: Fraction
    vote_type: str = "approval"
    threshold: Fraction | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arrays(
        cls,
        points,
        projects: Sequence[str] | Candidates,
        costs: Sequence,
        budget,
        vote_type: str = "approval",
        weights=None,
        threshold=None,
        meta: dict[str, Any] | None = None,
    ) -> BudgetBallots:
        arr = np.asarray(points)
        if arr.ndim != 2:
            raise BallotError(f"points must be a 2-D array (voters x projects), got {arr.ndim} dimensions")
        if arr.size and not np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.bool_:
            raise BallotError(f"points must be integers, got {arr.dtype}")
        matrix = np.ascontiguousarray(arr, dtype=np.int64)
        if matrix.size and int(matrix.min()) < 0:
            bad = np.argwhere(matrix < 0)[0]
            raise BallotError("negative points", record=f"ballot {bad[0] + 1}")
        cands = projects if isinstance(projects, Candidates) else Candidates(tuple(projects))
        if len(cands) != matrix.shape[1]:
            raise BallotError(f"{len(cands)} project ids for {matrix.shape[1]} columns")
        exact = tuple(Fraction(c) for c in costs)
        if len(exact) != len(cands):
            raise BallotError(f"{len(exact)} costs for {len(cands)} projects")
        if any(c < 0 for c in exact):
            raise BallotError("a project cost is negative")
        if weights is None:
            w = np.ones(matrix.shape[0], dtype=np.int64)
        else:
            w = np.ascontiguousarray(np.asarray(weights), dtype=np.int64)
            if w.shape != (matrix.shape[0],) or (w.size and int(w.min()) < 0):
                raise BallotError("weights must be one non-negative integer per row")
        thr = None if threshold is None else Fraction(threshold)
        return cls(matrix, w, cands, exact, Fraction(budget), vote_type, thr, dict(meta or {}))

    @property
    def candidates(self) -> Candidates:
        return self.projects

    @property
    def n_ballots(self) -> int:
        return int(self.weights.sum())

    def scores(self) -> np.ndarray:
        """Each project's score (weighted sum of points, int64)."""
        return _score_sums(self.points, self.weights)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct support patterns (uint8 matrix) and their total weights: exact grouping for MES."""
        keep = self.weights > 0
        pattern = (self.points[keep] > 0).astype(np.uint8)
        if pattern.shape[0] == 0:
            return pattern.reshape(0, self.points.shape[1]), np.zeros(0, dtype=np.int64)
        uniq, inverse = np.unique(pattern, axis=0, return_inverse=True)
        sums = np.zeros(uniq.shape[0], dtype=np.int64)
        np.add.at(sums, inverse.reshape(-1), self.weights[keep])
        return np.ascontiguousarray(uniq), sums


def _check(ballots, options, extra=()):
    if not isinstance(ballots, BudgetBallots):
        raise TallyError(f"budget rules count budget ballots (a .pb file), got {type(ballots).__name__}")
    seed, contest = _ranking.check(options, ("tie_break", *extra))
    tie_break = options.get("tie_break", "seeded")
    if tie_break not in TIE_BREAKS:
        raise TallyError(f"option tie_break must be one of {', '.join(TIE_BREAKS)}, got {tie_break!r}")
    return seed, contest, tie_break


def _score_order(scores, ids, seed, contest, tie_break, ties) -> list[int]:
    if tie_break == "project-id":
        idx = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
        i = 0
        while i < len(idx):
            j = i
            while j + 1 < len(idx) and scores[idx[j + 1]] == scores[idx[i]]:
                j += 1
            if j > i:
                group = [ids[g] for g in idx[i : j + 1]]
                ties.append(
                    {
                        **_ranking.record(f"equal scores, places {i + 1}-{j + 1}", group, i + 1),
                        "rule": "project id ascending",
                    }
                )
            i = j + 1
        return idx
    return _ranking.rank_by_score(scores, ids, seed, contest, ties, "equal scores")


def _greedy(method, ballots, options, *, skip: bool, threshold: bool, reserve_percent=None) -> Result:
    extra = ("threshold",) if threshold else ("reserve_percent",) if reserve_percent is not None else ()
    seed, contest, tie_break = _check(ballots, options, extra)
    thr = None
    if threshold:
        thr = options.get("threshold", ballots.threshold)
        if thr is None:
            raise TallyError("greedy-threshold needs option threshold (or META min_project_score_threshold)")
        thr = Fraction(thr)
    pct = None
    if reserve_percent is not None:
        pct = Fraction(options.get("reserve_percent", reserve_percent))
    ids = list(ballots.projects.names)
    scores = [int(s) for s in ballots.scores()]
    ties: list = []
    order = _score_order(scores, ids, seed, contest, tie_break, ties)
    left = ballots.budget
    elected: list[str] = []
    rounds = []
    stopped = False
    for i in order:
        cost = ballots.costs[i]
        step = {"project": ids[i], "score": scores[i], "cost": cost}
        if stopped:
            step["outcome"] = "not reached"
        elif scores[i] == 0:
            step["outcome"] = "no support"
        elif thr is not None and scores[i] < thr:
            step["outcome"] = "below threshold"
        elif cost <= left:
            left -= cost
            elected.append(ids[i])
            step["outcome"] = "selected"
        elif pct is not None and left * 100 >= pct * cost:
            elected.append(ids[i])
            step["outcome"] = "selected from reserve"
            step["reserve_used"] = cost - left
            left = Fraction(0)
            stopped = True
        elif skip:
            step["outcome"] = "does not fit"
        else:
            step["outcome"] = "does not fit; stop"
            stopped = True
        step["budget_left"] = left
        rounds.append(step)
    opts: dict[str, Any] = {"tie_break": tie_break}
    if tie_break == "seeded":
        opts.update(seed=seed, contest_id=contest)
    if thr is not None:
        opts["threshold"] = thr
    if pct is not None:
        opts["reserve_percent"] = pct
    return _budget_result(method, ballots, elected, rounds, opts, ties, scores)


def _budget_result(method, ballots, elected, rounds, opts, ties, scores, extra=None) -> Result:
    ids = list(ballots.projects.names)
    spent = sum((ballots.costs[ids.index(e)] for e in elected), Fraction(0))
    details = {
        "budget": ballots.budget,
        "spent": spent,
        "scores": dict(zip(ids, scores, strict=True)),
        "costs": dict(zip(ids, ballots.costs, strict=True)),
        "vote_type": ballots.vote_type,
        "ballots": ballots.n_ballots,
        **(extra or {}),
    }
    return Result(
        method=method,
        candidates=ids,
        elected=elected,
        rounds=rounds,
        options=opts,
        ties=ties,
        details=details,
    )


@register("greedy")
def greedy(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    """Greedy by score (Pabulib ``greedy``): projects in decreasing score; each is funded when its
    cost fits in what is left of the budget, otherwise skipped, and the walk goes on."""
    return _greedy("greedy", ballots, options, skip=True, threshold=False)


@register("greedy-no-skip")
def greedy_no_skip(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    """Greedy without skipping (Pabulib ``greedy-no-skip``): as ``greedy``, but the first project
    that does not fit ends the selection."""
    return _greedy("greedy-no-skip", ballots, options, skip=False, threshold=False)


@register("greedy-threshold")
def greedy_threshold(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    """Greedy with a vote threshold (Pabulib ``greedy-threshold``): as ``greedy``, but only projects with
    score >= ``threshold`` (option, default META ``min_project_score_threshold``) are eligible."""
    return _greedy("greedy-threshold", ballots, options, skip=True, threshold=True)


@register("greedy-custom")
def greedy_custom(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    """Poznań's greedy (Pabulib ``greedy-custom``): the no-skip pass; then the first project that does
    not fit is funded too (from reserve money, marked ``selected from reserve``) when what is left
    covers at least ``reserve_percent`` (default 80) percent of its cost; then the selection ends."""
    return _greedy("greedy-custom", ballots, options, skip=False, threshold=False, reserve_percent=80)


def _pick_tied(cands, ids, seed, contest, tie_break, round_no, ties, kind):
    """One of the tied project indices by the declared rule; a tie of two or more is recorded."""
    names = [ids[c] for c in cands]
    if len(names) == 1:
        return cands[0]
    if tie_break == "project-id":
        ordered = sorted(names)
        ties.append({**_ranking.record(kind, ordered, round_no), "rule": "project id ascending"})
        chosen = ordered[0]
    else:
        chosen = _ranking.pick(names, seed, contest, round_no, ties, kind)
    return cands[names.index(chosen)]


_TOL = 1e-9  # relative; float errors here are below 1e-12 for any realistic number of voter classes


def _exact_price(row, budgets, cost):
    """Exact (max payment, price per unit of cost) of a project whose supporters per class are ``row``,
    or None when they cannot afford it."""
    js = [int(j) for j in np.flatnonzero(row)]
    if not js or sum(budgets[j] * int(row[j]) for j in js) < cost:
        return None
    js.sort(key=lambda j: budgets[j])
    need = cost
    people = sum(int(row[j]) for j in js)
    pay = need / people
    for j in js:
        pay = need / people
        if pay <= budgets[j]:
            break
        need -= budgets[j] * int(row[j])
        people -= int(row[j])
    return pay, pay / cost


def equal_shares_run(app, weights, costs, per_voter, ids, seed, contest, tie_break, ties, with_classes=False):
    """One run of the Method of Equal Shares with cost utilities and a fixed per-voter budget.

    ``app`` is the distinct support patterns (uint8) with total ``weights``. Voters with the same
    supported-and-selected set have paid the same so far, so budgets are kept per such class (exact
    fractions). Returns (selected indices, per-step records), plus (class of each row, class budgets)
    when ``with_classes``."""
    G, P = app.shape
    klass = np.zeros(G, dtype=np.int64)
    keys: list[frozenset] = [frozenset()]
    budgets: list[Fraction] = [Fraction(per_voter)]
    support = _class_counts(app, weights, klass, 1)[:, 0]
    remaining = [p for p in range(P) if costs[p] > 0 and support[p] > 0]
    selected: list[int] = []
    steps = []
    costs_f = np.array([float(c) for c in costs])
    while remaining:
        counts = _class_counts(app, weights, klass, len(keys))
        budgets_f = np.array([float(b) for b in budgets])
        active = np.zeros(P, dtype=np.bool_)
        active[remaining] = True
        by_money = np.argsort(budgets_f, kind="stable")
        rho_f, avail_f = _mes_float_prices(counts, budgets_f, by_money, costs_f, active)
        # floats only narrow the search; every kept decision below is taken on exact fractions
        exact_needed = []
        for p in list(remaining):
            if avail_f[p] < costs_f[p] * (1 - _TOL):
                remaining.remove(p)
            elif avail_f[p] < costs_f[p] * (1 + _TOL) or not np.isfinite(rho_f[p]):
                exact_needed.append(p)
        finite = [rho_f[p] for p in remaining if np.isfinite(rho_f[p])]
        low = min(finite) if finite else np.inf
        near = [p for p in remaining if rho_f[p] <= low * (1 + _TOL)]
        best: Fraction | None = None
        tied: list[int] = []
        pays: dict[int, Fraction] = {}
        for p in sorted(set(near) | set(exact_needed)):
            price = _exact_price(counts[p], budgets, costs[p])
            if price is None:
                remaining.remove(p)
                continue
            pay, rho = price
            pays[p] = pay
            if best is None or rho < best:
                best, tied = rho, [p]
            elif rho == best:
                tied.append(p)
        if best is None:
            if any(p not in exact_needed for p in remaining) and finite:
                raise RuntimeError("float pre-filter lost every candidate")
            break
        p = _pick_tied(tied, ids, seed, contest, tie_break, len(selected) + 1, ties, "equal price per unit")
        pay = pays[p]
        row = counts[p]
        remap = np.arange(len(keys), dtype=np.int64)
        for j in [int(j) for j in np.flatnonzero(row)]:
            key = keys[j] | {p}
            keys.append(key)
            budgets.append(budgets[j] - min(budgets[j], pay))
            remap[j] = len(keys) - 1
        mask = app[:, p].astype(bool)
        klass[mask] = remap[klass[mask]]
        remaining.remove(p)
        selected.append(p)
        steps.append({"project": ids[p], "cost": costs[p], "price_per_unit": best, "max_payment": pay})
    if with_classes:
        return selected, steps, (klass, budgets)
    return selected, steps


def _exhaustive(chosen: set[int], costs, budget, among) -> bool:
    """No project of ``among`` outside ``chosen`` fits in what is left."""
    left = budget - sum((costs[p] for p in chosen), Fraction(0))
    return all(p in chosen or costs[p] > left for p in among)


COMPLETIONS = ("none", "add1", "utilitarian", "add1-utilitarian")
ADD1_STARTS = ("integral", "exact")


def _equal_shares(method, ballots, options, completion_default, comparison_default) -> Result:
    seed, contest, tie_break = _check(ballots, options, ("completion", "comparison", "add1_start"))
    completion = options.get("completion", completion_default)
    if completion not in COMPLETIONS:
        raise TallyError(f"option completion must be one of {', '.join(COMPLETIONS)}, got {completion!r}")
    comparison = options.get("comparison", comparison_default)
    if not isinstance(comparison, bool):
        raise TallyError(f"option comparison must be true or false, got {comparison!r}")
    start = options.get("add1_start", "integral")
    if start not in ADD1_STARTS:
        raise TallyError(f"option add1_start must be one of {', '.join(ADD1_STARTS)}, got {start!r}")
    ids = list(ballots.projects.names)
    costs = ballots.costs
    B = ballots.budget
    n = ballots.n_ballots
    scores = [int(s) for s in ballots.scores()]
    opts: dict[str, Any] = {"tie_break": tie_break, "completion": completion, "comparison": comparison}
    if completion in ("add1", "add1-utilitarian"):
        opts["add1_start"] = start
    opts["utility"] = "cost"
    if tie_break == "seeded":
        opts.update(seed=seed, contest_id=contest)
    ties: list = []
    rounds: list[dict[str, Any]] = []
    if n == 0:
        return _budget_result(method, ballots, [], [], opts, ties, scores)
    sup = Supports.from_points(ballots.points, ballots.weights, costs)

    def mes(e: Fraction, out_ties: list):
        def pick(tied, round_no):
            return _pick_tied(tied, ids, seed, contest, tie_break, round_no, out_ties, "equal price per unit")

        return mes_run(sup, e, pick)

    def spent(sel) -> Fraction:
        return sum((costs[p] for p in sel), Fraction(0))

    per_voter = B / n
    if completion in ("add1", "add1-utilitarian"):
        everything = spent(range(len(ids))) <= B
        integral = start == "integral"
        e = per_voter
        if integral and not everything:
            e = Fraction(per_voter.numerator // per_voter.denominator)
        eligible = [p for p in range(len(ids)) if costs[p] > 0 and sup.support[p] > 0]
        among = range(len(ids)) if integral else eligible
        run = kept_e = None
        while True:
            t2: list = []
            nxt = mes(e, t2)
            cost = spent(nxt.selected)
            if run is not None and cost > B:
                rounds.append(
                    {
                        "phase": "add1",
                        "per_voter_budget": e,
                        "spent": cost,
                        "outcome": "over budget; the previous run stands",
                    }
                )
                break
            run, ties, kept_e = nxt, t2, e
            chosen = set(run.selected)
            funded = [ids[p] for p in run.selected]
            rounds.append({"phase": "add1", "per_voter_budget": e, "funded": funded, "spent": cost})
            if (integral and everything) or _exhaustive(chosen, costs, B, among) or chosen >= set(eligible):
                break
            e += 1
        per_voter = kept_e
    else:
        run = mes(per_voter, ties)
    steps = [
        {"project": ids[p], "cost": costs[p], "price_per_unit": q / costs[p], "max_payment": q}
        for p, q in zip(run.selected, run.payments(), strict=True)
    ]
    rounds.append({"phase": "equal shares", "per_voter_budget": per_voter, "steps": steps})
    sel = list(run.selected)
    mes_sel = list(sel)
    support = [int(s) for s in sup.support]
    if completion in ("utilitarian", "add1-utilitarian"):
        t2 = []
        sel, fill = _fill_by_support(sel, costs, B, support, ids, seed, contest, tie_break, t2)
        for t in t2:
            t["phase"] = "utilitarian"
        ties.extend(t2)
        rounds.append({"phase": "utilitarian", "steps": fill})
    extra: dict[str, Any] = {}
    if comparison:
        t2 = []
        gsel, _ = _fill_by_support([], costs, B, support, ids, seed, contest, tie_break, t2)
        sat_m = sup.supporters_of(sel)
        sat_g = sup.supporters_of(gsel)
        prefer_m = int(sup.weights[sat_m > sat_g].sum())
        prefer_g = int(sup.weights[sat_g > sat_m].sum())
        use_greedy = prefer_g > prefer_m
        extra["comparison"] = {
            "equal_shares": [ids[p] for p in sel],
            "greedy": [ids[p] for p in gsel],
            "voters_preferring_equal_shares": prefer_m,
            "voters_preferring_greedy": prefer_g,
            "chosen": "greedy" if use_greedy else "equal shares",
        }
        if use_greedy:
            for t in t2:
                t["phase"] = "comparison greedy"
            ties.extend(t2)
            sel = gsel
    extra["equal_shares_selection"] = [ids[p] for p in mes_sel]
    return _budget_result(method, ballots, [ids[p] for p in sel], rounds, opts, ties, scores, extra)


def _fill_by_support(sel, costs, budget, support, ids, seed, contest, tie_break, ties):
    """Add projects in decreasing supporter weight (ties: ``tie_break``), each one that fits."""
    left = budget - sum((costs[p] for p in sel), Fraction(0))
    chosen = set(sel)
    out = list(sel)
    steps = []
    for p in _score_order(support, ids, seed, contest, tie_break, ties):
        if p in chosen or costs[p] > left:
            continue
        left -= costs[p]
        out.append(p)
        steps.append({"project": ids[p], "supporters": support[p], "cost": costs[p], "budget_left": left})
    return out, steps


_MES_DOC = """Method of Equal Shares for cost utilities (Pabulib ``equalshares`` family). A voter supports a
    project they gave positive points; a supporter's utility for a funded project is its cost. Each voter
    starts with money e (budget/n unless a completion says otherwise). A project costing c is affordable
    when its supporters hold at least c; its price is the smallest max payment q such that the
    supporters, each paying min(their money, q), cover c. The affordable project with the lowest price
    per unit of cost q/c is funded (exact ties: ``tie_break``) and its supporters pay; repeat until nothing
    is affordable. Projects of cost 0 or without supporters are never funded by this loop (pabutools funds
    supported zero-cost projects up front; Pabulib files have none). Decisions are exact: see
    ``tally.budget_mes``.

    Option ``completion``:
    ``none``; ``add1`` (rerun with e = e0, e0+1, e0+2, ... and stop at the first outcome that is
    exhaustive, i.e. no further project fits in what is left of the budget, or when every supported
    project is funded; if a rerun costs more than the budget, the previous outcome stands);
    ``utilitarian`` (then fund the remaining projects in decreasing number of supporters, ties by
    ``tie_break``, each one that still fits, unsupported ones included, as equalshares.net, pabutools'
    rule combination and Pabulib's checker do); ``add1-utilitarian`` (both, in that order).
    Option ``add1_start``: ``integral`` (default; equalshares.net's tool and recommendation: e0 =
    floor(budget/n), exhaustive over all projects; when all projects together fit the budget, no reruns)
    or ``exact`` (pabutools ``method_of_equal_shares(voter_budget_increment=1)``: e0 = budget/n,
    exhaustive over supported projects of positive cost).
    Option ``comparison`` (bool; equalshares.net's comparison step, mode "satisfaction", as Pabulib's
    ``-comparison`` rules): the outcome is compared with the greedy outcome (utilitarian completion from
    nothing); each voter's satisfaction is the number of funded projects they support; the greedy outcome
    replaces it only when more voters (by weight) are strictly more satisfied with greedy than are
    strictly more satisfied with Equal Shares."""


@register("equalshares", "equal-shares-budget")
def equal_shares_budget(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    return _equal_shares("equalshares", ballots, options, "none", False)


@register("equalshares-comparison")
def equal_shares_comparison(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    return _equal_shares("equalshares-comparison", ballots, options, "none", True)


@register("equalshares/add1")
def equal_shares_add1(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    return _equal_shares("equalshares/add1", ballots, options, "add1", False)


@register("equalshares/add1-comparison")
def equal_shares_add1_comparison(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    return _equal_shares("equalshares/add1-comparison", ballots, options, "add1", True)


@register("equalshares/utilitarian")
def equal_shares_utilitarian(ballots: BudgetBallots, seats: int = 1, **options: Any) -> Result:
    return _equal_shares("equalshares/utilitarian", ballots, options, "utilitarian", False)


for _fn, _default in (
    (equal_shares_budget, "completion none"),
    (equal_shares_comparison, "completion none, comparison true"),
    (equal_shares_add1, "completion add1"),
    (equal_shares_add1_comparison, "completion add1, comparison true"),
    (equal_shares_utilitarian, "completion utilitarian"),
):
    _fn.__doc__ = f"{_MES_DOC}\n\n    Defaults here: {_default}."
