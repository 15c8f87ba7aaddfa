"""Clear Ballot CSV cast-vote records (``clearBallot``), as RCTab 2.0 reads them.

The first ten columns are ``RowNumber, BoxID, BoxPosition, BallotID, PrecinctID, BallotStyleID,
PrecinctStyleName, ScanComputerName, Status, Remade``; every later column is one (rank, choice) cell
with the header ``Choice_x_y:<contest>:<rank>:<vote rule>:<choice>:<party>`` (exactly six fields).
Only columns of the source's ``contestId`` are read; a choice equal to ``undeclaredWriteInLabel`` is the
UWI pseudo-candidate; columns whose rank is above ``maxRankingsAllowed`` are dropped. Quoted fields
(commas inside quotes) follow RFC 4180.

A cell of 1 means marked, 0 or blank not marked; anything else is an error, and so is a row without every
contest column, or a choice the config does not know.

Ids: tabulator = ``ScanComputerName``, supplied id = ``BallotID``, precinct = ``PrecinctID``; RCTab
gives Clear Ballot records no computed id and no batch. ``extra`` holds ``contest_id`` and
``ballot_type_id`` (``BallotStyleID``).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rctab.model import UWI, ContestConfig, Cvr, CvrSource
from ._guard import check_rankings, csv_rows, fail, parse_rank

CHOICES_BEGIN = 10
BALLOT_ID, PRECINCT_ID, BALLOT_STYLE_ID, SCAN_COMPUTER = 3, 4, 5, 7


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    path = source.file_path
    rows = csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise fail(path, "no header row")
    cells = header[1]
    if len(cells) <= CHOICES_BEGIN:
        raise fail(path, "no choice columns", "header")
    limit = config.rules.max_rankings
    label = source.undeclared_write_in_label
    columns: list[tuple[int, int, str]] = []
    for col in range(CHOICES_BEGIN, len(cells)):
        fields = cells[col].split(":")
        if len(fields) != 6:
            raise fail(path, f"column {col + 1} header {cells[col]!r} does not have 6 ':' fields", "header")
        if fields[1] != source.contest_id:
            continue
        rank = parse_rank(fields[2], path, f"header column {col + 1}")
        choice = UWI if label and fields[4] == label else fields[4]
        if config.name_for(choice) is None:
            raise fail(path, f"unrecognized candidate {fields[4]!r}", f"header column {col + 1}")
        if limit is not None and rank > limit:
            continue
        columns.append((col, rank, choice))
    need = max((c for c, _, _ in columns), default=SCAN_COMPUTER) + 1
    need = max(need, SCAN_COMPUTER + 1)
    contest = source.contest_id
    for line, row in rows:
        where = f"line {line}"
        if len(row) < need:
            raise fail(path, f"row has {len(row)} cells, needs {need}", where)
        pairs = []
        for col, rank, choice in columns:
            cell = row[col].strip()
            if cell == "1":
                pairs.append((rank, choice))
            elif cell not in ("0", ""):
                raise fail(path, f"cell {cell!r} in column {col + 1} is not 0 or 1", where)
        yield Cvr(
            rankings=check_rankings(pairs, config, path, where),
            source=source,
            supplied_id=row[BALLOT_ID],
            tabulator_id=row[SCAN_COMPUTER],
            precinct=row[PRECINCT_ID],
            extra={"contest_id": contest, "ballot_type_id": row[BALLOT_STYLE_ID]},
        )
