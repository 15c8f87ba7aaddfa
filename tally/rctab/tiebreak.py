"""RCTab's tie-breaks (``Tiebreak.java``), every one recorded.

A loser tie-break picks who is eliminated among candidates sharing the lowest tally; a winner tie-break
picks who is elected among candidates sharing the top tally. The tied names are first sorted in Java
``String.compareTo`` order. Modes:

- ``random``: one ``java.util.Random(seed)`` per tabulation pass; each tie draws ``nextDouble()`` = u and
  takes index ``floor(u * k)`` of the sorted list (same for winners and losers).
- ``useCandidateOrder``: the config's candidate order (excluded ones included): the loser is the tied
  candidate listed last, the winner the one listed first. ``generatePermutation``: the same rule over the
  sorted names shuffled once per pass with ``Collections.shuffle(names, new Random(seed))``. The
  undeclared write-in pseudo-candidate is in neither list, so it is never the one picked in these modes.
- ``previousRoundCountsThenRandom`` / ``...ThenAsk``: looking back from the previous round to round 1,
  keep the tied candidates with the fewest (loser) or most (winner) votes, stopping when one remains; if
  still tied, fall back to random or asking. After a look-back the list is in Java ``HashSet`` order.
- ``stopCountingAndAsk``: ask (``Decisions``).

``Decisions`` supplies operator choices: from a decisions file (``--tiebreak-decisions``), else a prompt on
a terminal, else ``TieBreakError`` naming the tied candidates.

Decisions file: a JSON list of objects ``{"round": 3, "tied": ["A", "B"], "choice": "B"}``; optional
``"pass"`` (multi-pass IRV pass number, default any) and ``"kind"`` (``"loser"`` or ``"winner"``, default
any). An entry applies when the round, the set of tied names and the optional fields match.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import TallyError, TieBreakError
from .javautil import JavaRandom, hashset_order, java_sorted, shuffle


class Decisions:
    """Operator decisions for the ``...Ask`` modes: a file's entries, else a terminal prompt."""

    def __init__(
        self, entries: list[dict[str, Any]] | None = None, *, source: str | None = None, prompt=None
    ):
        self.entries = entries or []
        self.source = source
        self.prompt = prompt

    @classmethod
    def from_file(cls, path: str | Path, **kw) -> Decisions:
        p = Path(path)
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise TallyError(f"cannot read tie-break decisions: {err}", file=str(p)) from None
        except json.JSONDecodeError as err:
            raise TallyError(
                f"tie-break decisions are not valid JSON ({err.msg}, line {err.lineno})", file=str(p)
            ) from None
        if not isinstance(raw, list):
            raise TallyError("tie-break decisions must be a JSON list of objects", file=str(p))
        for i, entry in enumerate(raw):
            ok = (
                isinstance(entry, dict)
                and isinstance(entry.get("round"), int)
                and isinstance(entry.get("tied"), list)
                and all(isinstance(t, str) for t in entry["tied"])
                and isinstance(entry.get("choice"), str)
                and entry["choice"] in entry["tied"]
            )
            if not ok:
                raise TallyError(
                    'each decision needs "round" (int), "tied" (names) and "choice" (one of the tied names)',
                    file=str(p),
                    record=f"entry {i + 1}",
                )
        return cls(raw, source=str(p), **kw)

    def choose(self, tied: Sequence[str], *, round_number: int, kind: str, pass_number: int) -> str:
        for entry in self.entries:
            if (
                entry["round"] == round_number
                and set(entry["tied"]) == set(tied)
                and entry.get("kind", kind) == kind
                and entry.get("pass", pass_number) == pass_number
            ):
                return entry["choice"]
        if self.prompt is not None:
            return self.prompt(tied, round_number, kind)
        names = ", ".join(tied)
        where = f" (no matching entry in {self.source})" if self.source else ""
        raise TieBreakError(
            f"round {round_number}: a {kind} tie between {names} needs a decision{where}; "
            "give one with --tiebreak-decisions FILE",
        )


def terminal_prompt(tied: Sequence[str], round_number: int, kind: str) -> str:
    """Ask on the terminal: list the tied candidates, accept a number or a name, ``x`` cancels."""
    import click

    action = "elect" if kind == "winner" else "eliminate"
    click.echo(f"Tie in round {round_number}: choose the candidate to {action}:", err=True)
    for i, name in enumerate(tied, start=1):
        click.echo(f"  {i}. {name}", err=True)
    while True:
        answer = click.prompt("Number or name (x cancels)", err=True).strip()
        if answer.lower() == "x":
            raise TieBreakError(f"round {round_number}: tie-break cancelled by the operator")
        if answer.isdigit() and 1 <= int(answer) <= len(tied):
            return tied[int(answer) - 1]
        if answer in tied:
            return answer
        click.echo("not one of the tied candidates", err=True)


def default_decisions(path: str | Path | None) -> Decisions:
    prompt = terminal_prompt if sys.stdin.isatty() else None
    if path is not None:
        return Decisions.from_file(path, prompt=prompt)
    return Decisions(prompt=prompt)


class Tiebreaker:
    """Breaks ties for one tabulation pass and records each one in ``records``."""

    def __init__(
        self,
        mode: str,
        seed: int | None,
        candidate_order: Sequence[str],
        decisions: Decisions | None = None,
        pass_number: int = 1,
    ):
        self.mode = mode
        self.decisions = decisions or Decisions()
        self.pass_number = pass_number
        self.random = JavaRandom(seed) if seed is not None else None
        self.order = list(candidate_order)
        if mode == "generatePermutation":
            perm = java_sorted(candidate_order)
            shuffle(perm, JavaRandom(seed if seed is not None else 0))
            self.order = perm
        self.records: list[dict[str, Any]] = []

    def break_tie(
        self,
        tied: Sequence[str],
        *,
        round_number: int,
        kind: str,
        tally_of: Callable[[int, str], Decimal],
    ) -> str:
        """Pick the loser (``kind="loser"``) or winner among ``tied``; ``tally_of(round, name)`` looks
        back."""
        ordered = java_sorted(tied)
        mode = self.mode
        how = mode
        if mode in ("useCandidateOrder", "generatePermutation"):
            ranked = [c for c in self.order if c in ordered]
            if not ranked:
                raise TieBreakError(
                    f"round {round_number}: none of {', '.join(ordered)} is in the tie-break order"
                )
            choice = ranked[-1] if kind == "loser" else ranked[0]
        elif mode in ("random", "stopCountingAndAsk"):
            choice = self._fallback(ordered, round_number, kind, ask=mode == "stopCountingAndAsk")
        else:
            choice, how = self._previous_rounds(ordered, round_number, kind, tally_of)
        self.records.append(
            {
                "pass": self.pass_number,
                "round": round_number,
                "kind": kind,
                "tied": ordered,
                "rule": how,
                "selected": choice,
            }
        )
        return choice

    def _fallback(self, names: list[str], round_number: int, kind: str, *, ask: bool) -> str:
        if ask:
            names = java_sorted(names)
            choice = self.decisions.choose(
                names, round_number=round_number, kind=kind, pass_number=self.pass_number
            )
            if choice not in names:
                raise TieBreakError(
                    f"round {round_number}: {choice!r} is not one of the tied {', '.join(names)}"
                )
            return choice
        if self.random is None:
            raise TieBreakError(f"round {round_number}: a random tie-break needs rules.randomSeed")
        return names[self.random.random_index(len(names))]

    def _previous_rounds(self, names, round_number, kind, tally_of) -> tuple[str, str]:
        contention = list(names)
        looked_back = False
        for r in range(round_number - 1, 0, -1):
            looked_back = True
            iteration = hashset_order(contention)
            tallies = {c: tally_of(r, c) for c in iteration}
            target = min(tallies.values()) if kind == "loser" else max(tallies.values())
            best = [c for c in iteration if tallies[c] == target]
            if len(best) == 1:
                return best[0], f"{self.mode}: round {r} counts"
            if len(best) < len(contention):
                contention = best
        listing = hashset_order(contention) if looked_back else java_sorted(contention)
        ask = self.mode == "previousRoundCountsThenAsk"
        return self._fallback(listing, round_number, kind, ask=ask), self.mode
