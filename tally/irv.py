"""Instant-runoff voting (single winner, majority of active ballots), RCTab's ``singleWinnerMajority``.

Rule, round by round:

1. every ballot counts for its first continuing candidate, under the ballot-walk rules of
   ``tally.ranked_common`` (overvotes, skipped ranks, duplicates);
2. the threshold is floor(V/2) + 1, V = ballots counting for a continuing candidate this round
   (recomputed every round; with ``continue_until_two`` frozen once the winner is found);
3. a candidate reaching the threshold is elected; if only one candidate is continuing, it is elected;
   if nobody is elected and exactly two remain, the one with more votes is elected (a tie for first
   place is broken by the seeded tie-break);
4. otherwise candidates are eliminated: with ``elimination="batch"``, RCTab's batch rule (every
   candidate whose combined votes are below the next higher tally, when that removes two or more);
   else the single candidate with fewest votes, a tie for last place broken by the seeded tie-break
   (``tally.seeded_ties``: lowest sha256(seed|contest_id|round|name) is eliminated);
5. the count stops once the seat is filled; with ``continue_until_two`` eliminations go on (the winner
   keeps receiving transfers) until two candidates remain, plus one round to show the last transfers.

Options (all echoed in ``Result.options``): ``elimination`` ("single" | "batch", default "single"),
``continue_until_two`` (false), ``overvote_rule`` ("exhaust_immediately"), ``max_skipped_ranks``
("unlimited"), ``exhaust_on_duplicate`` (false), ``seed`` ("0"), ``contest_id`` (""),
``excluded`` (candidate names passed over like eliminated ones; default: a ballot file's withdrawn
candidates and undeclared write-ins, else none). All numbers in the
result are integers (ballot weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ranked_engine import RankedState
from .errors import TallyError
from .methods import register
from .ranked_common import (
    WALK_DEFAULTS,
    as_bool,
    as_choice,
    batch_losers,
    check_ballots,
    continuing_at_start,
    highest,
    inactive_record,
    lowest,
    normalise_walk_options,
    take_options,
    transfers_by_source,
    walk_args,
)
from .result import Result
from .seeded_ties import break_tie

IRV_DEFAULTS: dict[str, Any] = {"elimination": "single", "continue_until_two": False, **WALK_DEFAULTS}


@register("irv")
def count_irv(ballots: Any, seats: int = 1, **options: Any) -> Result:
    """Count ``ballots`` (``RankedBallots``) by instant-runoff voting; see the module docstring."""
    b = check_ballots(ballots, "irv")
    opts = take_options("irv", options, IRV_DEFAULTS)
    if seats != 1:
        raise TallyError(f"method 'irv' fills one seat, got seats={seats!r} (use 'stv' for several)")
    opts["elimination"] = as_choice("elimination", opts["elimination"], ("single", "batch"))
    opts["continue_until_two"] = as_bool("continue_until_two", opts["continue_until_two"])
    normalise_walk_options(opts)
    return _Count(b, opts).run()


class _Count:
    def __init__(self, b, opts):
        self.b, self.opts = b, opts
        self.names = b.candidates.names
        self.n = len(self.names)
        self.walk = walk_args(opts)
        self.cont = continuing_at_start(b, opts)
        self.state = RankedState(b, self.walk, scale=1, surpluses=False)
        self.tally, self.inactive = self.state.tally, self.state.inactive
        self.ties: list[dict[str, Any]] = []

    def _tie(self, kind, round_no, cands, votes):
        names = [self.names[c] for c in cands]
        pick = break_tie(
            self.ties, kind, round_no, names, self.opts["seed"], self.opts["contest_id"], votes=int(votes)
        )
        return self.names.index(pick)

    def run(self) -> Result:
        opts, names = self.opts, self.names
        keep_two = opts["continue_until_two"]
        n_live = int(self.cont.sum())
        undervotes = self.state.first(self.cont)
        no_factor = np.full(self.n, -1, dtype=np.int64)
        rounds: list[dict[str, Any]] = []
        elected: list[int] = []
        eliminated: set[int] = set()
        threshold = 0
        round_no = 0
        while True:
            round_no += 1
            continuing = [c for c in range(self.n) if self.cont[c]]
            tallies = {c: int(self.tally[c]) for c in continuing}
            active = sum(tallies.values())
            if not (keep_two and elected):
                threshold = active // 2 + 1
            won: list[int] = []
            if not elected and continuing:
                if len(continuing) <= 1:
                    won = list(continuing)
                else:
                    won = [c for c in continuing if tallies[c] >= threshold]
                    if not won and len(continuing) == 2:
                        top = highest(tallies)
                        won = [
                            top[0] if len(top) == 1 else self._tie("election", round_no, top, tallies[top[0]])
                        ]
            out: list[int] = []
            if not won and continuing and (not elected or (keep_two and len(continuing) > 2)):
                if opts["elimination"] == "batch":
                    out = batch_losers(tallies, keep_two)
                if not out:
                    low = lowest(tallies)
                    out = [
                        low[0] if len(low) == 1 else self._tie("elimination", round_no, low, tallies[low[0]])
                    ]
            elected.extend(won)
            if not keep_two:
                for c in won:
                    self.cont[c] = False
            for c in out:
                self.cont[c] = False
                eliminated.add(c)
            rounds.append(
                {
                    "round": round_no,
                    "tally": {names[c]: v for c, v in tallies.items()},
                    "active": active,
                    "threshold": threshold,
                    "elected": [names[c] for c in won],
                    "eliminated": sorted(names[c] for c in out),
                    "transfers": {},
                    "inactive": inactive_record(self.inactive, int),
                }
            )
            if keep_two:
                go_on = len(eliminated) + len(elected) + 1 < n_live or bool(out)
            else:
                go_on = not elected
            if not go_on or not any(self.cont):
                break
            trans, _ = self.state.move(self.cont, no_factor, final=False)
            sources = out if keep_two else [*won, *out]
            rounds[-1]["transfers"] = transfers_by_source(trans, sorted(sources), names, int)
        return Result(
            method="irv",
            candidates=list(names),
            elected=[names[c] for c in elected],
            rounds=rounds,
            options={"seats": 1, **opts},
            ties=self.ties,
            details={"total_ballots": self.state.total, "undervotes": int(undervotes)},
        )
