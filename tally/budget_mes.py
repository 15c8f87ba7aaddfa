"""Fast exact Method of Equal Shares for participatory budgets (cost utilities).

The rule (see ``tally.budget``): every voter starts with the same money ``e``; a project costing c is
affordable when its supporters hold at least c together, and its price is the smallest max payment q
such that the supporters, each paying min(their money, q), cover c. Each round funds the affordable
project with the lowest price per unit of cost q/c (ties: the caller's rule) and its supporters pay.

How it stays exact and fast: voters who supported the same funded projects hold the same money, so money
is kept per class of voters (``tally._kernels_mes``). Each round is estimated in floats, cheapest
projects first, and a float decision is trusted only when the winner's estimate beats every other
estimate, and each affordability test clears its boundary, by a relative margin of 1e-9 x (supporters /
supporters paying in full). That margin is above the rounding error of the estimates by orders of
magnitude, so a trusted decision is the exact one. Any other round (in particular every tie) is decided
on exact fractions: the exact money of the classes involved is rebuilt from the run's record (the classes
each round split and the exact max payments), computed only when first needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import _kernels_mes as K

TOL = 1e-9


@dataclass(frozen=True)
class Supports:
    """Who supports what: voter -> projects and project -> voters (CSR), voter weights, the weight of each
    project's supporters, and exact and float costs."""

    vptr: np.ndarray
    vproj: np.ndarray
    pptr: np.ndarray
    pvot: np.ndarray
    weights: np.ndarray
    support: np.ndarray
    costs: tuple[Fraction, ...]
    costs_f: np.ndarray

    @classmethod
    def from_points(cls, points: np.ndarray, weights: np.ndarray, costs) -> Supports:
        """Voters of weight 0 are left out (they hold no money and change no count)."""
        keep = np.asarray(weights) > 0
        vptr, vproj, pptr, pvot = K.csr(np.ascontiguousarray(points[keep]))
        w = np.ascontiguousarray(np.asarray(weights)[keep], dtype=np.int64)
        support = K.support_counts(vptr, vproj, w, points.shape[1])
        exact = tuple(Fraction(c) for c in costs)
        return cls(vptr, vproj, pptr, pvot, w, support, exact, np.array([float(c) for c in exact]))

    @property
    def n_projects(self) -> int:
        return len(self.costs)

    def supporters_of(self, chosen) -> np.ndarray:
        """Per voter, how many projects of ``chosen`` (indices) they support."""
        mask = np.zeros(self.n_projects, dtype=np.bool_)
        mask[list(chosen)] = True
        return K.funded_support(self.vptr, self.vproj, mask)


def exact_price(cost: Fraction, pairs: list[tuple[Fraction, int]]) -> Fraction | None:
    """Exact max payment for ``cost`` from supporters given as (money, weight), or None if unaffordable."""
    if sum((m * w for m, w in pairs), Fraction(0)) < cost:
        return None
    pairs = sorted(pairs, key=lambda t: float(t[0]))
    for i in range(1, len(pairs)):  # floats put them almost in order; finish exactly
        j = i
        while j > 0 and pairs[j - 1][0] > pairs[j][0]:
            pairs[j - 1], pairs[j] = pairs[j], pairs[j - 1]
            j -= 1
    need = cost
    people = sum(w for _, w in pairs)
    for money, w in pairs:
        pay = need / people
        if pay <= money:
            return pay
        need -= money * w
        people -= w
    raise AssertionError("affordable project without a price")  # unreachable: total money >= cost


class _Record:
    """Exact money of every class, rebuilt lazily from the rounds: class 0 holds ``e``; each round lists
    the classes supporting the funded project, the class each became, and (once known) the exact max
    payment."""

    def __init__(self, e: Fraction, costs):
        self.money: dict[int, Fraction] = {0: e}
        self.costs = costs
        self.rounds: list = []
        self.pays: list[Fraction | None] = []
        self.done = 0

    def add(self, p, old_gid, old_w, new_gid, pay):
        self.rounds.append((p, old_gid, old_w, new_gid))
        self.pays.append(pay)

    def settle(self) -> None:
        for r in range(self.done, len(self.rounds)):
            p, old_gid, old_w, new_gid = self.rounds[r]
            pay = self.pays[r]
            if pay is None:
                pairs = [(self.money[int(g)], int(w)) for g, w in zip(old_gid, old_w, strict=True)]
                pay = exact_price(self.costs[p], pairs)
                if pay is None:
                    raise AssertionError("a trusted float decision funded an unaffordable project")
                self.pays[r] = pay
            for g, h in zip(old_gid, new_gid, strict=True):
                if h >= 0:
                    self.money[int(h)] = max(self.money[int(g)] - pay, Fraction(0))
        self.done = len(self.rounds)


@dataclass
class Run:
    """One run's outcome: funded project indices in order; ``payments()`` gives each round's exact max
    payment (rebuilt on first call for rounds decided in floats)."""

    selected: list[int]
    record: _Record

    def payments(self) -> list[Fraction]:
        self.record.settle()
        return list(self.record.pays)  # type: ignore[arg-type]


def run(sup: Supports, e: Fraction, pick: Callable[[list[int], int], int]) -> Run:
    """The Method of Equal Shares with per-voter money ``e``. ``pick(tied, round)`` chooses among
    projects of exactly equal lowest price (indices, increasing). Projects of cost 0 or without
    supporters are never funded."""
    m = sup.n_projects
    n = sup.weights.size
    klass = np.zeros(n, dtype=np.int64)
    size = np.zeros(n + 1, dtype=np.int64)
    size[0] = int(sup.weights.sum())
    money_of = np.zeros(n + 1)
    money_of[0] = float(e)
    gid_of = np.zeros(n + 1, dtype=np.int64)
    free = np.arange(n, 0, -1, dtype=np.int64)
    free = np.concatenate([free, np.zeros(1, dtype=np.int64)])
    counters = np.array([n, 1], dtype=np.int64)  # free slots on the stack, next class id
    acc = np.zeros(n + 1, dtype=np.int64)
    active = (sup.support > 0) & (sup.costs_f > 0)
    bound = np.zeros(m)
    record = _Record(Fraction(e), sup.costs)
    selected: list[int] = []
    cls = (sup.pptr, sup.pvot, sup.weights, klass)
    while active.any():
        status, rho, margin = K.examine(*cls, money_of, acc, bound, active, sup.costs_f, TOL)
        active[status == K.UNAFFORDABLE] = False
        seen = np.flatnonzero((status == K.AFFORDABLE) | (status == K.BORDERLINE))
        if seen.size == 0:
            break
        bound[seen] = np.where(status[seen] == K.AFFORDABLE, rho[seen] * (1 - margin[seen]), 0.0)
        sure = seen[status[seen] == K.AFFORDABLE]
        if sure.size:
            lead = int(sure[np.argmin(rho[sure])])
            top = rho[lead] * (1 + margin[lead])
            near = [int(p) for p in seen if rho[p] * (1 - margin[p]) <= top]
        else:
            lead, near = -1, [int(p) for p in seen]
        if near == [lead]:
            chosen, pay, pay_f, slack = lead, None, rho[lead] * sup.costs_f[lead], margin[lead]
        else:
            record.settle()
            prices: dict[int, Fraction] = {}
            for p in near:
                gids, w = K.supporters_per_class(p, *cls, gid_of, acc)
                pairs = [(record.money[int(g)], int(x)) for g, x in zip(gids, w, strict=True)]
                q = exact_price(sup.costs[p], pairs)
                if q is None:
                    active[p] = False
                else:
                    prices[p] = q
            if not prices:
                continue
            best = min(q / sup.costs[p] for p, q in prices.items())
            tied = sorted(p for p, q in prices.items() if q / sup.costs[p] == best)
            chosen = pick(tied, len(selected) + 1)
            pay = prices[chosen]
            pay_f, slack = float(pay), TOL
        old_gid, old_w, new_gid = K.fund(
            chosen, pay_f, pay_f * (1 - 4 * slack), *cls, size, money_of, gid_of, free, counters, acc
        )
        record.add(chosen, old_gid, old_w, new_gid, pay)
        active[chosen] = False
        selected.append(chosen)
    return Run(selected, record)
