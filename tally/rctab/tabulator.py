"""RCTab's round loop (``Tabulator.java`` @ 2167c240), rules §5.1–5.10 of ``rctab-rules.md``.

Each round: (1) ballots whose recipient stopped continuing walk their rankings again from rank 1 (§5.2);
(2) the threshold is set (§5.5); (3) winners are looked for (§5.4); (4) if none and work remains, one
elimination method removes candidates: undeclared write-ins (tally > 0, alone), else cutoff (percentage
bottoms-up), else batch (if it removes at least two), else the single lowest with a loser tie-break (§5.6);
(5) in STV, winners' ballots move on at ``trunc_d(v * f)`` and the winner keeps the rest (§5.8).

Arithmetic is fixed point: every ballot value and tally is an integer in units of 10^-d plus a flag "has
a scale-d term" (a scaled count per accumulator), so reports print ``7`` or ``7.0000`` exactly as RCTab's
``BigDecimal`` would; truncation is toward zero. Tallies are kept incrementally: a round only touches the
groups whose recipient stopped continuing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext

from ..errors import TallyError
from .ballots import OVERVOTE_INDEX, BallotSet
from .config import BOTTOMS_UP, MULTI_PASS, PERCENT, SINGLE, STV_MANY, STV_ONE
from .model import UWI, Rules
from .tiebreak import Decisions, Tiebreaker

# inactive categories (places after the candidates)
OVERVOTES, SKIPPED, EXHAUSTED, REPEATED, FINAL_SURPLUS, UNDERVOTE = range(6)
# Decimal sums must never round: 200 significant digits cover any ballot count at 20 decimal places.
EXACT = Context(prec=200)
CATEGORY_KEYS = ("overvotes", "skippedRankings", "exhaustedChoices", "repeatedRankings", "finalRoundSurplus")


@dataclass
class Accum:
    """Running sums for one report (the whole contest or one precinct/batch slice)."""

    units: list[int]
    scaled: list[int]
    transfers: dict[int, dict[tuple[str, str], list]] = field(default_factory=dict)
    kept_units: dict[int, int] = field(default_factory=dict)  # STV winner -> kept sum
    kept_scaled: dict[int, bool] = field(default_factory=dict)
    winner_tally: dict[int, Decimal] = field(default_factory=dict)
    residual: Decimal = Decimal(0)
    total: int = 0
    rounds: list[RoundResult] = field(default_factory=list)


@dataclass
class RoundResult:
    round: int
    tally: dict[str, Decimal]
    inactive: dict[str, Decimal]
    threshold: Decimal
    elected: list[str] = field(default_factory=list)
    eliminated: list[str] = field(default_factory=list)
    transfers: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # by decided candidate
    residual: Decimal = Decimal(0)  # cumulative residual surplus
    final_surplus: Decimal = Decimal(0)


@dataclass
class Tabulation:
    """The outcome of one pass: the contest's rounds and, when asked, each slice's rounds."""

    rounds: list[RoundResult]
    winners: list[str]
    tied_decisions: set[tuple[int, str]]  # (round, candidate) decided by a tie-break
    tiebreaks: list[dict]
    undervotes: int
    total: int
    candidates: list[str]  # every candidate name (config order, excluded included; UWI last if present)
    excluded: set[str]
    slices: dict[
        str, dict[str, tuple[list[RoundResult], int, int]]
    ]  # kind -> id -> (rounds, total, undervotes)
    number_of_winners: int
    # per round: ([(place, value units, scaled, selection rank)] per group, {group: number of kept entries})
    allocations: list | None = None
    kept: dict[int, list[tuple[int, int, int]]] = field(
        default_factory=dict
    )  # group -> (winner, rank, units)
    decimal_places: int = 4


def _dec(units: int, scaled: bool, d: int) -> Decimal:
    if scaled:
        return Decimal(units).scaleb(-d)
    return Decimal(units // 10**d)


class Tabulator:
    """One tabulation pass over a grouped ballot set."""

    def __init__(
        self,
        ballots: BallotSet,
        rules: Rules,
        *,
        candidate_order: list[str],
        extra_excluded: set[str] = frozenset(),
        decisions: Decisions | None = None,
        pass_number: int = 1,
        slices: tuple[str, ...] = (),
        record_allocations: bool = False,
    ):
        self.b = ballots
        self.rules = rules
        self.mode = rules.winner_election_mode
        self.d = rules.decimal_places
        self.one = 10**self.d
        self.names = ballots.candidates
        self.n = len(self.names)
        self.uwi = self.names.index(UWI) if ballots.uwi else -1
        excluded = ballots.excluded | set(extra_excluded)
        self.excluded = excluded
        self.seats = 1 if self.mode == MULTI_PASS else rules.number_of_winners
        self.stv = self.mode in (STV_ONE, STV_MANY)
        self.tb = Tiebreaker(rules.tiebreak_mode, rules.random_seed, candidate_order, decisions, pass_number)
        self.continuing = [name not in excluded for name in self.names]
        self.eliminated_round: dict[int, int] = {}
        self.winner_round: dict[int, int] = {}
        self.tied: set[tuple[int, str]] = set()
        groups = ballots.groups
        g = len(groups)
        self.place = [-1] * g  # candidate index, or n + category, or -1 (not yet counted)
        self.value = [self.one] * g
        self.vscaled = [False] * g
        self.sel_rank = [0] * g  # rank at which the current recipient was selected
        self.kept: dict[int, list[tuple[int, int, int]]] = {}  # group -> (winner, rank, kept per ballot)
        self.by_place: dict[int, list[int]] = {}
        # accumulators: 0 = contest, then slices
        self.slice_keys: list[tuple[str, str]] = []
        self.group_accs: list[tuple[int, ...]] = []
        slice_index: dict[tuple[str, str], int] = {}
        for grp in groups:
            accs = [0]
            for kind in slices:
                sid = grp.precinct if kind == "precinct" else grp.batch
                key = (kind, sid)
                if key not in slice_index:
                    slice_index[key] = len(self.slice_keys) + 1
                    self.slice_keys.append(key)
                accs.append(slice_index[key])
            self.group_accs.append(tuple(accs))
        width = self.n + 6
        self.accs = [Accum([0] * width, [0] * width) for _ in range(len(self.slice_keys) + 1)]
        for i, grp in enumerate(groups):
            for a in self.group_accs[i]:
                self.accs[a].total += grp.weight
        self.pending = list(range(g))
        self.round = 0
        self.threshold = Decimal(0)
        self.round_tallies: list[dict[str, Decimal]] = [{}]
        self.allocations: list | None = [] if record_allocations else None

    # ----- ballots -----------------------------------------------------------------------------

    def _walk(self, i: int) -> int:
        """Where group ``i`` goes this round (§5.2): a candidate index or ``n + category``."""
        grp = self.b.groups[i]
        rankings = grp.rankings
        n = self.n
        if not rankings:
            return n + UNDERVOTE
        rules = self.rules
        final_surplus = self.seats > 1 and len(self.winner_round) >= self.seats and self.stv
        max_skip = rules.max_skipped_ranks
        dup = rules.exhaust_on_duplicate
        rule = rules.overvote_rule
        cont = self.continuing
        last_rank = rankings[-1][0]
        previous = 0
        seen: set[str] = set()
        for rank, marks in rankings:
            if final_surplus:
                return n + FINAL_SURPLUS
            if max_skip is not None and rank - previous - 1 > max_skip:
                return n + SKIPPED
            previous = rank
            if dup:
                for raw, _ in marks:
                    if raw in seen:
                        return n + REPEATED
                    seen.add(raw)
            if len(marks) > 1 or marks[0][1] == OVERVOTE_INDEX:
                if rule == "exhaustImmediately":
                    return n + OVERVOTES
                if rule == "alwaysSkipToNextRank" or marks[0][1] == OVERVOTE_INDEX:
                    if rank == last_rank:
                        return n + EXHAUSTED
                    continue
                live = [idx for _, idx in marks if idx >= 0 and cont[idx]]
                if len(set(live)) > 1:
                    return n + OVERVOTES
                if live:
                    self.sel_rank[i] = rank
                    return live[0]
            else:
                idx = marks[0][1]
                if cont[idx]:
                    self.sel_rank[i] = rank
                    return idx
            if rank == last_rank:
                return n + EXHAUSTED
        return n + EXHAUSTED

    def _move(self, i: int, old: int, new: int) -> None:
        w = self.b.groups[i].weight
        amount = w * self.value[i]
        sc = self.vscaled[i]
        src = "uncounted" if old < 0 else self.names[old]
        dst = self.names[new] if new < self.n else "exhausted"
        for a in self.group_accs[i]:
            acc = self.accs[a]
            if old >= 0:
                acc.units[old] -= amount
                acc.scaled[old] -= sc
            acc.units[new] += amount
            acc.scaled[new] += sc
            if amount > 0 and new != self.n + UNDERVOTE:
                per_round = acc.transfers.setdefault(self.round, {})
                entry = per_round.get((src, dst))
                if entry is None:
                    per_round[(src, dst)] = [amount, sc]
                else:
                    entry[0] += amount
                    entry[1] = entry[1] or sc
        self.place[i] = new
        self.by_place.setdefault(new, []).append(i)

    def _count_round(self) -> None:
        pending, self.pending = self.pending, []
        for i in pending:
            old = self.place[i]
            if old >= 0 and (old >= self.n or self.continuing[old]):
                continue
            new = self._walk(i)
            self._move(i, old, new)

    # ----- tallies and thresholds ------------------------------------------------------------------

    def _tally(self, acc: Accum, c: int) -> Decimal:
        return _dec(acc.units[c], acc.scaled[c] > 0, self.d)

    def _in_count(self) -> list[int]:
        """Candidates listed in this round's tally: continuing ones plus (STV) earlier winners."""
        return [c for c in range(self.n) if self.continuing[c] or c in self.winner_round]

    def _winner_tallies(self, acc: Accum) -> None:
        """§5.8(4): a winner's tally after its election round is the sum it kept, capped at the quota.

        A slice (precinct or batch) shows the part its ballots kept, uncapped: the quota and the residual
        surplus belong to the whole contest (no RCTab slice case covers STV; this is our reading).
        """
        whole = acc is self.accs[0]
        for w, r in self.winner_round.items():
            if not self.stv or r >= self.round:
                continue
            if r == self.round - 1:
                value = _dec(acc.kept_units.get(w, 0), acc.kept_scaled.get(w, False), self.d)
                extra = value - self.threshold
                if whole and extra > 0:
                    acc.residual += extra
                    per_round = acc.transfers.setdefault(self.round, {})
                    per_round[(self.names[w], "residual surplus")] = [extra, None]
                    value = self.threshold
                acc.winner_tally[w] = value

    def _snapshot(self, acc: Accum, in_count: list[int]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        self._winner_tallies(acc)
        tally = {}
        for c in in_count:
            if c in self.winner_round and self.stv and self.winner_round[c] < self.round:
                tally[self.names[c]] = acc.winner_tally[c]
            else:
                tally[self.names[c]] = self._tally(acc, c)
        inactive = {}
        for k, key in enumerate(CATEGORY_KEYS):
            inactive[key] = self._tally(acc, self.n + k)
        return tally, inactive

    def _active(self, tally: dict[str, Decimal]) -> Decimal:
        total = Decimal(0)
        for c in range(self.n):
            if self.continuing[c]:
                total += tally[self.names[c]]
        return total

    def _should_recompute_threshold(self) -> bool:
        if self.round == 1:
            return True
        if self.mode in (SINGLE, MULTI_PASS):
            if self.rules.first_round_determines_threshold:
                return False
            return not (self.rules.continue_until_two and self.winner_round)
        if self.mode == PERCENT:
            return not self.rules.first_round_determines_threshold
        return False

    def _compute_threshold(self, active: Decimal) -> Decimal:
        rules = self.rules
        if self.mode in (SINGLE, MULTI_PASS):
            return Decimal(int(active // 2) + 1)
        if self.mode == PERCENT:
            return active * Decimal(rules.percentage_threshold).scaleb(-2)
        seats = self.seats
        if rules.hare_quota:
            units = int(active.scaleb(self.d))
            return Decimal(-((-units) // (seats * self.one)))
        if rules.non_integer_threshold:
            units = int(active.scaleb(self.d)) // (seats + 1)
            return Decimal(units + 1).scaleb(-self.d)
        return Decimal(int(active // (seats + 1)) + 1)

    # ----- decisions ---------------------------------------------------------------------------

    def _past_tally(self, r: int, name: str) -> Decimal:
        return self.round_tallies[r].get(name, Decimal(0))

    def _top(self, cands: list[int], tally: dict[str, Decimal]) -> int:
        best = max(tally[self.names[c]] for c in cands)
        tied = [c for c in cands if tally[self.names[c]] == best]
        if len(tied) == 1:
            return tied[0]
        name = self.tb.break_tie(
            [self.names[c] for c in tied], round_number=self.round, kind="winner", tally_of=self._past_tally
        )
        self.tied.add((self.round, name))
        return self.names.index(name)

    def _identify_winners(self, tally: dict[str, Decimal]) -> list[int]:
        cont = [c for c in range(self.n) if self.continuing[c]]
        if self.uwi >= 0 and self.continuing[self.uwi] and tally[UWI] > 0:
            return []
        value = {c: tally[self.names[c]] for c in cont}
        unfilled = self.seats - len(self.winner_round)
        winners: list[int] = []
        first_round = self.rules.first_round_determines_threshold
        if self.mode == PERCENT:
            if cont and all(value[c] > self.threshold for c in cont):
                winners = [c for c in cont if c != self.uwi]
        elif unfilled > 0:
            if len(cont) <= unfilled:
                winners = [c for c in cont if c != self.uwi]
            elif first_round and len(cont) == self.seats + 1:
                winners = [self._top([c for c in cont if c != self.uwi], tally)]
            elif self.mode != BOTTOMS_UP:
                winners = [c for c in cont if c != self.uwi and value[c] >= self.threshold]
        if len(winners) > 1 and (self.mode == STV_ONE or (first_round and self.mode != PERCENT)):
            winners = [self._top(winners, tally)]
        if not winners and self.seats == 1 and unfilled > 0 and len(cont) == 2 and self.mode != PERCENT:
            winners = [self._top(cont, tally)]
        return winners

    def _batch(self, cont: list[int], tally: dict[str, Decimal]) -> list[int]:
        by_value: dict[Decimal, list[int]] = {}
        for c in cont:
            by_value.setdefault(tally[self.names[c]], []).append(c)
        running = Decimal(0)
        seen: list[int] = []
        steps: list[list[int]] = []  # candidates marked at each step, lowest first
        marked = 0
        for value in sorted(by_value):
            if running < value and len(seen) > marked:
                steps.append(seen[marked:])
                marked = len(seen)
            running += value * len(by_value[value])
            seen.extend(by_value[value])
        if self.rules.continue_until_two:
            # undo the last addition while it would leave fewer than two candidates
            while steps and len(cont) - sum(map(len, steps)) < 2:
                steps.pop()
        out = [c for step in steps for c in step]
        return out if len(out) >= 2 else []

    def _eliminate(self, tally: dict[str, Decimal]) -> list[int]:
        cont = [c for c in range(self.n) if self.continuing[c]]
        if self.uwi >= 0 and self.continuing[self.uwi] and tally[UWI] > 0:
            return [self.uwi]
        if self.rules.cutoff_elimination and self.mode == PERCENT:
            out = [c for c in cont if tally[self.names[c]] < self.threshold]
            if out:
                return out
        if self.rules.batch_elimination:
            out = self._batch(cont, tally)
            if out:
                return out
        if not cont:
            raise TallyError(f"round {self.round}: no continuing candidate is left to eliminate")
        low = min(tally[self.names[c]] for c in cont)
        tied = [c for c in cont if tally[self.names[c]] == low]
        if len(tied) == 1:
            return tied
        name = self.tb.break_tie(
            [self.names[c] for c in tied], round_number=self.round, kind="loser", tally_of=self._past_tally
        )
        self.tied.add((self.round, name))
        return [self.names.index(name)]

    def _elect_surplus(self, winners: list[int], tally: dict[str, Decimal]) -> None:
        """§5.8: each winner's ballots move on at trunc_d(v * f); the winner keeps v - t of each."""
        d, one = self.d, self.one
        q_units = int(self.threshold.scaleb(d))
        for w in winners:
            t_units = int(tally[self.names[w]].scaleb(d))
            f = ((t_units - q_units) * one) // t_units if t_units > q_units else 0
            for i in self.by_place.get(w, []):
                if self.place[i] != w:
                    continue
                weight = self.b.groups[i].weight
                v = self.value[i]
                t = (v * f) // one
                kept = weight * (v - t)
                for a in self.group_accs[i]:
                    acc = self.accs[a]
                    acc.kept_units[w] = acc.kept_units.get(w, 0) + kept
                    acc.kept_scaled[w] = True
                    acc.units[w] += weight * (t - v)
                    acc.scaled[w] += 1 - self.vscaled[i]
                if self.allocations is not None:
                    self.kept.setdefault(i, []).append((w, self.sel_rank[i], v - t))
                self.value[i] = t
                self.vscaled[i] = True

    # ----- the loop ----------------------------------------------------------------------------

    def _release(self, c: int) -> None:
        """Candidate ``c`` stopped continuing: its ballots walk again next round."""
        self.continuing[c] = False
        self.pending.extend(i for i in self.by_place.pop(c, []) if self.place[i] == c)

    def _should_continue(self, eliminated_now: bool, elected_now: bool) -> bool:
        stop = self.rules.stop_after_round
        if stop is not None and self.round >= stop:
            return False
        names_left = [c for c in range(self.n) if self.names[c] not in self.excluded and c != self.uwi]
        if names_left and all(c in self.winner_round for c in names_left):
            return False
        if self.rules.continue_until_two:
            cont = sum(self.continuing)
            if not self.winner_round:
                return cont > 0
            return cont > 2 or eliminated_now
        if self.mode == PERCENT:
            return not self.winner_round
        if len(self.winner_round) < self.seats:
            return any(self.continuing)
        return self.seats > 1 and elected_now and self.mode != BOTTOMS_UP

    def run(self) -> Tabulation:
        with localcontext(EXACT):
            return self._run()

    def _run(self) -> Tabulation:
        while True:
            self.round += 1
            self._count_round()
            in_count = self._in_count()
            snapshots = [self._snapshot(acc, in_count) for acc in self.accs]
            tally = snapshots[0][0]
            self.round_tallies.append(tally)
            if self.allocations is not None:
                kept = {i: len(v) for i, v in self.kept.items()}
                self.allocations.append(
                    (list(zip(self.place, self.value, self.vscaled, self.sel_rank, strict=True)), kept)
                )
            if self._should_recompute_threshold():
                self.threshold = self._compute_threshold(self._active(tally))
            winners = self._identify_winners(tally)
            eliminated: list[int] = []
            if winners:
                for w in winners:
                    self.winner_round[w] = self.round
                if self.seats > 1 and self.stv:
                    self._elect_surplus(winners, tally)
                if not self.rules.continue_until_two:
                    for w in winners:
                        self._release(w)
            elif (
                len(self.winner_round) < self.seats
                or (self.rules.continue_until_two and sum(self.continuing) > 2)
                or self.mode == PERCENT
            ):
                eliminated = self._eliminate(tally)
                for c in eliminated:
                    self.eliminated_round[c] = self.round
                    self._release(c)
            elected_names = [self.names[w] for w in winners]
            eliminated_names = [self.names[c] for c in eliminated]
            for acc, (t, inactive) in zip(self.accs, snapshots, strict=True):
                acc.rounds.append(
                    RoundResult(
                        round=self.round,
                        tally=t,
                        inactive=inactive,
                        threshold=self.threshold,
                        elected=elected_names,
                        eliminated=eliminated_names,
                        final_surplus=inactive["finalRoundSurplus"],
                    )
                )
            if not self._should_continue(bool(eliminated), bool(winners)):
                break
            if self.round > 10 * (self.n + 2) + 100:
                raise TallyError("the count does not terminate (internal limit of rounds reached)")
        return self._finish()

    def _finish(self) -> Tabulation:
        for acc in self.accs:
            for rr in acc.rounds:
                moved = acc.transfers.get(rr.round + 1, {})
                out: dict[str, dict[str, Decimal]] = {}
                for (src, dst), (amount, sc) in moved.items():
                    value = amount if sc is None else _dec(amount, bool(sc), self.d)
                    out.setdefault(src, {})[dst] = value
                rr.transfers = out
            residual = Decimal(0)
            for rr in acc.rounds:
                for (_src, dst), (amount, _sc) in acc.transfers.get(rr.round, {}).items():
                    if dst == "residual surplus":
                        residual += amount
                rr.residual = residual
        main = self.accs[0]
        undervotes = main.units[self.n + UNDERVOTE] // self.one
        slices: dict[str, dict[str, tuple[list[RoundResult], int, int]]] = {}
        for k, (kind, sid) in enumerate(self.slice_keys, start=1):
            acc = self.accs[k]
            slices.setdefault(kind, {})[sid] = (
                acc.rounds,
                acc.total,
                acc.units[self.n + UNDERVOTE] // self.one,
            )
        order = sorted(self.winner_round.items(), key=lambda item: item[1])
        return Tabulation(
            rounds=main.rounds,
            winners=[self.names[c] for c, _ in order],
            tied_decisions=self.tied,
            tiebreaks=self.tb.records,
            undervotes=undervotes,
            total=main.total,
            candidates=self.names,
            excluded=self.excluded,
            slices=slices,
            number_of_winners=self.seats,
            allocations=self.allocations,
            kept=self.kept,
            decimal_places=self.d,
        )
