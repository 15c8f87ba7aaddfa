"""Quadratic voting: integer votes per option, a credit budget, cost = sum of squared votes.

Ballots are ``ScoreBallots`` (rows x options, integers; a row's weight counts identical ballots). The
engine checks every ballot before counting: casting v votes on an option costs v² credits, and a ballot
whose total cost exceeds ``budget`` is rejected with ``BallotError`` naming its row: it is never trimmed.
Negative votes (against an option) are refused unless ``allow_negative=True``.

Result per option: ``net`` (sum of votes), ``for`` and ``against`` (sums of positive votes and of the
sizes of negative votes), ``credits`` (sum of v²) and ``credit_share`` (its exact fraction of all
credits spent), ``supporters`` and ``opponents`` (ballots with a positive / negative vote on it);
``participation`` is the number of ballots that spent any credit, out of ``ballots``. Options are ranked
by net votes, highest first; ``elected`` is the first ``seats``. Equal net votes are ordered by the
declared seeded hash order (``tally.seeded_ties``, options ``seed`` and ``contest_id``), each such group
recorded in ``ties``.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Any

import numpy as np

from . import _ranking
from ._kernels_quadratic import first_over as _first_over
from ._kernels_quadratic import quadratic_tally as _quadratic_tally
from .ballot_types import ScoreBallots
from .errors import BallotError, TallyError
from .methods import register
from .result import Result

INT64_MAX = np.iinfo(np.int64).max


def _budget(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TallyError(f"option budget must be a whole number of credits, got {value!r}")
    if value < 0:
        raise TallyError(f"option budget must not be negative, got {value}")
    return int(value)


def tally_quadratic(ballots: ScoreBallots, budget: int, allow_negative: bool = False) -> dict[str, Any]:
    """Check every ballot and return the per-option arrays (see module docstring)."""
    if not isinstance(ballots, ScoreBallots):
        raise TallyError(f"quadratic voting counts integer (score) ballots, got {type(ballots).__name__}")
    budget = _budget(budget)
    if not isinstance(allow_negative, bool):
        raise TallyError(f"option allow_negative must be true or false, got {allow_negative!r}")
    m = len(ballots.candidates)
    vmax = isqrt(budget)
    # keep every product inside int64: |w * v^2| <= max weight * budget and sums over rows
    if int(ballots.weights.sum()) * max(budget, 1) * max(m, 1) >= INT64_MAX:
        raise TallyError("ballot weights times budget are too large to count in 64 bits")
    votes = np.ascontiguousarray(ballots.scores)
    weights = np.ascontiguousarray(ballots.weights, dtype=np.int64)
    bad, problem = -1, 0
    if votes.dtype.itemsize >= 4:  # int16 squares summed over columns cannot overflow int64; wider can
        bad, problem = _first_over(votes, vmax, budget, allow_negative)
    if bad < 0:
        flush = min(1 << 20, (2**31 - 1) // max(budget, 1))  # 0 when budget >= 2^31: int64 only
        bad, problem, acc, participants = _quadratic_tally(votes, weights, budget, allow_negative, flush)
    if bad >= 0:
        row = votes[bad].astype(object)
        cost = int(sum(v * v for v in row))
        if problem == 1:
            c = int(np.flatnonzero(votes[bad] < 0)[0])
            msg = (
                f"negative vote {int(votes[bad, c])} on {ballots.candidates[c]!r}: "
                "this contest does not allow votes against"
            )
        else:
            msg = f"ballot costs {cost} credits (sum of squared votes), over the budget of {budget}"
        raise BallotError(msg, record=f"ballot row {bad + 1}")
    net, pos, sq, sup, opp = acc
    stats = np.stack([net, pos, pos - net, sq, sup, opp])
    return {"stats": stats, "participants": int(participants)}


@register("quadratic")
def quadratic(ballots: ScoreBallots, seats: int = 1, **options: Any) -> Result:
    """Quadratic voting (see module docstring). Options: ``budget`` (required, credits per ballot),
    ``allow_negative`` (default false), ``seed``, ``contest_id``."""
    seed, contest = _ranking.check(options, ("budget", "allow_negative"))
    if "budget" not in options:
        raise TallyError("quadratic voting needs option budget (credits per ballot)")
    budget = _budget(options["budget"])
    allow_negative = options.get("allow_negative", False)
    out = tally_quadratic(ballots, budget, allow_negative)
    names = list(ballots.candidates.names)
    m = len(names)
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= max(m, 1):
        raise TallyError(f"seats must be between 1 and {m}, got {seats!r}")
    st = out["stats"]
    net = [int(x) for x in st[0]]
    total_credits = int(st[3].sum())
    ties: list = []
    ranking = _ranking.rank_by_score(net, names, seed, contest, ties, "equal net votes")
    per_option = {
        names[c]: {
            "net": net[c],
            "for": int(st[1, c]),
            "against": int(st[2, c]),
            "credits": int(st[3, c]),
            "credit_share": Fraction(int(st[3, c]), total_credits) if total_credits else Fraction(0),
            "supporters": int(st[4, c]),
            "opponents": int(st[5, c]),
        }
        for c in range(m)
    }
    rounds = [{"place": i + 1, "option": names[c], "net": net[c]} for i, c in enumerate(ranking)]
    details = {
        "options_tally": per_option,
        "scores": {names[c]: net[c] for c in range(m)},
        "ranking": [names[c] for c in ranking],
        "ballots": ballots.n_ballots,
        "participation": out["participants"],
        "credits_spent": total_credits,
        "credits_available": budget * ballots.n_ballots,
    }
    opts = {"budget": budget, "allow_negative": allow_negative, "seed": seed, "contest_id": contest}
    return Result(
        method="quadratic",
        candidates=names,
        elected=[names[c] for c in ranking[:seats]],
        rounds=rounds,
        options=opts,
        ties=ties,
        details=details,
    )
