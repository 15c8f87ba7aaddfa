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
   nesting) makes ``scan`` return None and the caller parses the piece as a tree.

Speed comes from two caches. CVRs exported by one machine differ mostly in digits (ids, ranks), so the
grammar is checked once per *shape* (the CVR's bytes with every digit replaced by 0, which keeps every
offset and every grammar decision) and the shape maps to the offsets of the fields. The current
contest's bytes then map to its validated rankings, computed from a tree of that one contest the first
time they are seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

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


class Scanner:
    """Reads the CVRs of pieces for one contest; ``scan`` returns None for a piece it cannot vouch for.

    ``rankings_of(contest_bytes, position)`` turns the bytes of one ``CVRContest`` element into its
    validated rankings, raising the reader's error for a bad one; results are cached by those bytes.
    """

    def __init__(self, prefixes: Iterable[str], contest_id: str, rankings_of: Callable[[bytes, int], tuple]):
        self._prefixes = {p.encode() for p in prefixes} | {b""}
        self._grammars: dict[bytes, _Grammar] = {}
        self._shapes: dict[bytes, tuple] = {}
        self._shape_bytes = 0
        self._contest_id = contest_id.encode()
        self._rankings_of = rankings_of
        self._known: dict[bytes, tuple] = {}
        self._known_bytes = 0

    def _grammar(self, piece: bytes, pos: int) -> _Grammar | None:
        m = _FIRST.match(piece, pos)
        if m is None or (m.group(1) or b"") not in self._prefixes:
            return None
        prefix = m.group(1) + b":" if m.group(1) else b""
        g = self._grammars.get(prefix)
        if g is None:
            g = self._grammars[prefix] = _Grammar(prefix)
        return g

    def scan(self, piece: bytes, position: int) -> tuple[list[tuple[int, tuple, str, str | None]], int, int]:
        """Read the CVRs at the start of ``piece`` (newlines already normalised) that are in the proved
        shape: ``(position, rankings, UniqueId, BallotStyleUnitId)`` for each that holds the contest, the
        position after them (positions count every CVR, continuing from ``position``) and the offset
        where reading stopped (``len(piece)``, or the first element to parse as a tree instead)."""
        n = len(piece)
        pos = n - len(piece.lstrip(b" \t\n"))
        out: list[tuple[int, tuple, str, str | None]] = []
        g = self._grammar(piece, pos) if pos < n else None
        if g is None:
            return out, position, pos
        opening, closing = g.open, g.close
        shapes = self._shapes
        known = self._known
        contest_id = self._contest_id
        append = out.append
        shaped = piece.translate(_ZERO)
        while pos < n:
            if not piece.startswith(opening, pos):
                break
            end = piece.find(closing, pos)
            if end < 0:
                break
            end += len(closing)
            shape = shaped[pos:end]
            layout = shapes.get(shape)
            if layout is None:
                if g.cvr.fullmatch(shape) is None:
                    break
                layout = _layout(shape, g)
                if self._shape_bytes < MAX_SHAPE_BYTES:
                    shapes[shape] = layout
                    self._shape_bytes += len(shape)
            position += 1
            current, snapshots, unique, unit = layout
            current_id = piece[pos + current[0] : pos + current[1]] if current is not None else None
            contest = None
            for object_id, contests in snapshots:
                if object_id is None:
                    value = None
                else:
                    value = piece[pos + object_id[0] : pos + object_id[1]].translate(_ATTR_WS)
                if value == current_id:
                    for cid, (lo, hi) in contests:
                        if cid is not None and piece[pos + cid[0] : pos + cid[1]] == contest_id:
                            contest = piece[pos + lo : pos + hi]
                            break
                    break
            if contest is not None:
                rankings = known.get(contest)
                if rankings is None:
                    rankings = self._rankings_of(contest, position)
                    if self._known_bytes < MAX_CONTEST_KEY_BYTES:
                        known[contest] = rankings
                        self._known_bytes += len(contest)
                append(
                    (
                        position,
                        rankings,
                        piece[pos + unique[0] : pos + unique[1]].decode() if unique is not None else "",
                        piece[pos + unit[0] : pos + unit[1]].decode() if unit is not None else None,
                    )
                )
            pos = end
            while pos < n and piece[pos] in b" \t\n":
                pos += 1
        return out, position, pos


def normalize_newlines(data: bytes) -> bytes:
    """CRLF and lone CR as LF, as an XML parser reads them before anything else."""
    if b"\r" in data:
        return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data
