"""Canonical ballot records: the canonical CVR export of a ballot set (format ``tally-cvr/1``).

One record per ballot (never grouped), each the canonical JSON object ``{"ballot": CONTENT, "id": ID}``
where ``ID`` is the ballot's random id (1 to 128 characters from ``A-Z a-z 0-9 . _ : -``) and
``CONTENT`` depends on the contest's ballot type (candidate ids are those of ``config.json``):

- ``ranked``: a list in rank order; each rank is a candidate id, ``null`` for a skipped (blank) rank, or
  a list of candidate ids for an overvote (sorted, distinct, at least two; ``[]`` when the marks of the
  overvote were not recorded). Trailing blank ranks are dropped. ``["b", "a"]`` ranks b first.
- ``approval``: the sorted list of approved ids, each at most once.
- ``budget``: the sorted list of approved project ids (approval budget vote), or an object
  project id -> positive integer points (cumulative / scoring budget vote).
- ``quadratic``: an object option id -> non-zero integer votes (options with 0 votes are left out).
- ``score``: an object candidate id -> integer score (every scored candidate, 0 included).

``ballots.jsonl`` is a header line ``{"ballot_type": ..., "candidates": [...], "contest": ...,
"count": N, "format": "tally-cvr/1"}`` followed by the N records, one canonical JSON object per line,
each line ending in ``\\n``, sorted by the UTF-8 bytes of ``id`` (ids unique): never by casting time.
A reader refuses any line that is not byte-for-byte in canonical form, so one ballot set has exactly one
byte form, and the Merkle tree (``merkle.py``) is built over these record lines (without the newline).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import canonical
from ..ballots import BLANK, OVERVOTE, RankedBallots, rank_dtype
from ..errors import BallotError, TallyError
from .config import AuditConfig, load_json

RECORDS_FORMAT = "tally-cvr/1"
_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(frozen=True)
class BallotRecord:
    """One ballot: its random ``id`` and its canonical ``ballot`` content (see module docstring)."""

    id: str
    ballot: Any

    def to_bytes(self) -> bytes:
        """The canonical record line (without newline): the Merkle leaf data.

        Same bytes as ``canonical.dumps``; the content is already plain JSON (checked when the record
        was made), so the C encoder is called directly."""
        return _encode({"ballot": self.ballot, "id": self.id}).encode("utf-8")


def _fail(message: str, record: str | int | None) -> BallotError:
    return BallotError(message, record=None if record is None else f"ballot {record}")


def _candidate(value: Any, known: Mapping[str, int] | frozenset, record) -> str:
    if not isinstance(value, str) or value not in known:
        raise _fail(f"{value!r} is not a candidate id of this contest", record)
    return value


def _int(value: Any, what: str, record) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _fail(f"{what} must be an integer, got {value!r}", record)
    return int(value)


def canonical_ballot(ballot_type: str, choices: Any, candidates: Sequence[str], *, record=None) -> Any:
    """Normalise a ballot as a voter or reader gives it into its canonical content (module docstring).

    Accepts rank lists with ``""``/``None`` blanks, unsorted approval lists and mappings with zero
    entries; refuses unknown candidates, repeated approvals, non-integer numbers. The result is what
    receipts hash and what ``BallotRecord.ballot`` holds.
    """
    known = frozenset(candidates)
    if ballot_type == "ranked":
        if not isinstance(choices, list | tuple):
            raise _fail("a ranked ballot is a list of ranks", record)
        out: list[Any] = []
        for rank in choices:
            if rank is None or rank == "":
                out.append(None)
            elif isinstance(rank, list | tuple | set | frozenset):
                marks = sorted({_candidate(c, known, record) for c in rank})
                if len(marks) == 1:
                    out.append(marks[0])
                else:
                    out.append(marks)
            else:
                out.append(_candidate(rank, known, record))
        while out and out[-1] is None:
            out.pop()
        return out
    if ballot_type == "approval" or (ballot_type == "budget" and isinstance(choices, list | tuple | set)):
        if not isinstance(choices, list | tuple | set | frozenset):
            raise _fail(f"an {ballot_type} ballot is a list of ids", record)
        ids = [_candidate(c, known, record) for c in choices]
        if len(set(ids)) != len(ids):
            dup = next(c for c in ids if ids.count(c) > 1)
            raise _fail(f"{dup!r} is approved twice", record)
        return sorted(ids)
    if ballot_type in ("budget", "quadratic", "score"):
        if not isinstance(choices, Mapping):
            raise _fail(f"a {ballot_type} ballot is an object id -> integer", record)
        out_map: dict[str, int] = {}
        for key, value in choices.items():
            cid = _candidate(key, known, record)
            n = _int(value, f"{cid!r}", record)
            if ballot_type == "budget" and n < 0:
                raise _fail(f"budget points for {cid!r} must not be negative", record)
            if n == 0 and ballot_type != "score":
                continue
            out_map[cid] = n
        return dict(sorted(out_map.items()))
    raise _fail(f"unknown ballot type {ballot_type!r}", record)


def make_records(config: AuditConfig, ballots: Iterable[tuple[str, Any]]) -> list[BallotRecord]:
    """Records from ``(ballot id, choices)`` pairs (choices as ``canonical_ballot`` takes them),
    sorted by id. Ids must be unique and match ``[A-Za-z0-9._:-]{1,128}``."""
    records = []
    seen: set[str] = set()
    for bid, choices in ballots:
        if not isinstance(bid, str) or not _ID.fullmatch(bid):
            raise BallotError(f"ballot id {bid!r} must be 1-128 characters from A-Z a-z 0-9 . _ : -")
        if bid in seen:
            raise _fail("ballot id appears twice", bid)
        seen.add(bid)
        content = canonical_ballot(config.ballot_type, choices, config.candidates, record=bid)
        records.append(BallotRecord(bid, content))
    records.sort(key=lambda r: r.id.encode("utf-8"))
    return records


def records_from_ranked(ballots: RankedBallots, *, prefix: str = "b") -> list[BallotRecord]:
    """Records for a ranked ballot set that carries no ballot ids (a CVR or ballot file).

    Each weighted row becomes ``weight`` records. Ids are assigned after sorting the records by their
    canonical content bytes (``prefix`` + zero-padded number from 1), so they depend on the ballot
    multiset only, never on file order.
    """
    names = ballots.candidates.names
    contents: list[bytes] = []
    for row, weight in zip(ballots.ranks, ballots.weights, strict=True):
        ranks: list[Any] = []
        for v in row.tolist():
            ranks.append(None if v == BLANK else [] if v == OVERVOTE else names[v])
        while ranks and ranks[-1] is None:
            ranks.pop()
        contents.extend([canonical.dumps_bytes(ranks)] * int(weight))
    contents.sort()
    width = max(6, len(str(len(contents))))
    return [
        BallotRecord(f"{prefix}{i:0{width}d}", load_json(c, file="ballot"))
        for i, c in enumerate(contents, start=1)
    ]


def header(config: AuditConfig, n: int) -> dict[str, Any]:
    return {
        "ballot_type": config.ballot_type,
        "candidates": list(config.candidates),
        "contest": config.contest,
        "count": n,
        "format": RECORDS_FORMAT,
    }


def write_records(config: AuditConfig, records: Sequence[BallotRecord]) -> bytes:
    """``ballots.jsonl`` bytes: header line, then the records sorted by id (checked, not re-sorted)."""
    lines = [canonical.dumps_bytes(header(config, len(records)))]
    previous = None
    for rec in records:
        key = rec.id.encode("utf-8")
        if previous is not None and key <= previous:
            raise BallotError("records are not sorted by id or repeat an id", record=f"ballot {rec.id}")
        previous = key
        lines.append(rec.to_bytes())
    return b"".join(line + b"\n" for line in lines)


def read_records(raw: bytes, config: AuditConfig, *, file: str = "ballots.jsonl") -> list[BallotRecord]:
    """Parse ``ballots.jsonl`` strictly against ``config``: header, canonical lines, sorted unique ids,
    valid content. Any deviation is a ``TallyError`` naming the line."""
    if raw and not raw.endswith(b"\n"):
        raise TallyError("last line does not end with a newline", file=file)
    lines = raw.split(b"\n")[:-1]
    if not lines:
        raise TallyError("empty file: expected a header line", file=file)
    head = load_json(lines[0], file=file)
    if not isinstance(head, dict) or head.get("format") != RECORDS_FORMAT:
        raise TallyError(f"line 1: header format is not {RECORDS_FORMAT!r}", file=file)
    expected = header(config, len(lines) - 1)
    for key in sorted(set(head) | set(expected)):
        if head.get(key) != expected.get(key):
            if key == "count":
                msg = f"header count is {head.get(key)!r} but the file holds {len(lines) - 1} records"
            else:
                msg = f"header {key} is {head.get(key)!r}, config.json says {expected.get(key)!r}"
            raise TallyError(f"line 1: {msg}", file=file)
    if canonical.dumps_bytes(head) != lines[0]:
        raise TallyError("line 1: header is not in canonical JSON form", file=file)
    records = []
    previous = None
    for n, line in enumerate(lines[1:], start=2):
        where = f"line {n}"
        obj = load_json(line, file=f"{file}: {where}")
        if not isinstance(obj, dict) or set(obj) != {"ballot", "id"}:
            raise TallyError(f"{where}: a record is an object with exactly 'ballot' and 'id'", file=file)
        bid = obj["id"]
        if not isinstance(bid, str) or not _ID.fullmatch(bid):
            raise TallyError(f"{where}: ballot id {bid!r} is not 1-128 of A-Z a-z 0-9 . _ : -", file=file)
        key = bid.encode("utf-8")
        if previous is not None and key <= previous:
            raise TallyError(f"{where}: ballot {bid} is out of order or repeated (sorted by id)", file=file)
        previous = key
        try:
            content = canonical_ballot(config.ballot_type, obj["ballot"], config.candidates, record=bid)
        except BallotError as err:
            raise TallyError(f"{where}: {err}", file=file) from None
        record = BallotRecord(bid, content)
        if record.to_bytes() != line:
            raise TallyError(f"{where}: ballot {bid} is not in canonical form", file=file)
        records.append(record)
    return records


def ballots_from_records(config: AuditConfig, records: Sequence[BallotRecord]):
    """The ``tally`` ballot set the records stand for, ready for ``tally.count``; one row per record in
    id order, weight 1, candidates in config order.

    - ranked -> ``RankedBallots``: ``null`` -> ``BLANK``, an overvote -> ``OVERVOTE``, rows padded with
      ``BLANK``;
    - approval -> ``ApprovalBallots`` (True where approved);
    - score, quadratic -> ``ScoreBallots`` (int64, 0 where a candidate is absent);
    - budget -> ``BudgetBallots`` with ``config.ballot_rules`` ``costs`` ({project: cost}), ``budget``
      and optional ``vote_type`` / ``threshold``; a ``TallyError`` says so while this tally version has
      no budget ballot set.
    """
    names = list(config.candidates)
    index = {c: i for i, c in enumerate(names)}
    if config.ballot_type == "ranked":
        width = max((len(r.ballot) for r in records), default=0)
        arr = np.full((len(records), width), BLANK, dtype=rank_dtype(len(index)))
        for b, rec in enumerate(records):
            for k, rank in enumerate(rec.ballot):
                if rank is None:
                    continue
                arr[b, k] = OVERVOTE if isinstance(rank, list) else index[rank]
        return RankedBallots.from_array(arr, None, names)
    from ..ballot_types import ApprovalBallots, ScoreBallots

    if config.ballot_type == "approval":
        marks = np.zeros((len(records), len(names)), dtype=np.bool_)
        for b, rec in enumerate(records):
            marks[b, [index[c] for c in rec.ballot]] = True
        return ApprovalBallots.from_array(marks, None, names)
    points = np.zeros((len(records), len(names)), dtype=np.int64)
    for b, rec in enumerate(records):
        items = rec.ballot.items() if isinstance(rec.ballot, dict) else ((c, 1) for c in rec.ballot)
        for c, v in items:
            points[b, index[c]] = v
    if config.ballot_type in ("score", "quadratic"):
        return ScoreBallots.from_array(points, None, names)
    return _budget_ballots(config, records, points)


def _budget_ballots(config: AuditConfig, records: Sequence[BallotRecord], points: np.ndarray):
    try:
        from ..budget import BudgetBallots
    except ImportError:
        raise TallyError(
            "ballot type 'budget': this tally version has no budget ballot set yet, so the records "
            "cannot be counted (the record format is defined)"
        ) from None
    rules = config.ballot_rules
    kinds = {isinstance(r.ballot, dict) for r in records}
    if len(kinds) > 1:
        raise TallyError("budget records mix approval lists and point objects")
    costs = rules.get("costs")
    if not isinstance(costs, dict) or set(costs) != set(config.candidates) or "budget" not in rules:
        raise TallyError("config.json: ballot_rules needs 'budget' and 'costs' with one cost per project")
    default_type = "cumulative" if kinds == {True} else "approval"
    return BudgetBallots.from_arrays(
        points,
        list(config.candidates),
        [costs[c] for c in config.candidates],
        rules["budget"],
        vote_type=rules.get("vote_type", default_type),
        threshold=rules.get("threshold"),
    )
