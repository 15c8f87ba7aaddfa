"""The XML form of the NIST CDF reader (rules in ``cdf.py``), streamed in bounded pieces.

Pass 1 reads the report's ``Election`` and ``GpUnit`` elements (they may follow the CVRs) and checks that
the fields RCTab requires are present; it parses only the pieces that name them. Pass 2 feeds every byte
to the hardened libxml2 ``Validator`` before using it, reads the CVRs of each piece from their bytes
where ``_cdf_xml_bytes`` proves their shape, and parses the rest as hardened lxml trees (``parse_piece``).
A document that is not UTF-8, or whose pieces cannot be cut, is read whole with defusedxml (slow path).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

from lxml.etree import _Element as Element

from ..rctab.model import OVERVOTE, UWI, ContestConfig, Cvr, CvrSource
from ._cdf_xml_bytes import Scanner, normalize_newlines
from ._guard import check_rankings, child_text, children, fail, iterparse_xml, local, parse_rank
from ._xmlchunks import (
    Validator,
    XmlRefused,
    _Fallback,
    chunked_children,
    cvr_at,
    parse_piece,
    pieces,
    root_namespaces,
    wrapper,
)

NEEDS_ADJUDICATION = "needs-adjudication"
REQUIRED = ("CVR", "Election", "GpUnit", "ReportGeneratingDeviceIds", "ReportingDevice", "Party")


def _slow_top_level(path: Path) -> Iterator[Element]:
    """Each complete child of the root element (defusedxml), cleared from the tree once used."""
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
            yield elem
            elem.clear()
            if root is not None:
                root.clear()
    if root is None:
        raise fail(path, "empty XML document")


def _metadata_pass(path: Path, fast: bool, source: CvrSource):
    """Candidates, contest, GpUnits and the top-level names seen. The fast way parses only the pieces that
    may hold an ``Election`` or ``GpUnit`` start tag; the elements RCTab only requires to exist are noted
    in those pieces, and looked for in the others only if one was not seen there."""
    seen: set[str] = set()
    candidates: dict[str, str] = {}
    units: dict[str, str | None] = {}
    contest = None
    for elem in chunked_children(path, _CVR_END, list(_METADATA)) if fast else _slow_top_level(path):
        tag = local(elem.tag)
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
    if fast:
        wanted = [name.encode() for name in REQUIRED if name not in seen and name != "CVR"]
        for elem in chunked_children(path, _CVR_END, wanted) if wanted else ():
            tag = local(elem.tag)
            seen.add(tag)
            if tag.encode() in wanted:  # one is enough: stop parsing pieces for it
                wanted.remove(tag.encode())
    return seen, candidates, units, contest


def read_xml(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    fast = _fast_ok(path)
    try:
        seen, candidates, units, contest = _metadata_pass(path, fast, source)
    except _Fallback:
        fast = False
        seen, candidates, units, contest = _metadata_pass(path, fast, source)
    missing = [name for name in REQUIRED if name not in seen and name != "CVR"]
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
    return _records(source, config, contest_id, selections, units, fast)


def _selections(contest: Element, path: Path) -> dict[str, tuple[str | None, bool]]:
    out: dict[str, tuple[str | None, bool]] = {}
    for sel in children(contest, "ContestSelection"):
        sid = sel.get("ObjectId", "")
        if sid in out:
            raise fail(path, f"ContestSelection {sid!r} appears multiple times")
        out[sid] = (child_text(sel, "CandidateIds"), child_text(sel, "IsWriteIn") == "true")
    return out


def _records(source, config, contest_id, selections, units, fast) -> Iterator[Cvr]:
    path = source.file_path
    file_name = path.name
    known: dict[tuple, tuple] = {}
    names: dict[str, _Names] = {}
    index = 0
    position = 0

    def names_for(tag: str) -> tuple[str, _Names]:
        ns = tag[: tag.index("}") + 1] if tag[:1] == "{" else ""
        q = names.get(ns)
        if q is None:
            q = names[ns] = _Names(ns)
        return tag[len(ns) :], q

    def rankings_of(contest: Element, q: _Names, where: str) -> tuple:
        pairs = _contest_pairs(contest, q, selections, path, where)
        key = tuple(pairs)
        rankings = known.get(key)
        if rankings is None:
            parsed = [(parse_rank(r, path, where), n) for r, n in pairs]
            rankings = check_rankings(parsed, config, path, where)
            if len(known) < 1_000_000:
                known[key] = rankings
        return rankings

    def precinct_of(unit_id: str | None, where: str) -> str:
        if unit_id is None:
            return ""
        if unit_id not in units:
            raise fail(path, f"GpUnit {unit_id!r} not found", where)
        return units[unit_id] or ""

    def from_tree(elements) -> Iterator[Cvr]:
        nonlocal index, position
        for elem in elements:
            local_name, q = names_for(elem.tag)
            if local_name != "CVR":
                continue
            position += 1
            contest = _current_contest(elem, contest_id, q)
            if contest is None:
                continue
            where = f"CVR #{position}"
            rankings = rankings_of(contest, q, where)
            precinct = precinct_of(_text(elem, q.BallotStyleUnitId), where)
            index += 1
            unique_id = _text(elem, q.UniqueId) or ""
            yield Cvr(rankings, source, f"{file_name}({index})", unique_id, precinct=precinct)

    if not fast:
        yield from from_tree(_slow_top_level(path))
        if position == 0:
            raise fail(path, "required CDF fields missing: CVR")
        return

    namespaces = root_namespaces(path)
    head, foot = wrapper(namespaces)

    def contest_rankings(contest: bytes, at: int) -> tuple:
        elem = parse_piece(head + contest + foot)[0]
        return rankings_of(elem, names_for(elem.tag)[1], f"CVR #{at}")

    def unknown_unit(unit: bytes, at: int) -> str:
        return precinct_of(unit.decode(), f"CVR #{at}")

    precincts = {uid.encode(): name or "" for uid, name in units.items()}
    sources, blank = repeat(source), repeat("")
    scanner = Scanner(namespaces, contest_id, contest_rankings, precincts, unknown_unit)
    validator = Validator()
    try:
        for piece in pieces(path, _CVR_END, validator=validator):
            piece = normalize_newlines(piece)
            collecting = gc.isenabled()
            gc.disable()  # nothing here makes a reference cycle; collections would only re-walk the caches
            try:
                rows, position, stop = scanner.scan(piece, position)
            except Exception:  # the bytes may not be XML yet: that is reported first, if so
                validator.wait(everything=True)
                raise
            finally:
                if collecting:
                    gc.enable()
            validator.wait()
            rankings, unique_ids, precincts_of = rows
            record_ids = [f"{file_name}({i})" for i in range(index + 1, index + 1 + len(rankings))]
            index += len(rankings)
            # Cvr(rankings, source, record_id, supplied_id, tabulator_id, batch_id, precinct), in one C loop
            yield from map(Cvr, rankings, sources, record_ids, unique_ids, blank, blank, precincts_of)
            if stop < len(piece):
                yield from from_tree(parse_piece(head + piece[stop:] + foot))
        if position == 0:
            raise fail(path, "required CDF fields missing: CVR")
    except _Fallback:
        try:
            validator.wait(everything=True)  # libxml2's own message, with line and column, if it has one
        except XmlRefused as err:
            raise fail(path, str(err), _record(path, err)) from None
        raise fail(path, "malformed XML (the CVR section does not parse)", f"after CVR #{position}") from None
    except XmlRefused as err:
        raise fail(path, str(err), _record(path, err)) from None
    finally:
        validator.shutdown()


def _record(path: Path, err: XmlRefused) -> str | None:
    """The CVR where libxml2 refused the document, when it said where (and the file can be read again)."""
    if not (err.line and err.column):
        return None
    try:
        return cvr_at(path, err.line, err.column, _CVR_TAG)
    except OSError:
        return None


def _contest_pairs(contest: Element, q: _Names, selections, path: Path, where: str) -> list[tuple[str, str]]:
    """``(rank text, CVR string)`` for each mark of one ``CVRContest``, in file order (rules in ``cdf``)."""
    pairs: list[tuple[str, str]] = []
    for sel in _named(contest, q.CVRContestSelection):
        if _text(sel, q.Status) == NEEDS_ADJUDICATION:
            continue
        sid = _text(sel, q.ContestSelectionId)
        name = selections.get(sid) if sid is not None else None
        if name is None:
            raise fail(path, f"ContestSelection {sid!r} not found", where)
        rank_text = _text(sel, q.Rank)
        if rank_text is not None:
            pairs.append((rank_text, name))
            continue
        for pos in _named(sel, q.SelectionPosition):
            if _text(pos, q.CVRWriteIn) is not None:
                name = UWI
            if _text(pos, q.HasIndication) == "no" or _text(pos, q.IsAllocable) == "no":
                continue
            rank_text = _text(pos, q.Rank)
            if rank_text is None:
                raise fail(path, "selection position has no Rank", where)
            pairs.append((rank_text, name))
    return pairs


class _Names:
    """Element names qualified with one namespace, for ``_named`` and ``_text``."""

    def __init__(self, ns: str):
        for name in _FIELDS:
            setattr(self, name, ns + name)


_FIELDS = (
    "CurrentSnapshotId",
    "CVRSnapshot",
    "CVRContest",
    "ContestId",
    "CVRContestSelection",
    "Status",
    "ContestSelectionId",
    "Rank",
    "SelectionPosition",
    "CVRWriteIn",
    "HasIndication",
    "IsAllocable",
    "BallotStyleUnitId",
    "UniqueId",
)
_METADATA = (b"Election", b"GpUnit")
_CVR_END = re.compile(rb"</(?:[\w.\-]++:)?+CVR\s*>")  # possessive: no backtracking per tag
_CVR_TAG = re.compile(rb"""<(/?)(?:[\w.\-]++:)?+CVR(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?(/?)>""")
_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _fast_ok(path: Path) -> bool:
    """The chunked C parse assumes UTF-8; a document declaring another encoding takes the slow path."""
    with open(path, "rb") as handle:
        head = handle.read(256)
    m = _ENCODING.match(head)
    return m is None or m.group(1).lower() in (b"utf-8", b"utf8")


def _current_contest(cvr: Element, contest_id: str, q: _Names) -> Element | None:
    current = _text(cvr, q.CurrentSnapshotId)
    for snap in _named(cvr, q.CVRSnapshot):
        if snap.get("ObjectId") == current:
            for contest in _named(snap, q.CVRContest):
                if _text(contest, q.ContestId) == contest_id:
                    return contest
            return None
    return None


def _named(elem: Element, tag: str):
    """``elem.findall(tag)`` for a plain (qualified) tag: lxml's ``iterchildren`` matches in C where
    ``findall`` parses a path; elements of the slow path (ElementTree) have only ``findall``."""
    return elem.iterchildren(tag) if isinstance(elem, Element) else elem.findall(tag)


def _text(elem: Element, tag: str) -> str | None:
    """``elem.findtext(tag)`` for a plain (qualified) tag: the text of the first child so named, ``""`` if
    it has none, None without such a child."""
    for child in _named(elem, tag):
        return child.text or ""
    return None
