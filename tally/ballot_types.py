"""Ballot sets beside ranked ballots: approval ballots and integer-valued (score) ballots.

- ``ApprovalBallots``: ``approvals[b, c]`` (bool) says ballot row ``b`` approves candidate ``c``;
  ``weights[b]`` (int64) identical ballots stand behind the row.
- ``ScoreBallots``: ``scores[b, c]`` (int64) is an integer given to candidate ``c``: points on a score,
  cumulative or budget ballot, or the (possibly negative) votes of a quadratic ballot.

Both keep candidate names in a ``Candidates`` table beside the arrays (the index order used everywhere),
and ``grouped()`` merges identical rows, which is exact for every rule in this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .ballots import Candidates
from .errors import BallotError

_INT_DTYPES = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))


def _candidates(candidates, width: int) -> Candidates:
    if candidates is None:
        return Candidates(tuple(str(i) for i in range(width)))
    cands = candidates if isinstance(candidates, Candidates) else Candidates(tuple(candidates))
    if len(cands) != width:
        raise BallotError(f"{len(cands)} candidate names for a ballot matrix with {width} columns")
    return cands


def _weights(weights, rows: int) -> np.ndarray:
    if weights is None:
        return np.ones(rows, dtype=np.int64)
    w = np.asarray(weights)
    if w.size and not np.issubdtype(w.dtype, np.integer):
        raise BallotError(f"weights must be integers, got {w.dtype}")
    w = np.ascontiguousarray(w, dtype=np.int64)
    if w.shape != (rows,):
        raise BallotError(f"weights has shape {w.shape}, expected ({rows},)")
    if w.size and int(w.min()) < 0:
        raise BallotError("weights must not be negative", record=f"ballot {int(np.argmin(w)) + 1}")
    return w


def _matrix(values, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise BallotError(f"{what} must be a 2-D array (ballots x candidates), got {arr.ndim} dimensions")
    return arr


def _group(matrix: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = weights > 0
    matrix, weights = matrix[keep], weights[keep]
    if matrix.shape[0] == 0:
        return matrix, weights
    uniq, inverse = np.unique(matrix, axis=0, return_inverse=True)
    sums = np.zeros(uniq.shape[0], dtype=np.int64)
    np.add.at(sums, inverse.reshape(-1), weights)
    return np.ascontiguousarray(uniq), sums


def _group_bool(matrix: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_group`` for approval matrices of at most 64 columns: rows packed into one uint64 key each,
    groups in ascending key order (exact: equal keys are equal rows)."""
    if matrix.shape[1] > 64:
        return _group(matrix, weights)
    keep = weights > 0
    matrix, weights = matrix[keep], weights[keep]
    if matrix.shape[0] == 0:
        return matrix, weights
    keys = np.zeros(matrix.shape[0], dtype=np.uint64)
    for c in range(matrix.shape[1]):
        keys |= matrix[:, c].astype(np.uint64) << np.uint64(c)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sums = np.add.reduceat(weights[order], starts).astype(np.int64)
    return np.ascontiguousarray(matrix[order[starts]]), sums


@dataclass(frozen=True)
class ApprovalBallots:
    """Approval ballots: ``approvals`` (rows x candidates, bool), ``weights`` (int64), ``candidates``."""

    approvals: np.ndarray
    weights: np.ndarray
    candidates: Candidates

    @classmethod
    def from_array(cls, approvals, weights=None, candidates: Sequence[str] | None = None) -> ApprovalBallots:
        """From a 0/1 or bool matrix (rows x candidates)."""
        arr = _matrix(approvals, "approvals")
        if arr.dtype != np.bool_:
            if arr.size and not np.issubdtype(arr.dtype, np.integer):
                raise BallotError(f"approvals must be 0/1 or bool, got {arr.dtype}")
            if arr.size and (int(arr.min()) < 0 or int(arr.max()) > 1):
                bad = np.argwhere((arr < 0) | (arr > 1))[0]
                raise BallotError(
                    f"column {bad[1] + 1} holds {int(arr[bad[0], bad[1]])}, not 0 or 1",
                    record=f"ballot {bad[0] + 1}",
                )
        matrix = np.ascontiguousarray(arr, dtype=np.bool_)
        return cls(matrix, _weights(weights, matrix.shape[0]), _candidates(candidates, matrix.shape[1]))

    @classmethod
    def from_sets(
        cls,
        ballots: Iterable[Iterable[str]],
        candidates: Sequence[str] | None = None,
        weights: Sequence[int] | None = None,
    ) -> ApprovalBallots:
        """From sets of approved names; candidates default to order of first appearance."""
        rows = [list(b) for b in ballots]
        if candidates is None:
            seen: dict[str, None] = {}
            for row in rows:
                for name in row:
                    seen.setdefault(name, None)
            candidates = list(seen)
        cands = Candidates(tuple(candidates))
        lookup = {n: i for i, n in enumerate(cands.names)}
        arr = np.zeros((len(rows), len(cands)), dtype=np.bool_)
        for b, row in enumerate(rows):
            for name in row:
                if name not in lookup:
                    raise BallotError(f"unknown candidate {name!r}", record=f"ballot {b + 1}")
                arr[b, lookup[name]] = True
        return cls.from_array(arr, weights, cands)

    @property
    def n_ballots(self) -> int:
        return int(self.weights.sum())

    def grouped(self) -> ApprovalBallots:
        """Identical rows merged (weights summed, rows sorted), zero-weight rows dropped."""
        m, w = _group_bool(self.approvals, self.weights)
        return ApprovalBallots(m, w, self.candidates)


@dataclass(frozen=True)
class ScoreBallots:
    """Integer ballots: ``scores`` (rows x candidates; int8/16/32/64 kept, else int64), ``weights`` (int64).

    Used for score, cumulative and budget ballots (points >= 0) and for quadratic votes (any sign).
    """

    scores: np.ndarray
    weights: np.ndarray
    candidates: Candidates

    @classmethod
    def from_array(cls, scores, weights=None, candidates: Sequence[str] | None = None) -> ScoreBallots:
        arr = _matrix(scores, "scores")
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise BallotError(f"scores must be integers, got {arr.dtype}")
        dtype = arr.dtype if arr.dtype in _INT_DTYPES else np.dtype(np.int64)
        matrix = np.ascontiguousarray(arr, dtype=dtype.newbyteorder("="))
        return cls(matrix, _weights(weights, matrix.shape[0]), _candidates(candidates, matrix.shape[1]))

    @property
    def n_ballots(self) -> int:
        return int(self.weights.sum())

    def grouped(self) -> ScoreBallots:
        m, w = _group(self.scores, self.weights)
        return ScoreBallots(m, w, self.candidates)
