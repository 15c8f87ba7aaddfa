"""Private numba kernels for quadratic-voting tallies (see ``tally.quadratic`` for the rule)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def first_over(votes, vmax, budget, allow_negative):
    """Validation pass for wide (int32/int64) input, where squares could overflow: the first row with a
    refused negative vote (problem 1), a vote of size above ``vmax`` = isqrt(budget) (2) or a cost
    above ``budget`` (3), as ``(row, problem)``; ``(-1, 0)`` if every row is valid."""
    rows, m = votes.shape
    for b in range(rows):
        big = False
        cost = 0
        for c in range(m):
            v = np.int64(votes[b, c])
            if v < 0 and not allow_negative:
                return b, 1
            if v > vmax or v < -vmax:
                big = True
            elif not big:
                cost += v * v
        if big:
            return b, 2
        if cost > budget:
            return b, 3
    return -1, 0


@njit(cache=True)
def _flush(acc32, acc64):
    for k in range(acc32.shape[0]):
        for c in range(acc32.shape[1]):
            acc64[k, c] += acc32[k, c]
            acc32[k, c] = 0


@njit(cache=True)
def quadratic_tally(votes, weights, budget, allow_negative, flush_every):
    """One pass: each row is checked, then counted.

    Returns ``(bad_row, problem, stats, participants)``: ``bad_row`` is -1 when every row is valid, else
    the first invalid row with ``problem`` 1 (a negative vote not allowed) or 3 (credits above
    ``budget``). ``stats`` rows: net, for, credits, supporters, opponents (weighted, int64). Rows of
    weight 1 go through int32 accumulators flushed every ``flush_every`` rows (no overflow: each
    holds at most ``flush_every * budget``; 0 turns this off); other rows straight into int64."""
    rows, m = votes.shape
    acc = np.zeros((5, m), dtype=np.int64)
    acc32 = np.zeros((5, m), dtype=np.int32)
    pending = 0
    participants = 0
    for b in range(rows):
        row = votes[b]
        w = weights[b]
        cost = 0
        lo = 0
        for c in range(m):
            v = np.int64(row[c])
            cost += v * v
            lo = min(lo, v)
        if lo < 0 and not allow_negative:
            return b, 1, acc, participants
        if cost > budget:
            return b, 3, acc, participants
        if cost > 0:
            participants += w
        if w == 1 and flush_every > 0:
            net = acc32[0]
            pos = acc32[1]
            sq = acc32[2]
            sup = acc32[3]
            opp = acc32[4]
            for c in range(m):
                v = np.int32(row[c])
                net[c] += v
                pos[c] += max(v, np.int32(0))
                sq[c] += v * v
                sup[c] += np.int32(v > 0)
                opp[c] += np.int32(v < 0)
            pending += 1
            if pending == flush_every:
                _flush(acc32, acc)
                pending = 0
        elif w > 0:
            for c in range(m):
                v = np.int64(row[c])
                acc[0, c] += w * v
                acc[1, c] += w * max(v, 0)
                acc[2, c] += w * v * v
                acc[3, c] += w * (v > 0)
                acc[4, c] += w * (v < 0)
    _flush(acc32, acc)
    return -1, 0, acc, participants
