"""Plain-Python references for the Condorcet, approval, proportional, budget and quadratic kernels.

Deliberately slow and obvious: one Python object per ballot, no numpy in the counting.
"""

from __future__ import annotations

from fractions import Fraction


def pairwise(ranks, weights, n, skip_overvote=False):
    P = [[0] * n for _ in range(n)]
    for row, w in zip(ranks, weights, strict=True):
        order: list[int] = []
        for c in row:
            c = int(c)
            if c == -1:
                continue
            if c == -2:
                if skip_overvote:
                    continue
                break
            if c not in order:
                order.append(c)
        pos = {c: i for i, c in enumerate(order)}
        for i in range(n):
            for j in range(n):
                if i != j and i in pos and (j not in pos or pos[i] < pos[j]):
                    P[i][j] += int(w)
    return P


def approval_counts(approvals, weights, m):
    out = [0] * m
    for row, w in zip(approvals, weights, strict=True):
        for c in range(m):
            if row[c]:
                out[c] += int(w)
    return out


def sav_scores(approvals, weights, m):
    out = [Fraction(0)] * m
    for row, w in zip(approvals, weights, strict=True):
        k = sum(1 for x in row if x)
        for c in range(m):
            if row[c]:
                out[c] += Fraction(int(w), k)
    return out


def quadratic(votes, weights, m, budget, allow_negative):
    """The first invalid row (int), or the per-option figures."""
    for r, row in enumerate(votes):
        if not allow_negative and any(v < 0 for v in row):
            return r
        if sum(v * v for v in row) > budget:
            return r
    per = {k: [0] * m for k in ("net", "for", "against", "credits", "supporters", "opponents")}
    part = 0
    for row, w in zip(votes, weights, strict=True):
        if any(row):
            part += w
        for c, v in enumerate(row):
            per["net"][c] += w * v
            per["for"][c] += w * max(v, 0)
            per["against"][c] += w * max(-v, 0)
            per["credits"][c] += w * v * v
            per["supporters"][c] += w * (v > 0)
            per["opponents"][c] += w * (v < 0)
    return {"per_option": per, "participation": part}


def seq_pav(approvals, weights, seats, m):
    """Sequential PAV with lowest-index tie-break, Fractions."""
    elected = []
    for _ in range(seats):
        best, pick = None, None
        for c in range(m):
            if c in elected:
                continue
            g = sum(
                Fraction(w, 1 + sum(1 for e in elected if row[e]))
                for row, w in zip(approvals, weights, strict=True)
                if row[c]
            )
            if best is None or g > best:
                best, pick = g, c
        elected.append(pick)
    return elected


def seq_phragmen(approvals, weights, seats, m):
    """Sequential Phragmén with per-voter loads, lowest-index tie-break, Fractions."""
    load = [Fraction(0)] * len(approvals)
    elected = []
    for _ in range(seats):
        best, pick = None, None
        for c in range(m):
            if c in elected:
                continue
            sup = [i for i, row in enumerate(approvals) if row[c] and weights[i]]
            wsum = sum(weights[i] for i in sup)
            t = None if wsum == 0 else (1 + sum(weights[i] * load[i] for i in sup)) / wsum
            key = (t is None, t if t is not None else 0)
            if best is None or key < best:
                best, pick = key, c
        elected.append(pick)
        if not best[0]:
            for i, row in enumerate(approvals):
                if row[pick]:
                    load[i] = best[1]
    return elected


def budget_equal_shares(support, weights, costs, e):
    """Method of Equal Shares with cost utilities, one Fraction of money per voter; exact ties go to the
    lowest project index. Returns (funded indices in order, their max payments, [(round, tied), ...])."""
    n, m = len(support), len(costs)
    money = [Fraction(e)] * n
    remaining = [p for p in range(m) if costs[p] > 0 and any(support[v][p] and weights[v] for v in range(n))]
    selected, pays, ties = [], [], []
    while True:
        prices = {}
        for p in list(remaining):
            fans = [v for v in range(n) if support[v][p] and weights[v]]
            if sum(money[v] * weights[v] for v in fans) < costs[p]:
                remaining.remove(p)
                continue
            fans.sort(key=lambda v: money[v])
            need, people = Fraction(costs[p]), sum(weights[v] for v in fans)
            for v in fans:
                if need / people <= money[v]:
                    break
                need -= money[v] * weights[v]
                people -= weights[v]
            prices[p] = need / people
        if not prices:
            return selected, pays, ties
        best = min(q / costs[p] for p, q in prices.items())
        tied = sorted(p for p, q in prices.items() if q / costs[p] == best)
        if len(tied) > 1:
            ties.append((len(selected) + 1, tied))
        p = tied[0]
        for v in range(n):
            if support[v][p]:
                money[v] -= min(money[v], prices[p])
        remaining.remove(p)
        selected.append(p)
        pays.append(prices[p])
