"""Private numba kernels for approval-type tallies (see ``tally.approval`` and ``tally.proportional``)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def counts_by_size(approvals, weights):
    """``out[k, c]`` = weight of ballots approving exactly ``k`` candidates, ``c`` among them."""
    rows, m = approvals.shape
    out = np.zeros((m + 1, m), dtype=np.int64)
    for b in range(rows):
        w = weights[b]
        row = approvals[b]
        k = 0
        for c in range(m):
            k += row[c]
        acc = out[k]
        for c in range(m):
            acc[c] += w * row[c]
    return out


@njit(cache=True)
def pav_gains(approvals, weights, satisfied, elected, scale):
    """Sequential-PAV marginal gains: for each candidate not elected, the sum over approving ballots of
    ``weight * scale // (s + 1)``, ``s`` the ballot's approved elected count (``scale`` divisible by it)."""
    rows, m = approvals.shape
    gain = np.zeros(m, dtype=np.int64)
    for b in range(rows):
        add = weights[b] * (scale // (satisfied[b] + 1))
        row = approvals[b]
        for c in range(m):
            if row[c] and not elected[c]:
                gain[c] += add
    return gain


@njit(cache=True)
def class_counts(approvals, weights, klass, n_classes):
    """``out[c, j]`` = weight of ballots in class ``j`` approving ``c``."""
    rows, m = approvals.shape
    out = np.zeros((m, n_classes), dtype=np.int64)
    for b in range(rows):
        w = weights[b]
        j = klass[b]
        row = approvals[b]
        for c in range(m):
            if row[c]:
                out[c, j] += w
    return out


@njit(cache=True)
def committee_scores(masks, weights, committees, harmonic):
    """PAV score of each committee (bit masks): sum of ``weight * harmonic[|A & W|]``."""
    n_comm = committees.shape[0]
    out = np.zeros(n_comm, dtype=np.int64)
    for t in range(n_comm):
        w_mask = committees[t]
        total = 0
        for b in range(masks.shape[0]):
            x = masks[b] & w_mask
            k = 0
            while x:
                x &= x - np.uint64(1)
                k += 1
            total += weights[b] * harmonic[k]
        out[t] = total
    return out
