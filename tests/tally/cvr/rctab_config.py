"""A minimal RCTab config reader for reader tests: builds ContestConfig/CvrSource directly from the JSON.

It reads only what the readers use (sources, candidates, maxRankingsAllowed); the real, validating loader
is ``tally.rctab.config``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tally.rctab.model import CandidateConfig, ContestConfig, CvrSource, OutputSettings, Rules


def _int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def source_from(raw: dict, folder: Path) -> CvrSource:
    return CvrSource(
        provider=raw.get("provider", ""),
        file_path=(folder / raw.get("filePath", "")),
        contest_id=str(raw.get("contestId", "") or ""),
        first_vote_column_index=_int(raw.get("firstVoteColumnIndex")),
        first_vote_row_index=_int(raw.get("firstVoteRowIndex")),
        id_column_index=_int(raw.get("idColumnIndex")),
        batch_column_index=_int(raw.get("batchColumnIndex")),
        precinct_column_index=_int(raw.get("precinctColumnIndex")),
        overvote_delimiter=raw.get("overvoteDelimiter", "") or "",
        overvote_label=raw.get("overvoteLabel", "") or "",
        skipped_rank_label=raw.get("skippedRankLabel", "") or "",
        undeclared_write_in_label=raw.get("undeclaredWriteInLabel", "") or "",
        treat_blank_as_undeclared_write_in=bool(raw.get("treatBlankAsUndeclaredWriteIn", False)),
    )


def make_config(
    path: Path,
    sources: list[CvrSource],
    candidates: list[CandidateConfig],
    max_rankings: int | None = None,
    output: OutputSettings | None = None,
) -> ContestConfig:
    rules = Rules(
        tiebreak_mode="random",
        overvote_rule="alwaysSkipToNextRank",
        winner_election_mode="singleWinnerMajority",
        random_seed=0,
        number_of_winners=1,
        percentage_threshold=None,
        decimal_places=4,
        max_skipped_ranks=None,
        max_rankings=max_rankings,
        non_integer_threshold=False,
        first_round_determines_threshold=False,
        hare_quota=False,
        batch_elimination=False,
        cutoff_elimination=False,
        continue_until_two=False,
        stop_after_round=None,
        exhaust_on_duplicate=False,
    )
    uwi = any(s.undeclared_write_in_label or s.treat_blank_as_undeclared_write_in for s in sources)
    return ContestConfig(
        path=path,
        output=output or OutputSettings(),
        sources=tuple(sources),
        candidates=tuple(candidates),
        rules=rules,
        uwi_enabled=uwi,
    )


def load(config_path: Path) -> ContestConfig:
    raw = json.loads(config_path.read_text())
    folder = config_path.parent
    sources = [source_from(s, folder) for s in raw["cvrFileSources"]]
    cands = [
        CandidateConfig(
            name=c["name"].strip(),
            aliases=tuple(a.strip() for a in c.get("aliases", []) + ([c["code"]] if c.get("code") else [])),
            excluded=bool(c.get("excluded", False)),
        )
        for c in raw["candidates"]
    ]
    max_rank = raw["rules"].get("maxRankingsAllowed", "max")
    out = raw.get("outputSettings", {})
    output = OutputSettings(
        contest_name=out.get("contestName", ""),
        contest_date=out.get("contestDate", ""),
        contest_jurisdiction=out.get("contestJurisdiction", ""),
        contest_office=out.get("contestOffice", ""),
        generate_cdf_json=bool(out.get("generateCdfJson", False)),
    )
    return make_config(
        config_path, sources, cands, None if max_rank in ("max", "", None) else int(max_rank), output
    )
