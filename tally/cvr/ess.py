"""ES&S cast-vote records: the first sheet of an ``.xlsx`` workbook, one CVR per row.

Rules (RCTab's ES&S reader):
- rows before ``firstVoteRowIndex`` are headers; from there every ``<row>`` element of the sheet's XML is
  one CVR, even an empty one (an undervote), while rows absent from the XML are not CVRs (RCTab reads the
  sheet with a SAX row handler);
- rank k is column ``firstVoteColumnIndex + k - 1``, for k up to ``maxRankingsAllowed`` (``"max"``: the
  number of declared candidates); columns beyond are never read;
- ``idColumnIndex``, ``precinctColumnIndex`` and ``batchColumnIndex`` name the ballot id, precinct and
  batch columns (1-based); numbers such as ``12.0`` are written as ``12``;
- a cell equal to ``skippedRankLabel``, or blank, is no mark (blank counts as an undeclared write-in when
  ``treatBlankAsUndeclaredWriteIn`` is set); a cell equal to ``overvoteLabel`` is the overvote token; a cell
  equal to ``undeclaredWriteInLabel`` is an undeclared write-in; with ``overvoteDelimiter`` a cell is split
  into several marks (an overvote when more than one);
- the record id RCTab computes is ``<file name>-<n>`` for the n-th CVR of the file.
"""

from __future__ import annotations

import collections
import itertools
import operator
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath

from ..errors import CvrError
from ..rctab.model import OVERVOTE, UWI, ContestConfig, Cvr, CvrSource
from . import _xlsx_rows
from ._guard import check_zip

_PASS_THROUGH = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time | timedelta):
        return str(value)
    return str(value).strip()


def _open(source: CvrSource):
    check_zip(source.file_path)  # not a zip, or a zip bomb: refused before calamine inflates anything
    try:
        import python_calamine as pc

        workbook = pc.CalamineWorkbook.from_path(str(source.file_path))
        if not workbook.sheet_names:
            raise CvrError("the workbook has no sheet", file=str(source.file_path))
        return workbook.get_sheet_by_index(0)
    except CvrError:
        raise
    except FileNotFoundError:
        raise CvrError("no such file", file=str(source.file_path)) from None
    except _PASS_THROUGH:
        raise
    except BaseException as err:  # calamine's own errors, and a Rust panic (a BaseException) on bad data
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CvrError(f"not a readable .xlsx workbook ({reason})", file=str(source.file_path)) from None


_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")
_SHEET = re.compile(r"<(?:\w+:)?sheet\b[^>]*?\b(?:\w+:)?id=\"([^\"]+)\"")
_REL = re.compile(r"<Relationship\b[^>]*>")


def _first_sheet_member(archive: zipfile.ZipFile) -> str:
    """The zip member holding the workbook's first sheet (via workbook.xml and its relationships)."""
    names = set(archive.namelist())
    try:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        rel_id = _SHEET.search(workbook).group(1)
        for rel in _REL.findall(rels):
            if f'Id="{rel_id}"' in rel:
                target = re.search(r'Target="([^"]+)"', rel).group(1)
                member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                if member in names:
                    return member
    except (KeyError, AttributeError):
        pass
    for fallback in ("xl/worksheets/sheet1.xml",):
        if fallback in names:
            return fallback
    raise CvrError("the workbook has no readable first sheet")


def _xml_rows(path: str, last_row: int) -> Sequence[int]:
    """1-based numbers of the ``<row>`` elements of the first sheet, in document order.

    Fast path: when the sheet XML holds exactly ``last_row`` row tags and the last one is row
    ``last_row``, the rows are 1..last_row (row numbers are distinct and increasing); otherwise every row
    tag is parsed.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            member = _first_sheet_member(archive)
            count = 0
            last_tag = b""
            tail = b""
            with archive.open(member) as stream:
                while True:
                    chunk = stream.read(1 << 22)
                    data = tail + chunk
                    if chunk:  # keep a possibly cut tag (or the last 3 bytes) for the next round
                        found = data.rfind(b"<row")
                        keep = found if found > len(data) - 100 else len(data) - 3
                        end = max(keep, 0) + 3
                    else:
                        keep = end = len(data)
                    count += data.count(b"<row", 0, end)
                    last = data.rfind(b"<row", 0, end)
                    if last >= 0:
                        last_tag = data[last : last + 100]
                    tail = data[max(keep, 0) :]
                    if not chunk:
                        break
            number = _ROW_NUMBER.search(last_tag)
            if count == last_row and number and int(number.group(1)) == last_row:
                return range(1, last_row + 1)
            return _parse_rows(archive, member)
    except CvrError as err:
        raise CvrError(err.message, file=path) from None
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise CvrError(f"not a readable .xlsx workbook ({err})", file=path) from None


def _parse_rows(archive: zipfile.ZipFile, member: str) -> list[int]:
    numbers: list[int] = []
    tail = b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(1 << 22)
            data = tail + chunk
            end = len(data) if not chunk else data.rfind(b"<")
            if end <= 0:
                end = len(data)
            for match in _ROW.finditer(data, 0, end):
                found = _ROW_NUMBER.search(match.group(1))
                numbers.append(int(found.group(1)) if found else (numbers[-1] + 1 if numbers else 1))
            tail = data[end:]
            if not chunk:
                break
    return numbers


class _Layout:
    """The column layout and labels of one ES&S source."""

    def __init__(self, source: CvrSource, config: ContestConfig):
        self.source = source
        self.path = str(source.file_path)
        self.name = source.file_path.name
        self.first_row = (source.first_vote_row_index or 1) - 1
        self.first_col = (source.first_vote_column_index or 1) - 1
        self.last_col = self.first_col + (config.rules.max_rankings or len(config.candidates))
        self.id_col = source.id_column_index - 1 if source.id_column_index else None
        self.precinct_col = source.precinct_column_index - 1 if source.precinct_column_index else None
        self.batch_col = source.batch_column_index - 1 if source.batch_column_index else None
        self.contiguous = False  # set by rows(): the sheet's row elements are exactly rows 1..end

    def rows(self) -> Iterator[tuple[int, list]]:
        """(0-based row number, cells) for every row element at or after ``firstVoteRowIndex``."""
        sheet = _open(self.source)
        row0, col0 = sheet.start if sheet.start else (0, 0)
        end = sheet.end[0] + 1 if sheet.end else 0
        present = _xml_rows(self.path, end)
        self.contiguous = isinstance(present, range) and row0 == 0 and col0 == 0
        if self.contiguous:
            # every row 1..end is a row element: calamine's rows are the CVR rows
            return itertools.islice(enumerate(sheet.iter_rows()), self.first_row, None)
        return self._aligned(sheet, present, row0, col0)

    def _aligned(self, sheet, present: Sequence[int], row0: int, col0: int) -> Iterator[tuple[int, list]]:
        data_rows = sheet.iter_rows()
        data_next = row0  # 0-based number of the next row iter_rows yields
        empty: list = []
        first_row = self.first_row
        for xml_row in present:
            row_number = xml_row - 1
            if row_number < first_row:
                continue
            row = empty
            while data_next <= row_number:
                fetched = next(data_rows, None)
                if fetched is None:
                    data_next = 1 << 62
                    break
                if data_next == row_number:
                    row = [None] * col0 + list(fetched) if col0 else fetched
                data_next += 1
            yield row_number, row

    def cell(self, row: list, col: int | None) -> str:
        return _cell_text(row[col]) if col is not None and col < len(row) else ""

    def cvr(self, row: list, row_number: int, index: int) -> Cvr:
        source = self.source
        overvote_label = source.overvote_label
        skipped_label = source.skipped_rank_label
        uwi_label = source.undeclared_write_in_label
        delimiter = source.overvote_delimiter
        record = f"row {row_number + 1}"
        rankings: list[tuple[int, str]] = []
        for col in range(self.first_col, self.last_col):
            rank = col - self.first_col + 1
            text = self.cell(row, col)
            if text == "":
                if source.treat_blank_as_undeclared_write_in:
                    rankings.append((rank, UWI))
                continue
            if delimiter:
                parts = [p.strip() for p in text.split(delimiter)]
                if any(p == "" for p in parts):
                    raise CvrError(
                        f"rank {rank}: empty candidate between overvote delimiters in {text!r}",
                        file=self.path,
                        record=record,
                    )
                for part in parts:
                    if part in (overvote_label, skipped_label):
                        raise CvrError(
                            f"rank {rank}: {part!r} cannot appear in a cell split by the delimiter",
                            file=self.path,
                            record=record,
                        )
                    rankings.append((rank, UWI if uwi_label and part == uwi_label else part))
            elif overvote_label and text == overvote_label:
                rankings.append((rank, OVERVOTE))
            elif skipped_label and text == skipped_label:
                continue
            elif uwi_label and text == uwi_label:
                rankings.append((rank, UWI))
            else:
                rankings.append((rank, text))
        return Cvr(
            rankings=tuple(rankings),
            source=source,
            record_id=f"{self.name}-{index}",
            supplied_id=self.cell(row, self.id_col),
            batch_id=self.cell(row, self.batch_col),
            precinct=self.cell(row, self.precinct_col),
        )


def _guarded(path: str, items: Iterator):
    try:
        yield from items
    except CvrError:
        raise
    except _PASS_THROUGH:
        raise
    except BaseException as err:  # calamine and zip errors (or a Rust panic) surface while iterating
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CvrError(f"cannot read the workbook ({reason})", file=path) from None


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    """Stream the CVRs of one ES&S workbook (see the module docstring for the rules)."""
    layout = _Layout(source, config)

    def cvrs():
        for index, (row_number, row) in enumerate(layout.rows(), start=1):
            yield layout.cvr(row, row_number, index)

    return _guarded(layout.path, cvrs())


def _byte_counts(layout: _Layout):
    """Rows counted on the sheet's bytes (``_xlsx_rows``), or ``None`` to read with calamine.

    Not tried when an id column is configured: every row is distinct then.
    """
    if layout.id_col is not None:
        return None
    check_zip(layout.source.file_path)
    try:
        with zipfile.ZipFile(layout.path) as archive:
            return _xlsx_rows.count_rows(archive, _first_sheet_member(archive), layout.first_row)
    except _PASS_THROUGH:
        raise
    except BaseException:  # anything unexpected: calamine reads the file and reports on it
        return None


def read_counted(source: CvrSource, config: ContestConfig) -> Iterator[tuple[Cvr, int]]:
    """Identical rows (same rank cells, precinct and batch) read once, as (CVR, count) in first-seen order.

    The CVR carries the id of one such row (the first, or the last on the fast path); ids of the others
    are not kept (use ``read`` when every
    CVR's id matters, e.g. for CDF output). Precinct and batch only tell rows apart when the config asks
    for precinct or batch slices; otherwise they are left out of the CVRs.
    """
    layout = _Layout(source, config)
    lo, hi = layout.first_col, layout.last_col
    fast = _byte_counts(layout)
    pcol = layout.precinct_col if config.output.tabulate_by_precinct else None
    bcol = layout.batch_col if config.output.tabulate_by_batch else None
    if pcol is None:
        layout.precinct_col = None
    if bcol is None:
        layout.batch_col = None

    def counted_fast(rows):
        # C-level loop: count rank-cell tuples; the CVR built for a tuple names its last row
        keys = map(tuple, map(operator.itemgetter(slice(lo, hi)), map(operator.itemgetter(1), rows)))
        for_count, for_index = itertools.tee(keys)
        counts = collections.Counter(for_count)
        last = dict(zip(for_index, itertools.count(1), strict=False))
        pad = [None] * lo
        for key, n in counts.items():
            index = last[key]
            yield layout.cvr(pad + list(key), layout.first_row + index - 1, index), n

    def counted():
        if fast is not None:
            for cells, n, index in fast:
                yield layout.cvr(cells, layout.first_row + index - 1, index), n
            return
        rows = layout.rows()
        if pcol is None and bcol is None and layout.contiguous:
            yield from counted_fast(rows)
            return
        seen: dict[tuple, list] = {}
        for index, (row_number, row) in enumerate(rows, start=1):
            if pcol is None and bcol is None:
                key = tuple(row[lo:hi])
            else:
                key = (
                    tuple(row[lo:hi]),
                    row[pcol] if pcol is not None and pcol < len(row) else None,
                    row[bcol] if bcol is not None and bcol < len(row) else None,
                )
            entry = seen.get(key)
            if entry is None:
                seen[key] = [layout.cvr(row, row_number, index), 1]
            else:
                entry[1] += 1
        yield from ((cvr, count) for cvr, count in seen.values())

    return _guarded(layout.path, counted())
