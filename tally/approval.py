"""Approval voting (single and multi-winner) and satisfaction approval voting.

Both take ``ApprovalBallots``. ``elected`` is the first ``seats`` candidates of the ranking by score;
equal scores are ordered by the declared seeded hash order (``tally.seeded_ties``; options ``seed``
and ``contest_id``), and every group of equal scores is recorded in ``ties``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from . import _ranking
from ._kernels_approval import counts_by_size as _counts_by_size
from ._kernels_budget import score_sums as _column_sums
from .ballot_types import ApprovalBallots
from .errors import TallyError
from .methods import register
from .result import Result


def check_ballots(ballots: Any, seats: Any, what: str = "approval methods") -> None:
    if not isinstance(ballots, ApprovalBallots):
        raise TallyError(f"{what} count approval ballots, got {type(ballots).__name__}")
    n = len(ballots.candidates)
    if n == 0:
        raise TallyError("no candidates")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= n:
        raise TallyError(f"seats must be between 1 and {n}, got {seats!r}")


def check_options(options: dict[str, Any], extra: tuple[str, ...] = ()) -> tuple[str, str]:
    return _ranking.check(options, extra)


def _u8(ballots: ApprovalBallots) -> np.ndarray:
    return np.ascontiguousarray(ballots.approvals).view(np.uint8)


def approval_scores(ballots: ApprovalBallots) -> np.ndarray:
    """Weighted number of approvals per candidate (int64)."""
    return _column_sums(_u8(ballots), np.ascontiguousarray(ballots.weights, dtype=np.int64))


def _ranked_result(method, ballots, seats, scores, seed, contest, extra) -> Result:
    names = list(ballots.candidates.names)
    ties: list = []
    ranking = _ranking.rank_by_score(scores, names, seed, contest, ties, f"{method} tie")
    rounds = [{"place": i + 1, "candidate": names[c], "score": scores[c]} for i, c in enumerate(ranking)]
    details = {
        "scores": {names[c]: scores[c] for c in range(len(names))},
        "ranking": [names[c] for c in ranking],
        "ballots": ballots.n_ballots,
        **extra,
    }
    return Result(
        method=method,
        candidates=names,
        elected=[names[c] for c in ranking[:seats]],
        rounds=rounds,
        options={"seed": seed, "contest_id": contest},
        ties=ties,
        details=details,
    )


@register("approval")
def approval(ballots: ApprovalBallots, seats: int = 1, **options: Any) -> Result:
    """Approval voting: a candidate's score is the number of ballots approving it; the ``seats``
    highest scores win (block approval when ``seats > 1``). Ties: seeded order, recorded."""
    check_ballots(ballots, seats)
    seed, contest = check_options(options)
    scores = [int(x) for x in approval_scores(ballots)]
    return _ranked_result("approval", ballots, seats, scores, seed, contest, {})


@register("sav", "satisfaction-approval")
def satisfaction_approval(ballots: ApprovalBallots, seats: int = 1, **options: Any) -> Result:
    """Satisfaction approval voting (Brams-Kilgour): each ballot approving ``k >= 1`` candidates gives
    each of them ``1/k``; the ``seats`` highest totals (exact fractions) win. Empty ballots give
    nothing. Ties: seeded order, recorded."""
    check_ballots(ballots, seats)
    seed, contest = check_options(options)
    by_size = _counts_by_size(_u8(ballots), np.ascontiguousarray(ballots.weights, dtype=np.int64))
    m = len(ballots.candidates)
    scores = [sum((Fraction(int(by_size[k, c]), k) for k in range(1, m + 1)), Fraction(0)) for c in range(m)]
    return _ranked_result("sav", ballots, seats, scores, seed, contest, {})
