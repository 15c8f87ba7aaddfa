# ruff: noqa: UP031  (JSON/XML templates: %-formatting keeps the literal braces readable)
"""Generated CVR exports for the reader benchmarks (seeded, written into a temporary folder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "rctab"
ALASKA = SHARED / "_shared" / "dominion_alaska" / "alaska_input_data"
ALASKA_CONFIG = SHARED / "dominion_alaska" / "dominion_alaska_config.json"
SENTINEL = 987654321


def dominion_export(folder: Path, copies: int) -> Path:
    """The ``dominion_alaska`` export with its 1,000 sessions replicated ``copies`` times into one
    ``CvrExport.json`` (RecordIds renumbered), its manifests, and a config pointing at it."""
    data = folder / "export"
    data.mkdir(parents=True)
    for manifest in ALASKA.glob("*Manifest.json"):
        shutil.copy(manifest, data / manifest.name)
    doc = json.loads((ALASKA / "CvrExport.json").read_bytes())
    templates = []
    for session in doc["Sessions"]:
        session = dict(session, RecordId=SENTINEL)
        raw = json.dumps(session, separators=(",", ":")).encode()
        head, _, tail = raw.partition(b'"RecordId":%d' % SENTINEL)
        templates.append((head + b'"RecordId":', tail))
    with open(data / "CvrExport.json", "wb") as out:
        out.write(b'{"Version":"5.10.11.24","ElectionId":"AK benchmark","Sessions":[')
        record = 0
        for _ in range(copies):
            chunk = []
            for head, tail in templates:
                record += 1
                chunk.append(head + str(record).encode() + tail)
            if record > len(templates):
                out.write(b",")
            out.write(b",".join(chunk))
        out.write(b"]}")
    config = json.loads(ALASKA_CONFIG.read_text())
    config["cvrFileSources"][0]["filePath"] = str(data)
    config["outputSettings"]["outputDirectory"] = str(folder / "output")
    path = folder / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def cdf_report(path: Path, count: int, xml: bool) -> Path:
    """A CDF CVR report of ``count`` ranked CVRs over 8 candidates (seeded), JSON or XML."""
    import random

    rng = random.Random(20241105)
    names = [f"Candidate {c}" for c in "ABCDEFGH"]
    ballots = []
    for _ in range(997):  # a cycle of distinct ballots, repeated
        k = rng.randint(1, 5)
        ballots.append(rng.sample(range(8), k))
    if not xml:
        with open(path, "w") as out:
            out.write('{"@type":"CVR.CastVoteRecordReport","CVR":[')
            for i in range(count):
                sels = ",".join(
                    '{"@type":"CVR.CVRContestSelection","ContestSelectionId":"cs-%d","SelectionPosition":'
                    '[{"@type":"CVR.SelectionPosition","HasIndication":"yes","IsAllocable":"unknown",'
                    '"NumberVotes":1,"Rank":%d}]}' % (c, r + 1)
                    for r, c in enumerate(ballots[i % len(ballots)])
                )
                out.write(
                    ("," if i else "")
                    + '{"@type":"CVR","BallotPrePrintedId":"%d","CVRSnapshot":[{"@id":"ballot-%d",'
                    '"@type":"CVR.CVRSnapshot","CVRContest":[{"@type":"CVR.CVRContest",'
                    '"CVRContestSelection":[%s],"ContestId":"contest-001"}],"Type":"original"}],'
                    '"CurrentSnapshotId":"ballot-%d","ElectionId":"election-001"}' % (i, i, sels, i)
                )
            cands = ",".join('{"@id":"c-%d","Name":"%s"}' % (c, n) for c, n in enumerate(names))
            selections = ",".join('{"@id":"cs-%d","CandidateIds":["c-%d"]}' % (c, c) for c in range(8))
            out.write(
                '],"Election":[{"@id":"election-001","Candidate":[%s],"Contest":[{"@id":"contest-001",'
                '"Name":"Bench","ContestSelection":[%s]}]}],"GpUnit":[{"@id":"gpu-election","Name":"X"}]}'
                % (cands, selections)
            )
        return path
    with open(path, "w") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<CastVoteRecordReport xmlns="NIST_V0_cast_vote_records.xsd">'
        )
        for i in range(count):
            sels = "".join(
                "<CVRContestSelection><ContestSelectionId>cs-%d</ContestSelectionId><SelectionPosition>"
                "<HasIndication>yes</HasIndication><IsAllocable>unknown</IsAllocable><NumberVotes>1</NumberVotes>"
                "<Rank>%d</Rank></SelectionPosition></CVRContestSelection>" % (c, r + 1)
                for r, c in enumerate(ballots[i % len(ballots)])
            )
            out.write(
                '<CVR><CurrentSnapshotId>s%d</CurrentSnapshotId><CVRSnapshot ObjectId="s%d"><CVRContest>'
                "<ContestId>k1</ContestId>%s</CVRContest></CVRSnapshot><UniqueId>%d</UniqueId></CVR>\n"
                % (i, i, sels, i)
            )
        out.write(
            '<Election ObjectId="e1">'
            + "".join(
                '<Candidate ObjectId="c-%d"><Name>%s</Name></Candidate>' % (c, n) for c, n in enumerate(names)
            )
            + '<Contest ObjectId="k1"><Name>Bench</Name>'
            + "".join(
                '<ContestSelection ObjectId="cs-%d"><CandidateIds>c-%d</CandidateIds></ContestSelection>'
                % (c, c)
                for c in range(8)
            )
            + '</Contest></Election><GpUnit ObjectId="g"><Name>X</Name></GpUnit><Party ObjectId="p"/>'
            "<ReportGeneratingDeviceIds>rd</ReportGeneratingDeviceIds><ReportingDevice ObjectId='rd'/>"
            "</CastVoteRecordReport>"
        )
    return path


CDF_NAMES = [f"Candidate {c}" for c in "ABCDEFGH"]
