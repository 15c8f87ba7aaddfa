"""Small, valid CVR files of every format, built in a folder: seeds for the edge-case and fuzz tests."""

from __future__ import annotations

import json
from pathlib import Path

NAMES = ["Alice", "Bob", "Carol"]


def cdf_json(folder: Path, cvrs: list[list[tuple[int, str]]], **extra) -> Path:
    """A CDF JSON report; each CVR is (rank, candidate letter a/b/c/w) pairs; ``w`` is a write-in."""
    sels = [{"@id": f"cs-{c}", "CandidateIds": [f"c-{c}"]} for c in "abc"]
    sels.append({"@id": "cs-w", "IsWriteIn": True, "CandidateIds": []})
    report = {
        "CVR": [
            {
                "BallotPrePrintedId": str(i + 1),
                "CurrentSnapshotId": f"s{i}",
                "CVRSnapshot": [
                    {
                        "@id": f"s{i}",
                        "CVRContest": [
                            {
                                "ContestId": "k1",
                                "CVRContestSelection": [
                                    {
                                        "ContestSelectionId": f"cs-{c}",
                                        "SelectionPosition": [{"HasIndication": "yes", "Rank": r}],
                                    }
                                    for r, c in cvr
                                ],
                            }
                        ],
                    }
                ],
            }
            for i, cvr in enumerate(cvrs)
        ],
        "Election": [
            {
                "Candidate": [{"@id": f"c-{c}", "Name": n} for c, n in zip("abc", NAMES, strict=True)],
                "Contest": [{"@id": "k1", "Name": "Mayor", "ContestSelection": sels}],
            }
        ],
        "GpUnit": [{"@id": "g1", "Name": "P1"}],
        **extra,
    }
    path = folder / "cvr.json"
    path.write_text(json.dumps(report))
    return path


def cdf_xml(folder: Path, body: str | None = None, doctype: str = "") -> Path:
    cvr = """<CVR><BallotStyleUnitId>g1</BallotStyleUnitId><CurrentSnapshotId>s1</CurrentSnapshotId>
<UniqueId>u1</UniqueId><CVRSnapshot ObjectId="s1"><CVRContest><ContestId>k1</ContestId>
<CVRContestSelection><ContestSelectionId>cs-a</ContestSelectionId>
<SelectionPosition><HasIndication>yes</HasIndication><IsAllocable>yes</IsAllocable><Rank>1</Rank>
</SelectionPosition></CVRContestSelection>
<CVRContestSelection><ContestSelectionId>cs-b</ContestSelectionId><Status>needs-adjudication</Status>
<SelectionPosition><Rank>2</Rank></SelectionPosition></CVRContestSelection>
<CVRContestSelection><ContestSelectionId>cs-c</ContestSelectionId>
<SelectionPosition><IsAllocable>no</IsAllocable><Rank>2</Rank></SelectionPosition>
<SelectionPosition><CVRWriteIn><Text>Zed</Text></CVRWriteIn><IsAllocable>yes</IsAllocable><Rank>3</Rank>
</SelectionPosition></CVRContestSelection>
</CVRContest></CVRSnapshot></CVR>
<CVR><CurrentSnapshotId>s9</CurrentSnapshotId><CVRSnapshot ObjectId="s9"><CVRContest>
<ContestId>other</ContestId></CVRContest></CVRSnapshot></CVR>"""
    election = (
        '<Election ObjectId="e1">'
        + "".join(
            f'<Candidate ObjectId="c-{c}"><Name>{n}</Name></Candidate>'
            for c, n in zip("abc", NAMES, strict=True)
        )
        + '<Contest ObjectId="k1"><Name>Mayor</Name>'
        + "".join(
            f'<ContestSelection ObjectId="cs-{c}"><CandidateIds>c-{c}</CandidateIds></ContestSelection>'
            for c in "abc"
        )
        + "</Contest></Election>"
    )
    tail = (
        '<GpUnit ObjectId="g1"><Name>P1</Name></GpUnit><Party ObjectId="p"/>'
        "<ReportGeneratingDeviceIds>rd</ReportGeneratingDeviceIds><ReportingDevice ObjectId='rd'/>"
    )
    xml = f'<?xml version="1.0"?>{doctype}<CastVoteRecordReport xmlns="NIST_V0_cast_vote_records.xsd">'
    xml += (body if body is not None else cvr + election + tail) + "</CastVoteRecordReport>"
    path = folder / "cvr.xml"
    path.write_text(xml)
    return path


def dominion(folder: Path, sessions: list[dict], num_ranks: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def manifest(name, items):
        (folder / name).write_text(json.dumps({"Version": "5", "List": items}))

    manifest(
        "ContestManifest.json", [{"Description": "Mayor", "Id": 7, "VoteFor": 1, "NumOfRanks": num_ranks}]
    )
    manifest(
        "CandidateManifest.json",
        [{"Description": n, "Id": i + 1, "ContestId": 7} for i, n in enumerate(NAMES)]
        + [{"Description": "Write-in", "Id": 9, "ContestId": 7}],
    )
    manifest("PrecinctPortionManifest.json", [{"Description": "PP 1", "Id": 1, "PrecinctId": 1}])
    manifest("PrecinctManifest.json", [{"Description": "Precinct 1", "Id": 1}])
    (folder / "CvrExport.json").write_text(json.dumps({"Version": "5", "Sessions": sessions}))
    return folder


def session(record: int, marks: list[tuple[int, int]], *, current=True, modified=None, outstack=()) -> dict:
    def rec(ms, is_current=True):
        return {
            "PrecinctPortionId": 1,
            "PrecinctId": 1,
            "BallotTypeId": 3,
            "IsCurrent": is_current,
            "Cards": [
                {
                    "Id": 1,
                    "Contests": [
                        {
                            "Id": 7,
                            "OutstackConditionIds": list(outstack),
                            "Marks": [
                                {"CandidateId": c, "Rank": r, "IsAmbiguous": amb}
                                for r, c, amb in ((m + (False,))[:3] for m in ms)
                            ],
                        }
                    ],
                }
            ],
        }

    out = {"TabulatorId": 5, "BatchId": 2, "RecordId": record, "Original": rec(marks, current)}
    if modified is not None:
        out["Modified"] = rec(modified)
    return out


def dominion_aliases():
    return [(n, [str(i + 1)]) for i, n in enumerate(NAMES)]


def clear_ballot(folder: Path, rows: list[list[int]], contest: str = "Mayor, City") -> Path:
    fixed = (
        "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,"
        "ScanComputerName,Status,Remade"
    )
    heads = [
        f'"Choice_{k}_1:{contest}:{r}:Vote For 1:{n}:NP"'
        for k, (r, n) in enumerate([(r, n) for r in (1, 2, 3) for n in NAMES], start=1)
    ]
    lines = [fixed + "," + ",".join(heads)]
    for i, row in enumerate(rows, start=1):
        lines.append(f"{i},B1,{i},B1+{i},P{i},7,Precinct,SC-1,0,0," + ",".join(map(str, row)))
    path = folder / "cb.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def hart(folder: Path, values: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, opts in enumerate(values):
        options = "".join(
            f"<Option><Name>{n}</Name><Id>{n.lower()}</Id><Value>{v}</Value></Option>"
            for n, v in opts.items()
        )
        (folder / f"{i:03d}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><Cvr xmlns="http://tempuri.org/CVRDesign.xsd"><Contests>'
            f"<Contest><Name>Mayor</Name><Id>k1</Id><Options>{options}</Options></Contest></Contests>"
            f"<PrecinctSplit><Name>P{i}</Name><Id>ps{i}</Id></PrecinctSplit><BatchNumber>4</BatchNumber>"
            f"<CvrGuid>g{i}</CvrGuid></Cvr>"
        )
    return folder


def hart_aliases():
    return [(n, [n.lower()]) for n in NAMES]


def generic_csv(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "g.csv"
    path.write_text("\n".join(",".join(r) for r in [["id", "precinct", *NAMES], *rows]) + "\n")
    return path
