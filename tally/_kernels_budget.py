"""Private numba kernels for participatory-budget and quadratic tallies."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def score_sums(points, weights):
    """Weighted column sums of an integer ballot matrix (int64 accumulators)."""
    rows, m = points.shape
    acc = np.zeros(m, dtype=np.int64)
    for b in range(rows):
        w = weights[b]
        row = points[b]
        for c in range(m):
            acc[c] += w * row[c]
    return acc
