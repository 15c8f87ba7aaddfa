"""Single transferable vote with fractional (Gregory) surplus transfer, as RCTab's multi-winner modes.

All vote values are fixed-point integers in units of 10^-d (``decimal_places`` d, default 4); every
product and quotient is truncated toward zero to d places. Rule, round by round:

1. every ballot counts, at its current value, for its first continuing candidate (ballot-walk rules of
   ``tally.ranked_common``);
2. the quota Q is fixed in round 1 from V, the value of ballots counting for a candidate:
   Droop floor(V/(S+1)) + 1 (default); with ``non_integer_quota`` trunc_d(V/(S+1)) + 10^-d; with
   ``quota="hare"`` ceil(V/S);
3. if no more candidates continue than seats remain, all of them are elected; otherwise every candidate
   with at least Q is elected (with ``winners_per_round="one"`` only the one with most votes, a tie for
   first broken by the seeded tie-break; the others wait for the next round). Winners of one round are
   listed by votes, most first (equal votes by name);
4. if nobody is elected, the candidate with fewest votes is eliminated (tie: seeded tie-break,
   ``tally.seeded_ties``) and its ballots move on whole, at their current value;
5. surplus of a winner with T > Q votes: f = trunc_d((T - Q) / T); in the next round each of its ballots
   of value v moves on with t = trunc_d(v * f) and the winner keeps v - t. The winner is recorded with
   the sum of what it kept, and any excess of that sum over Q is a ``residual surplus`` (a transfer in the
   round of election); from then on it is shown at Q (or at its total, if it was elected below Q);
6. once every seat is filled one more round is counted, in which the last winners' ballots become
   inactive as ``final_round_surplus`` at their value t (an ``exhausted`` transfer of the electing round);
   when every candidate has won and seats remain unfilled, the count stops at once.

Options (echoed in ``Result.options``): ``quota`` ("droop" | "hare"), ``non_integer_quota`` (false),
``decimal_places`` (4, 0..20), ``winners_per_round`` ("multiple" | "one"), plus ``overvote_rule``,
``max_skipped_ranks``, ``exhaust_on_duplicate``, ``seed``, ``contest_id``, ``excluded``
as for IRV. Arithmetic runs in
int64 when every product fits (d <= 9 and total weight x 10^d < 2^62), else in Python integers.
Result values are decimal strings with exactly d places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from ._ranked_engine import RankedState
from .errors import TallyError
from .methods import register
from .ranked_common import (
    WALK_DEFAULTS,
    as_bool,
    as_choice,
    as_int,
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

STV_DEFAULTS: dict[str, Any] = {
    "quota": "droop",
    "non_integer_quota": False,
    "decimal_places": 4,
    "winners_per_round": "multiple",
    **WALK_DEFAULTS,
}


@register("stv")
def count_stv(ballots: Any, seats: int = 1, **options: Any) -> Result:
    """Count ``ballots`` (``RankedBallots``) by STV for ``seats`` seats; see the module docstring."""
    b = check_ballots(ballots, "stv")
    opts = take_options("stv", options, STV_DEFAULTS)
    seats = as_int("seats", seats, 1)
    opts["quota"] = as_choice("quota", opts["quota"], ("droop", "hare"))
    opts["non_integer_quota"] = as_bool("non_integer_quota", opts["non_integer_quota"])
    opts["decimal_places"] = as_int("decimal_places", opts["decimal_places"], 0, 20)
    opts["winners_per_round"] = as_choice("winners_per_round", opts["winners_per_round"], ("multiple", "one"))
    if opts["quota"] == "hare" and opts["non_integer_quota"]:
        raise TallyError("options quota='hare' and non_integer_quota=true cannot be combined")
    normalise_walk_options(opts)
    return _Count(b, seats, opts).run()


class _Count:
    def __init__(self, b, seats, opts):
        self.b, self.seats, self.opts = b, seats, opts
        self.names = b.candidates.names
        self.n = len(self.names)
        self.d = opts["decimal_places"]
        self.scale = 10**self.d
        self.walk = walk_args(opts)
        self.ties: list[dict[str, Any]] = []
        self.cont = continuing_at_start(b, opts)
        self.state = RankedState(b, self.walk, self.scale, surpluses=True)
        self.tally, self.inactive = self.state.tally, self.state.inactive

    def dec(self, units: int) -> Decimal:
        return Decimal(int(units)).scaleb(-self.d)

    def _tie(self, kind, round_no, cands, votes):
        names = [self.names[c] for c in cands]
        pick = break_tie(
            self.ties,
            kind,
            round_no,
            names,
            self.opts["seed"],
            self.opts["contest_id"],
            votes=self.dec(votes),
        )
        return self.names.index(pick)

    def quota(self, active: int) -> int:
        s, scale = self.seats, self.scale
        if self.opts["quota"] == "hare":
            return -(-(active // scale) // s) * scale
        if self.opts["non_integer_quota"]:
            return active // (s + 1) + 1
        return ((active // scale) // (s + 1) + 1) * scale

    def run(self) -> Result:
        names, opts = self.names, self.opts
        undervotes = self.state.first(self.cont)
        rounds: list[dict[str, Any]] = []
        elected: list[int] = []
        shown: dict[int, int] = {}
        residual_total = 0
        q = 0
        round_no = 0
        pending: list[int] = []
        while True:
            round_no += 1
            continuing = [c for c in range(self.n) if self.cont[c]]
            tallies = {c: int(self.tally[c]) for c in continuing}
            active = sum(tallies.values())
            if round_no == 1:
                q = self.quota(active)
            unfilled = self.seats - len(elected)
            won: list[int] = []
            if unfilled > 0 and continuing:
                if len(continuing) <= unfilled:
                    won = list(continuing)
                else:
                    won = [c for c in continuing if tallies[c] >= q]
                    if len(won) > 1 and opts["winners_per_round"] == "one":
                        top = highest({c: tallies[c] for c in won})
                        won = [
                            top[0] if len(top) == 1 else self._tie("election", round_no, top, tallies[top[0]])
                        ]
            won.sort(key=lambda c: (-tallies[c], names[c]))
            out: list[int] = []
            if not won and unfilled > 0 and continuing:
                low = lowest(tallies)
                out = [low[0] if len(low) == 1 else self._tie("elimination", round_no, low, tallies[low[0]])]
            record_tally = {names[c]: self.dec(v) for c, v in tallies.items()}
            for c, v in shown.items():
                record_tally[names[c]] = self.dec(v)
            rounds.append(
                {
                    "round": round_no,
                    "tally": record_tally,
                    "active": self.dec(active),
                    "threshold": self.dec(q),
                    "elected": [names[c] for c in won],
                    "eliminated": [names[c] for c in out],
                    "transfers": {},
                    "inactive": inactive_record(self.inactive, self.dec),
                }
            )
            elected.extend(won)
            if not ((len(elected) < self.seats or won) and (continuing or won)):
                break
            if len(elected) < self.seats and len(won) == len(continuing):
                break  # every candidate has won and seats remain: no surplus round (as RCTab)
            factor = np.full(self.n, -1, dtype=np.int64)
            for c in won:
                t = tallies[c]
                factor[c] = (t - q) * self.scale // t if t > q else 0
                self.cont[c] = False
            for c in out:
                self.cont[c] = False
            pending = won
            final = len(elected) >= self.seats
            trans, kept = self.state.move(self.cont, factor, final)
            transfers = transfers_by_source(trans, sorted([*won, *out]), names, self.dec)
            for c in pending:
                total = int(kept[c])
                if total > q:
                    residual_total += total - q
                    transfers[names[c]]["residual surplus"] = self.dec(total - q)
                    shown[c] = q
                else:
                    shown[c] = total
            rounds[-1]["transfers"] = transfers
        rounds[-1]["inactive"] = inactive_record(self.inactive, self.dec, final_surplus=True)
        return Result(
            method="stv",
            candidates=list(names),
            elected=[names[c] for c in elected],
            rounds=rounds,
            options={"seats": self.seats, **opts},
            ties=self.ties,
            details={
                "total_ballots": self.state.total,
                "undervotes": int(undervotes),
                "quota": self.dec(q),
                "residual_surplus": self.dec(residual_total),
                "arithmetic": "int64" if self.state.exact else "python-int",
            },
        )
