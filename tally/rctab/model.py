"""The data an RCTab contest is made of: its config (as parsed and validated) and its cast-vote records.

``config.py`` builds a ``ContestConfig`` from RCTab's JSON dialect; the readers in ``tally.cvr`` turn each
``CvrSource`` into ``Cvr`` records; the tabulator counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

UWI = "Undeclared Write-ins"  # RCTab's pseudo-candidate for undeclared write-ins
OVERVOTE = "overvote"  # the explicit overvote token a reader emits for an overvote label / CDF overvote


@dataclass(frozen=True)
class CandidateConfig:
    name: str
    aliases: tuple[str, ...] = ()
    excluded: bool = False


@dataclass(frozen=True)
class CvrSource:
    """One entry of ``cvrFileSources``; indices are 1-based as in the config, ``None`` when blank."""

    provider: str  # cdf | clearBallot | dominion | ess | hart | genericCsv
    file_path: Path  # resolved against the config's folder
    contest_id: str = ""
    first_vote_column_index: int | None = None
    first_vote_row_index: int | None = None
    id_column_index: int | None = None
    batch_column_index: int | None = None
    precinct_column_index: int | None = None
    overvote_delimiter: str = ""
    overvote_label: str = ""
    skipped_rank_label: str = ""
    undeclared_write_in_label: str = ""
    treat_blank_as_undeclared_write_in: bool = False


@dataclass(frozen=True)
class Rules:
    tiebreak_mode: str
    overvote_rule: str
    winner_election_mode: str
    random_seed: int | None
    number_of_winners: int
    percentage_threshold: str | None  # decimal text of multiSeatBottomsUpPercentageThreshold
    decimal_places: int
    max_skipped_ranks: int | None  # None = unlimited
    max_rankings: int | None  # None = "max" (no limit)
    non_integer_threshold: bool
    first_round_determines_threshold: bool
    hare_quota: bool
    batch_elimination: bool
    cutoff_elimination: bool
    continue_until_two: bool
    stop_after_round: int | None
    exhaust_on_duplicate: bool


@dataclass(frozen=True)
class OutputSettings:
    contest_name: str = ""
    output_directory: str = ""
    contest_date: str = ""
    contest_jurisdiction: str = ""
    contest_office: str = ""
    tabulate_by_precinct: bool = False
    tabulate_by_batch: bool = False
    generate_cdf_json: bool = False


@dataclass(frozen=True)
class ContestConfig:
    path: Path  # the config file; CVR paths are resolved against its folder
    output: OutputSettings
    sources: tuple[CvrSource, ...]
    candidates: tuple[CandidateConfig, ...]
    rules: Rules
    uwi_enabled: bool  # any source has a UWI label or treats blanks as UWI

    def name_for(self, cvr_string: str) -> str | None:
        """The candidate name a CVR string stands for (name or alias), UWI/overvote as is, else None."""
        return self._aliases.get(cvr_string)

    @property
    def _aliases(self) -> dict[str, str]:
        table = self.__dict__.get("_alias_table")
        if table is None:
            table = {}
            for cand in self.candidates:
                table[cand.name] = cand.name
                for alias in cand.aliases:
                    table[alias] = cand.name
            if self.uwi_enabled:
                table[UWI] = UWI
            table[OVERVOTE] = OVERVOTE
            object.__setattr__(self, "_alias_table", table)
        return table


@dataclass(slots=True)
class Cvr:
    """One cast-vote record as RCTab sees it.

    ``rankings`` holds ``(rank, cvr_string)`` pairs sorted by rank; several strings at one rank are an
    overvote; ``OVERVOTE`` is the explicit overvote token and ``UWI`` an undeclared write-in. Strings are
    raw (aliases unresolved): duplicate detection compares raw strings, as RCTab does.
    """

    rankings: tuple[tuple[int, str], ...]
    source: CvrSource
    record_id: str = ""  # RCTab's computed id (file + record number) used in CDF/CSV conversion output
    supplied_id: str = ""  # id as given in the file, if any
    tabulator_id: str = ""
    batch_id: str = ""
    precinct: str = ""
    precinct_portion: str = ""
    extra: dict[str, str] = field(default_factory=dict)
