"""NIST SP 1500-103 Common Data Format cast-vote records, JSON (``.json``) or XML (``.xml``).

Both forms are read as RCTab 2.0 reads them:
- the contest is the ``Election/Contest`` whose ``Name`` equals the source's ``contestId``; its
  ``ContestSelection`` entries map a selection id to its first ``CandidateIds`` entry, whose candidate
  ``Name`` is the CVR string (a name equal to the source's ``overvoteLabel`` is the overvote token); a
  selection with ``IsWriteIn`` true is the UWI pseudo-candidate, and so is a selection position holding
  a ``CVRWriteIn`` (from that position on);
- a CVR's current snapshot is the ``CVRSnapshot`` whose id is ``CurrentSnapshotId``, and its
  ``CVRContest`` with the contest's id holds the marks;
- the rank sits on ``CVRContestSelection.Rank`` or, if absent there, on each ``SelectionPosition.Rank``;
  positions with ``HasIndication`` = no or ``IsAllocable`` = no are skipped;
- XML only: a selection with ``Status`` = needs-adjudication is skipped, and a CVR without the contest
  (or without a current snapshot) is skipped; in JSON every CVR must have it;
- a rank above ``maxRankingsAllowed`` or a candidate the config does not know is an error.

Ids: ``record_id`` is ``<file name>(<n>)`` with n counting the CVRs read from the file (1-based);
``supplied_id`` is ``BallotPrePrintedId`` (JSON) or ``UniqueId`` (XML); ``precinct`` is the ``Name`` of
the ``GpUnit`` named by ``BallotStyleUnitId`` (an unknown unit is an error in XML and no precinct in
JSON, as in RCTab).

Deviations, on purpose: ``IsWriteIn`` is accepted as JSON ``true`` as well as the string ``"true"``
(RCTab only honours the string); an XML position without ``IsAllocable`` counts as allocable (RCTab fails
with an internal error).

Both forms stream: JSON through ``_jsonstream`` (two passes, the first skipping the ``CVR`` array), XML in
two passes too, since ``Election`` may follow the CVRs (``_cdf_xml``): every byte through a hardened
libxml2 parse that refuses any DOCTYPE (``_xmlchunks``), CVRs read from their bytes when a grammar proves
their shape and from hardened lxml trees otherwise (``_cdf_xml_bytes``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec

from ..rctab.model import OVERVOTE, UWI, ContestConfig, Cvr, CvrSource
from ._guard import check_rankings, fail
from ._jsonstream import decode_member, decoders, members

NEEDS_ADJUDICATION = "needs-adjudication"


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(source, config)
    if suffix == ".xml":
        from ._cdf_xml import read_xml

        return read_xml(source, config)
    raise fail(path, "a CDF file must end in .json or .xml")


# ---------------------------------------------------------------------------------------------- JSON


class _Candidate(msgspec.Struct):
    id: str = msgspec.field(name="@id")
    Name: str = ""


class _Selection(msgspec.Struct):
    id: str = msgspec.field(name="@id")
    CandidateIds: list[str] | None = None
    IsWriteIn: bool | str | None = None


class _Contest(msgspec.Struct):
    id: str = msgspec.field(name="@id")
    Name: str | None = None
    ContestSelection: list[_Selection] = []


class _Election(msgspec.Struct):
    Candidate: list[_Candidate] = []
    Contest: list[_Contest] = []


class _GpUnit(msgspec.Struct):
    id: str = msgspec.field(name="@id")
    Name: str | None = None


class _Position(msgspec.Struct, gc=False):
    Rank: int | None = None
    HasIndication: str | None = None
    IsAllocable: str | None = None
    CVRWriteIn: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class _CvrSelection(msgspec.Struct, gc=False):
    ContestSelectionId: str
    Rank: int | msgspec.UnsetType = msgspec.UNSET
    SelectionPosition: list[_Position] = []


class _CvrContest(msgspec.Struct, gc=False):
    ContestId: str
    CVRContestSelection: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET  # decoded once per distinct value


class _Snapshot(msgspec.Struct, gc=False):
    id: str = msgspec.field(name="@id")
    CVRContest: list[_CvrContest] | None = None


class _Cvr(msgspec.Struct, gc=False):
    CurrentSnapshotId: str
    CVRSnapshot: list[_Snapshot]
    BallotPrePrintedId: str | None = None
    BallotStyleUnitId: str | None = None


def _is_true(value) -> bool:
    return value is True or value == "true"


def _read_json(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    skip = decoders(msgspec.Raw)
    elections: list[_Election] = []
    gp_units: list[_GpUnit] | None = None
    for key, first, value in members(path, {"CVR": skip}):
        if first is not None:
            continue
        if key == "Election":
            elections = decode_member(path, key, value, list[_Election])
        elif key == "GpUnit":
            gp_units = decode_member(path, key, value, list[_GpUnit])
    if gp_units is None:
        raise fail(path, "CDF report has no GpUnit")

    candidates: dict[str, str] = {}
    contest: _Contest | None = None
    for election in elections:
        for cand in election.Candidate:
            if cand.id in candidates:
                raise fail(path, f"Candidate {cand.id!r} appears multiple times")
            candidates[cand.id] = cand.Name
        for c in election.Contest:
            if c.Name == source.contest_id:
                contest = c
                break
    if contest is None:
        raise fail(path, f"contest {source.contest_id!r} from the config is not in the CDF file")
    selections: dict[str, str] = {}
    for sel in contest.ContestSelection:
        if sel.id in selections:
            raise fail(path, f"ContestSelection {sel.id!r} appears multiple times")
        if _is_true(sel.IsWriteIn):
            selections[sel.id] = UWI
            continue
        if not sel.CandidateIds:
            raise fail(path, f"ContestSelection {sel.id!r} has no CandidateIds")
        name = candidates.get(sel.CandidateIds[0])
        if name is None:
            raise fail(path, f"candidate {sel.CandidateIds[0]!r} of selection {sel.id!r} is not in the file")
        if source.overvote_label and name == source.overvote_label:
            name = OVERVOTE
        selections[sel.id] = name
    units: dict[str, str | None] = {}
    for unit in gp_units:
        if unit.id in units:
            raise fail(path, f"GpUnit {unit.id!r} appears multiple times")
        units[unit.id] = unit.Name
    return _json_records(source, config, contest.id, selections, units)


def _json_records(source, config, contest_id, selections, units) -> Iterator[Cvr]:
    """The CVRs of the file. A contest's ``CVRContestSelection`` list is decoded and checked once per
    distinct raw JSON value (exports repeat a few thousand ballots): the raw bytes map to the rankings."""
    path = source.file_path
    file_name = path.name
    cvr_decoders = decoders(_Cvr)
    unset = msgspec.UNSET
    known: dict[bytes, tuple] = {}
    known_bytes = 0
    index = 0
    for _key, first, batch in members(path, {"CVR": cvr_decoders}):
        if first is None:
            continue
        for offset, cvr in enumerate(batch):
            index += 1
            current = cvr.CurrentSnapshotId
            snaps = cvr.CVRSnapshot
            if len(snaps) == 1 and snaps[0].id == current:
                snap = snaps[0]
            else:
                snap = next((s for s in snaps if s.id == current), None)
            if snap is None or snap.CVRContest is None:
                raise fail(
                    path,
                    f"current snapshot {current!r} missing or without CVRContest",
                    f"CVR[{first + offset}]",
                )
            contests = snap.CVRContest
            if len(contests) == 1 and contests[0].ContestId == contest_id:
                contest = contests[0]
            else:
                contest = next((c for c in contests if c.ContestId == contest_id), None)
            if contest is None:
                raise fail(
                    path, f"CVR has no CVRContest for contest {contest_id!r}", f"CVR[{first + offset}]"
                )
            raw = contest.CVRContestSelection
            key = b"[]" if raw is unset else bytes(raw)
            rankings = known.get(key)
            if rankings is None:
                rankings = _json_rankings(key, selections, config, path, f"CVR[{first + offset}]")
                if known_bytes < MAX_KNOWN_BYTES:
                    known[key] = rankings
                    known_bytes += len(key)
            unit = cvr.BallotStyleUnitId
            yield Cvr(
                rankings,
                source,
                f"{file_name}({index})",
                cvr.BallotPrePrintedId or "",
                precinct=(units.get(unit) or "") if unit is not None else "",
            )


MAX_KNOWN_BYTES = 64 * 1024**2
_SELECTIONS = msgspec.json.Decoder(list[_CvrSelection])


def _json_rankings(raw: bytes, selections, config, path: Path, where: str) -> tuple:
    """The validated rankings of one ``CVRContestSelection`` list (raw JSON)."""
    try:
        marks = _SELECTIONS.decode(raw)
    except (msgspec.DecodeError, ValueError, RecursionError) as err:
        raise fail(path, f"invalid CVR record ({err})", where) from None
    unset = msgspec.UNSET
    pairs: list[tuple[int, str]] = []
    for sel in marks:
        name = selections.get(sel.ContestSelectionId)
        if name is None:
            raise fail(path, f"ContestSelection {sel.ContestSelectionId!r} not found", where)
        if sel.Rank is not unset:
            pairs.append((sel.Rank, name))
            continue
        for pos in sel.SelectionPosition:
            if pos.CVRWriteIn is not unset:
                name = UWI
            if pos.HasIndication != "no" and pos.IsAllocable != "no":
                pairs.append((pos.Rank, name))
    for rank, _ in pairs:
        _rank(rank, path, where)
    return check_rankings(pairs, config, path, where)


def _rank(value, path: Path, where: str) -> int:
    if value is None:
        raise fail(path, "selection position has no Rank", where)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
        raise fail(path, f"rank {value!r} is not a valid rank", where)
    return value
