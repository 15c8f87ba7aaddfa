"""Limits and hardened parsing shared by the CVR readers.

Every reader treats its input as hostile: a file that is too large, too deeply nested, not what its
extension claims, or that asks the XML parser for a DTD or entity is refused with a ``CvrError`` naming the
file, the record (CVR index or id) and the rule broken. Nothing else may escape a reader for bad input.

XML goes through ``defusedxml`` with DTDs, entity declarations and external references forbidden, or (large
CDF reports, ``_xmlchunks``) through lxml's libxml2 with entity substitution, DTD loading and network access
off and any DOCTYPE refused, so billion-laughs and XXE documents fail before any expansion happens.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from ..errors import CvrError
from ..rctab.model import OVERVOTE, ContestConfig, CvrSource

MAX_FILE_BYTES = 8 * 1024**3  # one CVR file (a Dominion export of millions of sessions is ~1.2 KB/CVR)
MAX_XML_FILE_BYTES = 2 * 1024**3  # one XML document
MAX_RECORD_BYTES = 64 * 1024**2  # one JSON record (session, CVR) or one non-streamed JSON member
MAX_DEPTH = 64  # JSON / XML nesting
MAX_FILES = 1_000_000  # files in one source folder (Hart)
MAX_ZIP_ENTRIES = 100_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per entry and overall
MAX_ZIP_UNCOMPRESSED = 4 * 1024**3
MAX_RANK = 1_000_000  # a rank number any ballot could carry


def fail(source: CvrSource | Path | str, rule: str, record: str | int | None = None) -> CvrError:
    """The error for ``rule`` broken in ``source`` (at ``record``), ready to raise."""
    path = source.file_path if isinstance(source, CvrSource) else source
    return CvrError(rule, file=str(path), record=record)


def check_file(path: Path, limit: int = MAX_FILE_BYTES) -> int:
    """The size of the regular file ``path``; a ``CvrError`` if it is missing, not a file or too large."""
    try:
        st = path.stat()
    except OSError as err:
        raise fail(path, f"cannot read CVR file ({err.strerror or err})") from None
    if not path.is_file():
        raise fail(path, "CVR path is not a regular file")
    if st.st_size > limit:
        raise fail(path, f"file is {st.st_size} bytes, more than the limit of {limit}")
    return st.st_size


def check_dir(path: Path) -> None:
    if not path.is_dir():
        raise fail(path, "CVR source must be a folder")


def open_text(path: Path, limit: int = MAX_FILE_BYTES):
    """``path`` opened as UTF-8 text (BOM dropped, bad bytes an error on read), after the size check."""
    check_file(path, limit)
    try:
        return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - caller closes
    except OSError as err:
        raise fail(path, f"cannot open CVR file ({err.strerror or err})") from None


def parse_rank(text: str, path: Path, record: str | int, what: str = "rank") -> int:
    """A rank number from CVR text: a decimal integer in [1, MAX_RANK]."""
    t = text.strip()
    if not (t.isascii() and t.isdigit()):
        raise fail(path, f"{what} {text!r} is not a whole number", record)
    value = int(t) if len(t) <= 12 else MAX_RANK + 1
    if not 1 <= value <= MAX_RANK:
        raise fail(path, f"{what} {value} is out of range (1..{MAX_RANK})", record)
    return value


def check_rankings(
    rankings: list[tuple[int, str]],
    config: ContestConfig,
    path: Path,
    record: str | int,
    contest_max: int | None = None,
) -> tuple[tuple[int, str], ...]:
    """Sort ``rankings`` by rank and enforce RCTab's reader rules.

    - a rank above ``maxRankingsAllowed`` (or above the contest's own limit ``contest_max``) is an error;
    - every CVR string must name a configured candidate or alias, the UWI pseudo-candidate (when enabled)
      or the overvote token; anything else is an unrecognized candidate, as RCTab refuses it.
    The sort is stable, so several strings at one rank (an overvote) keep their file order.
    """
    limit = config.rules.max_rankings
    name_for = config.name_for
    for rank, string in rankings:
        if limit is not None and rank > limit:
            raise fail(path, f"rank {rank} exceeds maxRankingsAllowed ({limit})", record)
        if contest_max is not None and rank > contest_max:
            raise fail(path, f"rank {rank} exceeds the contest's NumOfRanks ({contest_max})", record)
        if name_for(string) is None:
            raise fail(path, f"unrecognized candidate {string!r}", record)
    rankings.sort(key=_rank_key)
    return tuple(rankings)


def _rank_key(pair: tuple[int, str]) -> int:
    return pair[0]


def overvote_or(name: str, source: CvrSource) -> str:
    """``OVERVOTE`` when ``name`` is the source's overvote label, else ``name``."""
    return OVERVOTE if source.overvote_label and name == source.overvote_label else name


# ---------------------------------------------------------------------------------------------- XML


def iterparse_xml(path: Path, events: tuple[str, ...] = ("start", "end")) -> Iterator[tuple[str, Element]]:
    """Stream ``(event, element)`` pairs of a hardened parse of ``path``: ``end`` events always, ``start``
    and the namespace events (``start-ns``, ``end-ns``) when ``events`` names them.

    DTDs, entities and external references are refused; nesting deeper than ``MAX_DEPTH`` is refused; a
    malformed document is a ``CvrError`` with the parser's line and column.
    """
    check_file(path, MAX_XML_FILE_BYTES)
    want_start = "start" in events
    asked = tuple(dict.fromkeys(("start", "end", *events)))
    depth = 0
    try:
        # The file is ours to close: ElementTree's iterator keeps a file it opened in a reference cycle,
        # so a parse left before its end (``root_namespaces``) closed it only at a later garbage collection.
        with open(path, "rb") as handle:
            for event, elem in SafeET.iterparse(
                handle, events=asked, forbid_dtd=True, forbid_entities=True, forbid_external=True
            ):
                if event == "start":
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise fail(path, f"XML nesting deeper than {MAX_DEPTH} levels")
                    if want_start:
                        yield event, elem
                else:
                    depth -= event == "end"
                    yield event, elem
    except CvrError:
        raise
    except defusedxml.DTDForbidden:
        raise fail(path, "XML DTD is forbidden (possible entity-expansion attack)") from None
    except defusedxml.EntitiesForbidden:
        raise fail(path, "XML entity declarations are forbidden (possible entity-expansion attack)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise fail(path, "XML external references are forbidden") from None
    except defusedxml.DefusedXmlException as err:
        raise fail(path, f"unsafe XML refused ({type(err).__name__})") from None
    except ParseError as err:
        raise fail(path, f"malformed XML ({err})") from None
    except (OSError, UnicodeError, ValueError, LookupError) as err:
        raise fail(path, f"cannot read XML ({err})") from None


def local(tag: str) -> str:
    """An element tag without its ``{namespace}``."""
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def child_text(elem: Element, name: str) -> str | None:
    """The text of the first direct child named ``name`` (any namespace), ``""`` if empty, else None."""
    for child in elem:
        if local(child.tag) == name:
            return child.text or ""
    return None


def children(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if local(c.tag) == name]


# ---------------------------------------------------------------------------------------------- zip


def check_zip(path: Path) -> None:
    """Refuse a zip (or xlsx) that is not a zip, has too many entries, or would inflate like a bomb.

    The check reads only the central directory: declared sizes are bounded in total and per entry by
    ``MAX_ZIP_RATIO`` times the compressed size. Readers that then inflate entries must still stop at
    the declared size (``zipfile`` does: it fails on a size mismatch).
    """
    size = check_file(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
        raise fail(path, f"not a valid zip/xlsx file ({err})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise fail(path, f"zip has {len(infos)} entries, more than {MAX_ZIP_ENTRIES}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) and info.file_size > 1024**2:
            raise fail(path, f"zip entry {info.filename!r} inflates more than {MAX_ZIP_RATIO}x (zip bomb)")
    if total > MAX_ZIP_UNCOMPRESSED or (total > 1024**2 and total > MAX_ZIP_RATIO * max(size, 1)):
        raise fail(path, f"zip inflates to {total} bytes (zip bomb)")


def sorted_files(folder: Path, pattern: str) -> list[Path]:
    """The regular files in ``folder`` matching ``pattern``, sorted by path, at most ``MAX_FILES``."""
    check_dir(folder)
    out: list[Path] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if len(out) >= MAX_FILES:
                    raise fail(folder, f"more than {MAX_FILES} files in the CVR folder")
                if Path(entry.name).match(pattern) and entry.is_file():
                    out.append(Path(entry.path))
    except OSError as err:
        raise fail(folder, f"cannot list CVR folder ({err.strerror or err})") from None
    return sorted(out)


@contextlib.contextmanager
def reading(path: Path, record: str | int | None = None):
    """Turn I/O and decoding failures while reading ``path`` into a ``CvrError``."""
    try:
        yield
    except CvrError:
        raise
    except UnicodeDecodeError as err:
        raise fail(path, f"file is not valid UTF-8 ({err.reason} at byte {err.start})", record) from None
    except OSError as err:
        raise fail(path, f"cannot read CVR file ({err.strerror or err})", record) from None


# ---------------------------------------------------------------------------------------------- CSV


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of a CSV file (RFC 4180 quoting), with read and format errors as CvrError."""
    import csv

    handle = open_text(path)
    try:
        with handle, reading(path):
            reader = csv.reader(handle, strict=True)
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as err:
                raise fail(path, f"malformed CSV ({err})", f"line {reader.line_num}") from None
    finally:
        handle.close()
