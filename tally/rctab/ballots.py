"""Grouped cast-vote records: identical CVRs merged into one weighted record before counting.

Two CVRs are identical when their rankings (raw strings, per rank), precinct and batch are equal. Grouping
is exact for every RCTab rule: each CVR of a group takes the same path through every round, and RCTab
truncates per ballot, so a group's value is its count times the per-ballot value (design §7).

Each mark is kept as ``(raw string, candidate index)``; the index is ``OVERVOTE_INDEX`` for the explicit
overvote token. Aliases are resolved to the candidate's index; duplicate detection still compares the
raw strings, as RCTab does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import CvrError
from .model import OVERVOTE, UWI, ContestConfig, Cvr

OVERVOTE_INDEX = -2

Marks = tuple[tuple[str, int], ...]


@dataclass(slots=True)
class Group:
    rankings: tuple[tuple[int, Marks], ...]  # (rank, marks) for ranks holding at least one mark
    weight: int
    precinct: str
    batch: str
    members: list[int] = field(default_factory=list)  # CVR indices, kept only when asked


@dataclass
class BallotSet:
    candidates: list[str]  # config order (excluded included), then UWI when present
    excluded: set[str]
    groups: list[Group]
    cvrs: list[Cvr] | None  # kept for CDF output
    uwi: bool
    has_precincts: bool
    has_batches: bool

    @property
    def total(self) -> int:
        return sum(g.weight for g in self.groups)


def candidate_names(config: ContestConfig) -> list[str]:
    return [c.name for c in config.candidates]


def build(config: ContestConfig, cvrs: Iterable[Cvr], *, keep_cvrs: bool = False) -> BallotSet:
    """Check every CVR string against the config and group identical CVRs."""
    return build_counted(config, ((cvr, 1) for cvr in cvrs), keep_cvrs=keep_cvrs)


def build_counted(
    config: ContestConfig, items: Iterable[tuple[Cvr, int]], *, keep_cvrs: bool = False
) -> BallotSet:
    """``build`` over (CVR, number of identical CVRs) pairs, as fast readers deliver them."""
    names = candidate_names(config)
    index: dict[str, int] = {}
    for i, cand in enumerate(config.candidates):
        index[cand.name] = i
        for alias in cand.aliases:
            index[alias] = i
    uwi_index = len(names)
    uwi_used = config.uwi_enabled
    groups: dict[tuple, Group] = {}
    kept: list[Cvr] | None = [] if keep_cvrs else None
    has_precinct = has_batch = False
    mark_cache: dict[str, tuple[str, int]] = {}
    for n, (cvr, count) in enumerate(items):
        if kept is not None:
            kept.append(cvr)
        if cvr.precinct:
            has_precinct = True
        if cvr.batch_id:
            has_batch = True
        key = (cvr.rankings, cvr.precinct, cvr.batch_id)
        group = groups.get(key)
        if group is None:
            ranked: list[tuple[int, Marks]] = []
            current_rank = None
            marks: list[tuple[str, int]] = []
            for rank, raw in cvr.rankings:
                mark = mark_cache.get(raw)
                if mark is None:
                    if raw == OVERVOTE:
                        mark = (raw, OVERVOTE_INDEX)
                    elif raw == UWI:
                        mark = (raw, uwi_index)
                    elif raw in index:
                        mark = (raw, index[raw])
                    else:
                        raise CvrError(
                            f"candidate {raw!r} (rank {rank}) is not a name or alias in the config",
                            file=str(cvr.source.file_path),
                            record=cvr.supplied_id or cvr.record_id or f"CVR {n + 1}",
                        )
                    mark_cache[raw] = mark
                if mark[1] == uwi_index:
                    uwi_used = True
                if rank != current_rank:
                    if marks:
                        ranked.append((current_rank, tuple(marks)))
                    current_rank, marks = rank, []
                marks.append(mark)
            if marks:
                ranked.append((current_rank, tuple(marks)))
            group = Group(tuple(ranked), 0, cvr.precinct, cvr.batch_id)
            groups[key] = group
        group.weight += count
        if kept is not None:
            group.members.append(n)
    all_names = names + ([UWI] if uwi_used else [])
    return BallotSet(
        candidates=all_names,
        excluded={c.name for c in config.candidates if c.excluded},
        groups=list(groups.values()),
        cvrs=kept,
        uwi=uwi_used,
        has_precincts=has_precinct,
        has_batches=has_batch,
    )
