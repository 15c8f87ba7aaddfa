"""Private numba kernels for Condorcet methods (see ``tally.condorcet`` for the rules)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def pairwise(ranks, weights, n, skip_overvote):
    """``P[i, j]`` = weight of ballots ranking ``i`` above ``j``.

    Blank ranks (-1) are passed over; an overvoted rank (-2) ends the ballot unless ``skip_overvote``;
    a repeated candidate keeps its first (highest) rank; ranked candidates are above unranked ones.
    """
    rows, width = ranks.shape
    P = np.zeros((n, n), dtype=np.int64)
    below = np.ones(n, dtype=np.int64)
    marked = np.empty(width, dtype=np.int64)
    for b in range(rows):
        w = weights[b]
        if w == 0:
            continue
        m = 0
        for k in range(width):
            c = ranks[b, k]
            if c == -1:
                continue
            if c < 0:
                if skip_overvote:
                    continue
                break
            if below[c] == 0:
                continue
            below[c] = 0
            marked[m] = c
            m += 1
            row = P[c]
            for j in range(n):
                row[j] += w * below[j]
        for t in range(m):
            below[marked[t]] = 1
    return P
