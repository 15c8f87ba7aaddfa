"""Incremental reading of one large JSON object whose big arrays are streamed element by element.

A Dominion ``CvrExport.json`` or a CDF ``CastVoteRecordReport`` is one object with one huge array
(``Sessions``, ``CVR``). ``members`` walks the top-level object with a small structural tokenizer over a
bounded byte buffer and yields every member: plain members as their raw JSON bytes, streamed arrays as
batches of elements decoded by ``msgspec`` into typed structs (which also validates types).

Speed: the tokenizer finds the extent of a value by jumping between structural bytes with a regex; it
is exact but costs Python time per token. For arrays of objects it first tries a fast path: it looks
for the last ``},{"<first key>`` in the buffer and decodes everything before it as one JSON array in C.
A prefix of a JSON text that parses as a complete array must end on an element boundary (a cut inside
a string or a nested value cannot parse), so the fast path is exact; when it fails the tokenizer takes
over for that stretch and reports the precise element.

Limits: one element or plain member at most ``MAX_RECORD_BYTES``, nesting at most ``MAX_DEPTH``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from ..errors import CvrError
from ._guard import MAX_DEPTH, MAX_RECORD_BYTES, check_file, fail

CHUNK = 8 * 1024 * 1024

_NONWS = re.compile(rb"[^ \t\r\n]")
_STRUCT = re.compile(rb'[\[\]{}"]')
_IN_STRING = re.compile(rb'["\\]')
_SCALAR_END = re.compile(rb"[,\]} \t\r\n]")
_WS = b" \t\r\n"
_FIRST_MEMBER = re.compile(
    rb'(\{[ \t\r\n]*"[A-Za-z0-9_@.\-]{1,64}")(?:[ \t\r\n]*:[ \t\r\n]*("[A-Za-z0-9_@.\- ]{0,40}"))?'
)


class _Stream:
    def __init__(self, path: Path, handle, chunk: int | None = None):
        self.path = path
        self.f = handle
        self.chunk = chunk or CHUNK
        self.buf = b""
        self.pos = 0
        self.base = 0  # file offset of buf[0]
        self.eof = False

    # -- buffer ---------------------------------------------------------------------------------
    def more(self) -> bool:
        """Drop consumed bytes and append the next chunk; False at end of file."""
        if self.eof:
            return False
        data = self.f.read(self.chunk)
        if self.pos:
            self.base += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def error(self, rule: str, record: str | int | None = None) -> CvrError:
        return fail(self.path, rule, record)

    def peek(self, where: str) -> int:
        """The next non-blank byte (not consumed)."""
        while True:
            m = _NONWS.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.more():
                raise self.error(f"JSON ends early (in {where})")

    def expect(self, char: bytes, where: str) -> None:
        if self.peek(where) != char[0]:
            got = chr(self.buf[self.pos])
            at = self.base + self.pos
            raise self.error(f"bad JSON at byte {at}: expected {char.decode()!r}, got {got!r} ({where})")
        self.pos += 1

    # -- one value ------------------------------------------------------------------------------
    def scan_value(self, where: str) -> int:
        """End offset (in ``buf``) of the JSON value starting at ``pos``; loads more data as needed."""
        self.peek(where)
        start = self.pos
        first = self.buf[start]
        if first not in b'[{"':
            while True:
                m = _SCALAR_END.search(self.buf, start)
                if m:
                    return m.start()
                if len(self.buf) - start > 4096:
                    raise self.error(f"malformed JSON value at byte {self.base + start} (in {where})")
                rel = start - self.pos
                if not self.more():
                    return len(self.buf)
                start = self.pos + rel
        depth = 0
        in_str = False
        i = start
        while True:
            if in_str:
                m = _IN_STRING.search(self.buf, i)
                if m is not None:
                    if self.buf[m.start()] == 92:  # backslash: skip the escaped byte
                        i = m.start() + 2
                        continue
                    in_str = False
                    i = m.end()
                    if depth == 0:
                        return i
                    continue
            else:
                m = _STRUCT.search(self.buf, i)
                if m is not None:
                    ch = self.buf[m.start()]
                    i = m.end()
                    if ch == 34:
                        in_str = True
                    elif ch in (91, 123):
                        depth += 1
                        if depth > MAX_DEPTH:
                            raise self.error(f"JSON nested deeper than {MAX_DEPTH} levels (in {where})")
                    else:
                        depth -= 1
                        if depth <= 0:
                            return i
                    continue
            # need more data
            if len(self.buf) - start > MAX_RECORD_BYTES:
                raise self.error(f"JSON value larger than {MAX_RECORD_BYTES} bytes (in {where})")
            rel_i, rel_start = i - self.pos, start - self.pos
            if not self.more():
                raise self.error(f"JSON ends early (in {where})")
            i, start = self.pos + rel_i, self.pos + rel_start

    def take_value(self, where: str) -> bytes:
        end = self.scan_value(where)
        raw = self.buf[self.pos : end]
        self.pos = end
        return raw

    # -- arrays ---------------------------------------------------------------------------------
    def array(
        self, key: str, decode_one: Callable[[bytes], Any], decode_many: Callable[[bytes], list]
    ) -> Iterator[tuple[int, list]]:
        """Yield ``(index of first, decoded elements)`` batches of the array starting at ``pos``."""
        self.expect(b"[", key)
        index = 0
        need_comma = False
        prefixes: tuple[bytes, ...] | None = None
        slow_until = -1  # file offset up to which the fast path already failed
        while True:
            c = self.peek(key)
            if c == 93:  # ]
                self.pos += 1
                return
            if need_comma:
                if c != 44:
                    where = f"{key}[{index - 1}]"
                    raise self.error("malformed JSON: expected ',' or ']' after element", where)
                self.pos += 1
                c = self.peek(key)
            if c == 123 and self.base + self.pos >= slow_until:
                if prefixes is None:
                    prefixes = self._first_key_prefixes()
                got = None
                for prefix in prefixes:
                    got = self._fast_batch(prefix, decode_many)
                    if got is not None:
                        break
                if got is not None:
                    if isinstance(got, list):
                        yield index, got
                        index += len(got)
                        need_comma = False  # pos is on the next element, comma consumed
                        continue
                    if got is not None:
                        slow_until = got
            raw = self.take_value(f"{key}[{index}]")
            try:
                item = decode_one(raw)
            except (msgspec.DecodeError, ValueError, RecursionError) as err:
                raise self.error(f"invalid CVR record ({err})", f"{key}[{index}]") from None
            yield index, [item]
            index += 1
            need_comma = True

    def _first_key_prefixes(self) -> tuple[bytes, ...]:
        """Markers of an element start, most specific first: ``{"key":"value"`` when the first member
        is a short string, then ``{"key"``; empty when the element does not start with a plain key."""
        while len(self.buf) - self.pos < 4096 and self.more():
            pass
        m = _FIRST_MEMBER.match(self.buf, self.pos)
        if not m:
            return ()
        key_only = m.group(1)
        return (m.group(0), key_only) if m.group(2) else (key_only,)

    def _fast_batch(self, prefix: bytes, decode_many: Callable[[bytes], list]) -> list | int | None:
        """Decode all whole elements before the last ``},{prefix`` in the buffer.

        Returns the decoded list (``pos`` moved to the next element), the file offset where decoding
        failed (the caller reads that stretch element by element), or None when no boundary was found.
        """
        if len(self.buf) - self.pos < self.chunk and not self.eof:
            self.more()
        buf, start = self.buf, self.pos
        j = len(buf)
        failed: int | None = None
        for _ in range(4):
            j = buf.rfind(prefix, start + 1, j)
            if j < 0:
                return None
            k = j - 1
            while k > start and buf[k] in _WS:
                k -= 1
            if buf[k] != 44:  # ,
                continue
            k -= 1
            while k > start and buf[k] in _WS:
                k -= 1
            if buf[k] != 125:  # }
                continue
            try:
                items = decode_many(b"[" + buf[start : k + 1] + b"]")
            except (msgspec.DecodeError, ValueError, RecursionError):
                failed = self.base + j if failed is None else failed
                continue
            self.pos = j
            return items
        return failed


def members(
    path: Path, arrays: Mapping[str, tuple[Callable[[bytes], Any], Callable[[bytes], list]]]
) -> Iterator[tuple[str, int | None, Any]]:
    """Walk the top-level JSON object of ``path``.

    Yields ``(key, None, raw_bytes)`` for plain members and ``(key, first_index, elements)`` batches for
    the members named in ``arrays`` (mapped to their one-element and list decoders).
    """
    check_file(path)
    try:
        with open(path, "rb") as handle:
            s = _Stream(path, handle)
            s.more()
            if s.buf.startswith(b"\xef\xbb\xbf"):
                s.pos = 3
            s.expect(b"{", "top level")
            need_comma = False
            while True:
                c = s.peek("top level")
                if c == 125:
                    s.pos += 1
                    break
                if need_comma:
                    s.expect(b",", "top level")
                    s.peek("top level")
                need_comma = True
                if s.buf[s.pos] != 34:
                    raise s.error(f"malformed JSON at byte {s.base + s.pos}: expected a member name")
                try:
                    key = msgspec.json.decode(s.take_value("member name"), type=str)
                except (msgspec.DecodeError, ValueError, RecursionError) as err:
                    raise s.error(f"malformed JSON member name ({err})") from None
                s.expect(b":", key)
                if key in arrays:
                    if s.peek(key) != 91:
                        raise s.error(f"{key!r} must be an array")
                    one, many = arrays[key]
                    for first, items in s.array(key, one, many):
                        yield key, first, items
                else:
                    yield key, None, s.take_value(key)
            m = _NONWS.search(s.buf, s.pos)
            while m is None and s.more():
                m = _NONWS.search(s.buf, s.pos)
            if m is not None:
                raise s.error("data after the end of the JSON object")
    except OSError as err:
        raise fail(path, f"cannot read CVR file ({err.strerror or err})") from None


def decoders(item_type: Any) -> tuple[Callable[[bytes], Any], Callable[[bytes], list]]:
    """The (one element, list of elements) msgspec decoders for ``item_type``.

    The list decoder runs with the cyclic garbage collector paused: decoding creates no reference
    cycles, and a batch of thousands of records otherwise triggers collections that traverse every
    live object (3-4x slower). The collector's previous state is restored afterwards.
    """
    one = msgspec.json.Decoder(item_type)
    many = msgspec.json.Decoder(list[item_type]).decode

    def decode_many(data: bytes) -> list:
        if not gc.isenabled():
            return many(data)
        gc.disable()
        try:
            return many(data)
        finally:
            gc.enable()

    return one.decode, decode_many


def decode_member(path: Path, key: str, raw: bytes, item_type: Any) -> Any:
    """Decode one plain member's raw bytes as ``item_type``; a ``CvrError`` naming the member if wrong."""
    try:
        return msgspec.json.decode(raw, type=item_type)
    except (msgspec.DecodeError, ValueError, RecursionError) as err:
        raise fail(path, f"invalid {key!r} ({err})") from None
