"""Private numba kernels for participatory-budget and quadratic tallies."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def score_sums(points, weights):
    """Weighted column sums of an integer ballot matrix (int64 accumulators): approvals (as uint8),
    budget points and quadratic votes alike."""
    rows, m = points.shape
    acc = np.zeros(m, dtype=np.int64)
    for b in range(rows):
        w = weights[b]
        row = points[b]
        for c in range(m):
            acc[c] += w * row[c]
    return acc


@njit(cache=True)
def mes_float_prices(counts, budgets, order, costs, active):
    """Float estimates of each active project's Equal-Shares price (per unit of cost) and of the money
    its supporters hold. Only a pre-filter: ``tally.budget`` decides with exact fractions."""
    P, J = counts.shape
    rho = np.full(P, np.inf)
    avail = np.zeros(P)
    for p in range(P):
        if not active[p]:
            continue
        tot = 0.0
        people = 0
        for j in range(J):
            c = counts[p, j]
            if c:
                tot += c * budgets[j]
                people += c
        avail[p] = tot
        if people == 0 or tot < costs[p]:
            continue
        need = costs[p]
        pay = need / people
        for t in range(J):
            j = order[t]
            c = counts[p, j]
            if c == 0:
                continue
            pay = need / people
            if pay <= budgets[j]:
                break
            need -= budgets[j] * c
            people -= c
        rho[p] = pay / costs[p]
    return rho, avail
