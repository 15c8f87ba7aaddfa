"""RCTab's ``detailed_report.json`` (``OutputWriter.generateJsonReport``), rules §4.1.

Counts are strings in ``BigDecimal.toString`` form (scale kept); ``round``, ``numCandidates``,
``numWinners`` and ``undervotes`` are integers. ``tallyResults`` lists the round's elected names, then its
eliminated names, each sorted in Java ``String.compareTo`` order, with the transfers that decision caused
(counted in the next round). ``finalRoundSurplus`` appears only in the last round of a count with more
than one seat that is not bottoms-up. Slice reports (precinct or batch) carry the slice id in ``config``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .config import BOTTOMS_UP, PERCENT
from .javautil import java_sorted
from .model import ContestConfig
from .tabulator import RoundResult, Tabulation

INACTIVE_KEYS = ("overvotes", "skippedRankings", "exhaustedChoices", "repeatedRankings")


def _s(value: Decimal) -> str:
    return str(value)


def num_candidates(config: ContestConfig, tab: Tabulation) -> int:
    """All configured names plus the undeclared write-in pseudo-candidate, excluded ones included."""
    return len(tab.candidates)


def report(
    config: ContestConfig,
    tab: Tabulation,
    generated_by: str,
    *,
    rounds: list[RoundResult] | None = None,
    total: int | None = None,
    undervotes: int | None = None,
    slice_kind: str | None = None,
    slice_id: str | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict (the whole contest, or one slice when ``rounds`` are given)."""
    out = config.output
    rounds = tab.rounds if rounds is None else rounds
    header = {
        "contest": out.contest_name,
        "date": out.contest_date,
        "generatedBy": generated_by,
        "jurisdiction": out.contest_jurisdiction,
        "office": out.contest_office,
    }
    if slice_kind:
        header[slice_kind] = slice_id
    seats = tab.number_of_winners
    mode = config.rules.winner_election_mode
    with_surplus = seats > 1 and mode not in (BOTTOMS_UP, PERCENT)
    results = []
    for k, rr in enumerate(rounds):
        inactive = {key: _s(rr.inactive[key]) for key in INACTIVE_KEYS}
        if with_surplus and k == len(rounds) - 1:
            inactive["finalRoundSurplus"] = _s(rr.inactive["finalRoundSurplus"])
        decisions = []
        for kind, names in (("elected", rr.elected), ("eliminated", rr.eliminated)):
            for name in java_sorted(names):
                moved = rr.transfers.get(name, {})
                decisions.append({kind: name, "transfers": {t: _s(v) for t, v in moved.items()}})
        results.append(
            {
                "inactiveBallots": inactive,
                "round": rr.round,
                "tally": {name: _s(v) for name, v in rr.tally.items()},
                "tallyResults": decisions,
                "threshold": _s(rr.threshold),
            }
        )
    summary = {
        "finalThreshold": _s(tab.rounds[-1].threshold),
        "numCandidates": num_candidates(config, tab),
        "numWinners": seats,
        "totalNumBallots": str(tab.total if total is None else total),
        "undervotes": tab.undervotes if undervotes is None else undervotes,
    }
    return {"config": header, "jsonFormatVersion": "1", "results": results, "summary": summary}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
