"""Dominion JSON CVR export (a folder), read as RCTab 2.0 reads it.

Files: ``CvrExport.json``, or else every ``CvrExport_<n>.json`` sorted by path; ``ContestManifest.json``,
``CandidateManifest.json`` and ``PrecinctPortionManifest.json`` are required, ``PrecinctManifest.json`` is
used when present (older exports have none).

Per session (streamed, never the whole file in memory):
- the ``Original`` record is used when ``IsCurrent`` is true, else the ``Modified`` one; a session whose
  original is not current and that has no modified record is skipped;
- contests are read from every card (``Cards[].Contests``) or from ``Contests`` directly; each contest
  entry whose ``Id`` is the source's ``contestId`` is one CVR, unless it carries outstack condition 7;
- marks with ``IsAmbiguous`` are skipped; ``CandidateId`` (as text) is the CVR string, the source's
  ``undeclaredWriteInLabel`` becomes the UWI pseudo-candidate; a candidate id that the manifest does not
  list for the contest, or that the config does not know, is an error;
- a rank above ``maxRankingsAllowed`` or above the contest's ``NumOfRanks`` (when that is > 0) is an error.

Ids as RCTab fills them: tabulator = ``TabulatorId``, batch = ``BatchId``, supplied id = ``RecordId``,
precinct = the ``PrecinctManifest`` description of ``PrecinctId`` (empty when absent), precinct portion =
the ``PrecinctPortionManifest`` description of ``PrecinctPortionId``; RCTab computes no id of its own for
Dominion records, so ``record_id`` is empty. ``extra`` holds ``contest_id`` and ``ballot_type_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec

from ..errors import CvrError
from ..rctab.model import UWI, ContestConfig, Cvr, CvrSource
from ._guard import MAX_RANK, check_dir, check_file, fail, sorted_files
from ._jsonstream import decoders, members

OUTSTACK_SKIP = 7
MANIFEST_LIMIT = 256 * 1024**2

Id = int | str


class Mark(msgspec.Struct, gc=False, frozen=True):  # frozen: hashable, a cache key as it is
    CandidateId: Id
    Rank: int
    IsAmbiguous: bool = False


class Contest(msgspec.Struct, gc=False):
    Id: Id
    Marks: list[Mark] = []
    OutstackConditionIds: list[int] = []


class Card(msgspec.Struct, gc=False):
    Contests: list[Contest] = []


class Record(msgspec.Struct, gc=False):
    IsCurrent: bool = True
    PrecinctPortionId: int | None = None
    PrecinctId: int | None = None
    BallotTypeId: Id | None = None
    Cards: list[Card] | None = None
    Contests: list[Contest] | None = None


class Session(msgspec.Struct, gc=False):
    TabulatorId: Id
    BatchId: Id
    RecordId: int
    Original: Record
    Modified: Record | None = None


class _Item(msgspec.Struct):
    Id: Id
    Description: str = ""
    ContestId: Id | None = None
    NumOfRanks: int | None = None


class _Manifest(msgspec.Struct):
    List: list[_Item]


def _manifest(folder: Path, name: str, required: bool = True) -> list[_Item] | None:
    path = folder / name
    if not path.exists():
        if required:
            raise fail(path, f"Dominion export is missing {name}")
        return None
    check_file(path, MANIFEST_LIMIT)
    try:
        return msgspec.json.decode(path.read_bytes(), type=_Manifest).List
    except (msgspec.DecodeError, ValueError, RecursionError) as err:
        raise fail(path, f"invalid Dominion manifest ({err})") from None
    except OSError as err:
        raise fail(path, f"cannot read manifest ({err.strerror or err})") from None


def cvr_files(folder: Path) -> list[Path]:
    """``CvrExport.json``, or the numbered ``CvrExport_<n>.json`` files sorted by path."""
    check_dir(folder)
    single = folder / "CvrExport.json"
    if single.exists():
        return [single]
    files = [p for p in sorted_files(folder, "CvrExport_*.json") if p.stem.partition("_")[2].isdigit()]
    if not files:
        raise fail(folder, "Dominion export has neither CvrExport.json nor CvrExport_<n>.json")
    return files


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    folder = source.file_path
    files = cvr_files(folder)
    contest_id = source.contest_id
    contests = {str(c.Id): c for c in _manifest(folder, "ContestManifest.json")}
    if contest_id not in contests:
        raise fail(folder / "ContestManifest.json", f"contest {contest_id!r} is not in the contest manifest")
    num_ranks = contests[contest_id].NumOfRanks or None
    codes = {str(c.Id) for c in _manifest(folder, "CandidateManifest.json") if str(c.ContestId) == contest_id}
    portions = {c.Id: c.Description for c in _manifest(folder, "PrecinctPortionManifest.json")}
    precinct_items = _manifest(folder, "PrecinctManifest.json", required=False)
    precincts = None if precinct_items is None else {c.Id: c.Description for c in precinct_items}

    limit = config.rules.max_rankings
    uwi_label = source.undeclared_write_in_label
    contest_int = int(contest_id) if contest_id.isascii() and contest_id.isdigit() else None
    known: dict[tuple, tuple] = {}  # marks as read -> validated rankings, interned
    texts: dict[Id, str] = {}  # tabulator and batch ids as text
    places: dict[tuple[int | None, int | None], tuple[str, str]] = {}
    extras: dict[Id | None, dict[str, str]] = {}  # shared, read-only extra dicts per ballot type

    def rankings_for(marks: list[Mark], path: Path, index: int) -> tuple:
        key = tuple(marks)
        found = known.get(key)
        if found is None:
            where = f"Sessions[{index}]"
            raw = [(m.Rank, m.CandidateId) for m in marks if not m.IsAmbiguous]
            pairs = [(rank, _code(cand, codes, uwi_label, config, path, where)) for rank, cand in raw]
            found = _validate(pairs, limit, num_ranks, path, where)
            if len(known) < 1_000_000:
                known[key] = found
        return found

    def text(value: Id) -> str:
        out = texts.get(value)
        if out is None:
            out = texts[value] = str(value)
        return out

    one, many = decoders(Session)
    count = 0
    for path in files:
        for _key, first, sessions in members(path, {"Sessions": (one, many)}):
            if first is None:
                continue
            for offset, session in enumerate(sessions):
                data = session.Original
                if not data.IsCurrent:
                    data = session.Modified
                    if data is None:
                        continue
                cards = data.Cards
                if cards is not None and len(cards) == 1 and len(cards[0].Contests) == 1:
                    only = cards[0].Contests[0]
                    found = (only,) if only.Id == contest_int or only.Id == contest_id else ()
                elif cards is None:
                    found = [c for c in data.Contests or () if c.Id == contest_int or c.Id == contest_id]
                else:
                    found = [
                        c
                        for card in cards
                        for c in card.Contests
                        if c.Id == contest_int or c.Id == contest_id
                    ]
                if not found:
                    continue
                place = places.get((data.PrecinctId, data.PrecinctPortionId))
                if place is None:
                    where = f"Sessions[{first + offset}]"
                    place = (
                        _lookup(precincts, data.PrecinctId, "PrecinctId", path, where),
                        _lookup(portions, data.PrecinctPortionId, "PrecinctPortionId", path, where),
                    )
                    places[(data.PrecinctId, data.PrecinctPortionId)] = place
                extra = extras.get(data.BallotTypeId)
                if extra is None:
                    extra = {"contest_id": contest_id, "ballot_type_id": _text(data.BallotTypeId)}
                    extras[data.BallotTypeId] = extra
                for contest in found:
                    if OUTSTACK_SKIP in contest.OutstackConditionIds:
                        continue
                    yield Cvr(
                        rankings_for(contest.Marks, path, first + offset),
                        source,
                        "",
                        str(session.RecordId),
                        texts.get(session.TabulatorId) or text(session.TabulatorId),
                        texts.get(session.BatchId) or text(session.BatchId),
                        place[0],
                        place[1],
                        extra,
                    )
                    count += 1
    if count == 0:
        raise fail(folder, f"no cast vote records found for contest {contest_id!r}")


def _code(
    candidate: Id, codes: set[str], uwi_label: str, config: ContestConfig, path: Path, where: str
) -> str:
    """The CVR string for a Dominion candidate id: checked against the manifest and the config."""
    if isinstance(candidate, bool):
        raise fail(path, f"CandidateId {candidate!r} is not an id", where)
    raw = str(candidate)
    if raw not in codes:
        raise fail(path, f"candidate id {raw!r} is not listed for the contest", where)
    text = UWI if uwi_label and raw == uwi_label else raw
    if config.name_for(text) is None:
        raise fail(path, f"unrecognized candidate {raw!r}", where)
    return text


def _validate(pairs, limit, num_ranks, path, where) -> tuple:
    for rank, _ in pairs:
        if not 1 <= rank <= MAX_RANK:
            raise fail(path, f"rank {rank} is out of range", where)
        if limit is not None and rank > limit:
            raise fail(path, f"rank {rank} exceeds maxRankingsAllowed ({limit})", where)
        if num_ranks is not None and rank > num_ranks:
            raise fail(path, f"rank {rank} exceeds the contest's NumOfRanks ({num_ranks})", where)
    pairs.sort(key=_first)
    return tuple(pairs)


def _first(pair):
    return pair[0]


def _lookup(table: dict | None, key: int | None, what: str, path: Path, where: str) -> str:
    if key is None:
        return ""
    if table is None or key not in table:
        raise fail(path, f"{what} {key} is not in the manifest", where)
    return table[key]


def _text(value) -> str:
    return "" if value is None else str(value)


__all__ = ["read", "cvr_files", "CvrError"]
