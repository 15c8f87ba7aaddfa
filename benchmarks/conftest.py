"""Seeded benchmark data shared by every benchmark module.

``ranked_ballots(n, candidates=10, seed=0)`` builds ``n`` ranked ballots in chunks (no large temporaries):
each ballot is a uniformly random ranking of the candidates truncated to a uniformly random length
1..candidates. Results are cached per arguments for the session. ``write_ranked_csv`` writes the same
ballots as a plain CSV (one ballot per row, names in rank order).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

import tally

CHUNK = 200_000


def candidate_names(candidates: int) -> list[str]:
    return [f"cand{i:02d}" for i in range(candidates)]


def ranked_matrix(n: int, candidates: int = 10, seed: int = 0) -> np.ndarray:
    """``n`` x ``candidates`` int8/int16 rank matrix of seeded random truncated rankings (-1 = blank)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, candidates), dtype=tally.ballots.rank_dtype(candidates))
    cols = np.arange(candidates)[None, :]
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        perm = rng.random((m, candidates), dtype=np.float32).argsort(axis=1).astype(out.dtype)
        lengths = rng.integers(1, candidates + 1, m)
        perm[cols >= lengths[:, None]] = -1
        out[start : start + m] = perm
    return out


@functools.cache
def ranked_ballots(n: int, candidates: int = 10, seed: int = 0) -> tally.RankedBallots:
    return tally.RankedBallots.from_array(
        ranked_matrix(n, candidates, seed), candidates=candidate_names(candidates)
    )


def write_ranked_csv(path: Path, ballots: tally.RankedBallots) -> Path:
    """Write ``ballots`` (unit weights) as a plain CSV: one row per ballot, names in rank order."""
    names = np.array(ballots.candidates.names, dtype=object)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for start in range(0, ballots.ranks.shape[0], CHUNK):
            block = ballots.ranks[start : start + CHUNK]
            lines = []
            for row in block:
                lines.append(",".join(names[row[row >= 0]]))
            fh.write("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def ranked_1m() -> tally.RankedBallots:
    return ranked_ballots(1_000_000)


@pytest.fixture(scope="session")
def ranked_10m() -> tally.RankedBallots:
    return ranked_ballots(10_000_000)
