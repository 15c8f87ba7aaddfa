"""Fast, still hardened, streaming of the top-level children of a large XML document.

The slow and obviously safe way is ``_guard.iterparse_xml``: defusedxml's parser, which calls Python for
every element (about 10,000 CDF CVRs per second). This module is the fast way, and keeps the same
guarantees:

1. **defusedxml checks the prolog.** The document is parsed by defusedxml (DTDs, entity declarations and
   external references forbidden) up to its root start tag. A DTD, and so any entity declaration or
   external entity, can only appear there; once the root element has started, ``<!DOCTYPE``/``<!ENTITY``
   are syntax errors and an undefined entity reference is a parse error.
2. **Content in bounded chunks.** The bytes after the root start tag are cut after the last closing tag
   of a top-level child (``</…CVR>``) in each buffer of at most a few MiB; each piece is wrapped in a
   synthetic root that re-declares the root's namespaces (and nothing else: no DOCTYPE) and parsed by
   the C ``XMLParser``. A cut inside a comment, CDATA section or nested element cannot parse, so every
   piece that parses is a run of whole top-level elements; memory stays bounded by the piece size
   (``MAX_RECORD_BYTES`` at most for one element).
3. **Any doubt falls back.** If a piece does not parse, no cut is found within the limit, or the text
   after the root end tag is not blank, ``chunked_children`` raises ``_Fallback`` and the caller reads
   the whole document with the slow defusedxml parser, which reports the precise error.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import XML, Element, ParseError
from xml.sax.saxutils import quoteattr

import defusedxml

from ._guard import MAX_RECORD_BYTES, MAX_XML_FILE_BYTES, check_file, iterparse_xml

CHUNK = 4 * 1024 * 1024
_TAIL = re.compile(rb"(?:\s|<!--(?:(?!-->).)*-->|<\?(?:(?!\?>).)*\?>)*", re.S)
_ROOT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?(?:(?!\?>).)*\?>|<!--(?:(?!-->).)*-->)*"
    rb"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*\s*>",
    re.S,
)


class _Fallback(Exception):
    """The fast path cannot vouch for this document; read it with the slow parser."""


def _root_namespaces(path: Path) -> dict[str, str]:
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


def chunked_children(
    path: Path, close_tag: re.Pattern[bytes], only_if: tuple[bytes, ...] | None = None
) -> Iterator[Element]:
    """Every top-level child element of ``path``, parsed in pieces cut after ``close_tag`` matches.

    With ``only_if``, a piece whose bytes contain none of those names (and hold no comment or CDATA
    section, which could hide a false cut) is skipped unparsed: a metadata pass need not build every CVR.
    """
    check_file(path, MAX_XML_FILE_BYTES)
    namespaces = _root_namespaces(path)
    decl = "".join(f" xmlns{':' + p if p else ''}={quoteattr(u)}" for p, u in namespaces.items()).encode()
    head, foot = b"<r" + decl + b">", b"</r>"
    with open(path, "rb") as handle:
        buf = handle.read(CHUNK)
        m = _ROOT_START.match(buf)
        if not m:
            raise _Fallback
        root_name = m.group(1)
        root_end = re.compile(rb"</" + re.escape(root_name) + rb"\s*>")
        pos = m.end()
        eof = False
        while True:
            if not eof and len(buf) - pos < CHUNK:
                more = handle.read(CHUNK)
                buf = buf[pos:] + more
                pos = 0
                eof = not more
            cut = _last_cut(buf, pos, close_tag)
            if eof:
                ends = list(root_end.finditer(buf, pos))
                if not ends:
                    raise _Fallback
                last = ends[-1]
                tail = _TAIL.match(buf, last.end())
                if tail is None or tail.end() != len(buf):
                    raise _Fallback
                yield from _parse(head + buf[pos : last.start()] + foot)
                return
            if cut is None or cut <= pos:
                if len(buf) - pos > MAX_RECORD_BYTES:
                    raise _Fallback
                more = handle.read(CHUNK)
                eof = not more
                buf = buf[pos:] + more
                pos = 0
                continue
            if only_if is None or _worth_parsing(buf, pos, cut, only_if):
                yield from _parse(head + buf[pos:cut] + foot)
            pos = cut


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


def _worth_parsing(buf: bytes, start: int, end: int, only_if: tuple[bytes, ...]) -> bool:
    if any(buf.find(name, start, end) >= 0 for name in only_if):
        return True
    return buf.find(b"<!--", start, end) >= 0 or buf.find(b"<![CDATA[", start, end) >= 0


def _parse(text: bytes) -> list[Element]:
    """The children of one synthetic-root piece; the cyclic GC is paused meanwhile (an element tree
    has no reference cycles, and collections during a large parse traverse every live object)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return list(XML(text))
    except (ParseError, ValueError, LookupError, defusedxml.DefusedXmlException):
        raise _Fallback from None
    finally:
        if paused:
            gc.enable()
