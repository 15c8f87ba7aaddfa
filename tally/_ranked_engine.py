"""Ballot state for IRV and STV counts: prefix groups plus a per-row list (see ``_kernels_ranked``).

``RankedState(ballots, walk, scale, surpluses)`` places every ballot in round 1 (``first``) and moves
the ballots of candidates that stopped continuing (``move``), keeping ``tally`` (per candidate) and
``inactive`` (per category) in units of 1/``scale``. Only with ``surpluses`` (STV) may ``move`` be
given surplus fractions, and only then does each stored row carry its own value. When int64 could
overflow (``scale`` above 10^9, or total weight x ``scale`` from 2^62) every value array holds Python
integers and the kernels run as plain Python: slow, but exact (``exact`` is False).

Building the state takes two passes over the rank matrix (keys, then the tails of long rows); on large
sets each runs on row blocks in threads, one per core (``BLOCKS``). Blocks only split integer counts
and keep every row's place, so the state, and so the result, is the same for any number of blocks.
"""

from __future__ import annotations

import itertools
import os
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _kernels_ranked as K
from .ballots import RankedBallots
from .errors import TallyError

KEY_LIMIT = 2**16  # prefix keys fit uint16; tests lower it to force deep rows
BLOCKS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
BLOCK_ROWS = 200_000  # fewer rows per thread cost more to start than they save; tests lower it
BUCKET_BITS = 8  # the stored tails are bucketed by their key's top 8 bits first (256 buckets)
THREAD_ROWS = 100_000  # stored rows walked in one round from which the walk is split over threads


def prefix_depth(n_candidates: int, width: int, limit: int | None = None) -> int:
    """Longest prefix whose keys (``2 * (n + 2) ** depth`` of them) stay within ``limit``."""
    limit = KEY_LIMIT if limit is None else limit
    base = n_candidates + 2
    depth = 0
    while depth < width and 2 * base ** (depth + 1) <= limit:
        depth += 1
    return depth


def row_blocks(n_rows: int) -> list[tuple[int, int]]:
    """Consecutive row ranges ``(start, stop)`` for the passes over the rows: one per ``BLOCK_ROWS``
    rows, at most ``BLOCKS``; a single (possibly empty) range for small sets."""
    n = max(1, min(BLOCKS, n_rows // BLOCK_ROWS))
    bounds = [n_rows * j // n for j in range(n + 1)]
    return list(itertools.pairwise(bounds))


_pool: ThreadPoolExecutor | None = None


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has none of the parent's threads


os.register_at_fork(after_in_child=_forget_pool)


def _in_threads(kernel, calls: list[tuple]) -> list:
    """``[kernel(*args) for args in calls]``, run by a pool of ``BLOCKS`` threads when there are
    several (the kernels release the GIL)."""
    global _pool
    if len(calls) <= 1:
        return [kernel(*args) for args in calls]
    if _pool is None:
        _pool = ThreadPoolExecutor(BLOCKS, thread_name_prefix="tally")
    return [f.result() for f in [_pool.submit(kernel, *args) for args in calls]]


def _store_tails(ranks, weights, unit, depth, tail, keys, blocks, bcount, long_keys, starts, n_long):
    """The tails (ranks from ``depth`` on) of the rows with odd keys, in row order within each key, key
    ``long_keys[i]``'s from ``starts[i]`` (and their weights unless ``unit``): ``(store, sweights)``.

    First each row block copies its rows to buckets of neighbouring keys (block j after the rows of
    the blocks before it, so a key's rows stay in row order), then each bucket goes to its keys' places;
    both halves run in threads (``bcount``: rows per block and key)."""
    n_blocks, n_keys = bcount.shape
    shift = max(0, (n_keys - 1).bit_length() - BUCKET_BITS)
    n_buckets = ((n_keys - 1) >> shift) + 1
    odd = np.zeros((n_blocks, n_buckets << shift), dtype=np.int64)
    odd[:, 1:n_keys:2] = bcount[:, 1::2]
    per_bucket = odd.reshape(n_blocks, n_buckets, -1).sum(axis=2)
    bucket_end = np.cumsum(per_bucket.sum(axis=0))
    bcursor = np.empty((n_blocks, n_buckets + 1), dtype=np.int64)
    bcursor[:, :-1] = bucket_end - per_bucket.sum(axis=0) + np.cumsum(per_bucket, axis=0) - per_bucket
    bcursor[:, -1] = n_long + np.arange(n_blocks)  # each block's scratch slot for even keys
    width = ranks.shape[1] - depth
    tkeys = np.empty(n_long + n_blocks, dtype=keys.dtype)
    ttails = np.empty((n_long + n_blocks, width), dtype=ranks.dtype)
    tweights = np.empty(1 if unit else n_long + n_blocks, dtype=np.int64)
    _in_threads(
        K.bucket_tails,
        [
            (ranks[a:b], weights[a:b], unit, tail, keys[a:b], shift, bcursor[j], tkeys, ttails, tweights)
            for j, (a, b) in enumerate(blocks)
        ],
    )
    cursor = np.zeros(n_keys, dtype=np.int64)
    cursor[long_keys] = starts
    store = np.empty((n_long, width), dtype=ranks.dtype)
    sweights = np.empty(1 if unit else n_long, dtype=np.int64)
    # whole buckets per thread, about as many rows each
    cuts = [int(bucket_end[np.searchsorted(bucket_end, n_long * j // n_blocks)]) for j in range(1, n_blocks)]
    _in_threads(
        K.place_tails,
        [
            (tkeys, ttails, tweights, unit, tail, a, b, cursor, store, sweights)
            for a, b in itertools.pairwise([0, *cuts, n_long])
        ],
    )
    return store, sweights


class RankedState:
    def __init__(self, ballots: RankedBallots, walk: tuple[int, bool, bool], scale: int, surpluses: bool):
        self.ranks, self.walk, self.scale, self.surpluses = ballots.ranks, walk, scale, surpluses
        n_rows, width = self.ranks.shape
        self.n = len(ballots.candidates)
        self.depth = depth = prefix_depth(self.n, width)
        base = self.n + 2
        n_keys = 2 * base**depth
        tail = (0,) * min(width - depth, K.UNROLL)
        keys = np.empty(n_rows, dtype=np.uint16 if n_keys <= 2**16 else np.uint32)
        mults = 2 * base ** np.arange(depth, dtype=np.int64)
        # the two passes over the rows run on row blocks in threads; per block key counts, summed
        blocks = row_blocks(n_rows)
        bcount = np.zeros((len(blocks), n_keys), dtype=np.int64)
        w = ballots.weights
        extremes = _in_threads(
            K.prefix_keys,
            [(self.ranks[a:b], w[a:b], mults, tail, keys[a:b], bcount[j]) for j, (a, b) in enumerate(blocks)],
        )
        gcount = bcount.sum(axis=0) if len(blocks) > 1 else bcount[0]
        top, low = max(int(t) for t, _ in extremes), min(int(lo) for _, lo in extremes)
        self.unit = top == 1 and low == 1
        if self.unit:
            gweight = gcount
        elif top * n_rows < 2**62:
            gweight = np.zeros(n_keys, dtype=np.int64)
            K.key_weights(keys, ballots.weights, gweight)
        else:
            raise TallyError("total ballot weight is too large for exact counting (at most 2^62)")
        self.total = int(gweight.sum())
        self.exact = exact = scale <= 10**9 and self.total * scale < 2**62
        ids = np.flatnonzero(gcount)
        n_groups = ids.size
        code = ids >> 1
        grank = np.empty((n_groups, depth), dtype=np.int16)
        for k in range(depth):
            grank[:, k] = (code // base**k) % base - 2
        gmore = (ids & 1).astype(np.bool_)
        marked = grank != K.BLANK
        gprev = np.full(n_groups, -1, dtype=np.int64)
        if depth:
            last = depth - 1 - np.argmax(marked[:, ::-1], axis=1)
            gprev = np.where(marked.any(axis=1), last, -1).astype(np.int64)
        # tails of rows with marks after the prefix, copied once, grouped by prefix group
        long_rows = np.where(gmore, gcount[ids], 0)
        gend = np.cumsum(long_rows)
        gstart = gend - long_rows
        n_long = int(gend[-1]) if n_groups else 0
        store, sweights = _store_tails(
            self.ranks, w, self.unit, depth, tail, keys, blocks, bcount, ids[gmore], gstart[gmore], n_long
        )
        del keys, bcount
        n_val = n_long if surpluses else 1
        if exact:
            gw, gval = gweight[ids], np.full(n_groups, scale, dtype=np.int64)
            dval = np.empty(n_val, dtype=np.int32 if scale <= 10**9 else np.int64)
            self.zeros = lambda *shape: np.zeros(shape, dtype=np.int64)
            self.kernels = K
        else:
            sweights = sweights.astype(object)
            gw, gval = gweight[ids].astype(object), np.full(n_groups, scale, dtype=object)
            dval = np.full(n_val, 0, dtype=object)
            self.zeros = lambda *shape: np.full(shape, 0, dtype=object)
            self.kernels = _PYTHON_KERNELS
        # per group: prefix, more marks follow, weight, value, source candidate when it went deep, last
        # marked prefix rank, state (candidate or G_*), rank index; then the deep groups in order
        self.groups = (
            grank, gmore, gw, gval, np.full(n_groups, -1, dtype=np.int64), gprev,
            np.empty(n_groups, dtype=np.int32), np.zeros(n_groups, dtype=np.int64),
            np.empty(n_groups, dtype=np.int64),
        )  # fmt: skip
        # the store, its weights, each group's block; per stored row, set when its group goes deep:
        # candidate (-1 inactive), rank index in the tail, value (only with ``surpluses``)
        self.rows = (
            store, sweights, gstart, gend, np.empty(n_long, dtype=self.ranks.dtype),
            np.empty(n_long, dtype=np.int8 if store.shape[1] < 127 else np.int16), dval,
        )  # fmt: skip
        self.n_deep = 0
        self.tally = self.zeros(self.n)
        self.inactive = self.zeros(K.N_CATS)

    def first(self, cont: np.ndarray) -> int:
        """Round 1: place every ballot; returns the undervotes (ballots without any mark)."""
        trans = self.zeros(self.n, self.n + K.N_CATS)
        kept = self.zeros(self.n)
        factor = np.full(self.n, -1, dtype=np.int64 if self.exact else object)
        undervotes, self.n_deep = self.kernels.place_groups(
            self.groups, True, 0, cont, *self.walk, factor, self.scale, False, self.tally, self.inactive,
            trans, kept,
        )  # fmt: skip
        self._walk_rows([(0, self.n_deep, True)], cont, factor, False, trans, kept)
        return int(undervotes)

    def move(self, cont: np.ndarray, factor: np.ndarray, final: bool) -> tuple[np.ndarray, np.ndarray]:
        """Move the ballots of candidates no longer in ``cont``; ``factor`` as in ``_move``.

        Returns ``(trans, kept)``: moved value per source and target (``n + category`` for inactive),
        and the value each newly elected candidate keeps."""
        if not self.surpluses and bool((factor >= 0).any()):
            raise ValueError("surplus fractions need a state built with surpluses=True")
        if not self.exact:
            factor = factor.astype(object)
        trans = self.zeros(self.n, self.n + K.N_CATS)
        kept = self.zeros(self.n)
        n_old = self.n_deep
        _, self.n_deep = self.kernels.place_groups(
            self.groups, False, n_old, cont, *self.walk, factor, self.scale, final, self.tally,
            self.inactive, trans, kept,
        )  # fmt: skip
        self._walk_rows([(0, n_old, False), (n_old, self.n_deep, True)], cont, factor, final, trans, kept)
        return trans, kept

    def _walk_rows(self, spans, cont, factor, final, trans, kept) -> None:
        """``walk_rows`` over each span ``(first, last, enter)`` of ``deep``; with enough rows, in parts
        of about equal rows run in threads, each part but the first with its own accumulators, added
        after (integer sums: the same totals in any order)."""
        deep, (gstart, gend) = self.groups[-1], self.rows[2:4]
        rows = [np.cumsum(gend[deep[first:last]] - gstart[deep[first:last]]) for first, last, _ in spans]
        parts = BLOCKS if self.exact and sum(int(r[-1]) for r in rows if r.size) >= THREAD_ROWS else 1
        calls = []
        for (first, last, enter), r in zip(spans, rows, strict=True):
            if not r.size:
                continue
            cuts = [first + int(np.searchsorted(r, r[-1] * j // parts)) for j in range(1, parts)]
            calls += [(a, b, enter) for a, b in itertools.pairwise([first, *cuts, last]) if a < b]
        if parts == 1:
            for first, last, enter in calls:
                self.kernels.walk_rows(
                    self.groups, self.rows, self.unit, self.surpluses, first, last, enter, cont, *self.walk,
                    factor, self.scale, final, self.tally, self.inactive, trans, kept,
                )  # fmt: skip
            return
        sums = [(self.tally, self.inactive, trans, kept)]
        sums += [tuple(self.zeros(*a.shape) for a in sums[0]) for _ in calls[1:]]
        _in_threads(
            self.kernels.walk_rows,
            [
                (self.groups, self.rows, self.unit, self.surpluses, a, b, enter, cont, *self.walk, factor,
                 self.scale, final, *acc)
                for (a, b, enter), acc in zip(calls, sums, strict=True)
            ],
        )  # fmt: skip
        for acc in sums[1:]:
            for total, part in zip(sums[0], acc, strict=True):
                np.add(total, part, out=total)


def _python_kernels() -> types.SimpleNamespace:
    """The kernels as plain Python over object arrays (exact Python integers): each kernel's Python
    source run with every jitted helper it calls replaced by that helper's Python source too."""
    scope = {
        name: getattr(value, "py_func", value) for name, value in vars(K).items() if not name.startswith("__")
    }
    funcs = {
        name: types.FunctionType(py.__code__, scope, name, py.__defaults__, py.__closure__)
        for name, py in scope.items()
        if isinstance(py, types.FunctionType) and py.__module__ == K.__name__
    }
    scope.update(funcs)
    return types.SimpleNamespace(**funcs)


_PYTHON_KERNELS = _python_kernels()
