"""RCTab re-run material for ranked contests: an RCTab config JSON and a NIST 1500-103 CDF CVR JSON.

Written from RCTab's config format (``rctab-rules.md`` §3) and the CDF layout RCTab reads (§5.11), so an
auditor can run RCTab 2.0.1 itself on ``rctab/config.json`` (its ``filePath`` is ``cvr.json`` beside it).
Only ``irv`` and ``stv`` have an RCTab counterpart; the option mapping:

==========================  ===============================================================
tally option                RCTab rule
==========================  ===============================================================
irv                         ``winnerElectionMode: singleWinnerMajority``, 1 winner
stv ``winners_per_round``   ``multiWinnerAllowMultipleWinnersPerRound`` / ``...OnlyOneWinnerPerRound``
``elimination: batch``      ``batchElimination: true``
``continue_until_two``      ``continueUntilTwoCandidatesRemain``
``overvote_rule``           ``exhaustImmediately`` / ``alwaysSkipToNextRank``
``max_skipped_ranks``       ``maxSkippedRanksAllowed`` (``unlimited`` or the number)
``exhaust_on_duplicate``    ``exhaustOnDuplicateCandidate``
``quota: hare``             ``hareQuota: true``
``non_integer_quota``       ``nonIntegerWinningThreshold``
``decimal_places``          ``decimalPlacesForVoteArithmetic`` (default 4)
==========================  ===============================================================

Ties: tally's native seeded tie-break (sha256 order) has no RCTab equivalent, so the config says
``tiebreakMode: stopCountingAndAsk``: RCTab reproduces the count exactly up to any tie that decides
something and then asks its operator, who enters the choice ``result.json`` records under ``ties``;
``rctab/tiebreak_decisions.json`` lists those choices in the form ``tally rctab --tiebreak-decisions``
reads.

CDF: one ``CVR`` per record in ballot-id order, ``BallotPrePrintedId`` = ballot id; each rank k of the
record gives a ``SelectionPosition`` with ``Rank`` k on the selection of each candidate marked there (an
overvote marks several); a record overvote whose marks were not recorded (``[]``) marks the pseudo
candidate ``OVERVOTE_NAME``, which the config declares as the source's ``overvoteLabel``.
``tally.rctab.cdf_output`` is not reused here: it reproduces RCTab's own ``generateCdfJson`` file (a
generation timestamp, RCTab as reporting device, per-round snapshots of a finished tabulation, built from
``Cvr`` objects of a ``ContestConfig``), while this export must be a pure function of the records so that
``tally verify`` can regenerate it byte for byte. ``tests/tally/audit/test_rctab_roundtrip.py`` runs the
exported folder through ``tally rctab`` and checks winners and every round's tallies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import TallyError
from .config import AuditConfig
from .records import _ID, BallotRecord

RCTAB_METHODS = ("irv", "stv")
TABULATOR_VERSION = "2.0.1"
OVERVOTE_NAME = "tally-overvote-marks-not-recorded"
CVR_FILE = "cvr.json"


def supports(config: AuditConfig) -> bool:
    """True when the contest has an RCTab counterpart (ranked ballots, method irv or stv)."""
    return config.ballot_type == "ranked" and config.method in RCTAB_METHODS


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_CVR = (
    '{{"@type":"CVR.CVR","BallotPrePrintedId":"{id}","CVRSnapshot":[{{"@id":"ballot-{id}",'
    '"@type":"CVR.CVRSnapshot","CVRContest":[{{"@type":"CVR.CVRContest","CVRContestSelection":{selections},'
    '"ContestId":"contest-1"}}],"Type":"original"}}],"CurrentSnapshotId":"ballot-{id}","ElectionId":"election-1"}}'
)


_POSITION = (
    '{{"@type":"CVR.SelectionPosition","HasIndication":"yes","IsAllocable":"unknown",'
    '"NumberVotes":1,"Rank":{k}}}'
)
_SELECTION = (
    '{{"@type":"CVR.CVRContestSelection","ContestSelectionId":"{sel}","SelectionPosition":[{positions}]}}'
)


def _selections(ballot: list[Any], sel_id: dict[str, str]) -> str:
    """CDF selections (JSON text) of one ranked ballot: one per marked candidate, ordered by its first
    rank then selection id, holding one position per rank it is marked at."""
    positions: dict[str, list[int]] = {}
    for k, rank in enumerate(ballot, start=1):
        marks = [] if rank is None else ([OVERVOTE_NAME] if rank == [] else rank)
        for name in [marks] if isinstance(marks, str) else marks:
            positions.setdefault(name, []).append(k)
    ordered = sorted(positions.items(), key=lambda item: (item[1][0], sel_id[item[0]]))
    parts = [
        _SELECTION.format(sel=sel_id[name], positions=",".join(_POSITION.format(k=k) for k in ranks))
        for name, ranks in ordered
    ]
    return "[" + ",".join(parts) + "]"


def _flag(options: dict[str, Any], name: str) -> bool:
    value = options.get(name, False)
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "1")) or value == 1


def _has_unrecorded_overvote(records: Sequence[BallotRecord]) -> bool:
    return any(rank == [] for r in records for rank in r.ballot)


def rctab_config(config: AuditConfig, records: Sequence[BallotRecord]) -> bytes:
    """``rctab/config.json`` bytes for a contest ``supports`` accepts."""
    if not supports(config):
        raise TallyError(
            f"method {config.method!r} has no RCTab counterpart (only {', '.join(RCTAB_METHODS)})"
        )
    opts = config.options
    if config.method == "irv":
        mode, winners = "singleWinnerMajority", 1
    else:
        one = opts.get("winners_per_round", "multiple") == "one"
        mode = "multiWinnerAllowOnlyOneWinnerPerRound" if one else "multiWinnerAllowMultipleWinnersPerRound"
        winners = config.seats
    overvote = {
        "exhaust_immediately": "exhaustImmediately",
        "always_skip_to_next_rank": "alwaysSkipToNextRank",
    }
    longest = max((len(r.ballot) for r in records), default=0)
    max_rankings = "max" if longest <= len(config.candidates) else str(longest)
    skipped = opts.get("max_skipped_ranks", "unlimited")
    rules = {
        "tiebreakMode": "stopCountingAndAsk",
        "overvoteRule": overvote.get(
            str(opts.get("overvote_rule", "exhaust_immediately")), "exhaustImmediately"
        ),
        "winnerElectionMode": mode,
        "randomSeed": "",
        "numberOfWinners": str(winners),
        "multiSeatBottomsUpPercentageThreshold": "",
        "decimalPlacesForVoteArithmetic": str(opts.get("decimal_places", 4)),
        "maxSkippedRanksAllowed": str(skipped),
        "maxRankingsAllowed": max_rankings,
        "nonIntegerWinningThreshold": _flag(opts, "non_integer_quota"),
        "doesFirstRoundDetermineThreshold": False,
        "hareQuota": opts.get("quota") == "hare",
        "batchElimination": opts.get("elimination") == "batch",
        "continueUntilTwoCandidatesRemain": _flag(opts, "continue_until_two"),
        "stopTabulationEarlyAfterRound": "",
        "exhaustOnDuplicateCandidate": _flag(opts, "exhaust_on_duplicate"),
        "rulesDescription": f"exported by tally from contest {config.contest} (method {config.method})",
    }
    doc = {
        "tabulatorVersion": TABULATOR_VERSION,
        "outputSettings": {
            "contestName": config.contest,
            "outputDirectory": "output",
            "contestDate": "",
            "contestJurisdiction": "",
            "contestOffice": "",
            "tabulateByBatch": False,
            "tabulateByPrecinct": False,
            "generateCdfJson": False,
        },
        "cvrFileSources": [
            {
                "filePath": CVR_FILE,
                "contestId": config.contest,
                "idColumnIndex": "",
                "batchColumnIndex": "",
                "precinctColumnIndex": "",
                "overvoteDelimiter": "",
                "provider": "cdf",
                "overvoteLabel": OVERVOTE_NAME if _has_unrecorded_overvote(records) else "",
                "skippedRankLabel": "",
                "undeclaredWriteInLabel": "",
                "treatBlankAsUndeclaredWriteIn": False,
            }
        ],
        "candidates": [{"name": c, "excluded": False, "aliases": []} for c in config.candidates],
        "rules": rules,
    }
    return _dump(doc)


def cdf_cvr(config: AuditConfig, records: Sequence[BallotRecord]) -> bytes:
    """``rctab/cvr.json``: the records as a NIST 1500-103 CastVoteRecordReport (JSON)."""
    if config.ballot_type != "ranked":
        raise TallyError(f"a CDF ranked CVR needs ranked ballots, not {config.ballot_type!r}")
    names = list(config.candidates)
    if _has_unrecorded_overvote(records):
        names.append(OVERVOTE_NAME)
    sel_id = {name: f"cs-{i + 1}" for i, name in enumerate(names)}
    # ids are [A-Za-z0-9._:-] (records.py), so they need no JSON escaping; the selections of equal
    # ballot contents are equal, so each distinct content is encoded once
    cache: dict[str, str] = {}
    cvrs: list[str] = []
    for rec in records:
        if not _ID.fullmatch(rec.id):
            raise TallyError(f"ballot id {rec.id!r} is not 1-128 of A-Z a-z 0-9 . _ : -")
        key = _compact(rec.ballot)
        selections = cache.get(key)
        if selections is None:
            selections = cache[key] = _selections(rec.ballot, sel_id)
        cvrs.append(_CVR.format(id=rec.id, selections=selections))
    doc = {
        "@type": "CVR.CastVoteRecordReport",
        "CVR": [],
        "Election": [
            {
                "@id": "election-1",
                "@type": "CVR.Election",
                "Candidate": [{"@id": f"candidate-{i + 1}", "Name": n} for i, n in enumerate(names)],
                "Contest": [
                    {
                        "@id": "contest-1",
                        "@type": "CandidateContest",
                        "Name": config.contest,
                        "ContestSelection": [
                            {
                                "@id": sel_id[n],
                                "@type": "CandidateSelection",
                                "CandidateIds": [f"candidate-{i + 1}"],
                            }
                            for i, n in enumerate(names)
                        ],
                    }
                ],
                "ElectionScopeId": "gpu-election",
            }
        ],
        "GpUnit": [
            {
                "@id": "gpu-election",
                "@type": "CVR.GpUnit",
                "Name": config.contest,
                "OtherType": "Election Scope Jurisdiction",
                "Type": "other",
            }
        ],
        "ReportGeneratingDeviceIds": ["rd-1"],
        "ReportingDevice": [
            {"@id": "rd-1", "@type": "CVR.ReportingDevice", "Application": "tally", "Manufacturer": "consult"}
        ],
        "Version": "1.0.0",
    }
    head, tail = _compact(doc).split('"CVR":[]', 1)
    return (head + '"CVR":[' + ",".join(cvrs) + "]" + tail + "\n").encode("utf-8")


def tiebreak_decisions(result_json: bytes | str) -> bytes:
    """``rctab/tiebreak_decisions.json``: the native count's tie outcomes as operator decisions.

    One ``{"round", "tied", "choice", "kind"}`` entry per tie in ``result.json``'s ``ties`` (``kind``
    ``loser`` for an elimination, ``winner`` for an election), the format ``tally rctab
    --tiebreak-decisions`` reads; an RCTab operator enters the same choices when asked.
    """
    try:
        ties = json.loads(result_json).get("ties", [])
    except (ValueError, AttributeError, RecursionError):
        raise TallyError("result.json is not a JSON object") from None
    kinds = {"elimination": "loser", "election": "winner"}
    out = []
    for tie in ties if isinstance(ties, list) else []:
        if isinstance(tie, dict) and {"round", "tied", "selected"} <= set(tie):
            entry = {"round": tie["round"], "tied": tie["tied"], "choice": tie["selected"]}
            if tie.get("kind") in kinds:
                entry["kind"] = kinds[tie["kind"]]
            out.append(entry)
    return _dump(out)


def export(
    config: AuditConfig, records: Sequence[BallotRecord], result_json: bytes | str
) -> dict[str, bytes]:
    """Package members under ``rctab/`` (config, CDF CVR, tie decisions), ``{}`` without an RCTab mapping."""
    if not supports(config):
        return {}
    return {
        "rctab/config.json": rctab_config(config, records),
        "rctab/cvr.json": cdf_cvr(config, records),
        "rctab/tiebreak_decisions.json": tiebreak_decisions(result_json),
    }
