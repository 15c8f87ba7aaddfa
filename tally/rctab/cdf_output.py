"""RCTab's NIST SP 1500-103 CDF CVR export (``cdf_cvr.json``, ``generateCdfJson``).

Layout as RCTab writes it: a ``CVR.CastVoteRecordReport`` with one ``Election`` (candidates sorted by name,
the undeclared write-in pseudo-candidate included when enabled, one ``CandidateContest`` named after the
contest), ``GpUnit`` entries (the election scope named after the jurisdiction, then one per precinct in
Java ``HashMap`` order of the precinct names, ``gpu-1``...), and per CVR:

- ``BallotPrePrintedId``: RCTab's CVR id with characters outside ``[A-Za-z0-9._-]`` replaced by ``_``;
- an ``original`` snapshot: one ``CVRContestSelection`` per CVR string (ordered by the first rank that
  names it; named ``cs-<string>`` even when the string is an alias), one ``SelectionPosition`` per rank
  naming it, ``IsAllocable`` ``unknown``;
- with round snapshots (``<id>-round-N``, ``interpreted``): the position through which the ballot counts
  in that round is allocable ``yes`` and every other ``no``; in STV, the position of each winner the
  ballot helped elect stays ``yes`` with the part it kept, and fractional values are written as
  ``FractionalVotes`` without the leading zero (``.9063``) with ``NumberVotes`` 0. As in RCTab, a position
  is matched to the recipient by comparing the recipient's name with the raw CVR string, so a ballot
  counted through an alias shows no allocable position.

The ``ReportingDevice`` names RCTab (``Bright Spots``) so that the file is the one RCTab writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

from .ballots import BallotSet
from .javautil import hashmap_order, java_sorted
from .model import OVERVOTE, UWI, ContestConfig, Cvr
from .tabulator import Tabulation

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]")


def safe_id(text: str) -> str:
    return _UNSAFE.sub("_", text)


def candidate_id(name: str) -> str:
    return safe_id(name.lower())


def _fraction_text(units: int, places: int) -> str:
    text = str(Decimal(units).scaleb(-places))
    return text[1:] if text.startswith("0.") else text


def _header(config: ContestConfig, names: list[str], precincts: list[str], generated: str) -> dict[str, Any]:
    ordered = java_sorted(names)
    gp_units: list[dict[str, Any]] = [
        {
            "@id": "gpu-election",
            "@type": "GpUnit",
            "Name": config.output.contest_jurisdiction,
            "OtherType": "Election Scope Jurisdiction",
            "Type": "other",
        }
    ]
    for k, precinct in enumerate(precincts, start=1):
        gp_units.append({"@id": f"gpu-{k}", "@type": "GpUnit", "Name": precinct, "Type": "precinct"})
    return {
        "@type": "CVR.CastVoteRecordReport",
        "CVR": [],
        "Election": [
            {
                "@id": "election-001",
                "@type": "Election",
                "Candidate": [{"@id": f"c-{candidate_id(n)}", "Name": n} for n in ordered],
                "Contest": [
                    {
                        "@id": "contest-001",
                        "@type": "CandidateContest",
                        "ContestSelection": [
                            {
                                "@id": f"cs-{candidate_id(n)}",
                                "@type": "ContestSelection",
                                "CandidateIds": [f"c-{candidate_id(n)}"],
                            }
                            for n in ordered
                        ],
                        "Name": config.output.contest_name,
                    }
                ],
                "ElectionScopeId": "gpu-election",
            }
        ],
        "GeneratedDate": generated,
        "GpUnit": gp_units,
        "ReportGeneratingDeviceIds": ["rd-001"],
        "ReportingDevice": [
            {
                "@id": "rd-001",
                "@type": "CVR.ReportingDevice",
                "Application": "RCTab",
                "Manufacturer": "Bright Spots",
            }
        ],
        "Version": "1.0.0",
    }


def _selections(cvr: Cvr, resolve) -> list[tuple[str, list[int]]]:
    """(CVR string, candidate name, ranks) in order of the first rank naming the string; overvote tokens
    left out. RCTab names the selection after the raw CVR string (an alias stays an alias)."""
    by_raw: dict[str, list[int]] = {}
    for rank, raw in cvr.rankings:
        if raw == OVERVOTE:
            continue
        by_raw.setdefault(raw, []).append(rank)
    return [(raw, resolve(raw), ranks) for raw, ranks in by_raw.items()]


def _snapshot(snap_id: str, kind: str, selections, allocable) -> dict[str, Any]:
    contest_selections = []
    for raw, _name, ranks in selections:
        positions = []
        for rank in ranks:
            state, fraction = allocable(raw, rank)
            position = {
                "@type": "CVR.SelectionPosition",
                "HasIndication": "yes",
                "IsAllocable": state,
                "NumberVotes": 1 if fraction is None else 0,
                "Rank": rank,
            }
            if fraction is not None:
                position["FractionalVotes"] = fraction
            positions.append(position)
        contest_selections.append(
            {
                "@type": "CVR.CVRContestSelection",
                "ContestSelectionId": f"cs-{candidate_id(raw)}",
                "SelectionPosition": positions,
            }
        )
    return {
        "@id": snap_id,
        "@type": "CVR.CVRSnapshot",
        "CVRContest": [
            {"@type": "CVR.CVRContest", "CVRContestSelection": contest_selections, "ContestId": "contest-001"}
        ],
        "Type": kind,
    }


def _resolver(config: ContestConfig):
    def resolve(raw: str) -> str:
        if raw == UWI:
            return UWI
        return config.name_for(raw) or raw

    return resolve


def _candidate_names(config: ContestConfig, uwi: bool) -> list[str]:
    names = [c.name for c in config.candidates if not c.excluded]
    return names + ([UWI] if uwi else [])


def report(
    config: ContestConfig, ballots: BallotSet, tab: Tabulation | None, generated: str
) -> dict[str, Any]:
    """The CDF report for the counted CVRs, with one snapshot per round when ``tab`` has allocations."""
    cvrs = ballots.cvrs or []
    precincts: list[str] = []
    seen: set[str] = set()
    for cvr in cvrs:
        if cvr.precinct and cvr.precinct not in seen:
            seen.add(cvr.precinct)
            precincts.append(cvr.precinct)
    precincts = hashmap_order(precincts)
    gpu = {p: f"gpu-{k}" for k, p in enumerate(precincts, start=1)}
    out = _header(config, _candidate_names(config, ballots.uwi), precincts, generated)
    resolve = _resolver(config)
    member_group: dict[int, int] = {}
    for g, group in enumerate(ballots.groups):
        for n in group.members:
            member_group[n] = g
    names = ballots.candidates
    allocations = tab.allocations if tab is not None and tab.allocations else []
    places = tab.decimal_places if tab is not None else 4
    for n, cvr in enumerate(cvrs):
        ident = safe_id(cvr.record_id or f"cvr-{n + 1}")
        selections = _selections(cvr, resolve)
        snapshots = [_snapshot(f"ballot-{ident}", "original", selections, lambda _n, _r: ("unknown", None))]
        g = member_group.get(n)
        for r, (state, kept_counts) in enumerate(allocations, start=1):
            place, units, scaled, sel_rank = state[g]
            live = {}
            if 0 <= place < len(names):
                live[(names[place], sel_rank)] = _fraction_text(units, places) if scaled else None
            for w, rank, kept in tab.kept.get(g, [])[: kept_counts.get(g, 0)]:
                live[(names[w], rank)] = _fraction_text(kept, places)

            def allocable(raw, rank, live=live):
                key = (raw, rank)  # RCTab matches the recipient's name against the raw string
                return ("yes", live[key]) if key in live else ("no", None)

            snapshots.append(_snapshot(f"ballot-{ident}-round-{r}", "interpreted", selections, allocable))
        entry: dict[str, Any] = {"@type": "CVR", "BallotPrePrintedId": ident}
        if cvr.precinct:
            entry["BallotStyleUnitId"] = gpu[cvr.precinct]
        entry["CVRSnapshot"] = snapshots
        entry["CurrentSnapshotId"] = snapshots[-1]["@id"]
        entry["ElectionId"] = "election-001"
        out["CVR"].append(entry)
    return out


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_cdf_cvr_json(config: ContestConfig, cvrs: Iterable[Cvr], path: Path) -> None:
    """Write the CDF report of ``cvrs`` with their original snapshots only (``tally convert``)."""
    from datetime import datetime

    from .ballots import build

    ballots = build(config, cvrs, keep_cvrs=True)
    generated = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    Path(path).write_text(dumps(report(config, ballots, None, generated)), encoding="utf-8")
