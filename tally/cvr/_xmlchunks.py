"""Fast, hardened streaming of the top-level children of a large XML document, through libxml2 (lxml).

The slow and obviously safe way is ``_guard.iterparse_xml``: defusedxml's parser, which calls Python for
every element (about 10,000 CDF CVRs per second). This module is the fast way, with the same guarantees:

1. **defusedxml checks the prolog.** The document is parsed by defusedxml (DTDs, entity declarations and
   external references forbidden) up to its root start tag, which gives the root's namespaces. A DTD, and
   so any entity declaration or external entity, can only appear there.
2. **Every byte goes through a hardened libxml2 parse** (``Validator``) when the caller asks for it: lxml's
   parser with entity substitution, DTD loading and network access off, ``huge_tree`` off, and a parser
   target that refuses a DOCTYPE outright. The target has no element callbacks, so libxml2 checks the whole
   document (well-formedness, encoding, characters, entity references) in C without building anything,
   in a background thread that runs ahead of the caller.
3. **Content in bounded pieces.** The bytes after the root start tag are cut after the last closing tag of
   a top-level child (``</…CVR>``) in each buffer of at most a few MiB. A piece is either read from its
   bytes by a caller that proves its shape (``_cdf_xml_bytes``), or parsed as a tree by ``parse_piece``:
   wrapped in a synthetic root that re-declares the root's namespaces (and nothing else: no DOCTYPE) and
   parsed by the same hardened lxml parser, comments and processing instructions dropped, nesting deeper
   than ``MAX_DEPTH`` refused. A cut inside a comment, CDATA section or nested element cannot parse, so
   every piece that parses is a run of whole top-level elements; memory stays bounded by the piece size
   (``MAX_PIECE_BYTES`` at most for one element).
4. **Any doubt falls back.** If a piece does not parse, no cut is found within the limit, or the text
   after the root end tag is not blank, ``_Fallback`` is raised and the caller either reads the whole
   document with the slow defusedxml parser, which reports the precise error, or reports the record.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from ._guard import MAX_DEPTH, MAX_XML_FILE_BYTES, check_file, iterparse_xml

# Bytes read (and handed to the libxml2 check) at a time. Each chunk costs the check's thread the GIL twice
# (to start and to finish its feed), and while the main thread runs Python each wait lasts up to the 5 ms
# switch interval, so fewer, larger chunks keep the check ahead of the reader (time the reader spent
# waiting for it, 200,000 CVRs at load 11: 0.24-0.35 s with 2 MiB, 0.08-0.2 s with 4 MiB, under 0.01 s
# with 8 MiB). libxml2 without XML_PARSE_HUGE refuses a push of more than 10,000,000 bytes it has not
# parsed yet ("Buffer size limit exceeded"), so a chunk must stay below that.
CHUNK = 8 * 1024 * 1024
# One piece (one top-level element at most). The validator builds nothing, but libxml2 keeps about 40 bytes
# per open element, so this also bounds what a deeply nested piece can cost before a tree refuses it.
MAX_PIECE_BYTES = 16 * 1024 * 1024
_TAIL = re.compile(rb"(?:\s|<!--(?:(?!-->).)*-->|<\?(?:(?!\?>).)*\?>)*", re.S)
_ROOT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?(?:(?!\?>).)*\?>|<!--(?:(?!-->).)*-->)*"
    rb"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*\s*>",
    re.S,
)


class _Fallback(Exception):
    """The fast path cannot vouch for this piece or document; read it another way."""


class XmlRefused(Exception):
    """The hardened parse refused the document; ``str()`` says why (a DOCTYPE, a syntax error), and
    ``line``/``column`` say where libxml2 stopped (1-based, as it counts them) when it did."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


def _hardened(**options) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, **options
    )


class _RefuseDoctype:
    """A parser target without element callbacks: libxml2 parses in C and builds nothing."""

    def doctype(self, name, pubid, system):
        raise XmlRefused("XML DTD is forbidden (possible entity-expansion attack)")

    def close(self) -> None:
        return None


class Validator:
    """A hardened, non-building libxml2 parse of one whole document, fed in chunks.

    ``feed``/``close`` hand the bytes to one background thread (libxml2 runs without the GIL, so the
    check overlaps the caller's own work on a second core); ``wait`` blocks until every byte fed before
    the last ``due`` has been parsed (every byte fed, if ``due`` was never called or ``everything`` is
    asked for, as error paths do to report libxml2's own message) and raises
    ``XmlRefused`` for a DOCTYPE (so no entity can be declared or fetched), an undefined entity
    reference, malformed markup, bad encoding or characters XML forbids. Bytes fed after ``due`` are
    checked meanwhile, but not waited for: that is how ``pieces`` keeps the check a chunk ahead of the
    caller. ``shutdown`` stops the thread. Callers use no byte before ``wait`` has vouched for it.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xml-validator")
        self._pending: list[Future] = []
        self._due: int | None = None
        self._parser: etree.XMLParser | None = None

    def _run(self, data: bytes | None) -> None:
        if self._parser is None:  # created in the thread that uses it
            self._parser = _hardened(target=_RefuseDoctype())
        try:
            if data is None:
                self._parser.close()
            else:
                self._parser.feed(data)
        except XmlRefused:
            raise
        except etree.XMLSyntaxError as err:
            line, column = err.position if err.position else (None, None)
            raise XmlRefused(f"malformed XML ({_message(err)})", line, column) from None

    def feed(self, data: bytes) -> None:
        self._pending.append(self._pool.submit(self._run, data))

    def close(self) -> None:
        self._pending.append(self._pool.submit(self._run, None))

    def due(self) -> None:
        """From now on ``wait`` waits for every byte fed so far (and for nothing fed later)."""
        self._due = len(self._pending)

    def wait(self, everything: bool = False) -> None:
        due = len(self._pending) if self._due is None or everything else self._due
        pending, self._pending = self._pending[:due], self._pending[due:]
        if self._due is not None:
            self._due = max(0, self._due - due)
        for future in pending:
            future.result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _message(err: etree.XMLSyntaxError) -> str:
    return str(err.msg or err).split(" (<string>")[0]


_local = threading.local()


def parse_piece(text: bytes) -> etree._Element:
    """The synthetic root of one piece, parsed by the hardened lxml parser; ``_Fallback`` if it does not
    parse or nests deeper than ``MAX_DEPTH`` (libxml2 itself stops at 256 levels). Parsers and XPath
    evaluators are not shared between threads."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _hardened(remove_comments=True, remove_pis=True, collect_ids=False)
        # An element MAX_DEPTH levels below the synthetic root sits deeper than MAX_DEPTH in the document.
        _local.too_deep = etree.XPath("boolean(" + "/".join(["*"] * MAX_DEPTH) + ")")
    try:
        root = etree.fromstring(text, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise _Fallback from None
    if _local.too_deep(root):
        raise _Fallback
    return root


def root_namespaces(path: Path) -> dict[str, str]:
    """The namespaces declared on the root, read by defusedxml (which refuses any DTD or entity)."""
    declared: dict[str, str] = {}
    events = iterparse_xml(path, events=("start-ns", "start"))
    for event, item in events:
        if event == "start-ns":
            prefix, uri = item  # type: ignore[misc]
            declared[prefix] = uri
        else:
            break
    events.close()
    return declared


def wrapper(namespaces: dict[str, str]) -> tuple[bytes, bytes]:
    """The start and end tags of a synthetic root declaring ``namespaces`` (and nothing else)."""
    decl = "".join(f" xmlns{':' + p if p else ''}={quoteattr(u)}" for p, u in namespaces.items()).encode()
    return b"<r" + decl + b">", b"</r>"


def pieces(
    path: Path,
    close_tag: re.Pattern[bytes],
    only_if: list[bytes] | None = None,
    validator: Validator | None = None,
) -> Iterator[bytes]:
    """Runs of whole top-level children of ``path`` (bytes), cut after ``close_tag`` matches, in order.

    With ``validator``, every byte of the file is fed to it before any piece holding that byte is yielded,
    and ``validator.due()`` is called for the bytes of that piece; the next chunk is fed before the piece
    is yielded too, so libxml2 checks it while the caller reads the piece.
    With ``only_if``, a piece whose bytes hold no start tag of those names (nor a comment, CDATA section
    or processing instruction, which could hide a false cut) is skipped: a metadata pass need not look at
    every CVR. The list is read again for every piece, so the caller may drop names it no longer needs.
    """
    check_file(path, MAX_XML_FILE_BYTES)
    with open(path, "rb") as handle:

        def read() -> bytes:
            data = handle.read(CHUNK)
            if validator is not None:
                if data:
                    validator.feed(data)
                else:
                    validator.close()
            return data

        buf = read()
        m = _ROOT_START.match(buf)
        if not m:
            raise _Fallback
        root_name = m.group(1)
        root_end = re.compile(rb"</" + re.escape(root_name) + rb"\s*>")
        pos = m.end()
        more = read()
        while True:
            if validator is not None:
                validator.due()  # the next piece is made of the bytes read so far
            ahead = read() if more else b""
            if not more:  # the rest is the last piece, up to the root end tag
                ends = list(root_end.finditer(buf, pos))
                if not ends:
                    raise _Fallback
                last = ends[-1]
                tail = _TAIL.match(buf, last.end())
                if tail is None or tail.end() != len(buf):
                    raise _Fallback
                yield buf[pos : last.start()]
                return
            cut = _last_cut(more, 0, close_tag)
            if cut is None:
                if len(buf) - pos + len(more) > MAX_PIECE_BYTES:
                    raise _Fallback
                buf = buf[pos:] + more
                pos = 0
                more = ahead
                continue
            # Each byte is copied once: what is left of the last chunk, then the new one up to its cut.
            piece = b"".join((memoryview(buf)[pos:], memoryview(more)[:cut]))
            buf, pos = more, cut
            more = ahead
            if only_if is None or _worth_parsing(piece, only_if):
                yield piece


def chunked_children(
    path: Path, close_tag: re.Pattern[bytes], only_if: list[bytes] | None = None
) -> Iterator[etree._Element]:
    """Every top-level child element of ``path`` (or, with ``only_if``, of the pieces naming one of
    those elements), each piece parsed as a tree by ``parse_piece``."""
    head, foot = wrapper(root_namespaces(path))
    for piece in pieces(path, close_tag, only_if):
        yield from parse_piece(head + piece + foot)


def cvr_at(path: Path, line: int, column: int, tag: re.Pattern[bytes]) -> str | None:
    """The CVR around the character libxml2 reported at ``line`` and ``column`` (1-based; a column counts
    characters): ``CVR #n`` inside the n-th element whose tag ``tag`` matches (group 1 is ``/`` for an
    end tag, group 2 for an empty element), ``after CVR #n`` outside one; None before the first, or when
    the file has a line end libxml2 counts differently (a lone CR). Reads the file again; for error
    messages only."""
    offset = _offset_of(path, line, column)
    if offset is None:
        return None
    starts = ends = 0
    carry = b""
    with open(path, "rb") as handle:
        left = offset
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                break
            left -= len(data)
            buf = carry + data
            keep = buf.rfind(b"<") if left > 0 else -1  # a tag cut by the read waits for the next one
            keep = len(buf) if keep < 0 else keep
            for m in tag.finditer(buf, 0, keep):
                if m.group(1):
                    ends += 1
                else:
                    starts += 1
                    ends += bool(m.group(2))
            carry = buf[keep:]
    if starts == 0:
        return None
    return f"CVR #{starts}" if starts > ends else f"after CVR #{starts}"


_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))


def _offset_of(path: Path, line: int, column: int) -> int | None:
    """The byte offset of character ``column`` of line ``line`` (lines end at LF or CR LF), or None."""
    base, lines = 0, 1
    with open(path, "rb") as handle:
        while lines < line:
            data = handle.read(CHUNK)
            if data.endswith(b"\r"):  # keep a CR LF whole
                data += handle.read(1)
            if not data or b"\r" in data.replace(b"\r\n", b""):
                return None
            count = data.count(b"\n")
            if lines + count >= line:
                at = -1
                for _ in range(line - lines):
                    at = data.index(b"\n", at + 1)
                base += at + 1
                break
            lines += count
            base += len(data)
        handle.seek(base)
        chars = 0
        while True:
            data = handle.read(CHUNK)
            if not data:
                return None
            count = len(data.translate(None, _UTF8_CONTINUATION))
            if chars + count >= column:
                for i, byte in enumerate(data):
                    if not 0x80 <= byte < 0xC0:
                        chars += 1
                        if chars == column:
                            return base + i
            chars += count
            base += len(data)


def _last_cut(buf: bytes, lo: int, close_tag: re.Pattern[bytes]) -> int | None:
    """The end of the last ``close_tag`` match in ``buf[lo:]`` (searching back from the end), or None."""
    hi = len(buf)
    while True:
        j = buf.rfind(b"</", lo, hi)
        if j < 0:
            return None
        m = close_tag.match(buf, j)
        if m:
            return m.end()
        hi = j


def _worth_parsing(piece: bytes, only_if: list[bytes]) -> bool:
    """Whether ``piece`` may hold a start tag named in ``only_if`` (any prefix), or a comment, CDATA
    section or processing instruction (which could hide a false cut). Over-approximates.

    Single-byte searches (``memchr``) do most of the work: a name is first looked for through one of its
    bytes, and only a piece where that byte is common is searched for the whole name."""
    for mark in (b"!", b"?"):  # "<!": comment, CDATA section, declaration; "<?": processing instruction
        at = piece.find(mark, 1)
        while at >= 0:
            if piece[at - 1] == 0x3C:
                return True
            at = piece.find(mark, at + 1)
    return any(_names_a_start_tag(piece, name) for name in only_if)


def _names_a_start_tag(piece: bytes, name: bytes) -> bool:
    """Whether ``piece`` holds ``name`` right after ``<`` or ``:`` and before a name end."""
    probe = _probe(name)
    at = probe + 1
    for _ in range(_PROBE_HITS):
        at = piece.find(name[probe], at)
        if at < 0:
            return False
        if piece.startswith(name, at - probe) and _starts_tag(piece, at - probe, len(name)):
            return True
        at += 1
    at = piece.find(name, 1)  # the probe byte is common here: search for the whole name
    while at >= 0:
        if _starts_tag(piece, at, len(name)):
            return True
        at = piece.find(name, at + len(name))
    return False


def _starts_tag(piece: bytes, at: int, length: int) -> bool:
    return piece[at - 1] in b"<:" and piece[at + length : at + length + 1] in _NAME_ENDS


def _probe(name: bytes) -> int:
    """The index of the byte a name is first looked for by: its first capital (rarer than small letters
    in element names), else its first byte."""
    return next((i for i, c in enumerate(name) if 0x41 <= c <= 0x5A), 0)


_PROBE_HITS = 64
_NAME_ENDS = (b" ", b"\t", b"\n", b"\r", b"/", b">")
