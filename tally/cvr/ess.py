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

import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath

from ..errors import CvrError
from ..rctab.model import OVERVOTE, UWI, ContestConfig, Cvr, CvrSource


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
    except Exception as err:  # calamine raises its own error types for bad zips, XML and formats
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


def _xml_rows(path: str) -> list[int]:
    """1-based numbers of the ``<row>`` elements of the first sheet, in document order."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _first_sheet_member(archive)
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
    except CvrError as err:
        raise CvrError(err.message, file=path) from None
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise CvrError(f"not a readable .xlsx workbook ({err})", file=path) from None


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    """Stream the CVRs of one ES&S workbook (see the module docstring for the rules)."""
    path = str(source.file_path)
    name = source.file_path.name
    sheet = _open(source)
    row0, col0 = sheet.start if sheet.start else (0, 0)
    first_row = (source.first_vote_row_index or 1) - 1
    first_col = (source.first_vote_column_index or 1) - 1
    max_ranks = config.rules.max_rankings or len(config.candidates)
    last_col = first_col + max_ranks
    id_col = source.id_column_index - 1 if source.id_column_index else None
    precinct_col = source.precinct_column_index - 1 if source.precinct_column_index else None
    batch_col = source.batch_column_index - 1 if source.batch_column_index else None
    overvote_label = source.overvote_label
    skipped_label = source.skipped_rank_label
    uwi_label = source.undeclared_write_in_label
    delimiter = source.overvote_delimiter
    blank_is_uwi = source.treat_blank_as_undeclared_write_in
    index = 0
    present = _xml_rows(path)
    try:
        data_rows = sheet.iter_rows()
        data_next = row0  # 0-based number of the next row iter_rows yields
        empty: list = []
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
            index += 1
            record = f"row {row_number + 1}"

            def cell(col: int | None, row=row) -> str:
                return _cell_text(row[col]) if col is not None and col < len(row) else ""

            rankings: list[tuple[int, str]] = []
            for col in range(first_col, last_col):
                rank = col - first_col + 1
                text = cell(col)
                if text == "":
                    if blank_is_uwi:
                        rankings.append((rank, UWI))
                    continue
                if delimiter:
                    parts = [p.strip() for p in text.split(delimiter)]
                    if any(p == "" for p in parts):
                        raise CvrError(
                            f"rank {rank}: empty candidate between overvote delimiters in {text!r}",
                            file=path,
                            record=record,
                        )
                    for part in parts:
                        if part in (overvote_label, skipped_label):
                            raise CvrError(
                                f"rank {rank}: {part!r} cannot appear in a cell split by the delimiter",
                                file=path,
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
            precinct = cell(precinct_col)
            yield Cvr(
                rankings=tuple(rankings),
                source=source,
                record_id=f"{name}-{index}",
                supplied_id=cell(id_col),
                batch_id=cell(batch_col),
                precinct=precinct,
            )
    except CvrError:
        raise
    except Exception as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CvrError(f"cannot read the workbook ({reason})", file=path) from None
