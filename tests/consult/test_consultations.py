"""Consultations: creation, Markdown, phases (enforced and date-derived), listing, filtering, search."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.auth.models import utcnow
from consult.consultations import services
from consult.consultations.models import Phase
from consult.errors import PermissionDenied, ServiceError
from consult.extensions import db


def test_only_organisers_create(ctx, make):
    with pytest.raises(PermissionDenied):
        services.create(make.user(), services.ConsultationInput(title="Nope"))
    c = services.create(make.user("organiser"), services.ConsultationInput(title="Yes we can"))
    assert c.current_phase() is Phase.DRAFT


def test_description_markdown_is_rendered_and_sanitised(ctx, make):
    c = make.consultation(
        phase="draft",
        description_md="# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.example)",
    )
    html = c.description_html
    assert "<strong>bold</strong>" in html and "<h2>Title</h2>" in html
    assert "<script" not in html and "&lt;script&gt;" in html and 'href="javascript:' not in html
    assert 'href="https://a.example" rel="nofollow noopener noreferrer ugc"' in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "x"}, "3 to 200"),
        ({"eligibility": "secret"}, "open, invitation or census"),
        ({"support_threshold": 0}, "at least 1"),
        (
            {
                "voting_starts_at": utcnow() + timedelta(days=2),
                "voting_ends_at": utcnow() + timedelta(days=1),
            },
            "in order",
        ),
    ],
    ids=["short-title", "eligibility", "threshold", "dates"],
)
def test_invalid_consultation_is_refused(ctx, make, fields, message):
    data = services.ConsultationInput(**{"title": "A fine title", **fields})
    with pytest.raises(ServiceError, match=message):
        services.create(make.user("organiser"), data)


def test_phases_move_forward_one_step_with_the_right_role(ctx, make):
    organiser, officer, other = make.user("organiser"), make.user("officer"), make.user("organiser")
    c = make.consultation(organiser, phase="draft")
    with pytest.raises(ServiceError, match="cannot move to voting"):
        services.transition(c, organiser, Phase.VOTING)
    with pytest.raises(PermissionDenied):
        services.transition(c, other, Phase.DELIBERATION)
    with pytest.raises(PermissionDenied):
        services.transition(c, officer, Phase.DELIBERATION)
    services.transition(c, organiser, Phase.DELIBERATION)
    services.transition(c, organiser, Phase.VOTING)
    services.transition(c, officer, Phase.CLOSED)
    with pytest.raises(PermissionDenied):
        services.transition(c, organiser, Phase.CERTIFIED)
    services.transition(c, officer, Phase.CERTIFIED)
    assert c.current_phase() is Phase.CERTIFIED
    assert services.next_phase(c) is None
    with pytest.raises(ServiceError, match="cannot move"):
        services.transition(c, officer, Phase.DRAFT)


def test_phase_follows_the_dates(ctx, make):
    now = utcnow()
    c = make.consultation(
        phase="draft",
        deliberation_starts_at=now - timedelta(days=3),
        voting_starts_at=now + timedelta(days=1),
        voting_ends_at=now + timedelta(days=2),
    )
    assert c.phase == "draft"
    assert c.current_phase() is Phase.DELIBERATION
    assert c.current_phase(now + timedelta(days=1, seconds=1)) is Phase.VOTING
    assert c.current_phase(now + timedelta(days=3)) is Phase.CLOSED
    undated = make.consultation(phase="draft")
    assert undated.current_phase(now + timedelta(days=999)) is Phase.DRAFT


def test_phase_form_and_view_enforce_roles(client, make, login):
    organiser = make.user("organiser")
    c = make.consultation(organiser, phase="draft")
    url = f"/consultations/{c.id}/phase"
    login(client, make.user())
    assert client.get(f"/consultations/{c.id}").status_code == 404, "drafts are invisible to others"
    login(client, organiser)
    assert b"Move to deliberation" in client.get(f"/consultations/{c.id}").data
    assert client.post(url, data={"phase": "voting"}).status_code == 400
    assert client.post(url, data={"phase": "nonsense"}).status_code == 400
    assert client.post(url, data={"phase": "deliberation"}).status_code == 303
    login(client, make.user())
    assert client.get(f"/consultations/{c.id}").status_code == 200
    assert client.post(url, data={"phase": "voting"}).status_code == 403


def test_create_and_edit_through_the_forms(client, make, login):
    organiser = make.user("organiser")
    login(client, make.user())
    assert client.get("/consultations/new").status_code == 403
    login(client, organiser)
    form = {
        "title": "Bike lanes",
        "summary": "Where?",
        "description_md": "*soon*",
        "eligibility": "open",
        "support_threshold": "2",
        "voting_starts_at": "2031-01-01T10:00",
        "voting_ends_at": "2031-01-08T10:00",
    }
    response = client.post("/consultations/new", data=form)
    assert response.status_code == 303
    cid = int(response.headers["Location"].rsplit("/", 1)[1])
    bad = client.post(f"/consultations/{cid}/edit", data={**form, "voting_ends_at": "not a date"})
    assert bad.status_code == 422 and b"enter a date" in bad.data
    assert (
        client.post(f"/consultations/{cid}/edit", data={**form, "title": "Bike lanes 2"}).status_code == 303
    )
    page = client.get(f"/consultations/{cid}").get_data(as_text=True)
    assert "Bike lanes 2" in page and "<em>soon</em>" in page and "2031-01-01 10:00 UTC" in page
    login(client, make.user("organiser"))
    assert client.get(f"/consultations/{cid}/edit").status_code == 404, "another organiser's draft is hidden"


def test_list_filters_by_effective_phase_and_searches(client, make, login):
    organiser = make.user("organiser")
    make.consultation(organiser, title="Harbour baths", phase="deliberation", summary="swimming")
    make.consultation(organiser, title="School streets", phase="voting")
    make.consultation(organiser, title="Secret draft", phase="draft")
    page = client.get("/consultations").get_data(as_text=True)
    assert "Harbour baths" in page and "School streets" in page and "Secret draft" not in page
    voting = client.get("/consultations?phase=voting").get_data(as_text=True)
    assert "School streets" in voting and "Harbour baths" not in voting
    assert "Harbour baths" in client.get("/consultations?q=SWIM").get_data(as_text=True)
    assert "School" not in client.get("/consultations?q=swim").get_data(as_text=True)
    login(client, organiser)
    assert "Secret draft" in client.get("/consultations").get_data(as_text=True)


def test_closed_consultation_cannot_be_edited(ctx, make):
    c = make.consultation(phase="closed")
    with pytest.raises(ServiceError, match="closed"):
        services.update(
            c, db.session.get(type(c.organiser), c.organiser_id), services.ConsultationInput(title="New")
        )
