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
