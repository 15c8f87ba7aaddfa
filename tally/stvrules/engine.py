"""Shared machinery of the STV rules: candidates and their states, ballots, the action record, ties.

A count is a sequence of *actions* (begin, elect, defeat, transfer, ...) grouped in rounds. After every
action the record holds each candidate's state and vote as decimal strings at the display precision,
plus the quota and the rule's totals, so a count can be compared line by line with a reference report.

Candidate states: ``hopeful`` (continuing), ``pending`` (elected, surplus not yet transferred),
``elected``, ``defeated``, ``withdrawn``.

Ties. Every rule here resolves a tie the counting rules leave open ("by lot") with a tie-breaking order
fixed before the count: the file's ``[tie ...]`` order when it gives one, else the order in which the
candidates are listed. The earliest candidate in that order is the one chosen, whatever the choice is
for (defeat, election, first surplus). Each tie and its outcome is recorded in ``Result.ties`` and as a
``tie`` action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ballots import RankedBallots
from ..errors import TallyError
from ..profile import RankedProfile, rankings_of
from ..result import Result
from .arith import Arithmetic

HOPEFUL, PENDING, ELECTED, DEFEATED, WITHDRAWN = "hopeful", "pending", "elected", "defeated", "withdrawn"


@dataclass
class Ballot:
    """One ballot row: ``count`` identical ballots, each carrying ``weight`` (an arithmetic value)."""

    count: int
    ranking: tuple
    index: int = 0
    weight: Any = None

    @property
    def top(self):
        return self.ranking[self.index] if self.index < len(self.ranking) else None


class Count:
    """State of one STV count. Rules drive it; it keeps states, votes, ballots and the record."""

    def __init__(
        self,
        ballots: RankedBallots,
        seats: int,
        arith: Arithmetic,
        method: str,
        options: dict[str, Any],
        *,
        equal_ok: bool = False,
        undeclared_ok: bool = False,
    ):
        if not isinstance(ballots, RankedBallots):
            raise TallyError(f"{method} counts ranked ballots, got {type(ballots).__name__}")
        if not isinstance(seats, int) or isinstance(seats, bool) or seats < 1:
            raise TallyError(f"seats must be a whole number >= 1, got {seats!r}")
        self.method = method
        self.options = {**options, "seats": seats}
        self.A = arith
        self.names = list(ballots.candidates.names)
        n = len(self.names)
        self.seats = seats
        prof = ballots if isinstance(ballots, RankedProfile) else None
        withdrawn = set(prof.withdrawn) if prof else set()
        self.undeclared = list(prof.undeclared) if prof and undeclared_ok else []
        if prof and not undeclared_ok:
            withdrawn |= set(prof.undeclared)
        self.tie_rank = {c: i for i, c in enumerate(prof.tie_order)} if prof and prof.tie_order else None
        self.state = [WITHDRAWN if c in withdrawn else HOPEFUL for c in range(n)]
        self.vote = [arith.n(0) for _ in range(n)]
        self.piles: list[list[Ballot]] = [[] for _ in range(n)]
        self.ballots: list[Ballot] = []
        self.nballots = 0
        # Identical rows are merged first (exact: every rule gives a row of k ballots k times one
        # ballot's value); rows with equal rankings keep their side table, so they are not merged.
        rows = ballots if prof is not None and prof.equal else ballots.grouped()
        for ranking, count in zip(rankings_of(rows), rows.weights.tolist(), strict=True):
            if count <= 0:
                continue
            kept = []
            for r in ranking:
                if isinstance(r, tuple):
                    g = tuple(c for c in r if c not in withdrawn)
                    if not g:
                        continue
                    if len(g) > 1 and not equal_ok:
                        raise TallyError(f"rule {method!r} does not support equal rankings")
                    kept.append(g if len(g) > 1 else g[0])
                elif r not in withdrawn:
                    kept.append(r)
            if kept:
                self.ballots.append(Ballot(count, tuple(kept), 0, arith.one))
                self.nballots += count
        self.round = 0
        self.actions: list[dict[str, Any]] = []
        self.ties: list[dict[str, Any]] = []
        self.elected_order: list[int] = []
        self.quota = arith.n(0)
        self.surplus = arith.n(0)
        self.exhausted = arith.n(0)
        self.history: list[list[Any]] = []  # votes at the start of each round (prior stages)
        self.extra: dict[str, Any] = {}

    # ---- candidate sets ----
    def cands(self, *states: str) -> list[int]:
        return [c for c, s in enumerate(self.state) if s in states]

    @property
    def hopeful(self) -> list[int]:
        return self.cands(HOPEFUL)

    @property
    def pending(self) -> list[int]:
        return self.cands(PENDING)

    def n_elected(self) -> int:
        """Elected candidates, pending ones included."""
        return sum(1 for s in self.state if s in (ELECTED, PENDING))

    def seats_left(self) -> int:
        return self.seats - self.n_elected()

    def tie_key(self, c: int) -> int:
        return self.tie_rank[c] if self.tie_rank is not None else c

    def by_tie_order(self, cands) -> list[int]:
        return sorted(cands, key=self.tie_key)

    # ---- state changes ----
    def elect(self, c: int, msg: str, pending: bool = False) -> None:
        self.state[c] = PENDING if pending else ELECTED
        self.elected_order.append(c)
        self.log("elect", f"{msg}: {self.names[c]}")

    def unpend(self, c: int, msg: str | None = None) -> None:
        self.state[c] = ELECTED
        if msg:
            self.log("unpend", f"{msg}: {self.names[c]}")

    def defeat(self, c: int, msg: str, log: bool = True) -> None:
        self.state[c] = DEFEATED
        if log:
            self.log("defeat", f"{msg}: {self.names[c]}")

    def new_round(self) -> None:
        self.history.append(list(self.vote))
        self.round += 1

    # ---- ballots ----
    def first_count(self) -> None:
        """Give every ballot to its first hopeful preference (withdrawn ones are already gone)."""
        for b in self.ballots:
            self.place(b)

    def place(self, b: Ballot) -> None:
        """Move ``b`` on to its first hopeful preference from its current index; credit or exhaust it."""
        r = b.ranking
        while b.index < len(r) and self.state[r[b.index]] != HOPEFUL:
            b.index += 1
        if b.index < len(r):
            c = r[b.index]
            self.vote[c] += b.weight * b.count
            self.piles[c].append(b)
        else:
            self.exhausted += b.weight * b.count

    def take(self, c: int) -> list[Ballot]:
        """The ballots ``c`` holds (placed with ``place``), handed over for transfer."""
        pile, self.piles[c] = self.piles[c], []
        return pile

    def ballots_of(self, c: int) -> list[Ballot]:
        """The ballots whose current preference is ``c`` (a scan; for rules that move ballots themselves)."""
        return [b for b in self.ballots if b.index < len(b.ranking) and b.ranking[b.index] == c]

    # ---- ties ----
    def break_tie(self, tied: list[int], purpose: str, label: str = "Break tie") -> int:
        """Choose among ``tied`` by the declared tie-breaking order (earliest wins); record it."""
        if len(tied) == 1:
            return tied[0]
        chosen = self.by_tie_order(tied)[0]
        self.record_tie(tied, purpose, chosen, label)
        return chosen

    def record_tie(self, tied: list[int], purpose: str, chosen: int, label: str) -> None:
        names = ", ".join(self.names[c] for c in self.by_tie_order(tied))
        self.log("tie", f"{label} ({purpose}): [{names}] -> {self.names[chosen]}")
        self.ties.append(
            {
                "round": self.round,
                "purpose": purpose,
                "tied": [self.names[c] for c in self.by_tie_order(tied)],
                "rule": label,
                "selected": self.names[chosen],
            }
        )

    # ---- record ----
    def log(self, tag: str, msg: str, **fields: Any) -> None:
        A = self.A
        rec: dict[str, Any] = {
            "round": self.round,
            "action": tag,
            "msg": msg,
            "state": {self.names[c]: s for c, s in enumerate(self.state)},
            "votes": {self.names[c]: A.fmt(v) for c, v in enumerate(self.vote) if self.state[c] != WITHDRAWN},
            "quota": A.fmt(self.quota),
            "surplus": A.fmt(self.surplus),
        }
        rec.update(self.totals())
        rec.update(fields)
        self.actions.append(rec)

    def totals(self) -> dict[str, str]:
        """Rule-family totals printed with every action (WIGM family: non-transferable, residual)."""
        A = self.A
        total = (
            sum((v for c, v in enumerate(self.vote) if self.state[c] != WITHDRAWN), A.n(0)) + self.exhausted
        )
        return {"nt_votes": A.fmt(self.exhausted), "residual": A.fmt(A.n(self.nballots) - total)}

    def result(self) -> Result:
        elected = [c for c in self.elected_order if self.state[c] in (ELECTED, PENDING)]
        details = {
            "quota": self.A.fmt(self.quota),
            "seats": self.seats,
            "ballots": self.nballots,
            "arithmetic": self.A.describe(),
            "elected_ids": [c + 1 for c in elected],
        }
        details.update(self.extra)
        return Result(
            method=self.method,
            candidates=list(self.names),
            elected=[self.names[c] for c in elected],
            rounds=self.actions,
            options=self.options,
            ties=self.ties,
            details=details,
        )
