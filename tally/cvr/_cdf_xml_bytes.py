"""Reading CDF ``CVR`` elements straight from their bytes, when their shape proves what a tree would say.

Building an element tree costs more than 100,000 CVRs per second allows (libxml2 builds about 27 nodes
per CVR). This module reads a piece of whole top-level elements (``_xmlchunks.pieces``) without a tree,
under two guarantees:

1. **The bytes were parsed.** The caller has fed every byte of the document to the hardened libxml2
   ``Validator`` (no DOCTYPE, no entities, well-formed, valid UTF-8 and XML characters) before the piece
   reaches this module, so every start tag here has its matching end tag.
2. **The shape is proved by a grammar, else the tree is used.** A CVR is read from its bytes only if it
   matches ``_cvr_grammar``: a regular language in which the elements the reader looks at sit at exactly
   their CDF places (``CVR`` > ``CVRSnapshot`` > ``CVRContest`` > ``CVRContestSelection`` >
   ``SelectionPosition`` > ``CVRWriteIn``), the fields it reads (``CurrentSnapshotId``, ``UniqueId``,
   ``BallotStyleUnitId`` under ``CVR``, ``ContestId`` under ``CVRContest``) appear nowhere else, every
   other element is a leaf of plain text (or, directly under ``CVR``, holds only such leaves), all tags
   use the CVR's own namespace prefix (declared on the root), and there is no comment, CDATA section,
   processing instruction, entity or character reference, nor namespace declaration. In that language a
   search for ``<CurrentSnapshotId`` finds exactly the child a tree lookup would, and text is the bytes
   between the tags. Line ends are normalised first (CRLF and CR to LF) and whitespace in attribute values
   becomes a space, as every XML parser does. Anything else (a comment, an entity, a nested CVR, deeper
   nesting) makes ``scan`` stop there, and the caller parses the rest of the piece as a tree.

Speed comes from two caches. The piece is split at the CVR end tags (one C call); CVRs exported by one
machine differ mostly in digits (ids, ranks), so the grammar is checked once per *shape* (the CVR's bytes
with every digit replaced by 0, which keeps every offset and every grammar decision) and the shape maps
to a plan that slices every field out of the CVR at once. The current contest's bytes then map to its
validated rankings, computed from a tree of that one contest the first time they are seen. A CVR with one
``CVRContest`` is looked up by a *template* instead: its bytes before and after that contest with digits
zeroed, and the contest's own bytes. The template fixes the shape as well (so it proves no less), costs
no zeroing of the contest, and keeps the contest's rankings once they are read (they depend on the
contest's bytes alone), so a CVR seen before in all but its digits costs one dictionary lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import itemgetter

_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ATTR_WS = bytes.maketrans(b"\t\n", b"  ")
_NAME = rb"[A-Za-z_][\w.\-]*+"
_ATTRS = rb"""(?:\s+(?!xmlns[:=\s])[^\s=/>"'<]+\s*=\s*(?:"[^"<&]*"|'[^'<&]*'))*+\s*"""
_STRUCTURE = (
    b"CVR",
    b"CVRSnapshot",
    b"CVRContest",
    b"CVRContestSelection",
    b"SelectionPosition",
    b"CVRWriteIn",
)
_CVR_FIELDS = (b"CurrentSnapshotId", b"UniqueId", b"BallotStyleUnitId")
_CONTEST_FIELDS = (b"ContestId",)
MAX_SHAPE_BYTES = 32 * 1024**2
MAX_CONTEST_KEY_BYTES = 64 * 1024**2


def _names(names) -> bytes:
    return rb"(?:" + b"|".join(names) + rb")(?=[\s/>])"


class _Grammar:
    """The regular expressions of the CVR shape for one namespace prefix (``b""`` or ``b"cdf:"``)."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        reserved = (*_STRUCTURE, *_CVR_FIELDS, *_CONTEST_FIELDS)

        def leaf(allowed: tuple[bytes, ...] = ()) -> bytes:
            barred = _names(n for n in reserved if n not in allowed)
            return (
                rb"<" + p + rb"(?!" + barred + rb")" + _NAME + _ATTRS
                + rb"(?:/>|>[^<&]*+</" + p + _NAME + rb"\s*>)"
            )  # fmt: skip

        def element(name: bytes, *inner: bytes) -> bytes:
            content = b"|".join(inner)
            return (
                rb"<" + p + name + rb"(?=[\s/>])" + _ATTRS
                + rb"(?:/>|>(?:\s*+(?:" + content + rb"))*+\s*+</" + p + name + rb"\s*>)"
            )  # fmt: skip

        plain = leaf()
        holder = (
            rb"<" + p + rb"(?!" + _names(reserved) + rb")" + _NAME + _ATTRS
            + rb">(?:\s*+" + plain + rb")*+\s*+</" + p + _NAME + rb"\s*>"
        )  # fmt: skip
        write_in = element(b"CVRWriteIn", plain)
        position = element(b"SelectionPosition", write_in, plain)
        selection = element(b"CVRContestSelection", position, plain)
        contest = element(b"CVRContest", selection, leaf(_CONTEST_FIELDS))
        snapshot = element(b"CVRSnapshot", contest, plain)
        self.cvr = re.compile(element(b"CVR", snapshot, leaf(_CVR_FIELDS), holder))
        self.open = b"<" + prefix + b"CVR"
        self.close = b"</" + prefix + b"CVR>"
        # The same cut as bytes.split(close); the regex engine finds this literal faster in a long piece.
        self.split = re.compile(re.escape(self.close)).split
        self.contest_open = b"<" + prefix + b"CVRContest>"
        self.contest_close = b"</" + prefix + b"CVRContest>"
        self.leaf_text = re.compile(rb"<" + p + _NAME + _ATTRS + rb"(?:/>|>([^<]*)<)")
        self.attr = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

        def starts(name: bytes) -> re.Pattern[bytes]:
            return re.compile(rb"<" + p + name + rb"(?=[\s/>])")

        self.fields = {name: starts(name) for name in (*_CVR_FIELDS, *_CONTEST_FIELDS)}
        self.snapshot = starts(b"CVRSnapshot")
        self.contest = starts(b"CVRContest")
        self.snapshot_end = re.compile(rb"</" + p + rb"CVRSnapshot\s*>")
        self.contest_end = re.compile(rb"</" + p + rb"CVRContest\s*>")
        self.tag_end = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""")


Span = tuple[int, int] | None
Rows = tuple[list[tuple], list[str], list[str]]


def _layout(shape: bytes, g: _Grammar):
    """Offsets in a grammar-valid CVR: (CurrentSnapshotId, ((ObjectId, ((ContestId, contest), ...)), ...),
    UniqueId, BallotStyleUnitId), each a (start, end) span of text or value, None when absent."""

    def text(name: bytes, lo: int, hi: int) -> Span:
        m = g.fields[name].search(shape, lo, hi)
        if m is None:
            return None
        t = g.leaf_text.match(shape, m.start())
        return t.span(1) if t.group(1) is not None else (t.end(), t.end())

    snapshots = []
    for s in g.snapshot.finditer(shape):
        head = g.tag_end.match(shape, s.end())
        object_id = None
        for a in g.attr.finditer(shape, s.end(), head.end() - 1 - len(head.group(1))):
            if a.group(1) == b"ObjectId":
                object_id = a.span(2) if a.group(2) is not None else a.span(3)
                break
        contests = []
        if not head.group(1):
            end = g.snapshot_end.search(shape, head.end()).start()
            for c in g.contest.finditer(shape, head.end(), end):
                tag = g.tag_end.match(shape, c.end())
                stop = tag.end() if tag.group(1) else g.contest_end.search(shape, tag.end()).end()
                contests.append((text(b"ContestId", c.end(), stop), (c.start(), stop)))
        snapshots.append((object_id, tuple(contests)))
    whole = len(shape)
    return (
        text(b"CurrentSnapshotId", 0, whole),
        tuple(snapshots),
        text(b"UniqueId", 0, whole),
        text(b"BallotStyleUnitId", 0, whole),
    )


_FIRST = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?CVR(?=[\s/>])")
_WS = b" \t\n"
_OTHER_CONTEST: tuple = (None,)  # cached for a contest with another ContestId; never a real rankings tuple


class _Plan:
    """How to read one proved shape: ``get`` slices every field out of a CVR's bytes at once.

    ``simple`` shapes (one snapshot with an ``ObjectId``, one ``CVRContest`` with a ``ContestId``, a
    ``CurrentSnapshotId``) are read as ``current, object_id, contest, unique, unit`` (``ids`` leaves out
    the contest, whose span is ``contest``), and ``contest_id`` slices the ``ContestId`` (which lies
    inside the contest's bytes); the rest as ``current, unique, unit``
    followed, per snapshot, by its ``ObjectId`` and each contest's ``ContestId`` and bytes, walked with
    ``snapshots`` (per snapshot: has an ``ObjectId``, per contest: has a ``ContestId``). A field the
    shape lacks is sliced as ``b""`` (``has_current`` and ``has_unit`` tell it from an empty one).
    """

    __slots__ = (
        "get", "ids", "simple", "contest", "contest_id", "fold_ws", "has_current", "has_unit", "snapshots",
    )  # fmt: skip

    def __init__(self, shape: bytes, lead: int, layout) -> None:
        current, snapshots, unique, unit = layout
        empty = slice(0, 0)

        def cut(span: Span) -> slice:
            return empty if span is None else slice(lead + span[0], lead + span[1])

        self.has_current = current is not None
        self.has_unit = unit is not None
        # Whitespace in an attribute value reads as a space; digits never change whether there is any.
        self.fold_ws = any(
            oid is not None and (b"\t" in shape[cut(oid)] or b"\n" in shape[cut(oid)]) for oid, _ in snapshots
        )
        self.simple = (
            self.has_current
            and not self.fold_ws
            and len(snapshots) == 1
            and snapshots[0][0] is not None
            and len(snapshots[0][1]) == 1
            and snapshots[0][1][0][0] is not None
        )
        self.contest_id = self.contest = empty
        self.ids = None
        if self.simple:
            ((object_id, ((contest_id, contest),)),) = snapshots
            self.contest_id = cut(contest_id)
            self.contest = cut(contest)
            spans = [current, object_id, contest, unique, unit]
            self.ids = itemgetter(*map(cut, [current, object_id, unique, unit]))
        else:
            spans = [current, unique, unit]
            for object_id, contests in snapshots:
                spans.append(object_id)
                for contest_id, contest in contests:
                    spans += [contest_id, contest]
        self.get = itemgetter(*map(cut, spans))
        self.snapshots = tuple(
            (object_id is not None, tuple(cid is not None for cid, _ in contests))
            for object_id, contests in snapshots
        )


class Scanner:
    """Reads the CVRs of pieces for one contest; ``scan`` stops at the first element it cannot vouch for.

    ``rankings_of(contest_bytes, position)`` turns the bytes of one ``CVRContest`` element into its
    validated rankings, raising the reader's error for a bad one; results are cached by those bytes.
    ``precincts`` maps a ``BallotStyleUnitId`` (bytes) to its precinct; ``unknown_unit(unit, position)``
    answers for any other (or raises).
    """

    def __init__(
        self,
        prefixes: Iterable[str],
        contest_id: str,
        rankings_of: Callable[[bytes, int], tuple],
        precincts: dict[bytes, str],
        unknown_unit: Callable[[bytes, int], str],
    ):
        self._prefixes = {p.encode() for p in prefixes} | {b""}
        self._grammars: dict[bytes, tuple[_Grammar, dict[bytes, _Plan | None], dict[tuple, tuple]]] = {}
        self._shape_bytes = 0
        self._contest_id = contest_id.encode()
        self._rankings_of = rankings_of
        self._precincts = precincts
        self._unknown_unit = unknown_unit
        self._known: dict[bytes, tuple] = {}
        self._known_bytes = 0
        self._template_bytes = 0

    def _grammar(self, piece: bytes, pos: int) -> tuple[_Grammar, dict[bytes, _Plan | None], dict] | None:
        """The grammar of the prefix of the first CVR at ``pos``, with its plans by shape and by template
        (each prefix has its own: a template leaves out the contest's tags)."""
        m = _FIRST.match(piece, pos)
        if m is None or (m.group(1) or b"") not in self._prefixes:
            return None
        prefix = m.group(1) + b":" if m.group(1) else b""
        entry = self._grammars.get(prefix)
        if entry is None:
            entry = self._grammars[prefix] = (_Grammar(prefix), {}, {})
        return entry

    def _plan(self, shape: bytes, g: _Grammar, plans: dict[bytes, _Plan | None]) -> _Plan | None:
        """The plan of a CVR shape (leading whitespace, then the CVR without its end tag), or None if the
        grammar does not prove it. Both answers are cached (within ``MAX_SHAPE_BYTES``)."""
        body = shape.lstrip(_WS)
        whole = body + g.close
        plan = None
        if g.cvr.fullmatch(whole) is not None:
            plan = _Plan(shape, len(shape) - len(body), _layout(whole, g))
        if self._shape_bytes < MAX_SHAPE_BYTES:
            plans[shape] = plan
            self._shape_bytes += len(shape)
        return plan

    def _template(
        self, key: tuple[bytes, bytes, bytes], g: _Grammar, plans: dict[bytes, _Plan | None], templates: dict
    ) -> tuple[_Plan | None, bytes | None, None]:
        """The plan of a CVR split as ``key`` around its one ``CVRContest`` (the bytes before it, digits
        zeroed; its content as it is; the bytes after it, digits zeroed), that contest's bytes when the
        plan is simple and reads that very contest (None otherwise), and a place for the contest's
        rankings (None until ``scan`` needs them: they depend on the contest's bytes alone). The key fixes
        the whole shape, so it proves what the shape proves; the answer is cached (within
        ``MAX_SHAPE_BYTES``)."""
        head, mid, tail = key
        contest = g.contest_open + mid + g.contest_close
        shape = head + contest.translate(_ZERO) + tail
        plan = plans.get(shape, False)
        if plan is False:
            plan = self._plan(shape, g, plans)
        if plan is None or not plan.simple or plan.contest != slice(len(head), len(head) + len(contest)):
            contest = None
        if self._template_bytes < MAX_SHAPE_BYTES:
            templates[key] = (plan, contest, None)
            self._template_bytes += len(shape)
        return plan, contest, None

    def scan(self, piece: bytes, position: int) -> tuple[Rows, int, int]:
        """Read the CVRs at the start of ``piece`` (newlines already normalised) that are in a proved
        shape: the rankings, ``UniqueId`` and precinct of each that holds the contest (three lists, which
        the garbage collector walks in no time, unlike a tuple per CVR), the position after them
        (positions count every CVR, continuing from ``position``) and the offset where reading stopped
        (``len(piece)``, or the first element to parse as a tree instead)."""
        n = len(piece)
        out: Rows = ([], [], [])
        start = n - len(piece.lstrip(_WS))
        entry = self._grammar(piece, start) if start < n else None
        if entry is None:
            return out, position, start
        g, plans, templates = entry
        close = g.close
        parts = g.split(piece)
        rest = parts.pop()
        known = self._known
        contest_id = self._contest_id
        precincts = self._precincts
        uniques: list[bytes] = []
        add_rankings, add_unique, add_precinct = out[0].append, uniques.append, out[2].append
        first = position
        c_open, c_close = g.contest_open, g.contest_close
        for position, raw in enumerate(parts, first + 1):  # position goes on counting from there
            head, _, after = raw.partition(c_open)
            mid, closed, tail = after.rpartition(c_close)
            if closed:  # the key fixes the CVR's zeroed bytes, whatever ``mid`` holds
                found = templates.get(key := (head.translate(_ZERO), mid, tail.translate(_ZERO)))
                if found is None and c_close not in mid:  # one contest: a template worth keeping
                    found = self._template(key, g, plans, templates)
            else:
                found = None
            if found is not None:
                plan, contest, rankings = found
            else:
                contest = None
                shape = raw.translate(_ZERO)
                plan = plans.get(shape, False)
                if plan is False:
                    plan = self._plan(shape, g, plans)
            if plan is None:
                done = position - 1 - first
                return _decoded(out, uniques), position - 1, sum(map(len, parts[:done])) + done * len(close)
            if contest is not None:  # a template's: its contest's bytes and, once read, their rankings
                current, object_id, unique, unit = plan.ids(raw)
                if object_id != current:
                    continue
                if rankings is None:
                    rankings = known.get(contest)  # the template's own bytes object, whose hash is cached
                    if rankings is None:
                        rankings = self._rankings(contest, raw[plan.contest_id] == contest_id, position)
                    if key in templates:
                        templates[key] = (plan, contest, rankings)
            elif plan.simple:
                current, object_id, contest, unique, unit = plan.get(raw)
                if object_id != current:
                    continue
                rankings = known.get(contest)
                if rankings is None:
                    rankings = self._rankings(contest, raw[plan.contest_id] == contest_id, position)
            else:
                values = plan.get(raw)
                contest = self._current_contest(plan, values)
                if contest is None:
                    continue
                _, unique, unit = values[:3]
                rankings = known.get(contest)
                if rankings is None:
                    rankings = self._rankings(contest, True, position)
            if rankings is _OTHER_CONTEST:
                continue
            if plan.has_unit:
                precinct = precincts.get(unit)
                if precinct is None:
                    precinct = self._unknown_unit(unit, position)
            else:
                precinct = ""
            add_rankings(rankings)
            add_unique(unique)  # an absent UniqueId is sliced as b""
            add_precinct(precinct)
        if rest.strip(_WS):
            return _decoded(out, uniques), position, len(piece) - len(rest)
        return _decoded(out, uniques), position, n

    def _rankings(self, contest: bytes, ours: bool, position: int) -> tuple:
        """The rankings of a contest's bytes not seen before (``_OTHER_CONTEST`` if it is another contest),
        cached by those bytes."""
        rankings = self._rankings_of(contest, position) if ours else _OTHER_CONTEST
        if self._known_bytes < MAX_CONTEST_KEY_BYTES:
            self._known[contest] = rankings
            self._known_bytes += len(contest)
        return rankings

    def _current_contest(self, plan: _Plan, values: tuple[bytes, ...]) -> bytes | None:
        """The current snapshot's contest in the ``values`` of a shape that is not ``simple``, or None."""
        current = values[0] if plan.has_current else None
        at = 3
        for has_object_id, contests in plan.snapshots:
            object_id = values[at] if has_object_id else None
            at += 1
            if object_id is not None and plan.fold_ws:
                object_id = object_id.translate(_ATTR_WS)
            if object_id == current:
                for has_contest_id in contests:
                    if has_contest_id and values[at] == self._contest_id:
                        return values[at + 1]
                    at += 2
                return None
            at += 2 * len(contests)
        return None


def _decoded(out: Rows, uniques: list[bytes]) -> Rows:
    """``out`` with the ``UniqueId`` texts decoded, all in one call: no proved text holds ``<``."""
    if uniques:
        out[1][:] = b"<".join(uniques).decode().split("<")
    return out


def normalize_newlines(data: bytes) -> bytes:
    """CRLF and lone CR as LF, as an XML parser reads them before anything else."""
    if b"\r" in data:
        return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data
