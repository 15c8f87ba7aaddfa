"""Private numba kernels for ranked counts (IRV, STV). Driven by ``tally._ranked_engine``.

Prefix groups: ballot rows that agree on their first ``L`` ranks (and on whether they have any mark
after rank ``L``) always count for the same candidate while one of those ``L`` ranks still decides, and
hold the same value (their history is the same). So each round walks a few thousand *groups* instead of
millions of rows. Rows with marks after the prefix are copied once, grouped by prefix group, into a
*store*; when a group's prefix is used up the group goes *deep* and its stored rows (a contiguous
block) are walked one by one from then on, starting after the prefix, with a current candidate, rank
index and value per stored row. Walking on from the current rank instead of re-walking from rank 1
(as RCTab does) gives the same answer: candidates only ever stop continuing, and the static checks
(skipped ranks, duplicates, overvotes) on earlier ranks were passed already.

All kernels are serial and integer-only: results do not depend on the JIT setting or row order.
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

# Group states below zero (a candidate index otherwise).
G_INACTIVE = -1
G_DEEP = -2
G_NEW_DEEP = -3


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
def _walk(ranks, row, start, stop, prev, cont, max_skip, exhaust_dup, exhaust_over):
    """Walk ``ranks[row, start:stop]``; ``prev`` is the last visited (marked) rank, -1 before any.

    At each marked rank, in RCTab's order: skipped-rank gap, duplicate, overvote, then selection of a
    continuing candidate. Returns ``(rank index, outcome)``; ``(stop, OUT_EXHAUSTED)`` if nothing decided.
    """
    for k in range(start, stop):
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
    return stop, OUT_EXHAUSTED


@njit(cache=True)
def prefix_keys(ranks, weights, depth, base, keys, gcount):
    """Key of each row: ``more + 2 * sum((rank_k + 2) * base**k for k < depth)``, ``more`` = 1 when a
    mark follows rank ``depth``. Counts rows per key; returns the largest and smallest weight."""
    n = ranks.shape[0]
    width = ranks.shape[1]
    mults = np.empty(depth, dtype=np.int64)
    offset = 0
    m = 2
    for k in range(depth):
        mults[k] = m
        offset += 2 * m
        m *= base
    top = 0
    low = 1
    for b in range(n):
        row = ranks[b]
        key = offset
        for k in range(depth):
            key += row[k] * mults[k]
        # BLANK is all ones: the AND of the later ranks stays BLANK only if every one is blank
        rest = row[depth] if depth < width else BLANK
        for k in range(depth + 1, width):
            rest &= row[k]
        key += rest != BLANK
        keys[b] = key
        gcount[key] += 1
        w = weights[b]
        top = max(top, w)
        low = min(low, w)
    return top, low


@njit(cache=True)
def key_weights(keys, weights, gweight):
    """Weight per key (only needed when some weight is not 1)."""
    for b in range(keys.shape[0]):
        gweight[keys[b]] += weights[b]


@njit(cache=True)
def groups_first(
    grank, gmore, gw, gval, cont, max_skip, exhaust_dup, exhaust_over, gcur, gpos, tally, inactive
):
    """Round 1 for groups. Returns the weight of groups without any mark (undervotes)."""
    n_groups, depth = grank.shape
    undervotes = 0
    for g in range(n_groups):
        marked = gmore[g]
        for k in range(depth):
            if grank[g, k] != BLANK:
                marked = True
                break
        if not marked:
            undervotes += gw[g]
            gcur[g] = G_INACTIVE
            continue
        k, out = _walk(grank, g, 0, depth, -1, cont, max_skip, exhaust_dup, exhaust_over)
        gpos[g] = k
        if out >= 0:
            gcur[g] = out
            tally[out] += gw[g] * gval[g]
        elif out == OUT_EXHAUSTED and gmore[g]:
            gcur[g] = G_NEW_DEEP
        else:
            gcur[g] = G_INACTIVE
            inactive[_category(out)] += gw[g] * gval[g]
    return undervotes


@njit(cache=True)
def groups_move(
    grank, gmore, gw, gval, gsrc, cont, max_skip, exhaust_dup, exhaust_over, factor, scale, final,
    gcur, gpos, tally, inactive, trans, kept,
):  # fmt: skip
    """Move every group whose candidate stopped continuing (see ``rows_move`` for the value rule).

    Returns the number of groups that went deep (state ``G_NEW_DEEP``, source in ``gsrc``)."""
    n_groups, depth = grank.shape
    n_cand = cont.shape[0]
    new_deep = 0
    for g in range(n_groups):
        c = gcur[g]
        if c < 0 or cont[c]:
            continue
        w = gw[g]
        v = gval[g]
        tally[c] -= w * v
        f = factor[c]
        if f >= 0:
            t = (v * f) // scale
            kept[c] += w * (v - t)
            v = t
            gval[g] = t
        if final:
            gcur[g] = G_INACTIVE
            inactive[CAT_FINAL_SURPLUS] += w * v
            trans[c, n_cand + CAT_EXHAUSTED] += w * v
            continue
        p = gpos[g]
        k, out = _walk(grank, g, p + 1, depth, p, cont, max_skip, exhaust_dup, exhaust_over)
        gpos[g] = k
        if out >= 0:
            gcur[g] = out
            tally[out] += w * v
            trans[c, out] += w * v
        elif out == OUT_EXHAUSTED and gmore[g]:
            gcur[g] = G_NEW_DEEP
            gsrc[g] = c
            new_deep += 1
        else:
            gcur[g] = G_INACTIVE
            cat = _category(out)
            inactive[cat] += w * v
            trans[c, n_cand + cat] += w * v
    return new_deep


@njit(cache=True)
def store_long_rows(ranks, weights, unit, keys, gindex, cursor, store, sweights):
    """Copy every row with a mark after the prefix (odd key) into ``store``, grouped by prefix group:
    group ``g`` fills ``store[cursor[g]:...]`` in row order (``cursor`` is advanced). Groups without
    later marks point at the scratch row ``store[-1]``, so the copy needs no branch."""
    width = ranks.shape[1]
    for b in range(ranks.shape[0]):
        key = keys[b]
        g = gindex[key]
        i = cursor[g]
        cursor[g] = i + (key & 1)
        for k in range(width):
            store[i, k] = ranks[b, k]
        if not unit:
            sweights[i] = weights[b]


@njit(cache=True)
def rows_enter(
    store, sweights, unit, gstart, gend, entering, gval, gsrc, gprev, depth, cont, max_skip, exhaust_dup,
    exhaust_over, dcur, dpos, dval, tally, inactive, trans,
):  # fmt: skip
    """The stored rows of each group in ``entering`` (just gone deep) walk on from rank ``depth`` with
    their group's value; their source candidate is ``gsrc[g]`` (-1 in round 1: no transfer)."""
    width = store.shape[1]
    n_cand = cont.shape[0]
    for j in range(entering.shape[0]):
        g = entering[j]
        v = gval[g]
        src = gsrc[g]
        for i in range(gstart[g], gend[g]):
            w = 1 if unit else sweights[i]
            dval[i] = v
            k, out = _walk(store, i, depth, width, gprev[g], cont, max_skip, exhaust_dup, exhaust_over)
            dpos[i] = k
            if out >= 0:
                dcur[i] = out
                tally[out] += w * v
                if src >= 0:
                    trans[src, out] += w * v
            else:
                dcur[i] = -1
                cat = _category(out)
                inactive[cat] += w * v
                if src >= 0:
                    trans[src, n_cand + cat] += w * v


@njit(cache=True)
def rows_move(
    store, sweights, unit, gstart, gend, deep, n_deep, dcur, dpos, dval, cont, max_skip, exhaust_dup,
    exhaust_over, factor, scale, final, tally, inactive, trans, kept,
):  # fmt: skip
    """Move every stored row of the deep groups ``deep[:n_deep]`` whose candidate stopped continuing.

    A row's ballots are each worth ``dval[i]`` (units of 1/``scale``). For a candidate ``c`` just
    elected, ``factor[c]`` is its surplus fraction f (units of 1/``scale``): each ballot moves on with
    ``t = trunc(v * f)`` and the winner keeps ``v - t`` (summed into ``kept[c]``); ``factor[c] < 0``
    (eliminated) moves the ballot whole. With ``final`` (all seats filled) a moving ballot becomes
    inactive as final-round surplus instead of walking on.
    """
    width = store.shape[1]
    n_cand = cont.shape[0]
    for j in range(n_deep):
        g = deep[j]
        for i in range(gstart[g], gend[g]):
            c = dcur[i]
            if c < 0 or cont[c]:
                continue
            w = 1 if unit else sweights[i]
            v = dval[i]
            tally[c] -= w * v
            f = factor[c]
            if f >= 0:
                t = (v * f) // scale
                kept[c] += w * (v - t)
                v = t
                dval[i] = t
            if final:
                dcur[i] = -1
                inactive[CAT_FINAL_SURPLUS] += w * v
                trans[c, n_cand + CAT_EXHAUSTED] += w * v
                continue
            p = dpos[i]
            k, out = _walk(store, i, p + 1, width, p, cont, max_skip, exhaust_dup, exhaust_over)
            dpos[i] = k
            if out >= 0:
                dcur[i] = out
                tally[out] += w * v
                trans[c, out] += w * v
            else:
                dcur[i] = -1
                cat = _category(out)
                inactive[cat] += w * v
                trans[c, n_cand + cat] += w * v
