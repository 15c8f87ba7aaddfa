"""An audit package's rctab/ folder, run through `tally rctab` (RCTab's rules), elects the same winners
with the same round-by-round tallies as the certified native count."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tally.audit import AuditConfig, certify, generate_key, make_records
from tally.cli import cli

CANDS = ("alice", "bob", "carol", "dave", "erin")
BALLOTS = [
    ["alice", "bob"],
    ["bob", "carol"],
    ["carol", "bob"],
    ["alice"],
    ["bob", "alice"],
    ["carol", "alice"],
    ["alice", "carol", "erin"],
    ["dave", "bob"],
    ["bob"],
    ["carol"],
    ["erin", "dave", "alice"],
    [None, "erin"],
    [["alice", "bob"], "carol"],
    ["dave", "dave", "erin"],
]


def _run_rctab(tmp_path, package):
    folder = tmp_path / "rctab"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for name in zf.namelist():
            if name.startswith("rctab/"):
                (folder / name.removeprefix("rctab/")).write_bytes(zf.read(name))
    out = tmp_path / "out"
    args = ["rctab", str(folder / "config.json"), "--out", str(out)]
    args += ["--tiebreak-decisions", str(folder / "tiebreak_decisions.json")]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    return json.loads((out / "detailed_report.json").read_text())


def _nonzero(tally):
    return {name: Decimal(str(v)) for name, v in tally.items() if Decimal(str(v)) != 0}


@pytest.mark.parametrize(
    ("method", "seats", "options", "seed"),
    [
        pytest.param("irv", 1, {}, "s1", id="irv"),
        pytest.param("irv", 1, {}, "other-seed", id="irv-other-tie-outcome"),
        pytest.param("irv", 1, {"overvote_rule": "always_skip_to_next_rank"}, "s1", id="irv-skip-overvote"),
        pytest.param("stv", 2, {}, "s1", id="stv-2-seats"),
        pytest.param("stv", 3, {"decimal_places": 6}, "s2", id="stv-3-seats-6-places"),
    ],
)
def test_rctab_rerun_of_the_exported_contest_matches_the_certified_count(
    tmp_path, method, seats, options, seed
):
    config = AuditConfig(
        contest="council-2026",
        ballot_type="ranked",
        method=method,
        candidates=CANDS,
        seats=seats,
        options=options,
        seed=seed,
    )
    records = make_records(config, [(f"b{i:03d}", b) for i, b in enumerate(BALLOTS * 3)])
    cert = certify(config, records, generate_key())
    report = _run_rctab(tmp_path, cert.package)
    native = json.loads(cert.result_json)
    rctab_winners = [r["elected"] for rnd in report["results"] for r in rnd["tallyResults"] if "elected" in r]
    assert sorted(rctab_winners) == sorted(native["elected"])
    for ours, theirs in zip(native["rounds"], report["results"], strict=False):
        assert _nonzero(ours["tally"]) == _nonzero(theirs["tally"]), f"round {ours['round']}"
