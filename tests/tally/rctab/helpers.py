"""Tiny hand-made RCTab contests for unit tests: a config dict and ballots given as name lists."""

from __future__ import annotations

from pathlib import Path

from tally.rctab.ballots import build
from tally.rctab.config import parse
from tally.rctab.model import Cvr
from tally.rctab.tabulator import Tabulation, Tabulator
from tally.rctab.tiebreak import Decisions

RULES = {
    "tiebreakMode": "useCandidateOrder",
    "overvoteRule": "alwaysSkipToNextRank",
    "winnerElectionMode": "singleWinnerMajority",
    "randomSeed": "",
    "numberOfWinners": "1",
    "decimalPlacesForVoteArithmetic": "4",
    "maxSkippedRanksAllowed": "unlimited",
    "maxRankingsAllowed": "max",
}


def raw_config(candidates, tmp_path: Path, uwi_label: str = "", **rules) -> dict:
    cvr = tmp_path / "cvr.xlsx"
    cvr.write_bytes(b"")
    merged = dict(RULES)
    merged.update(rules)
    return {
        "tabulatorVersion": "TEST",
        "outputSettings": {"contestName": "Test"},
        "cvrFileSources": [
            {
                "provider": "ess",
                "filePath": str(cvr),
                "firstVoteColumnIndex": 2,
                "firstVoteRowIndex": 2,
                "undeclaredWriteInLabel": uwi_label,
            }
        ],
        "candidates": [
            {"name": c.lstrip("-"), "excluded": c.startswith("-")} if isinstance(c, str) else c
            for c in candidates
        ],
        "rules": merged,
    }


def tabulate(
    candidates, ballots, tmp_path: Path, *, decisions: Decisions | None = None, uwi_label="", **rules
) -> Tabulation:
    """Count ``ballots``: each a list of ranks, a rank being a name, a list of names, or None (blank).

    A candidate written ``-Name`` is excluded.
    """
    config = parse(raw_config(candidates, tmp_path, uwi_label, **rules), tmp_path / "config.json")
    source = config.sources[0]
    cvrs = []
    for n, ballot in enumerate(ballots):
        rankings = []
        for rank, mark in enumerate(ballot, start=1):
            if mark is None:
                continue
            for name in [mark] if isinstance(mark, str) else mark:
                rankings.append((rank, name))
        cvrs.append(Cvr(rankings=tuple(rankings), source=source, record_id=f"cvr-{n + 1}"))
    ballot_set = build(config, cvrs)
    return Tabulator(
        ballot_set, config.rules, candidate_order=[c.name for c in config.candidates], decisions=decisions
    ).run()


def tallies(tab: Tabulation) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in r.tally.items()} for r in tab.rounds]
