"""An RCTab run end to end (``TabulatorSession``): config -> CVRs -> grouped ballots -> passes -> reports.

``run(config_path, out_dir)`` writes every report into a fresh temporary folder beside ``out_dir`` and
moves the files into place only after the whole count succeeded, so a failed run leaves nothing
half-written. File names are RCTab's expected names without the ``<case>_`` prefix and ``expected_``
marker: ``detailed_report.json``, ``detailed_report.csv``, ``summary_report.csv``; multi-pass IRV writes
``<n>_detailed_report.json`` etc. per pass; slices go to ``Tabulate by Precinct/<id>_precinct_...`` and
``Tabulate by Batch/<id>_batch_...``; ``cdf_cvr.json`` when ``generateCdfJson`` is set.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import localcontext
from pathlib import Path

from .. import __version__
from ..cvr import PROVIDERS, read_source
from ..errors import TallyError
from . import report_csv, report_json
from .ballots import BallotSet, build_counted
from .config import MULTI_PASS, load
from .model import ContestConfig
from .tabulator import EXACT, Tabulation, Tabulator
from .tiebreak import Decisions

GENERATED_BY = f"tally {__version__}"
SLICE_FOLDERS = {"precinct": "Tabulate by Precinct", "batch": "Tabulate by Batch"}
NO_ID = {"precinct": "no precinct id", "batch": "no batch id"}


@dataclass
class SessionResult:
    config: ContestConfig
    passes: list[Tabulation]
    files: list[str] = field(default_factory=list)

    @property
    def winners(self) -> list[str]:
        return [w for tab in self.passes for w in tab.winners]


def read_ballots(config: ContestConfig, *, keep_cvrs: bool = False) -> BallotSet:
    """Every source's CVRs, grouped. Readers with ``read_counted`` merge identical rows while reading
    (used unless each CVR must be kept, e.g. for the CDF export)."""

    def counted():
        for source in config.sources:
            name = PROVIDERS.get(source.provider)
            module = importlib.import_module(f"tally.cvr.{name}") if name else None
            if not keep_cvrs and hasattr(module, "read_counted"):
                yield from module.read_counted(source, config)
            else:
                for cvr in read_source(source, config):
                    yield cvr, 1

    return build_counted(config, counted(), keep_cvrs=keep_cvrs)


def _slice_kinds(config: ContestConfig, ballots: BallotSet) -> tuple[str, ...]:
    kinds = []
    if config.output.tabulate_by_precinct:
        if not ballots.has_precincts:
            raise TallyError(
                "tabulateByPrecinct is set but no CVR carries a precinct id", file=str(config.path)
            )
        kinds.append("precinct")
    if config.output.tabulate_by_batch:
        if not ballots.has_batches:
            raise TallyError("tabulateByBatch is set but no CVR carries a batch id", file=str(config.path))
        kinds.append("batch")
    return tuple(kinds)


def tabulate(config: ContestConfig, decisions: Decisions | None = None) -> tuple[BallotSet, list[Tabulation]]:
    """Read the CVRs and run every tabulation pass (one, or N for multi-pass IRV)."""
    ballots = read_ballots(config, keep_cvrs=config.output.generate_cdf_json)
    kinds = _slice_kinds(config, ballots)
    order = [c.name for c in config.candidates]
    rules = config.rules
    passes = []
    if rules.winner_election_mode == MULTI_PASS:
        won: set[str] = set()
        for number in range(1, rules.number_of_winners + 1):
            tab = Tabulator(
                ballots,
                rules,
                candidate_order=order,
                extra_excluded=won,
                decisions=decisions,
                pass_number=number,
                slices=kinds,
                record_allocations=config.output.generate_cdf_json,
            ).run()
            passes.append(tab)
            won.update(tab.winners)
            remaining = [c for c in ballots.candidates if c not in ballots.excluded and c not in won]
            if not tab.winners or not remaining:
                break
    else:
        passes.append(
            Tabulator(
                ballots,
                rules,
                candidate_order=order,
                decisions=decisions,
                slices=kinds,
                record_allocations=config.output.generate_cdf_json,
            ).run()
        )
    return ballots, passes


def slice_file_id(slice_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9.\-_]", "_", slice_id)


def _write_reports(config: ContestConfig, tab: Tabulation, folder: Path, prefix: str) -> list[str]:
    written = []

    def put(rel: str, text: str) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        written.append(rel)

    data = report_json.report(config, tab, GENERATED_BY)
    put(f"{prefix}detailed_report.json", report_json.dumps(data))
    put(f"{prefix}detailed_report.csv", report_csv.report(config, tab, GENERATED_BY))
    put(f"{prefix}summary_report.csv", report_csv.report(config, tab, GENERATED_BY, summary=True))
    for kind, by_id in tab.slices.items():
        for sid, (rounds, total, undervotes) in sorted(by_id.items()):
            shown = sid or NO_ID[kind]
            base = f"{SLICE_FOLDERS[kind]}/{prefix}{slice_file_id(shown)}_{kind}_detailed_report"
            kw = dict(rounds=rounds, total=total, undervotes=undervotes, slice_kind=kind, slice_id=shown)
            put(base + ".json", report_json.dumps(report_json.report(config, tab, GENERATED_BY, **kw)))
            put(base + ".csv", report_csv.report(config, tab, GENERATED_BY, **kw))
    return written


def _move_into(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    for item in sorted(tmp.rglob("*")):
        if item.is_file():
            target = out_dir / item.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            item.replace(target)


def run(
    config_path: str | Path, out_dir: str | Path | None = None, decisions: Decisions | None = None
) -> SessionResult:
    """Load, count and write every report; nothing is written unless the whole run succeeds."""
    with localcontext(EXACT):
        return _run(config_path, out_dir, decisions)


def _run(config_path, out_dir, decisions) -> SessionResult:
    config = load(config_path)
    if out_dir is None:
        out_dir = config.path.parent / (config.output.output_directory or "output")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise TallyError("the output path exists and is not a folder", file=str(out))
    ballots, passes = tabulate(config, decisions)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tally-rctab-", dir=out.parent))
    except OSError as err:
        raise TallyError(f"cannot write reports here ({err.strerror or err})", file=str(out)) from None
    try:
        files: list[str] = []
        multi = config.rules.winner_election_mode == MULTI_PASS
        for number, tab in enumerate(passes, start=1):
            files += _write_reports(config, tab, tmp, f"{number}_" if multi else "")
        if config.output.generate_cdf_json:
            from . import cdf_output

            (tmp / "cdf_cvr.json").write_text(
                cdf_output.dumps(cdf_output.report(config, ballots, passes[-1], generated_at())),
                encoding="utf-8",
            )
            files.append("cdf_cvr.json")
        _move_into(tmp, out)
    except OSError as err:
        raise TallyError(f"cannot write reports ({err.strerror or err})", file=str(out)) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return SessionResult(config, passes, files)


def generated_at() -> str:
    return _dt.datetime.now(_dt.UTC).astimezone().isoformat(timespec="seconds")
