"""``tally convert CONFIG.json --out DIR``: a contest's CVRs, from any vendor format, in neutral files.

Writes, from every ``cvrFileSources`` entry of an RCTab config:
- ``rctab_cvr.csv``: RCTab's CVR CSV (columns ``Source Filepath, CVR Provider, Contest Id, RCTab CVR Id,
  Tabulator Id, Batch Id, Vendor Id, Precinct, Precinct Portion, Rank 1..k``), one row per CVR in
  source order. k is ``maxRankingsAllowed`` (with ``max``: the number of candidates, UWI included, or the
  highest rank found if higher). A rank cell holds the candidate's configured name (aliases resolved),
  ``undervote`` when nothing is marked, ``overvote`` for the explicit overvote token and the names joined
  with ``|`` when several candidates share the rank. The source path is written relative to the config's
  folder, as it appears in the config. Quoting is minimal, lines end in LF.
- ``cdf_cvr.json``: the NIST CDF CVR report with each CVR's original snapshot, through the RCTab CDF
  writer (``tally.rctab.cdf_output``).

All or nothing: the files are written into a fresh temporary folder beside ``DIR`` and moved into
``DIR`` only when every source was read without error; on any error ``DIR`` is left as it was.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import click

from ..errors import TallyError
from ..rctab.model import OVERVOTE, ContestConfig, Cvr
from . import read_source
from .rctab_csv import FIXED, JOIN, OVERVOTE_CELL, UNDERVOTE

CSV_NAME = "rctab_cvr.csv"
CDF_NAME = "cdf_cvr.json"


def iter_cvrs(config: ContestConfig) -> Iterator[Cvr]:
    """Every CVR of every source of ``config``, in source order."""
    for source in config.sources:
        yield from read_source(source, config)


def _source_path(config: ContestConfig, path: Path) -> str:
    return os.path.relpath(path, config.path.parent)


def _rank_count(config: ContestConfig) -> int:
    if config.rules.max_rankings is not None:
        return config.rules.max_rankings
    return len(config.candidates) + (1 if config.uwi_enabled else 0)


def _cells(cvr: Cvr, name_for: Callable[[str], str | None]) -> list[str]:
    by_rank: dict[int, list[str]] = {}
    for rank, string in cvr.rankings:
        name = OVERVOTE_CELL if string == OVERVOTE else (name_for(string) or string)
        by_rank.setdefault(rank, []).append(name)
    top = max(by_rank, default=0)
    return [JOIN.join(by_rank[k]) if k in by_rank else UNDERVOTE for k in range(1, top + 1)]


def write_rctab_csv(config: ContestConfig, cvrs: Iterable[Cvr], path: Path) -> int:
    """Write ``cvrs`` as RCTab's CVR CSV at ``path``; returns the number of rows."""
    ranks = _rank_count(config)
    body = path.with_name(path.name + ".body")
    rows = 0
    paths: dict[int, str] = {}
    with open(body, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for cvr in cvrs:
            src = cvr.source
            key = id(src)
            if key not in paths:
                paths[key] = _source_path(config, src.file_path)
            cells = _cells(cvr, config.name_for)
            ranks = max(ranks, len(cells))
            writer.writerow(
                [
                    paths[key],
                    src.provider,
                    cvr.extra.get("contest_id", ""),
                    cvr.record_id,
                    cvr.tabulator_id,
                    cvr.batch_id,
                    cvr.supplied_id,
                    cvr.precinct,
                    cvr.precinct_portion,
                    *cells,
                ]
            )
            rows += 1
    with open(path, "w", encoding="utf-8", newline="") as out, open(body, encoding="utf-8", newline="") as rd:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*FIXED, *(f"Rank {k}" for k in range(1, ranks + 1))])
        width = len(FIXED) + ranks
        for row in csv.reader(rd):
            writer.writerow(row + [UNDERVOTE] * (width - len(row)))
    body.unlink()
    return rows


def write_cdf_json(config: ContestConfig, cvrs: Iterable[Cvr], path: Path) -> None:
    """The CDF CVR report of ``cvrs`` (original snapshots only), by the RCTab CDF writer."""
    try:
        from ..rctab import cdf_output
    except ImportError:
        raise TallyError("the CDF output writer (tally.rctab.cdf_output) is not available") from None
    cdf_output.write_cdf_cvr_json(config, cvrs, path)


WRITERS = {"csv": (CSV_NAME, write_rctab_csv), "cdf": (CDF_NAME, write_cdf_json)}


def convert(config: ContestConfig, out: Path, formats: Iterable[str] = ("csv", "cdf")) -> list[Path]:
    """Write the chosen formats for ``config`` into ``out``, all or nothing; returns the files written."""
    out = Path(out)
    parent = out.parent if out.parent != Path("") else Path(".")
    if out.exists() and not out.is_dir():
        raise TallyError("output path exists and is not a folder", file=str(out))
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        names = []
        for fmt in formats:
            name, writer = WRITERS[fmt]
            writer(config, iter_cvrs(config), tmp / name)
            names.append(name)
        if not out.exists():
            os.replace(tmp, out)
        else:
            for name in names:
                os.replace(tmp / name, out / name)
            shutil.rmtree(tmp, ignore_errors=True)
        return [out / name for name in names]
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load_config(path: Path) -> ContestConfig:
    from ..rctab import config as rctab_config

    return rctab_config.load(path)


@click.command("convert")
@click.argument("config_path", metavar="CONFIG.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(sorted(WRITERS)),
    help="Write only this format (repeatable); default: csv and cdf.",
)
def convert_cmd(config_path: Path, out: Path, formats: tuple[str, ...]) -> None:
    """Convert a contest's CVR files to rctab_cvr.csv and cdf_cvr.json in OUT."""
    config = _load_config(config_path)
    for path in convert(config, out, formats or ("csv", "cdf")):
        click.echo(str(path))
