"""The XML form of the NIST CDF reader (rules in ``cdf.py``), streamed through the hardened iterparse.

Pass 1 reads the report's ``Election`` and ``GpUnit`` elements (they may follow the CVRs) and checks that
the fields RCTab requires are present; pass 2 streams the ``CVR`` elements, freeing each after use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from ..rctab.model import OVERVOTE, UWI, ContestConfig, Cvr, CvrSource
from ._guard import check_rankings, child_text, children, fail, iterparse_xml, local, parse_rank

REQUIRED = ("CVR", "Election", "GpUnit", "ReportGeneratingDeviceIds", "ReportingDevice", "Party")


def _top_level(path: Path) -> Iterator[tuple[str, Element]]:
    """Each complete child of the root element, cleared from the tree once the caller is done."""
    depth = 0
    root: Element | None = None
    for event, elem in iterparse_xml(path):
        if event == "start":
            depth += 1
            if depth == 1:
                root = elem
            continue
        depth -= 1
        if depth == 1:
            yield local(elem.tag), elem
            elem.clear()
            if root is not None:
                root.clear()
    if root is None:
        raise fail(path, "empty XML document")


def read_xml(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    seen: set[str] = set()
    candidates: dict[str, str] = {}
    units: dict[str, str | None] = {}
    contest: tuple[str, dict[str, str]] | None = None
    for tag, elem in _top_level(path):
        seen.add(tag)
        if tag == "Election":
            for cand in children(elem, "Candidate"):
                cid = cand.get("ObjectId", "")
                if cid in candidates:
                    raise fail(path, f"Candidate {cid!r} appears multiple times")
                candidates[cid] = child_text(cand, "Name") or ""
            for c in children(elem, "Contest"):
                if contest is None and child_text(c, "Name") == source.contest_id:
                    contest = (c.get("ObjectId", ""), _selections(c, path))
        elif tag == "GpUnit":
            uid = elem.get("ObjectId", "")
            if uid in units:
                raise fail(path, f"GpUnit {uid!r} appears multiple times")
            units[uid] = child_text(elem, "Name")
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        raise fail(path, f"required CDF fields missing: {', '.join(missing)}")
    if contest is None:
        raise fail(path, f"contest {source.contest_id!r} from the config is not in the CDF file")
    contest_id, raw_selections = contest
    selections: dict[str, str] = {}
    for sid, (cand_id, write_in) in raw_selections.items():
        if write_in:
            selections[sid] = UWI
            continue
        if cand_id is None:
            raise fail(path, f"ContestSelection {sid!r} has no CandidateIds")
        name = candidates.get(cand_id)
        if name is None:
            raise fail(path, f"candidate {cand_id!r} of selection {sid!r} is not in the file")
        selections[sid] = OVERVOTE if source.overvote_label and name == source.overvote_label else name
    return _records(source, config, contest_id, selections, units)


def _selections(contest: Element, path: Path) -> dict[str, tuple[str | None, bool]]:
    out: dict[str, tuple[str | None, bool]] = {}
    for sel in children(contest, "ContestSelection"):
        sid = sel.get("ObjectId", "")
        if sid in out:
            raise fail(path, f"ContestSelection {sid!r} appears multiple times")
        out[sid] = (child_text(sel, "CandidateIds"), child_text(sel, "IsWriteIn") == "true")
    return out


def _records(source, config, contest_id, selections, units) -> Iterator[Cvr]:
    path = source.file_path
    file_name = path.name
    index = 0
    position = 0
    for tag, elem in _top_level(path):
        if tag != "CVR":
            continue
        position += 1
        where = f"CVR #{position}"
        contest = _current_contest(elem, contest_id)
        if contest is None:
            continue
        pairs: list[tuple[int, str]] = []
        for sel in children(contest, "CVRContestSelection"):
            if child_text(sel, "Status") == NEEDS_ADJUDICATION:
                continue
            sid = child_text(sel, "ContestSelectionId")
            name = selections.get(sid) if sid is not None else None
            if name is None:
                raise fail(path, f"ContestSelection {sid!r} not found", where)
            rank_text = child_text(sel, "Rank")
            if rank_text is not None:
                pairs.append((parse_rank(rank_text, path, where), name))
                continue
            for pos in children(sel, "SelectionPosition"):
                if child_text(pos, "CVRWriteIn") is not None:
                    name = UWI
                if child_text(pos, "HasIndication") == "no" or child_text(pos, "IsAllocable") == "no":
                    continue
                rank_text = child_text(pos, "Rank")
                if rank_text is None:
                    raise fail(path, "selection position has no Rank", where)
                pairs.append((parse_rank(rank_text, path, where), name))
        unit_id = child_text(elem, "BallotStyleUnitId")
        precinct = ""
        if unit_id is not None:
            if unit_id not in units:
                raise fail(path, f"GpUnit {unit_id!r} not found", where)
            precinct = units[unit_id] or ""
        index += 1
        yield Cvr(
            rankings=check_rankings(pairs, config, path, where),
            source=source,
            record_id=f"{file_name}({index})",
            supplied_id=child_text(elem, "UniqueId") or "",
            precinct=precinct,
        )


NEEDS_ADJUDICATION = "needs-adjudication"


def _current_contest(cvr: Element, contest_id: str) -> Element | None:
    current = child_text(cvr, "CurrentSnapshotId")
    for snap in children(cvr, "CVRSnapshot"):
        if snap.get("ObjectId") == current:
            for contest in children(snap, "CVRContest"):
                if child_text(contest, "ContestId") == contest_id:
                    return contest
            return None
    return None
