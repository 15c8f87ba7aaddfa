"""Accessibility basics on every main page: one h1, landmarks, skip link, labelled controls, unique ids."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.tags: Counter[str] = Counter()
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags[tag] += 1
        if tag == "html":
            self.lang = a.get("lang")
        if a.get("id"):
            self.ids[a["id"]] += 1
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(a)


@pytest.fixture
def pages(make):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser)
    proposal = make.proposal(consultation)
    comment = make.comment(consultation, body="root")
    make.comment(consultation, body="reply", parent=comment)
    make.comment(consultation, body="on proposal", proposal=proposal)
    return organiser, [
        "/",
        "/consultations",
        "/auth/login",
        "/auth/register",
        "/auth/reset",
        f"/consultations/{consultation.id}",
        f"/consultations/{consultation.id}/edit",
        f"/consultations/{consultation.id}/eligibility",
        f"/consultations/{consultation.id}/proposals/new",
        f"/proposals/{proposal.id}",
        f"/comments/{comment.id}/reply",
        "/consultations/new",
        "/admin/users",
    ]


def test_pages_meet_the_basics(client, login, pages, make):
    organiser, paths = pages
    for as_user in (None, organiser, make.user("admin")):
        if as_user is not None:
            login(client, as_user)
        for path in paths:
            response = client.get(path)
            if response.status_code != 200:
                continue
            audit = Audit()
            audit.feed(response.get_data(as_text=True))
            where = f"{path} as {as_user.role if as_user else 'anonymous'}"
            assert audit.lang == "en", where
            assert audit.tags["h1"] == 1, f"{where}: one h1"
            assert audit.tags["main"] == 1 and audit.tags["header"] >= 1 and audit.tags["nav"] >= 1, where
            assert audit.ids["main"] == 1, f"{where}: skip-link target"
            duplicates = [i for i, n in audit.ids.items() if n > 1]
            assert not duplicates, f"{where}: duplicate ids {duplicates}"
            unlabelled = [
                c for c in audit.controls if c.get("id") not in audit.label_for and not c.get("aria-label")
            ]
            assert not unlabelled, f"{where}: controls without a label {unlabelled}"
