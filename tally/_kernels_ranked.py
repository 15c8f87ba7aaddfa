"""Private numba kernels for ranked counts (IRV, STV). Driven by ``tally._ranked_engine``.

Prefix groups: ballot rows that agree on their first ``L`` ranks (and on whether they have any mark
after rank ``L``) always count for the same candidate while one of those ``L`` ranks still decides, and
hold the same value (their history is the same). So each round walks a few thousand *groups* instead of
millions of rows. The *tails* (ranks ``L`` on) of rows with marks after the prefix are copied once,
grouped by prefix group, into a *store*; when a group's prefix is used up the group goes *deep* and its
stored tails (a contiguous block) are walked one by one from then on, with a current candidate and rank
index per stored row (and a value, when values change: STV). A stored row's prefix is its group's, so
the duplicate check reads it there. Walking on from the current rank instead of re-walking from rank 1
(as RCTab does) gives the same answer: candidates only ever stop continuing, and the static checks
(skipped ranks, duplicates, overvotes) on earlier ranks were passed already.

The two passes over the whole rank matrix (``prefix_keys``, ``bucket_tails``) and the placing of the
tails (``place_tails``) take ``tail``, a tuple as long as the tail (at most ``UNROLL``): its length is
a compile-time constant, so numba compiles one unrolled version per tail length; longer tails finish
in an ordinary loop. They work on any block of consecutive rows and release the GIL (``nogil``), so
the engine runs them on row blocks in threads.

All kernels are serial and integer-only: results do not depend on the JIT setting or row order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLANK = -1
OVERVOTE = -2

UNROLL = 16  # tail ranks handled by compiled-per-length code in the two full passes

# Walk outcomes below zero (a candidate index otherwise).
OUT_EXHAUSTED = -1
OUT_OVERVOTE = -2
OUT_SKIPPED = -3
OUT_REPEATED = -4
OUT_FINAL = -5  # moved off as final-round surplus
OUT_DEEP = -6  # a group walked past its prefix: its stored rows decide

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
def _walk(ranks, row, start, prev, cont, max_skip, exhaust_dup, exhaust_over, pre, prow):
    """Walk ``ranks[row, start:]``; ``prev`` is the last visited (marked) rank, before any ``-1``.

    ``pre[prow]`` holds the ranks in front of ``ranks[row]`` (its group's prefix for a stored tail, an
    empty row otherwise); rank indices count from the start of ``ranks[row]``, so ``prev`` may be
    negative. At each marked rank, in RCTab's order: skipped-rank gap, duplicate, overvote, then
    selection of a continuing candidate. Returns ``(rank index, outcome)``; ``(width, OUT_EXHAUSTED)``
    if nothing decided.
    """
    stop = ranks.shape[1]
    for k in range(start, stop):
        c = ranks[row, k]
        if c == BLANK:
            continue
        if max_skip >= 0 and k - prev - 1 > max_skip:
            return k, OUT_SKIPPED
        if exhaust_dup and c >= 0:
            for j in range(pre.shape[1]):
                if pre[prow, j] == c:
                    return k, OUT_REPEATED
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
def _stops(cont, exhaust_over):
    """Per mark ``c`` at index ``c + 2`` (overvote, blank, candidates): whether a walk that only looks
    for its first stop stops there (an overvote with ``exhaust_over``, a continuing candidate)."""
    stops = np.zeros(cont.shape[0] + 2, dtype=np.bool_)
    stops[0] = exhaust_over
    stops[2:] = cont
    return stops


@njit(cache=True)
def _first_stop(ranks, row, start, stops):
    """``_walk`` without a skipped-rank limit and with duplicates passed over: the first rank from
    ``start`` whose mark stops the walk (``stops``, see ``_stops``). The ranks are taken 16 at a time,
    each block scanned from its last rank to its first keeping the lowest stop, without a branch; the
    scan ends with the first block holding a stop."""
    stop = ranks.shape[1]
    for a in range(start, stop, 16):
        b = min(a + 16, stop)
        at = b
        for k in range(b - 1, a - 1, -1):
            at = k if stops[ranks[row, k] + 2] else at
        if at < b:
            c = ranks[row, at]
            return at, (c if c >= 0 else OUT_OVERVOTE)
    return stop, OUT_EXHAUSTED


@njit(cache=True)
def _next(ranks, row, start, prev, cont, stops, max_skip, exhaust_dup, exhaust_over, pre, prow):
    """``_walk``; by ``_first_stop`` when only the first stop matters (no skipped-rank limit,
    duplicates passed over), the default rules."""
    if max_skip < 0 and not exhaust_dup:
        return _first_stop(ranks, row, start, stops)
    return _walk(ranks, row, start, prev, cont, max_skip, exhaust_dup, exhaust_over, pre, prow)


@njit(cache=True)
def _settle(out, src, w, v, tally, inactive, trans):
    """Credit ``w`` ballots of value ``v`` to ``out`` (a candidate or an inactive walk outcome); with
    ``src >= 0`` record them in ``trans`` as moved from candidate ``src``."""
    n_cand = tally.shape[0]
    if out >= 0:
        tally[out] += w * v
        if src >= 0:
            trans[src, out] += w * v
    else:
        cat = _category(out)
        inactive[cat] += w * v
        if src >= 0:
            trans[src, n_cand + cat] += w * v


@njit(cache=True)
def _move(
    ranks, row, pre, prow, pos, more, c, w, v, cont, stops, max_skip, exhaust_dup, exhaust_over, factor,
    scale, final, tally, inactive, trans, kept,
):  # fmt: skip
    """Move ``w`` ballots of value ``v`` (units of 1/``scale``), standing at rank ``pos`` of
    ``ranks[row]`` for candidate ``c`` who stopped continuing. The one transfer step of groups and rows.

    For a candidate just elected, ``factor[c]`` is its surplus fraction f (units of 1/``scale``): each
    ballot moves on with ``t = trunc(v * f)`` and the winner keeps ``v - t`` (summed into ``kept[c]``);
    ``factor[c] < 0`` (eliminated) moves the ballot whole. With ``final`` (all seats filled) the ballots
    become inactive as final-round surplus (``OUT_FINAL``) instead of walking on. A walk that runs off
    the row with ``more`` set (a group with stored rows) returns ``OUT_DEEP`` and credits nothing.
    Returns ``(rank index, outcome, value)``.
    """
    tally[c] -= w * v
    f = factor[c]
    if f >= 0:
        t = (v * f) // scale
        kept[c] += w * (v - t)
        v = t
    if final:
        inactive[CAT_FINAL_SURPLUS] += w * v
        trans[c, tally.shape[0] + CAT_EXHAUSTED] += w * v
        return pos, OUT_FINAL, v
    k, out = _next(ranks, row, pos + 1, pos, cont, stops, max_skip, exhaust_dup, exhaust_over, pre, prow)
    if out == OUT_EXHAUSTED and more:
        return k, OUT_DEEP, v
    _settle(out, c, w, v, tally, inactive, trans)
    return k, out, v


@njit(cache=True, nogil=True)
def prefix_keys(ranks, weights, mults, tail, keys, gcount):
    """Key of each row: ``more + sum((rank_k + 2) * mults[k] for k < depth)``, ``mults[k]`` =
    ``2 * base**k``, ``more`` = 1 when a mark follows the prefix (``depth = len(mults)``). Counts rows
    per key in ``gcount``; returns the largest and smallest weight (``(0, 1)`` for no rows). ``tail``:
    see the module docstring."""
    depth = mults.shape[0]
    width = ranks.shape[1]
    offset = 0
    for k in range(depth):
        offset += 2 * mults[k]
    for row in range(ranks.shape[0]):
        b = np.uint64(row)  # unsigned indices need no wrap-around checks: the loads combine
        key = offset
        for k in range(depth):
            key += ranks[b, np.uint64(k)] * mults[k]
        # BLANK is all ones: the AND of the later ranks stays BLANK only if every one is blank
        rest = BLANK
        for j in range(len(tail)):
            rest &= ranks[b, np.uint64(depth + j)]
        for k in range(depth + len(tail), width):
            rest &= ranks[b, k]
        key += rest != BLANK
        keys[b] = key
        gcount[key] += 1
    # a loop of its own: numba makes it SIMD, which it does not inside the loop above
    top = 0
    low = 1
    if weights.shape[0]:
        top = low = weights[0]
    for b in range(weights.shape[0]):
        top = max(top, weights[b])
        low = min(low, weights[b])
    return top, low


@njit(cache=True, nogil=True)
def key_weights(keys, weights, gweight):
    """Weight per key (only needed when some weight is not 1)."""
    for b in range(keys.shape[0]):
        gweight[keys[b]] += weights[b]


@njit(cache=True, nogil=True)
def bucket_tails(ranks, weights, unit, tail, keys, shift, bcursor, tkeys, ttails, tweights):
    """First half of the store: copy the key, the tail (ranks from ``depth = width - tail width``) and
    the weight of every row with a mark after the prefix (odd key) to the *bucket* ``key >> shift`` of
    ``tkeys``/``ttails``/``tweights``: bucket ``k`` fills from ``bcursor[k]`` in row order (advanced).
    Even keys use the last cursor, a scratch slot that does not advance, so the copy needs no branch.
    A few hundred buckets are written at a time, all in cache, where the keys would be tens of
    thousands. ``tail``: see the module docstring."""
    width = ranks.shape[1]
    depth = width - ttails.shape[1]
    scratch = bcursor.shape[0] - 1
    for row in range(ranks.shape[0]):
        b = np.uint64(row)  # unsigned indices: see prefix_keys
        key = keys[b]
        odd = key & 1
        bucket = (key >> shift) * odd + scratch * (1 - odd)
        at = bcursor[bucket]
        bcursor[bucket] = at + odd
        i = np.uint64(at)
        tkeys[i] = key
        for j in range(len(tail)):
            ttails[i, np.uint64(j)] = ranks[b, np.uint64(depth + j)]
        for k in range(depth + len(tail), width):
            ttails[i, k - depth] = ranks[b, k]
        if not unit:
            tweights[i] = weights[b]


@njit(cache=True, nogil=True)
def place_tails(tkeys, ttails, tweights, unit, tail, start, stop, cursor, store, sweights):
    """Second half of the store: move the bucketed rows ``start:stop`` (whole buckets) to their key's
    block, ``store[cursor[key]:...]`` in order (``cursor`` is advanced). A bucket's keys have
    neighbouring blocks, so the writes stay in cache."""
    for row in range(start, stop):
        p = np.uint64(row)  # unsigned indices: see prefix_keys
        key = tkeys[p]
        at = cursor[key]
        cursor[key] = at + 1
        i = np.uint64(at)
        for j in range(len(tail)):
            store[i, np.uint64(j)] = ttails[p, np.uint64(j)]
        for k in range(len(tail), ttails.shape[1]):
            store[i, k] = ttails[p, k]
        if not unit:
            sweights[i] = tweights[p]


@njit(cache=True, nogil=True)
def place_groups(
    groups, first_round, n_deep, cont, max_skip, exhaust_dup, exhaust_over, factor, scale, final, tally,
    inactive, trans, kept,
):  # fmt: skip
    """The groups' step of a round. In round 1 (``first_round``) every group walks its prefix; later,
    every group whose candidate stopped continuing moves on (see ``_move``). A group that runs past its
    prefix goes deep: it is appended to ``deep`` after its first ``n_deep`` (in group order), with the
    candidate it leaves in ``gsrc`` (-1 in round 1); ``walk_rows(..., enter=True)`` then walks its
    stored rows. ``groups``: the state tuple of ``tally._ranked_engine``. Returns the weight of groups
    without any mark in round 1 (undervotes, else 0) and the new number of deep groups."""
    grank, gmore, gw, gval, gsrc, gprev, gcur, gpos, deep = groups
    n_groups, depth = grank.shape
    none = np.empty((1, 0), dtype=grank.dtype)
    stops = _stops(cont, exhaust_over)
    undervotes = 0
    for g in range(n_groups):
        if first_round:
            marked = gmore[g]
            for k in range(depth):
                if grank[g, k] != BLANK:
                    marked = True
                    break
            if not marked:
                undervotes += gw[g]
                gcur[g] = G_INACTIVE
                continue
            k, out = _next(grank, g, 0, -1, cont, stops, max_skip, exhaust_dup, exhaust_over, none, 0)
            if out == OUT_EXHAUSTED and gmore[g]:
                out = OUT_DEEP
            else:
                _settle(out, -1, gw[g], gval[g], tally, inactive, trans)
        else:
            c = gcur[g]
            if c < 0 or cont[c]:
                continue
            k, out, v = _move(
                grank, g, none, 0, gpos[g], gmore[g], c, gw[g], gval[g], cont, stops, max_skip, exhaust_dup,
                exhaust_over, factor, scale, final, tally, inactive, trans, kept,
            )  # fmt: skip
            gval[g] = v
            if out == OUT_DEEP:
                gsrc[g] = c
        gpos[g] = k
        if out >= 0:
            gcur[g] = out
        elif out == OUT_DEEP:
            gcur[g] = G_DEEP
            deep[n_deep] = g
            n_deep += 1
        else:
            gcur[g] = G_INACTIVE
    return undervotes, n_deep


@njit(cache=True, nogil=True)
def walk_rows(
    groups, rows, unit, track, first, last, enter, cont, max_skip, exhaust_dup, exhaust_over, factor,
    scale, final, tally, inactive, trans, kept,
):  # fmt: skip
    """The rows' step of a round, for the stored rows of the deep groups ``deep[first:last]``.

    With ``enter`` (groups that just went deep) every row walks its tail from the start with its
    group's value, moved from the group's source candidate ``gsrc[g]`` (-1 in round 1: no transfer).
    Otherwise every row whose candidate stopped continuing moves on (see ``_move``). Without ``track``
    a row's value is its group's (values never change: IRV), else it is kept per row in ``dval``.
    Rows of different groups are independent, so disjoint ranges can run at once, each with its own
    ``tally``/``inactive``/``trans``/``kept``."""
    grank, gmore, gw, gval, gsrc, gprev, gcur, gpos, deep = groups
    store, sweights, gstart, gend, dcur, dpos, dval = rows
    depth = grank.shape[1]
    stops = _stops(cont, exhaust_over)
    for j in range(first, last):
        g = deep[j]
        if enter:
            v = gval[g]
            src = gsrc[g]
            prev = gprev[g] - depth
            for i in range(gstart[g], gend[g]):
                w = 1 if unit else sweights[i]
                if track:
                    dval[i] = v
                k, out = _next(store, i, 0, prev, cont, stops, max_skip, exhaust_dup, exhaust_over, grank, g)
                dpos[i] = k
                dcur[i] = out if out >= 0 else -1
                _settle(out, src, w, v, tally, inactive, trans)
            continue
        for i in range(gstart[g], gend[g]):
            c = dcur[i]
            if c < 0 or cont[c]:
                continue
            w = 1 if unit else sweights[i]
            v = dval[i] if track else gval[g]
            k, out, v = _move(
                store, i, grank, g, dpos[i], False, c, w, v, cont, stops, max_skip, exhaust_dup, exhaust_over,
                factor, scale, final, tally, inactive, trans, kept,
            )  # fmt: skip
            dpos[i] = k
            dcur[i] = out if out >= 0 else -1
            if track:
                dval[i] = v
