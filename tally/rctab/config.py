"""Load RCTab's contest config JSON into ``ContestConfig``, validating every rule at once.

The dialect (RCTab 2.0.1, ``RawContestConfig`` / ``ContestConfig.validate``): numbers may be strings or
JSON ints, blank strings mean "not set", unknown keys are ignored. Configs whose ``tabulatorVersion`` is
not ``"TEST"`` go through the migration of old enum names (``ContestConfigMigration``): old
``winnerElectionMode`` and ``tiebreakMode`` names are mapped to the current ones and label fields found in
``rules`` are moved to every CVR source that does not set them. A candidate's legacy ``code`` becomes an
alias. Relative CVR paths are resolved against the config file's folder.

Every problem found is collected; ``load`` raises one ``ConfigError`` listing them all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..cvr import PROVIDERS as READERS
from ..errors import ConfigError
from .model import UWI, CandidateConfig, ContestConfig, CvrSource, OutputSettings, Rules

TIEBREAK_MODES = (
    "random",
    "stopCountingAndAsk",
    "previousRoundCountsThenRandom",
    "previousRoundCountsThenAsk",
    "useCandidateOrder",
    "generatePermutation",
)
OVERVOTE_RULES = ("alwaysSkipToNextRank", "exhaustImmediately", "exhaustIfMultipleContinuing")
SINGLE = "singleWinnerMajority"
STV_ONE = "multiWinnerAllowOnlyOneWinnerPerRound"
STV_MANY = "multiWinnerAllowMultipleWinnersPerRound"
BOTTOMS_UP = "bottomsUp"
PERCENT = "bottomsUpUsingPercentageThreshold"
MULTI_PASS = "multiPassIrv"
WINNER_MODES = (SINGLE, STV_ONE, STV_MANY, BOTTOMS_UP, PERCENT, MULTI_PASS)
PROVIDERS = tuple(READERS)  # cdf, clearBallot, dominion, ess, hart, genericCsv (+ rctabCsv)
RANDOM_SEED_MODES = ("random", "previousRoundCountsThenRandom", "generatePermutation")

_OLD_TIEBREAK = {
    "interactive": "stopCountingAndAsk",
    "previousRoundCountsThenInteractive": "previousRoundCountsThenAsk",
    "usePermutationInConfig": "useCandidateOrder",
}
_LABEL_FIELDS = (
    "overvoteLabel",
    "undervoteLabel",
    "skippedRankLabel",
    "undeclaredWriteInLabel",
    "treatBlankAsUndeclaredWriteIn",
    "overvoteDelimiter",
)


class _Collector:
    def __init__(self):
        self.errors: list[str] = []

    def add(self, message: str) -> None:
        self.errors.append(message)

    def text(self, obj: dict, key: str, where: str, default: str = "") -> str:
        value = obj.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(f"{where}{key}: expected text, got {json.dumps(value)}")
            return default
        return str(value).strip() if isinstance(value, str) else str(value)

    def flag(self, obj: dict, key: str, where: str) -> bool:
        value = obj.get(key, False)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self.add(f"{where}{key}: expected true or false, got {json.dumps(value)}")
        return False

    def integer(self, obj: dict, key: str, where: str, lo: int | None = None, hi: int | None = None):
        """An int from a string or JSON int; ``None`` when blank or missing; errors when out of range."""
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            self.add(f"{where}{key}: expected an integer, got {json.dumps(value)}")
            return None
        try:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                number = int(value)
            else:
                number = int(str(value).strip())
        except ValueError:
            self.add(f"{where}{key}: expected an integer, got {json.dumps(value)}")
            return None
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            span = f"from {lo}" + (f" to {hi}" if hi is not None else " upwards")
            self.add(f"{where}{key}: {number} is out of range (allowed {span})")
            return None
        return number


def _blank(obj: dict, key: str) -> bool:
    value = obj.get(key)
    return value is None or (isinstance(value, str) and not value.strip())


def _migrate(raw: dict) -> None:
    """Rewrite an old config in place (``ContestConfigMigration``)."""
    rules = raw.setdefault("rules", {})
    if not isinstance(rules, dict):
        return
    mode = rules.get("winnerElectionMode")
    try:
        winners = int(str(rules.get("numberOfWinners", "1")).strip() or "1")
    except ValueError:
        winners = 1
    if mode == "standard":
        rules["winnerElectionMode"] = SINGLE if winners <= 1 else STV_MANY
    elif mode == "singleSeatContinueUntilTwoCandidatesRemain":
        rules["winnerElectionMode"] = SINGLE
        rules["continueUntilTwoCandidatesRemain"] = True
    elif mode in ("multiSeatAllowOnlyOneWinnerPerRound",):
        rules["winnerElectionMode"] = STV_ONE
    elif mode in ("multiSeatAllowMultipleWinnersPerRound",):
        rules["winnerElectionMode"] = STV_MANY
    elif mode == "multiSeatBottomsUp":
        pct = str(rules.get("multiSeatBottomsUpPercentageThreshold", "") or "").strip()
        rules["winnerElectionMode"] = PERCENT if winners == 0 or pct else BOTTOMS_UP
    elif mode == "multiSeatSequentialWinnerTakesAll":
        rules["winnerElectionMode"] = MULTI_PASS
    tiebreak = rules.get("tiebreakMode")
    if tiebreak in _OLD_TIEBREAK:
        rules["tiebreakMode"] = _OLD_TIEBREAK[tiebreak]
    for source in raw.get("cvrFileSources") or []:
        if isinstance(source, dict):
            for key in _LABEL_FIELDS:
                if key in rules and key not in source:
                    source[key] = rules[key]
    for cand in raw.get("candidates") or []:
        if isinstance(cand, dict) and cand.get("code"):
            cand.setdefault("aliases", [])
            if isinstance(cand["aliases"], list):
                cand["aliases"].append(cand["code"])


def _source(c: _Collector, raw: Any, i: int, folder: Path, tabulate_by_precinct: bool) -> CvrSource | None:
    where = f"cvrFileSources[{i}]."
    if not isinstance(raw, dict):
        c.add(f"cvrFileSources[{i}]: expected an object")
        return None
    provider = c.text(raw, "provider", where)
    if provider not in PROVIDERS:
        c.add(f"{where}provider: {provider!r} is not one of {', '.join(PROVIDERS)}")
    file_path = c.text(raw, "filePath", where)
    path = Path(file_path)
    if not file_path:
        c.add(f"{where}filePath is required")
    else:
        if not path.is_absolute():
            path = folder / path
        if not path.exists():
            c.add(f"{where}filePath: {file_path} does not exist")
    contest_id = c.text(raw, "contestId", where)
    tabular = provider in ("ess", "genericCsv")
    first_col = c.integer(raw, "firstVoteColumnIndex", where, 1, 1000)
    first_row = c.integer(raw, "firstVoteRowIndex", where, 1, 100000)
    id_col = c.integer(raw, "idColumnIndex", where, 1, 1000)
    batch_col = c.integer(raw, "batchColumnIndex", where, 1, 1000)
    precinct_col = c.integer(raw, "precinctColumnIndex", where, 1, 1000)
    if tabular:
        if _blank(raw, "firstVoteColumnIndex"):
            c.add(f"{where}firstVoteColumnIndex is required for provider {provider}")
        if provider == "ess" and _blank(raw, "firstVoteRowIndex"):
            c.add(f"{where}firstVoteRowIndex is required for provider ess")
        if provider == "ess" and tabulate_by_precinct and precinct_col is None:
            c.add(f"{where}precinctColumnIndex is required when tabulateByPrecinct is set")
    elif provider in PROVIDERS and provider != "ess" and not contest_id:
        c.add(f"{where}contestId is required for provider {provider}")
    skipped = c.text(raw, "skippedRankLabel", where) or c.text(raw, "undervoteLabel", where)
    source = CvrSource(
        provider=provider,
        file_path=path,
        contest_id=contest_id,
        first_vote_column_index=first_col,
        first_vote_row_index=first_row,
        id_column_index=id_col,
        batch_column_index=batch_col,
        precinct_column_index=precinct_col,
        overvote_delimiter=str(raw.get("overvoteDelimiter") or ""),
        overvote_label=c.text(raw, "overvoteLabel", where),
        skipped_rank_label=skipped,
        undeclared_write_in_label=c.text(raw, "undeclaredWriteInLabel", where),
        treat_blank_as_undeclared_write_in=c.flag(raw, "treatBlankAsUndeclaredWriteIn", where),
    )
    if source.overvote_delimiter and (
        source.overvote_delimiter.strip() == "" or "\\" in source.overvote_delimiter
    ):
        c.add(f"{where}overvoteDelimiter: {source.overvote_delimiter!r} is not allowed")
    if source.overvote_delimiter and source.overvote_label:
        c.add(f"{where}overvoteDelimiter and overvoteLabel cannot both be set")
    return source


def _candidates(c: _Collector, raw: Any) -> tuple[CandidateConfig, ...]:
    if not isinstance(raw, list):
        c.add("candidates: expected a list")
        return ()
    out = []
    seen: set[str] = set()
    for i, cand in enumerate(raw):
        where = f"candidates[{i}]."
        if not isinstance(cand, dict):
            c.add(f"candidates[{i}]: expected an object")
            continue
        name = c.text(cand, "name", where)
        if not name:
            c.add(f"{where}name is required")
            continue
        aliases_raw = cand.get("aliases") or []
        if not isinstance(aliases_raw, list):
            c.add(f"{where}aliases: expected a list")
            aliases_raw = []
        aliases = tuple(str(a).strip() for a in aliases_raw if str(a).strip())
        for label in (name, *aliases):
            if label in seen:
                c.add(f"{where}name or alias {label!r} is used more than once")
            seen.add(label)
        if name == UWI:
            c.add(f"{where}name {UWI!r} is reserved")
        out.append(CandidateConfig(name=name, aliases=aliases, excluded=c.flag(cand, "excluded", where)))
    if not out:
        c.add("candidates: at least one candidate is required")
    return tuple(out)


def _decimal_text(c: _Collector, raw: dict, key: str) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        from decimal import Decimal, InvalidOperation

        number = Decimal(text)
        if not number.is_finite():
            raise InvalidOperation
    except (ArithmeticError, ValueError):
        c.add(f"rules.{key}: expected a number, got {json.dumps(value)}")
        return None
    if not Decimal(1) <= number <= Decimal(100):
        c.add(f"rules.{key}: {text} is out of range (allowed 1 to 100)")
        return None
    return text


def _rules(c: _Collector, raw: Any) -> Rules | None:
    if not isinstance(raw, dict):
        c.add("rules: expected an object")
        raw = {}
    w = "rules."
    tiebreak = c.text(raw, "tiebreakMode", w)
    if tiebreak not in TIEBREAK_MODES:
        c.add(f"rules.tiebreakMode: {tiebreak!r} is not one of {', '.join(TIEBREAK_MODES)}")
    overvote = c.text(raw, "overvoteRule", w)
    if overvote not in OVERVOTE_RULES:
        c.add(f"rules.overvoteRule: {overvote!r} is not one of {', '.join(OVERVOTE_RULES)}")
    mode = c.text(raw, "winnerElectionMode", w)
    if mode not in WINNER_MODES:
        c.add(f"rules.winnerElectionMode: {mode!r} is not one of {', '.join(WINNER_MODES)}")
    seed = c.integer(raw, "randomSeed", w, -(2**47), 2**47 - 1)
    if tiebreak in RANDOM_SEED_MODES and _blank(raw, "randomSeed"):
        c.add(f"rules.randomSeed is required for tiebreakMode {tiebreak}")
    winners = c.integer(raw, "numberOfWinners", w, 0)
    if winners is None:
        if _blank(raw, "numberOfWinners"):
            c.add("rules.numberOfWinners is required")
    elif mode == SINGLE and winners != 1:
        c.add(f"rules.numberOfWinners must be 1 for {SINGLE}, got {winners}")
    elif mode in (STV_ONE, STV_MANY, BOTTOMS_UP, MULTI_PASS) and winners < 2:
        c.add(f"rules.numberOfWinners must be more than 1 for {mode}, got {winners}")
    elif mode == PERCENT and winners != 0:
        c.add(f"rules.numberOfWinners must be 0 for {PERCENT}, got {winners}")
    percentage = _decimal_text(c, raw, "multiSeatBottomsUpPercentageThreshold")
    if mode == PERCENT and _blank(raw, "multiSeatBottomsUpPercentageThreshold"):
        c.add(f"rules.multiSeatBottomsUpPercentageThreshold is required for {PERCENT}")
    places = c.integer(raw, "decimalPlacesForVoteArithmetic", w, 1, 20)
    if _blank(raw, "decimalPlacesForVoteArithmetic"):
        c.add("rules.decimalPlacesForVoteArithmetic is required")
    skipped_raw = str(raw.get("maxSkippedRanksAllowed", "")).strip()
    max_skipped = None
    if skipped_raw.lower() != "unlimited":
        max_skipped = c.integer(raw, "maxSkippedRanksAllowed", w, 0)
        if max_skipped is None and not skipped_raw:
            c.add("rules.maxSkippedRanksAllowed is required (an integer or 'unlimited')")
    rankings_raw = str(raw.get("maxRankingsAllowed", "")).strip()
    max_rankings = None
    if rankings_raw.lower() != "max":
        max_rankings = c.integer(raw, "maxRankingsAllowed", w, 1)
        if max_rankings is None and not rankings_raw:
            c.add("rules.maxRankingsAllowed is required (an integer or 'max')")
    non_integer = c.flag(raw, "nonIntegerWinningThreshold", w)
    hare = c.flag(raw, "hareQuota", w)
    first_round = c.flag(raw, "doesFirstRoundDetermineThreshold", w)
    batch = c.flag(raw, "batchElimination", w)
    cutoff = c.flag(raw, "cutoffElimination", w)
    until_two = c.flag(raw, "continueUntilTwoCandidatesRemain", w)
    stop_after = c.integer(raw, "stopTabulationEarlyAfterRound", w, 1)
    duplicate = c.flag(raw, "exhaustOnDuplicateCandidate", w)
    stv = mode in (STV_ONE, STV_MANY)
    if non_integer and hare:
        c.add("rules: nonIntegerWinningThreshold and hareQuota cannot both be true")
    if (non_integer or hare) and not stv and mode in WINNER_MODES:
        c.add("rules: nonIntegerWinningThreshold and hareQuota are only allowed for multi-winner STV modes")
    if batch and mode in (STV_ONE, STV_MANY, BOTTOMS_UP, PERCENT):
        c.add(f"rules.batchElimination is not allowed with {mode}")
    if until_two and mode in (STV_ONE, STV_MANY, BOTTOMS_UP, PERCENT):
        c.add(f"rules.continueUntilTwoCandidatesRemain is not allowed with {mode}")
    if first_round and mode not in (SINGLE, PERCENT) and mode in WINNER_MODES:
        c.add(f"rules.doesFirstRoundDetermineThreshold is not allowed with {mode}")
    if cutoff and mode != PERCENT and mode in WINNER_MODES:
        c.add(f"rules.cutoffElimination is only allowed with {PERCENT}")
    if c.errors:
        return None
    return Rules(
        tiebreak_mode=tiebreak,
        overvote_rule=overvote,
        winner_election_mode=mode,
        random_seed=seed,
        number_of_winners=winners,
        percentage_threshold=percentage,
        decimal_places=places,
        max_skipped_ranks=max_skipped,
        max_rankings=max_rankings,
        non_integer_threshold=non_integer,
        first_round_determines_threshold=first_round,
        hare_quota=hare,
        batch_elimination=batch,
        cutoff_elimination=cutoff,
        continue_until_two=until_two,
        stop_after_round=stop_after,
        exhaust_on_duplicate=duplicate,
    )


def parse(raw: Any, path: Path) -> ContestConfig:
    """Build a ``ContestConfig`` from parsed JSON; ``path`` is the config file (for relative CVR paths)."""
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a JSON object", file=str(path))
    if str(raw.get("tabulatorVersion", "")) != "TEST":
        _migrate(raw)
    c = _Collector()
    out_raw = raw.get("outputSettings")
    if not isinstance(out_raw, dict):
        c.add("outputSettings: expected an object")
        out_raw = {}
    w = "outputSettings."
    output = OutputSettings(
        contest_name=c.text(out_raw, "contestName", w),
        output_directory=c.text(out_raw, "outputDirectory", w),
        contest_date=c.text(out_raw, "contestDate", w),
        contest_jurisdiction=c.text(out_raw, "contestJurisdiction", w),
        contest_office=c.text(out_raw, "contestOffice", w),
        tabulate_by_precinct=c.flag(out_raw, "tabulateByPrecinct", w),
        tabulate_by_batch=c.flag(out_raw, "tabulateByBatch", w),
        generate_cdf_json=c.flag(out_raw, "generateCdfJson", w),
    )
    if not output.contest_name:
        c.add("outputSettings.contestName is required")
    sources_raw = raw.get("cvrFileSources")
    sources = []
    if not isinstance(sources_raw, list) or not sources_raw:
        c.add("cvrFileSources: at least one CVR source is required")
    else:
        for i, s in enumerate(sources_raw):
            src = _source(c, s, i, path.parent, output.tabulate_by_precinct)
            if src is not None:
                sources.append(src)
    candidates = _candidates(c, raw.get("candidates"))
    rules = _rules(c, raw.get("rules"))
    if rules is not None:
        for i, s in enumerate(sources):
            if s.overvote_label and rules.overvote_rule == "exhaustIfMultipleContinuing":
                c.add(f"cvrFileSources[{i}].overvoteLabel cannot be used with exhaustIfMultipleContinuing")
    if c.errors:
        raise ConfigError(c.errors, file=str(path))
    uwi = any(s.undeclared_write_in_label or s.treat_blank_as_undeclared_write_in for s in sources)
    return ContestConfig(
        path=path,
        output=output,
        sources=tuple(sources),
        candidates=candidates,
        rules=rules,
        uwi_enabled=uwi,
    )


def load(path: str | Path) -> ContestConfig:
    """Read and validate a config file; ``ConfigError`` lists every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config: {err.strerror or err}", file=str(p)) from None
    except UnicodeDecodeError:
        raise ConfigError("config is not UTF-8 text", file=str(p)) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})", file=str(p)
        ) from None
    return parse(raw, p.resolve())


load_config = load  # the name tally.cvr.convert uses
