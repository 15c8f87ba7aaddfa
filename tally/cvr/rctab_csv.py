"""RCTab's own CVR CSV (``rctab_cvr.csv``), read back as provider ``rctabCsv``.

This is the vendor-neutral layout RCTab 2.0 writes and ``tally convert`` produces: a header
``Source Filepath, CVR Provider, Contest Id, RCTab CVR Id, Tabulator Id, Batch Id, Vendor Id, Precinct,
Precinct Portion, Rank 1, ..., Rank k`` and one row per CVR. A rank cell holds a candidate name (or
alias), ``undervote`` or nothing for no mark, ``overvote`` for the explicit overvote token, or several
names joined with ``|`` for an overvoted rank (a cell that is itself a known name is never split).

Every row is read, whatever its ``Contest Id`` (the config still needs some ``contestId`` for the source);
a cell equal to the source's ``undeclaredWriteInLabel`` is the UWI pseudo-candidate, so set that label
(``Undeclared Write-ins``, as ``tally convert`` writes it) when the file holds write-ins. The id columns
are carried over unchanged
(``record_id`` = RCTab CVR Id, ``supplied_id`` = Vendor Id, ...). A name the config does not know, a rank
column above ``maxRankingsAllowed`` holding a mark, or a row of the wrong width is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rctab.model import OVERVOTE, UWI, ContestConfig, Cvr, CvrSource
from ._guard import check_rankings, csv_rows, fail

FIXED = (
    "Source Filepath",
    "CVR Provider",
    "Contest Id",
    "RCTab CVR Id",
    "Tabulator Id",
    "Batch Id",
    "Vendor Id",
    "Precinct",
    "Precinct Portion",
)
UNDERVOTE = "undervote"
OVERVOTE_CELL = "overvote"
JOIN = "|"


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    rows = csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise fail(path, "no header row")
    cells = header[1]
    if tuple(cells[: len(FIXED)]) != FIXED:
        raise fail(path, f"header must start with: {', '.join(FIXED)}", "header")
    ranks = cells[len(FIXED) :]
    for k, label in enumerate(ranks, start=1):
        if label != f"Rank {k}":
            raise fail(path, f"column {len(FIXED) + k} must be 'Rank {k}', not {label!r}", "header")
    width = len(cells)
    name_for = config.name_for
    label = source.undeclared_write_in_label
    for line, row in rows:
        where = f"line {line}"
        if len(row) != width:
            raise fail(path, f"row has {len(row)} cells, the header {width}", where)
        pairs: list[tuple[int, str]] = []
        for k, cell in enumerate(row[len(FIXED) :], start=1):
            if cell in ("", UNDERVOTE):
                continue
            if cell == OVERVOTE_CELL:
                pairs.append((k, OVERVOTE))
            elif label and cell == label:
                pairs.append((k, UWI))
            elif name_for(cell) is not None or JOIN not in cell:
                pairs.append((k, cell))
            else:
                pairs.extend((k, part) for part in cell.split(JOIN))
        yield Cvr(
            rankings=check_rankings(pairs, config, path, where),
            source=source,
            record_id=row[3],
            tabulator_id=row[4],
            batch_id=row[5],
            supplied_id=row[6],
            precinct=row[7],
            precinct_portion=row[8],
            extra={"contest_id": row[2], "source_path": row[0], "provider": row[1]},
        )
