"""Results for every ballot type tally can count; accessibility of the voting and results pages; IDOR."""

from __future__ import annotations

import pytest
from markupsafe import escape

from consult.consultations.models import Phase
from consult.errors import ServiceError
from consult.results import services as results
from consult.results.explain import how_counted
from consult.voting import services as voting
from tally.audit import verify_package

from .test_accessibility import Audit
from .voting_helpers import contest, to_phase

BALLOTS = {
    "approval": [["o1"], ["o1", "o2"], ["o2"], ["o1", "o3"]],
    "budget": [["o1"], ["o2", "o3"], ["o1", "o2"], ["o3"]],
    "quadratic": [{"o1": 2}, {"o2": 3, "o1": -1}, {"o3": 1}],
}


@pytest.fixture
def signing(app_factory, tmp_path):
    app = app_factory(SIGNING_KEY=str(tmp_path / "key.pem"))
    with app.app_context():
        from .factories import Factories

        yield app, Factories()


@pytest.mark.parametrize("kind", sorted(BALLOTS))
def test_a_contest_of_each_type_is_certified_by_tally_and_explained(signing, kind):
    app, make = signing
    c, consultation, organiser = contest(make, kind)
    to_phase(consultation, organiser, Phase.VOTING)
    for ballot in BALLOTS[kind]:
        voting.cast(c, make.user(), ballot)
    to_phase(consultation, organiser, Phase.CLOSED)
    results.certify_consultation(consultation, make.user("officer"))
    cert = results.certification_of(c)
    assert verify_package(cert.package, public_key=results.public_key()).ok
    page = app.test_client().get(f"/contests/{c.id}/results")
    assert page.status_code == 200 and b"<svg" in page.data and b"How this was counted" in page.data
    assert str(escape(how_counted(c.method))).encode() in page.data
    assert app.test_client().get(f"/contests/{c.id}/rctab.zip").status_code == 404  # ranked only


def test_every_method_the_app_offers_is_explained_in_plain_words():
    offered = [m for kind in voting.METHOD_FAMILIES for m in voting.methods_for(kind)]
    assert len(offered) >= 20
    missing = [m for m in offered if not how_counted(m)]
    assert not missing, f"methods without a 'how this was counted' text: {missing}"


def test_voting_and_results_pages_meet_the_accessibility_basics(signing, login):
    app, make = signing
    client = app.test_client()

    def check(user, path: str) -> None:
        if user is None:
            with client.session_transaction() as sess:
                sess.clear()
        else:
            login(client, user)
        response = client.get(path)
        assert response.status_code == 200, path
        audit = Audit()
        audit.feed(response.get_data(as_text=True))
        assert audit.tags["h1"] == 1, path
        assert not [i for i, n in audit.ids.items() if n > 1], path
        unlabelled = [
            c for c in audit.controls if c.get("id") not in audit.label_for and not c.get("aria-label")
        ]
        assert not unlabelled, f"{path}: {unlabelled}"

    for kind in ("ranked", "approval", "budget", "quadratic"):
        c, consultation, organiser = contest(make, kind)
        check(organiser, f"/contests/{c.id}/edit")
        check(organiser, f"/consultations/{consultation.id}/contests/new")
        to_phase(consultation, organiser, Phase.VOTING)
        check(make.user(), f"/contests/{c.id}")
        check(None, f"/contests/{c.id}/receipt-check")  # the ballot's inputs, no duplicate ids
        if kind == "ranked":
            voter = make.user()
            voting.cast(c, voter, ["o1"])
            check(voter, f"/contests/{c.id}")
            to_phase(consultation, organiser, Phase.CLOSED)
            results.certify_consultation(consultation, make.user("officer"))
            for path in ("results", "bulletin", "receipt-check"):
                check(None, f"/contests/{c.id}/{path}")


def test_certifying_a_consultation_one_cannot_see_is_a_404(make, client, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser=organiser, phase=Phase.DRAFT)
    contest(make, organiser=organiser, consultation=consultation)
    login(client, make.user("officer"))
    assert client.post(f"/consultations/{consultation.id}/certify").status_code == 404


def test_a_consultation_without_contests_cannot_be_certified_by_the_button(make):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser=organiser, phase=Phase.CLOSED)
    with pytest.raises(ServiceError, match="no contest"):
        results.certify_consultation(consultation, make.user("officer"))


def test_the_bulletin_is_published_after_the_close_even_before_certification(make, client):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    r = voting.cast(c, make.user(), ["o2"])
    assert b"published here, sorted, once voting has closed" in client.get(f"/contests/{c.id}/bulletin").data
    to_phase(consultation, organiser, Phase.CLOSED)
    data = client.get(f"/api/contests/{c.id}/bulletin").get_json()
    assert data["receipts"] == [r.receipt] and data["certified"] is False
