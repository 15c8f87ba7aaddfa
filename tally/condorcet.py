"""Condorcet methods over ranked ballots: pairwise matrix, Condorcet winner or cycle, Schulze, ranked
pairs, Copeland and minimax.

Pairwise matrix: ``pairwise[i][j]`` is the number of ballots ranking ``i`` above ``j``. A ballot's ranks
are read in order; blank ranks are passed over; an overvoted rank ends the ballot (option
``overvote="exhaust"``, the default) or is passed over (``overvote="skip"``); a candidate ranked twice
keeps its highest rank; every ranked candidate is above every unranked one, and unranked candidates are
equal to each other.

Every method yields a full ranking; ``elected`` is its first ``seats`` entries. ``details["winners"]``
is the method's set of co-winners before any tie-break. Where the method leaves candidates level, the
declared tie-break decides: the seeded hash order of ``tally.seeded_ties`` (options ``seed`` and
``contest_id``) at each ranking step, and every such tie is recorded in ``ties``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _ranking
from ._kernels_condorcet import pairwise as _pairwise_kernel
from .ballots import RankedBallots
from .errors import TallyError
from .methods import register
from .result import Result

OVERVOTE_RULES = ("exhaust", "skip")


def pairwise_matrix(ballots: RankedBallots, overvote: str = "exhaust") -> np.ndarray:
    """The pairwise matrix (int64, candidates x candidates) under the rule in the module docstring."""
    if not isinstance(ballots, RankedBallots):
        raise TallyError(f"Condorcet methods count ranked ballots, got {type(ballots).__name__}")
    if overvote not in OVERVOTE_RULES:
        raise TallyError(f"option overvote must be one of {', '.join(OVERVOTE_RULES)}, got {overvote!r}")
    ranks = np.ascontiguousarray(ballots.ranks)
    weights = np.ascontiguousarray(ballots.weights, dtype=np.int64)
    return _pairwise_kernel(ranks, weights, len(ballots.candidates), overvote == "skip")


def condorcet_winner(P: np.ndarray) -> int | None:
    """The candidate beating every other by a strict majority of the pairwise matrix, if any."""
    n = P.shape[0]
    beats = P > P.T
    for x in range(n):
        if beats[x].sum() == n - 1:
            return x
    return None


def smith_set(P: np.ndarray) -> list[int]:
    """Smith set: candidates that reach every candidate through 'beats or ties' steps (indices, sorted)."""
    n = P.shape[0]
    reach = (P >= P.T) | np.eye(n, dtype=bool)
    for k in range(n):
        reach |= reach[:, k : k + 1] & reach[k : k + 1, :]
    return [x for x in range(n) if reach[x].all()]


def majority_cycle(P: np.ndarray, among: list[int]) -> list[int] | None:
    """A strict-majority cycle within ``among`` (first found by depth-first search from the lowest index),
    as a list ``[a, b, ..., a]``; ``None`` when there is none."""
    allowed = set(among)
    beats = P > P.T
    for start in sorted(among):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted((j for j in allowed if beats[node, j]), reverse=True):
                if nxt == start and len(path) > 2:
                    return [*path, start]
                if nxt not in path and nxt > start:
                    stack.append((nxt, [*path, nxt]))
    return None


def _options(options: dict[str, Any], extra: tuple[str, ...] = ()) -> tuple[str, str, str]:
    seed, contest = _ranking.check(options, ("overvote", *extra))
    return options.get("overvote", "exhaust"), seed, contest


def _rank(beats: np.ndarray, names: list[str], seed: str, contest: str, ties: list, why: str) -> list[int]:
    """Full ranking from a strict 'ahead of' relation: at each step the remaining candidates that no
    remaining candidate is ahead of; several of them are a tie, settled by the seeded order."""
    remaining = list(range(len(names)))
    ranking: list[int] = []
    step = 0
    while remaining:
        step += 1
        top = [x for x in remaining if not any(beats[y, x] for y in remaining if y != x)]
        if not top:
            raise RuntimeError("ranking relation has a cycle")
        chosen = _ranking.pick([names[x] for x in top], seed, contest, step, ties, f"{why}, place {step}")
        pick = names.index(chosen)
        ranking.append(pick)
        remaining.remove(pick)
    return ranking


def _result(method, ballots, seats, P, ranking, winners, opts, ties, extra, rounds) -> Result:
    names = list(ballots.candidates.names)
    cw = condorcet_winner(P)
    details: dict[str, Any] = {
        "pairwise": P.tolist(),
        "condorcet_winner": None if cw is None else names[cw],
        "winners": [names[x] for x in sorted(winners)],
        "ranking": [names[x] for x in ranking],
        "ballots": ballots.n_ballots,
    }
    if cw is None:
        smith = smith_set(P)
        cyc = majority_cycle(P, smith)
        details["smith_set"] = [names[x] for x in smith]
        details["cycle"] = None if cyc is None else [names[x] for x in cyc]
    details.update(extra)
    return Result(
        method=method,
        candidates=names,
        elected=[names[x] for x in ranking[:seats]],
        rounds=rounds,
        options=opts,
        ties=ties,
        details=details,
    )


def _check_seats(ballots, seats):
    if not isinstance(ballots, RankedBallots):
        raise TallyError(f"Condorcet methods count ranked ballots, got {type(ballots).__name__}")
    n = len(ballots.candidates)
    if n == 0:
        raise TallyError("no candidates")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= n:
        raise TallyError(f"seats must be between 1 and {n}, got {seats!r}")


@register("condorcet")
def condorcet(ballots: RankedBallots, seats: int = 1, **options: Any) -> Result:
    """Condorcet winner, or the cycle. The candidate beating every other in pairwise majority wins; if
    there is none, ``details`` reports the Smith set and a majority cycle, and ``elected`` is empty.
    Options: ``overvote``."""
    _check_seats(ballots, seats)
    overvote, seed, contest = _options(options)
    P = pairwise_matrix(ballots, overvote)
    names = list(ballots.candidates.names)
    cw = condorcet_winner(P)
    res = _result(
        "condorcet",
        ballots,
        1,
        P,
        [] if cw is None else [cw],
        [] if cw is None else [cw],
        {"overvote": overvote},
        [],
        {},
        [],
    )
    res.elected = [] if cw is None else [names[cw]]
    return res


SCHULZE_STRENGTHS = ("winning-votes", "margins")


@register("schulze")
def schulze(ballots: RankedBallots, seats: int = 1, **options: Any) -> Result:
    """Schulze (beatpath). Link strength (option ``strength``): ``winning-votes`` (default,
    ``d[x][y] = P[x][y]`` when ``P[x][y] > P[y][x]``, else 0) or ``margins`` (``P[x][y] - P[y][x]`` when
    positive, else 0). ``p`` = strongest path strengths (widest paths, Floyd-Warshall). ``x`` is ahead
    of ``y`` when ``p[x][y] > p[y][x]``; co-winners are those no one is ahead of. Ties: seeded order,
    recorded. For complete rankings both strengths give the same result."""
    _check_seats(ballots, seats)
    overvote, seed, contest = _options(options, ("strength",))
    strength = options.get("strength", "winning-votes")
    if strength not in SCHULZE_STRENGTHS:
        raise TallyError(f"option strength must be one of {', '.join(SCHULZE_STRENGTHS)}, got {strength!r}")
    P = pairwise_matrix(ballots, overvote)
    p = strongest_paths(P, margins=strength == "margins")
    ahead = p > p.T
    names = list(ballots.candidates.names)
    ties: list = []
    ranking = _rank(ahead, names, seed, contest, ties, "Schulze tie")
    winners = [x for x in range(len(names)) if not ahead[:, x].any()]
    opts = {"overvote": overvote, "seed": seed, "contest_id": contest, "strength": strength}
    rounds = [{"step": i + 1, "candidate": names[x]} for i, x in enumerate(ranking)]
    return _result(
        "schulze", ballots, seats, P, ranking, winners, opts, ties, {"strongest_paths": p.tolist()}, rounds
    )


def strongest_paths(P: np.ndarray, margins: bool = False) -> np.ndarray:
    """Schulze's strongest path strengths (winning-votes link strength, or margins)."""
    n = P.shape[0]
    d = np.where(P > P.T, P - P.T if margins else P, 0).astype(np.int64)
    for k in range(n):
        via = np.minimum(d[:, k : k + 1], d[k : k + 1, :])
        np.maximum(d, via, out=d)
        np.fill_diagonal(d, 0)
    return d


@register("ranked-pairs")
def ranked_pairs(ballots: RankedBallots, seats: int = 1, **options: Any) -> Result:
    """Ranked pairs (Tideman), margins. Pairs ``x>y`` with margin ``P[x][y]-P[y][x] > 0`` are taken in
    decreasing margin and locked unless they close a cycle with pairs already locked. Pairs of equal
    margin are ordered by the seeded candidate order (round 0): ``(a,b)`` before ``(c,d)`` when ``a``
    comes before ``c``, or ``a = c`` and ``d`` comes before ``b`` (Zavist-Tideman); that order is
    recorded as a tie whenever one of the equal-margin pairs is not locked (when all are locked their
    order cannot matter). The ranking follows the locked graph."""
    _check_seats(ballots, seats)
    overvote, seed, contest = _options(options)
    P = pairwise_matrix(ballots, overvote)
    names = list(ballots.candidates.names)
    n = len(names)
    tb = {names.index(c): i for i, c in enumerate(_ranking.order(names, seed, contest, 0))}
    M = P - P.T
    pairs = [(x, y) for x in range(n) for y in range(n) if M[x, y] > 0]
    pairs.sort(key=lambda e: (-int(M[e]), tb[e[0]], -tb[e[1]]))
    locked = np.zeros((n, n), dtype=bool)
    reach = np.eye(n, dtype=bool)
    rounds = []
    for x, y in pairs:
        ok = not reach[y, x]
        if ok:
            locked[x, y] = True
            reach |= reach[:, x : x + 1] & reach[y : y + 1, :]
        rounds.append({"pair": [names[x], names[y]], "margin": int(M[x, y]), "locked": ok})
    ties: list = []
    for m in sorted({r["margin"] for r in rounds}, reverse=True):
        group = [r for r in rounds if r["margin"] == m]
        if len(group) > 1 and not all(r["locked"] for r in group):
            order = [f"{names[a]}>{names[b]}" for a, b in pairs if M[a, b] == m]
            ties.append(_ranking.record(f"pairs with margin {m}", order, 0))
    ranking = _rank(locked, names, seed, contest, ties, "ranked pairs tie")
    winners = [x for x in range(n) if not locked[:, x].any()]
    opts = {"overvote": overvote, "seed": seed, "contest_id": contest, "strength": "margins"}
    return _result("ranked-pairs", ballots, seats, P, ranking, winners, opts, ties, {}, rounds)


@register("copeland")
def copeland(ballots: RankedBallots, seats: int = 1, **options: Any) -> Result:
    """Copeland: score = pairwise wins minus pairwise losses (a pairwise tie counts 0). Highest score
    wins; the ranking is by score, equal scores settled by the seeded order (recorded)."""
    _check_seats(ballots, seats)
    overvote, seed, contest = _options(options)
    P = pairwise_matrix(ballots, overvote)
    names = list(ballots.candidates.names)
    score = (P > P.T).sum(axis=1) - (P < P.T).sum(axis=1)
    ahead = score[:, None] > score[None, :]
    ties: list = []
    ranking = _rank(ahead, names, seed, contest, ties, "Copeland tie")
    winners = [x for x in range(len(names)) if score[x] == score.max()]
    opts = {"overvote": overvote, "seed": seed, "contest_id": contest, "score": "wins minus losses"}
    scores = {names[x]: int(score[x]) for x in range(len(names))}
    return _result("copeland", ballots, seats, P, ranking, winners, opts, ties, {"scores": scores}, [])


MINIMAX_SCORES = ("margins", "winning-votes", "pairwise-opposition")


@register("minimax")
def minimax(ballots: RankedBallots, seats: int = 1, **options: Any) -> Result:
    """Minimax (Simpson-Kramer): a candidate's score is its worst defeat, lowest wins. Option ``score``:
    ``margins`` (default; max over y of ``P[y][x] - P[x][y]``), ``winning-votes`` (max ``P[y][x]`` over
    the y beating x, else 0) or ``pairwise-opposition`` (max ``P[y][x]``). Ranking by score ascending,
    equal scores settled by the seeded order (recorded)."""
    _check_seats(ballots, seats)
    overvote, seed, contest = _options(options, ("score",))
    kind = options.get("score", "margins")
    if kind not in MINIMAX_SCORES:
        raise TallyError(f"option score must be one of {', '.join(MINIMAX_SCORES)}, got {kind!r}")
    P = pairwise_matrix(ballots, overvote)
    names = list(ballots.candidates.names)
    n = len(names)
    if kind == "margins":
        against = P.T - P
    elif kind == "winning-votes":
        against = np.where(P.T > P, P.T, 0)
    else:
        against = P.T.copy()
    np.fill_diagonal(against, np.iinfo(np.int64).min)
    score = against.max(axis=1) if n > 1 else np.zeros(1, dtype=np.int64)
    ahead = score[:, None] < score[None, :]
    ties: list = []
    ranking = _rank(ahead, names, seed, contest, ties, "minimax tie")
    winners = [x for x in range(n) if score[x] == score.min()]
    opts = {"overvote": overvote, "seed": seed, "contest_id": contest, "score": kind}
    scores = {names[x]: int(score[x]) for x in range(n)}
    return _result("minimax", ballots, seats, P, ranking, winners, opts, ties, {"scores": scores}, [])
