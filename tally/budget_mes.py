"""Fast exact Method of Equal Shares for participatory budgets (cost utilities).

The rule (see ``tally.budget``): every voter starts with the same money ``e``; a project costing c is
affordable when its supporters hold at least c together, and its price is the smallest max payment q
such that the supporters, each paying min(their money, q), cover c. Each round funds the affordable
project with the lowest price per unit of cost q/c (ties: the caller's rule) and its supporters pay.

How it stays exact and fast: voters who supported the same funded projects hold the same money, so money
is kept per class of voters (``tally._kernels_mes``). Each round is estimated in floats, cheapest
projects first, and a float decision is trusted only when each affordability test clears its boundary
by a relative 1e-9 and the winner's price beats every other price by a relative 1e-9 x (supporters /
supporters paying in full). The rounding error of a price estimate is at most about (number of classes
summed) x 2^-53 x that same ratio, so for anything below about 10^6 classes per project the margin is
three or more orders of magnitude above it and a trusted decision is the exact one. Any other round (in
particular every tie) is decided on exact fractions: the exact money of the classes involved is rebuilt
from the run's record (the classes each round split, their weights, the classes they became), in
integers over one common denominator per round, only when first needed; the exact max payments of the
rounds decided in floats are rebuilt the same way when the caller asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

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
        vptr, vproj, pptr, pvot, w = K.csr(
            np.ascontiguousarray(points), np.ascontiguousarray(weights, dtype=np.int64)
        )
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
    """Exact money of every class, rebuilt lazily from the run's log: class 0 holds ``e``; round r's log
    lists the classes supporting the funded project, their supporters' weight and the class those became.
    Money is kept as integers over a common denominator D_r per round (D_0 clears e and every cost;
    D_r+1 = D_r x the weight paying in full in round r), so rebuilding needs no fraction arithmetic."""

    def __init__(self, e: Fraction, costs, selected, log, log_ptr, counters):
        den = lcm(e.denominator, *(c.denominator for c in costs))
        self.dens = [den]
        self.num = {0: int(e * den)}  # class id -> money x D_level
        self.level = {0: 0}
        self.costs = costs
        self.selected, self.log, self.log_ptr, self.counters = selected, log, log_ptr, counters
        self.pays: list[Fraction] = []
        self.known: dict[int, Fraction] = {}

    def money(self, gid: int) -> Fraction:
        return Fraction(self.num[gid], self.dens[self.level[gid]])

    def settle(self) -> None:
        for r in range(len(self.pays), int(self.counters[3])):
            p = int(self.selected[r])
            old_gid, old_w, new_gid = self.log[:3, self.log_ptr[r] : self.log_ptr[r + 1]].tolist()
            D = self.dens[r]
            scale: dict[int, int] = {}
            nums = []
            for g in old_gid:
                lv = self.level[g]
                if lv not in scale:
                    scale[lv] = D // self.dens[lv]
                nums.append(self.num[g] * scale[lv])
            cost = self.costs[p]
            need = cost.numerator * (D // cost.denominator)
            people = sum(old_w)
            if sum(x * w for x, w in zip(nums, old_w, strict=True)) < need:
                raise AssertionError("a trusted float decision funded an unaffordable project")
            for i in sorted(range(len(nums)), key=nums.__getitem__):
                if need <= people * nums[i]:
                    break
                need -= nums[i] * old_w[i]
                people -= old_w[i]
            pay = Fraction(need, people * D)
            if r in self.known and self.known[r] != pay:
                raise AssertionError("the exact record disagrees with an exact decision")
            self.pays.append(pay)
            self.dens.append(D * people)
            for x, h in zip(nums, new_gid, strict=True):
                if h >= 0:
                    self.num[h] = max(x * people - need, 0)
                    self.level[h] = r + 1


@dataclass
class Run:
    """One run's outcome: funded project indices in order; ``payments()`` gives each round's exact max
    payment (rebuilt on first call for rounds decided in floats)."""

    selected: list[int]
    record: _Record

    def payments(self) -> list[Fraction]:
        self.record.settle()
        return list(self.record.pays)


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
    free = np.concatenate([np.arange(n, 0, -1, dtype=np.int64), np.zeros(1, dtype=np.int64)])
    counters = np.array([n, 1, 0, 0], dtype=np.int64)  # free slots, next class id, log columns, rounds
    acc = np.zeros(n + 1, dtype=np.int64)
    active = (sup.support > 0) & (sup.costs_f > 0)
    bound = np.zeros(m)
    selected = np.zeros(m, dtype=np.int64)
    log = np.zeros((4, max(sup.pvot.size, 1)), dtype=np.int64)
    log_ptr = np.zeros(m + 1, dtype=np.int64)
    record = _Record(Fraction(e), sup.costs, selected, log, log_ptr, counters)
    state = (sup.pptr, sup.pvot, sup.weights, klass, size, money_of, gid_of, free, counters, acc)
    while True:
        near = K.advance(*state, bound, active, sup.costs_f, sup.support, TOL, selected, log, log_ptr)
        if near.size == 0:
            break
        record.settle()
        prices: dict[int, Fraction] = {}
        for p in near.tolist():
            gids, w = K.supporters_per_class(p, sup.pptr, sup.pvot, sup.weights, klass, gid_of, acc)
            pairs = [(record.money(g), x) for g, x in zip(gids.tolist(), w.tolist(), strict=True)]
            q = exact_price(sup.costs[p], pairs)
            if q is None:
                active[p] = False
            else:
                prices[p] = q
        if not prices:
            continue
        best = min(q / sup.costs[p] for p, q in prices.items())
        tied = sorted(p for p, q in prices.items() if q / sup.costs[p] == best)
        r = int(counters[3])
        chosen = pick(tied, r + 1)
        pay = prices[chosen]
        K.fund(chosen, float(pay), float(pay) * (1 - 4 * TOL), *state, log)
        active[chosen] = False
        selected[r] = chosen
        counters[3] += 1
        log_ptr[r + 1] = counters[2]
        record.known[r] = pay
    return Run(selected[: counters[3]].tolist(), record)
