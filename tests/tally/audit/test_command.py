import json
import os
import stat

import pytest
from click.testing import CliRunner

from tally.audit import public_key_pem
from tally.audit.package import read_package, write_package
from tally.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def written(tmp_path, contest, key):
    path = tmp_path / "package.zip"
    path.write_bytes(contest[2].package)
    pem = tmp_path / "instance.pub.pem"
    pem.write_bytes(public_key_pem(key))
    return path, pem


def test_verify_prints_one_ok_line_per_check_and_exits_0(runner, written):
    path, pem = written
    out = runner.invoke(cli, ["verify", str(path), "--public-key", str(pem)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[-1] == "verified: every check agrees"
    assert all(line.startswith("OK ") for line in lines[:-1])
    assert len(lines) == 11


def test_verify_exits_1_and_names_what_differs(runner, written, contest):
    path, _ = written
    files = read_package(path.read_bytes())
    files["ballots.jsonl"] = files["ballots.jsonl"].replace(b'["bob"],"id":"id02"', b'["carol"],"id":"id02"')
    path.write_bytes(write_package(files))
    out = runner.invoke(cli, ["verify", str(path)])
    assert out.exit_code == 1
    assert "DIFFERS ballots.jsonl: Merkle root differs (manifest " in out.output
    assert out.output.splitlines()[-1].startswith("NOT verified:")


def test_verify_proves_a_receipt(runner, written, contest):
    path, _ = written
    receipt = contest[2].receipts[2]
    out = runner.invoke(cli, ["verify", str(path), "--receipt", receipt.upper(), "--no-recount"])
    assert out.exit_code == 0, out.output
    assert f"OK      receipt {receipt}: included, leaf 2 of 7" in out.output
    out = runner.invoke(cli, ["verify", str(path), "--receipt", "ab" * 32])
    assert out.exit_code == 1
    assert f"DIFFERS receipt {'ab' * 32}: not in receipts.txt" in out.output


def test_verify_of_a_hostile_file_is_one_error_line(runner, tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip at all")
    out = runner.invoke(cli, ["verify", str(bad)])
    assert out.exit_code == 2
    assert out.output.strip() == f"tally: error: {bad}: not a zip archive (an audit package is a .zip file)"


def test_certify_from_a_ballot_file_then_verify(runner, tmp_path):
    (tmp_path / "ballots.csv").write_text("a,b\nb\nc,b\na\nb,a\n")
    (tmp_path / "config.json").write_text(
        json.dumps({"contest": "c9", "ballot_type": "ranked", "method": "irv"})
    )
    key = tmp_path / "key.pem"
    args = ["certify", "--config", str(tmp_path / "config.json"), "--ballots", str(tmp_path / "ballots.csv")]
    args += ["--key", str(key), "--out", str(tmp_path / "p.zip")]
    out = runner.invoke(cli, args)
    assert out.exit_code == 2 and "--create-key" in out.output
    out = runner.invoke(cli, [*args, "--create-key"])
    assert out.exit_code == 0, out.output
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert "5 ballots, elected b" in out.output
    files = read_package((tmp_path / "p.zip").read_bytes())
    assert json.loads(files["config.json"])["candidates"] == ["a", "b", "c"]
    assert runner.invoke(cli, ["verify", str(tmp_path / "p.zip")]).exit_code == 0


def test_certify_from_jsonl_with_receipts(runner, tmp_path, contest):
    cfg, records, cert = contest
    lines = [json.dumps({"id": r.id, "ballot": r.ballot}) for r in reversed(records)]
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "config.json").write_bytes(cfg.to_json_bytes())
    (tmp_path / "receipts.txt").write_text("\n".join(cert.receipts) + "\n")
    key = tmp_path / "key.pem"
    args = ["certify", "--config", str(tmp_path / "config.json"), "--ballots", str(tmp_path / "b.jsonl")]
    args += ["--receipts", str(tmp_path / "receipts.txt"), "--key", str(key), "--create-key"]
    out = runner.invoke(cli, [*args, "--out", str(tmp_path / "p.zip")])
    assert out.exit_code == 0, out.output
    files = read_package((tmp_path / "p.zip").read_bytes())
    assert files["ballots.jsonl"] == read_package(cert.package)["ballots.jsonl"]
    assert files["result.json"] == cert.result_json.encode()


def test_certify_bad_ballot_is_one_error_line_and_no_output(runner, tmp_path):
    (tmp_path / "b.jsonl").write_text('{"id": "x1", "ballot": ["zed"]}\n')
    (tmp_path / "config.json").write_text(
        json.dumps({"contest": "c", "ballot_type": "ranked", "method": "irv", "candidates": ["a"]})
    )
    out = runner.invoke(
        cli,
        ["certify", "--config", str(tmp_path / "config.json"), "--ballots", str(tmp_path / "b.jsonl")]
        + ["--key", str(tmp_path / "k.pem"), "--create-key", "--out", str(tmp_path / "p.zip")],
    )
    assert out.exit_code == 2
    assert out.output.strip() == "tally: error: ballot x1: 'zed' is not a candidate id of this contest"
    assert not (tmp_path / "p.zip").exists()


def test_receipt_command_recomputes_and_proves_inclusion(runner, written, contest):
    from .conftest import BALLOTS

    path, _ = written
    # conftest's receipts use secret bytes([i]) * 16 for the i-th record in id order
    index = sorted(BALLOTS).index("id03")
    secret = (bytes([index]) * 16).hex()
    out = runner.invoke(cli, ["receipt", str(path), "--secret", secret, "--ballot", '["carol", "bob"]'])
    assert out.exit_code == 0, out.output
    from tally.audit import compute_receipt

    receipt = compute_receipt("mayor-2026", ["carol", "bob"], secret)
    assert out.output.startswith(f"receipt {receipt} (contest mayor-2026")
    assert f"included: leaf {contest[2].receipts.index(receipt)} of 7" in out.output
    assert "Merkle root matches the manifest; signature verifies" in out.output
    wrong = runner.invoke(cli, ["receipt", str(path), "--secret", secret, "--ballot", '["bob", "carol"]'])
    assert wrong.exit_code == 1
    assert "NOT included" in wrong.output
