"""Who may take part: open consultations, invitation codes, census lists (CSV with row-named errors)."""

from __future__ import annotations

import io
import re

import pytest

from consult.auth import services
from consult.auth.models import utcnow
from consult.errors import PermissionDenied, ServiceError


def test_open_consultation_admits_every_account_but_not_blocked_ones(ctx, make):
    consultation = make.consultation()
    user = make.user()
    assert services.is_eligible(user, consultation)
    assert not services.is_eligible(None, consultation)
    user.blocked_at = utcnow()
    assert not services.is_eligible(user, consultation)


def test_invitation_codes_are_single_use_and_scoped(ctx, make):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser, eligibility="invitation")
    other = make.consultation(organiser, eligibility="invitation")
    alice, bob = make.user(), make.user()
    assert not services.is_eligible(alice, consultation)
    assert services.is_eligible(organiser, consultation)
    (token,) = services.create_invitations(consultation, organiser, 1)
    with pytest.raises(ServiceError, match="not valid"):
        services.redeem_invitation(other, alice, token)
    services.redeem_invitation(consultation, alice, token)
    assert services.is_eligible(alice, consultation)
    services.redeem_invitation(consultation, alice, token)  # idempotent for the same person
    with pytest.raises(ServiceError, match="already been used"):
        services.redeem_invitation(consultation, bob, token)
    assert not services.is_eligible(bob, consultation)


def test_census_by_email_or_identifier(ctx, make):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser, eligibility="census")
    listed, by_id, outsider = make.user(email="listed@example.org"), make.user(), make.user()
    by_id.identifier = "m-0042"
    services.import_census(consultation, organiser, "email\nLISTED@example.org\n")
    assert services.is_eligible(listed, consultation) and not services.is_eligible(by_id, consultation)
    assert services.import_census(consultation, organiser, "identifier,name\nM-0042,Member\nm-7,Other\n") == 2
    assert services.is_eligible(by_id, consultation)
    assert not services.is_eligible(listed, consultation), "importing replaces the census"
    assert not services.is_eligible(outsider, consultation)
    with pytest.raises(PermissionDenied):
        services.import_census(consultation, make.user("organiser"), "email\na@b.org\n")


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("", "row 1"),
        ("name,phone\nA,1\n", "row 1: the header needs a column named 'email' or 'identifier'"),
        ("email\na@example.org\nnot-an-email\n", "row 3: 'not-an-email' is not an email address"),
        ("email,name\na@example.org,A\n,B\n", "row 3: the 'email' value is missing"),
        ("identifier\nx1\nx2\nX1\n", "row 4: 'x1' repeats row 2"),
        ("email\n", "no entries"),
    ],
    ids=["empty", "no-key-column", "bad-email", "missing-value", "duplicate", "header-only"],
)
def test_bad_census_csv_names_the_row(ctx, csv_text, message):
    with pytest.raises(ServiceError, match=message):
        services.parse_census(csv_text)


def test_census_upload_view(client, make, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser, eligibility="census")
    url = f"/consultations/{consultation.id}/census"
    login(client, make.user())
    assert client.post(url, data={}).status_code == 403
    login(client, organiser)
    bad = client.post(url, data={"census": (io.BytesIO(b"email\nnope\n"), "c.csv")})
    assert bad.status_code == 422 and b"row 2" in bad.data
    ok = client.post(url, data={"census": (io.BytesIO(b"\xef\xbb\xbfemail\na@example.org\n"), "c.csv")})
    assert ok.status_code == 303
    assert b"1 entry on the census" in client.get(f"/consultations/{consultation.id}/eligibility").data


def test_invitation_views_create_and_redeem(client, make, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser, eligibility="invitation")
    login(client, organiser)
    page = client.post(f"/consultations/{consultation.id}/invitations", data={"count": "2"})
    assert page.status_code == 200
    tokens = re.findall(
        r'<ul class="tokens"><li>([^<]+)</li><li>([^<]+)</li></ul>', page.get_data(as_text=True)
    )
    assert tokens, page.get_data(as_text=True)
    citizen = make.user()
    login(client, citizen)
    detail = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Have an invitation code?" in detail and "Post comment" not in detail
    wrong = client.post(f"/consultations/{consultation.id}/join", data={"token": "wrong"})
    assert wrong.status_code == 422
    assert (
        client.post(f"/consultations/{consultation.id}/join", data={"token": tokens[0][0]}).status_code == 303
    )
    assert "Post comment" in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
