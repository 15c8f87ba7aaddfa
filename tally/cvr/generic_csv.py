"""Generic CSV cast-vote records (RCTab's ``genericCsv`` provider).

Layout: row 1 holds candidate names from column ``firstVoteColumnIndex`` on (a blank name is an error);
every later row is one CVR (RCTab ignores ``firstVoteRowIndex`` here: every row after the header is read)
and each of its cells from that column on is the rank the voter gave that candidate, blank for none.
The column whose header equals the source's ``undeclaredWriteInLabel`` is the UWI pseudo-candidate.

Errors: a cell that is not a whole number, a rank above ``maxRankingsAllowed``, a non-blank cell beyond
the header's last column, a candidate the config does not know.

Ids: ``record_id`` is the CVR's 1-based row number after the header; ``supplied_id``, ``precinct`` and
``batch_id`` come from ``idColumnIndex``, ``precinctColumnIndex`` and ``batchColumnIndex`` when set
(empty when the column is not configured or the cell is blank).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rctab.model import UWI, ContestConfig, Cvr, CvrSource
from ._guard import check_rankings, csv_rows, fail, parse_rank


def _column(index: int | None, name: str, source: CvrSource) -> int | None:
    if index is None:
        return None
    if index < 1:
        raise fail(source, f"{name} must be 1 or more")
    return index - 1


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    first_col = _column(source.first_vote_column_index, "firstVoteColumnIndex", source)
    if first_col is None:
        raise fail(source, "genericCsv needs firstVoteColumnIndex")
    id_col = _column(source.id_column_index, "idColumnIndex", source)
    precinct_col = _column(source.precinct_column_index, "precinctColumnIndex", source)
    batch_col = _column(source.batch_column_index, "batchColumnIndex", source)
    rows = csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise fail(path, "CSV file has no header row")
    names = header[1][first_col:]
    if not names:
        raise fail(path, f"no candidate columns from column {first_col + 1}", "header")
    for col, name in enumerate(names, start=first_col + 1):
        if not name.strip():
            raise fail(path, f"candidate name in column {col} is empty", "header")
    label = source.undeclared_write_in_label
    names = [UWI if label and n == label else n for n in names]
    width = first_col + len(names)
    index = 0
    for line, row in rows:
        index += 1
        where = f"row {index} (line {line})"
        pairs = []
        for col in range(first_col, len(row)):
            cell = row[col]
            if not cell.strip():
                continue
            if col >= width:
                raise fail(path, f"column {col + 1} is beyond the header's {width} columns", where)
            pairs.append((parse_rank(cell, path, where), names[col - first_col]))
        yield Cvr(
            rankings=check_rankings(pairs, config, path, where),
            source=source,
            record_id=str(index),
            supplied_id=_cell(row, id_col, path, where),
            precinct=_cell(row, precinct_col, path, where),
            batch_id=_cell(row, batch_col, path, where),
        )


def _cell(row: list[str], col: int | None, path, where) -> str:
    if col is None:
        return ""
    if col >= len(row):
        raise fail(path, f"row has no column {col + 1}", where)
    return row[col].strip()
