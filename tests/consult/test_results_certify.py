"""Certification: tally counts and signs; the downloaded audit package verifies, a tampered one does not."""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest

from consult.consultations.models import Phase
from consult.errors import PermissionDenied, ServiceError
from consult.results import services as results
from consult.voting import services as voting
from tally.audit import public_key_pem, verify_package

from .voting_helpers import contest, to_phase

# o1 3, o2 3, o3 1 in round 1; o3's ballot moves to o1, who wins round 2 with 4 of 7 (no tie).
BALLOTS = (["o1", "o2"], ["o1"], ["o1"], ["o2"], ["o2"], ["o2", "o3"], ["o3", "o1"])


@pytest.fixture
def certified(app_factory, tmp_path):
    """A ranked contest with seven ballots, closed and certified; yields (app, contest, receipts)."""
    app = app_factory(SIGNING_KEY=str(tmp_path / "keys" / "instance.pem"))
    with app.app_context():
        from .factories import Factories

        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        receipts = [voting.cast(c, make.user(), b) for b in BALLOTS]
        to_phase(consultation, organiser, Phase.CLOSED)
        officer = make.user("officer")
        results.certify_consultation(consultation, officer)
        yield app, c, receipts


def test_certify_counts_signs_and_moves_the_consultation_to_certified(certified, tmp_path):
    app, c, _ = certified
    with app.app_context():
        cert = results.certification_of(c)
        assert voting.consultation_of(c).current_phase() is Phase.CERTIFIED
        assert results.result_of(cert)["elected"] == ["o1"]
        key_file = tmp_path / "keys" / "instance.pem"
        assert key_file.exists() and (os.stat(key_file).st_mode & 0o777) == 0o600
        report = verify_package(cert.package, public_key=results.public_key())
        assert report.ok


def test_the_downloaded_audit_package_verifies_and_one_changed_ballot_fails_it(certified):
    app, c, _ = certified
    client = app.test_client()
    response = client.get(f"/contests/{c.id}/audit.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    pem = client.get("/signing-key.pem").data
    assert verify_package(response.data, public_key=pem).ok
    src = zipfile.ZipFile(io.BytesIO(response.data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "ballots.jsonl":
                data = data.replace(b'{"ballot":["o2"]', b'{"ballot":["o3"]', 1)
            dst.writestr(name, data)
    report = verify_package(out.getvalue(), public_key=pem)
    assert not report.ok


def test_the_tally_verify_command_accepts_the_downloaded_package(certified, tmp_path):
    from click.testing import CliRunner

    from tally.cli import cli

    app, c, _ = certified
    client = app.test_client()
    package = tmp_path / "audit.zip"
    package.write_bytes(client.get(f"/contests/{c.id}/audit.zip").data)
    key = tmp_path / "key.pem"
    key.write_bytes(client.get("/signing-key.pem").data)
    result = CliRunner().invoke(cli, ["verify", str(package), "--public-key", str(key)])
    assert result.exit_code == 0, result.output


def test_results_pages_show_winners_rounds_chart_and_how_it_was_counted(certified):
    app, c, receipts = certified
    client = app.test_client()
    page = client.get(f"/contests/{c.id}/results")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Alpha" in html and "<svg" in html and "Round 1" in html and "How this was counted" in html
    assert "<script" not in html.split("</head>")[1]
    data = client.get(f"/api/contests/{c.id}/results").get_json()
    assert data["result"]["elected"] == ["o1"] and data["signature"]
    csv = client.get(f"/contests/{c.id}/results.csv")
    assert csv.status_code == 200 and b"round 1" in csv.data
    rctab = client.get(f"/contests/{c.id}/rctab.zip")
    assert rctab.status_code == 200
    assert "rctab/config.json" in zipfile.ZipFile(io.BytesIO(rctab.data)).namelist()


def test_the_bulletin_lists_sorted_receipts_and_finds_one(certified):
    app, c, receipts = certified
    client = app.test_client()
    listed = client.get(f"/api/contests/{c.id}/bulletin").get_json()["receipts"]
    assert listed == sorted(r.receipt for r in receipts)
    mine = receipts[2].receipt
    page = client.get(f"/contests/{c.id}/bulletin?q={mine[:10]}")
    assert mine.encode() in page.data
    assert client.get(f"/contests/{c.id}/bulletin.csv").data.count(b"\n") == len(receipts) + 1


def test_the_receipt_check_page_recomputes_a_receipt(certified):
    app, c, receipts = certified
    client = app.test_client()
    r = receipts[0]
    page = client.post(
        f"/contests/{c.id}/receipt-check",
        data={"secret": r.secret, "content": r.content_json, "receipt": r.receipt},
    )
    assert (
        r.receipt.encode() in page.data
        and b"It matches" in page.data
        and b"on the published bulletin" in page.data
    )
    wrong = client.post(f"/contests/{c.id}/receipt-check", data={"secret": r.secret, "content": '["o2"]'})
    assert b"not on the published bulletin" in wrong.data


def test_results_stay_hidden_while_voting_is_open(make, client):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voting.cast(c, make.user(), ["o1"])
    assert client.get(f"/contests/{c.id}/results").status_code == 404
    assert client.get(f"/contests/{c.id}/audit.zip").status_code == 404
    assert client.get(f"/api/contests/{c.id}/bulletin").get_json()["receipts"] == []
    assert client.get(f"/api/contests/{c.id}/results").status_code == 404


def test_only_an_officer_certifies_and_only_after_the_close(make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    officer = make.user("officer")
    with pytest.raises(ServiceError, match="Close voting"):
        results.certify_consultation(consultation, officer)
    to_phase(consultation, organiser, Phase.CLOSED)
    with pytest.raises(PermissionDenied):
        results.certify_consultation(consultation, organiser)
    with pytest.raises(ServiceError, match="Certify the results"):
        from consult.consultations import services as consultation_services

        consultation_services.transition(consultation, officer, Phase.CERTIFIED)


def test_the_certify_route_answers_only_officers(make, client, login):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.CLOSED)
    login(client, make.user())
    assert client.post(f"/consultations/{consultation.id}/certify").status_code == 403
    login(client, make.user("officer"))
    response = client.post(f"/consultations/{consultation.id}/certify")
    assert response.status_code == 303
    assert json.loads(client.get(f"/api/contests/{c.id}/results").data)["manifest"]


def test_public_key_is_the_signing_key(certified):
    app, c, _ = certified
    with app.app_context():
        assert public_key_pem(results.signing_key()) == app.test_client().get("/signing-key.pem").data
