"""Ballot sets: ranked ballots as an integer matrix plus a weight per row.

A ranked ballot set is ``ranks[b, k]`` = index of the candidate ranked at position ``k`` on ballot row
``b`` (``BLANK`` when the rank is empty, ``OVERVOTE`` when it holds several marks), with ``weights[b]``
identical ballots behind that row. The matrix is int8 when there are fewer than 127 candidates, int16
otherwise. Grouping identical rows (``grouped()``) is exact for every rule in this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import BallotError

BLANK = -1
OVERVOTE = -2


@dataclass(frozen=True)
class Candidates:
    """Candidate names in a fixed order; the order is the index used in every ballot matrix."""

    names: tuple[str, ...]

    def __post_init__(self):
        seen: set[str] = set()
        for name in self.names:
            if not isinstance(name, str) or not name.strip():
                raise BallotError(f"candidate name {name!r} is empty or not text")
            if name in seen:
                raise BallotError(f"candidate name {name!r} appears twice")
            seen.add(name)

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, i: int) -> str:
        return self.names[i]

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise BallotError(f"unknown candidate {name!r}") from None


def rank_dtype(n_candidates: int) -> np.dtype:
    """int8 below 127 candidates, else int16 (sentinels are negative)."""
    if n_candidates < 127:
        return np.dtype(np.int8)
    if n_candidates < 32767:
        return np.dtype(np.int16)
    raise BallotError(f"{n_candidates} candidates: at most 32766 are supported")


@dataclass(frozen=True)
class RankedBallots:
    """Ranked ballots: ``ranks`` (rows x ranks, int8/int16), ``weights`` (int64), ``candidates``."""

    ranks: np.ndarray
    weights: np.ndarray
    candidates: Candidates

    @classmethod
    def from_array(cls, ranks, weights=None, candidates: Sequence[str] | None = None) -> RankedBallots:
        """Build a ballot set from an integer array (-1 blank, -2 overvote, else a candidate index).

        ``candidates`` names the indices; by default they are named ``"0"``, ``"1"``, ...
        """
        arr = np.asarray(ranks)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1) if arr.size else arr.reshape(0, 0)
        if arr.ndim != 2:
            raise BallotError(f"ranks must be a 2-D array (ballots x ranks), got {arr.ndim} dimensions")
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise BallotError(f"ranks must hold integers, got {arr.dtype}")
        if candidates is None:
            top = int(arr.max()) + 1 if arr.size else 0
            candidates = [str(i) for i in range(max(top, 0))]
        cands = candidates if isinstance(candidates, Candidates) else Candidates(tuple(candidates))
        n = len(cands)
        if arr.size:
            lo, hi = int(arr.min()), int(arr.max())
            if hi >= n or lo < OVERVOTE:
                bad = np.argwhere((arr >= n) | (arr < OVERVOTE))[0]
                raise BallotError(
                    f"rank {bad[1] + 1} holds {int(arr[bad[0], bad[1]])}, not a candidate index "
                    f"in 0..{n - 1}, -1 (blank) or -2 (overvote)",
                    record=f"ballot {bad[0] + 1}",
                )
        matrix = np.ascontiguousarray(arr, dtype=rank_dtype(n))
        if weights is None:
            w = np.ones(matrix.shape[0], dtype=np.int64)
        else:
            w = np.ascontiguousarray(np.asarray(weights), dtype=np.int64)
            if w.shape != (matrix.shape[0],):
                raise BallotError(f"weights has shape {w.shape}, expected ({matrix.shape[0]},)")
            if w.size and int(w.min()) < 0:
                raise BallotError("weights must not be negative", record=f"ballot {int(np.argmin(w)) + 1}")
        return cls(matrix, w, cands)

    @classmethod
    def from_rankings(
        cls,
        rankings: Iterable[Sequence[str]],
        candidates: Sequence[str] | None = None,
        weights: Sequence[int] | None = None,
    ) -> RankedBallots:
        """Build from name lists in rank order (``""`` for a blank rank). Candidates default to order of
        first appearance."""
        rows = [list(r) for r in rankings]
        if candidates is None:
            order: dict[str, None] = {}
            for row in rows:
                for name in row:
                    if name:
                        order.setdefault(name, None)
            candidates = list(order)
        cands = Candidates(tuple(candidates))
        lookup = {name: i for i, name in enumerate(cands.names)}
        width = max((len(r) for r in rows), default=0)
        arr = np.full((len(rows), width), BLANK, dtype=rank_dtype(len(cands)))
        for b, row in enumerate(rows):
            for k, name in enumerate(row):
                if name:
                    if name not in lookup:
                        raise BallotError(f"unknown candidate {name!r}", record=f"ballot {b + 1}")
                    arr[b, k] = lookup[name]
        return cls.from_array(arr, weights, cands)

    @property
    def n_ballots(self) -> int:
        """Number of ballots (sum of weights)."""
        return int(self.weights.sum())

    def grouped(self) -> RankedBallots:
        """Identical rows merged, weights summed, rows in lexicographic order; zero-weight rows dropped."""
        keep = self.weights > 0
        ranks, weights = self.ranks[keep], self.weights[keep]
        if ranks.shape[0] == 0:
            return RankedBallots(ranks, weights, self.candidates)
        uniq, inverse = np.unique(ranks, axis=0, return_inverse=True)
        sums = np.zeros(uniq.shape[0], dtype=np.int64)
        np.add.at(sums, inverse.reshape(-1), weights)
        return RankedBallots(np.ascontiguousarray(uniq), sums, self.candidates)
