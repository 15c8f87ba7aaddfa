"""Private numba kernels for ranked counts (IRV, STV). Public wrappers: ``tally.irv``, ``tally.stv``.

Per-ballot state lives in two arrays: ``cur[b]`` is the candidate ballot row ``b`` currently counts for
(``-1`` once inactive) and ``pos[b]`` the rank index of that choice. A round only walks the rows whose
current candidate stopped continuing, starting after ``pos[b]``; restarting from rank 1 as RCTab does
gives the same answer because candidates only ever stop continuing, and the static checks (skipped ranks,
duplicates, overvotes) on earlier ranks were passed already.

Every kernel is serial and integer-only: results do not depend on the JIT setting.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLANK = -1
OVERVOTE = -2

# Walk outcomes below zero (a candidate index otherwise).
OUT_EXHAUSTED = -1
OUT_OVERVOTE = -2
OUT_SKIPPED = -3
OUT_REPEATED = -4

# Inactive categories: index into the ``inactive`` accumulator and column offset in ``trans``.
CAT_OVERVOTES = 0
CAT_SKIPPED = 1
CAT_EXHAUSTED = 2
CAT_REPEATED = 3
CAT_FINAL_SURPLUS = 4
N_CATS = 5


@njit(cache=True)
def _category(outcome):
    if outcome == OUT_OVERVOTE:
        return CAT_OVERVOTES
    if outcome == OUT_SKIPPED:
        return CAT_SKIPPED
    if outcome == OUT_REPEATED:
        return CAT_REPEATED
    return CAT_EXHAUSTED


@njit(cache=True)
def _walk(ranks, row, start, prev, cont, max_skip, exhaust_dup, exhaust_over):
    """Walk ``ranks[row]`` from rank index ``start``; ``prev`` is the last visited (marked) rank.

    At each marked rank, in RCTab's order: skipped-rank gap, duplicate, overvote, then selection of a
    continuing candidate. Returns ``(rank index, outcome)``.
    """
    width = ranks.shape[1]
    for k in range(start, width):
        c = ranks[row, k]
        if c == BLANK:
            continue
        if max_skip >= 0 and k - prev - 1 > max_skip:
            return k, OUT_SKIPPED
        if exhaust_dup and c >= 0:
            for j in range(k):
                if ranks[row, j] == c:
                    return k, OUT_REPEATED
        prev = k
        if c == OVERVOTE:
            if exhaust_over:
                return k, OUT_OVERVOTE
            continue
        if cont[c]:
            return k, c
    return width, OUT_EXHAUSTED


@njit(cache=True)
def first_round(ranks, weights, cont, max_skip, exhaust_dup, exhaust_over, cur, pos, tally, inactive):
    """Round 1: place every ballot row. Returns the weight of rows with no mark at all (undervotes)."""
    n = ranks.shape[0]
    width = ranks.shape[1]
    undervotes = 0
    for b in range(n):
        w = weights[b]
        marked = False
        for k in range(width):
            if ranks[b, k] != BLANK:
                marked = True
                break
        if not marked:
            undervotes += w
            cur[b] = -1
            pos[b] = width
            continue
        k, out = _walk(ranks, b, 0, -1, cont, max_skip, exhaust_dup, exhaust_over)
        pos[b] = k
        if out >= 0:
            cur[b] = out
            tally[out] += w
        else:
            cur[b] = -1
            inactive[_category(out)] += w
    return undervotes


@njit(cache=True)
def move_whole(ranks, weights, cont, max_skip, exhaust_dup, exhaust_over, cur, pos, tally, inactive, trans):
    """Move every ballot row whose candidate stopped continuing (IRV: whole ballots).

    ``trans[src, dst]`` accumulates moved weight; ``dst`` is a candidate index, or
    ``n_candidates + category`` for a ballot that became inactive.
    """
    n = ranks.shape[0]
    n_cand = cont.shape[0]
    for b in range(n):
        c = cur[b]
        if c < 0 or cont[c]:
            continue
        w = weights[b]
        p = pos[b]
        k, out = _walk(ranks, b, p + 1, p, cont, max_skip, exhaust_dup, exhaust_over)
        pos[b] = k
        tally[c] -= w
        if out >= 0:
            cur[b] = out
            tally[out] += w
            trans[c, out] += w
        else:
            cur[b] = -1
            cat = _category(out)
            inactive[cat] += w
            trans[c, n_cand + cat] += w


@njit(cache=True)
def move_fractional(
    ranks,
    weights,
    cont,
    max_skip,
    exhaust_dup,
    exhaust_over,
    cur,
    pos,
    vals,
    factor,
    scale,
    final,
    tally,
    inactive,
    trans,
    kept,
):
    """Move every ballot row whose candidate stopped continuing (STV: fixed-point ballot values).

    ``vals[b]`` is the value of each ballot of row ``b`` in units of 1/``scale``. For a candidate ``c``
    just elected, ``factor[c]`` is its surplus fraction f (units of 1/``scale``): each ballot moves on
    with ``t = trunc(v * f)`` and the winner keeps ``v - t`` (summed into ``kept[c]``). ``factor[c] < 0``
    (eliminated) moves the ballot whole. With ``final`` (all seats filled) a moving ballot becomes
    inactive as final-round surplus instead of walking on.
    """
    n = ranks.shape[0]
    n_cand = cont.shape[0]
    for b in range(n):
        c = cur[b]
        if c < 0 or cont[c]:
            continue
        w = weights[b]
        v = vals[b]
        tally[c] -= w * v
        f = factor[c]
        if f >= 0:
            t = (v * f) // scale
            kept[c] += w * (v - t)
            v = t
            vals[b] = t
        if final:
            cur[b] = -1
            inactive[CAT_FINAL_SURPLUS] += w * v
            trans[c, n_cand + CAT_EXHAUSTED] += w * v
            continue
        p = pos[b]
        k, out = _walk(ranks, b, p + 1, p, cont, max_skip, exhaust_dup, exhaust_over)
        pos[b] = k
        if out >= 0:
            cur[b] = out
            tally[out] += w * v
            trans[c, out] += w * v
        else:
            cur[b] = -1
            cat = _category(out)
            inactive[cat] += w * v
            trans[c, n_cand + cat] += w * v


@njit(cache=True)
def first_round_values(
    ranks, weights, cont, max_skip, exhaust_dup, exhaust_over, cur, pos, vals, tally, inactive
):
    """Round 1 for fixed-point counts: like ``first_round`` with every ballot worth ``vals[b]``."""
    n = ranks.shape[0]
    width = ranks.shape[1]
    undervotes = 0
    for b in range(n):
        w = weights[b]
        v = vals[b]
        marked = False
        for k in range(width):
            if ranks[b, k] != BLANK:
                marked = True
                break
        if not marked:
            undervotes += w
            cur[b] = -1
            pos[b] = width
            continue
        k, out = _walk(ranks, b, 0, -1, cont, max_skip, exhaust_dup, exhaust_over)
        pos[b] = k
        if out >= 0:
            cur[b] = out
            tally[out] += w * v
        else:
            cur[b] = -1
            inactive[_category(out)] += w * v
    return undervotes


def empty_state(n_rows: int, width: int, rank_dtype) -> tuple[np.ndarray, np.ndarray]:
    """``cur`` and ``pos`` arrays for ``n_rows`` ballot rows."""
    if width > 32000:
        raise ValueError("more than 32000 ranks per ballot are not supported")
    return np.empty(n_rows, dtype=rank_dtype), np.empty(n_rows, dtype=np.int16)
