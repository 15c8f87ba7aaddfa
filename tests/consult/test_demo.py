"""``flask demo``: migrations applied, content created once, logins printed with fresh passwords."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from consult.auth import services as auth_services
from consult.auth.models import Role
from consult.deliberation.models import Comment, Proposal
from consult.extensions import db


def test_demo_prepares_a_lively_consultation_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    logins = dict(re.findall(r"(\S+@demo\.consult\.example)\s+(\S+)", first.output))
    assert {email.split("@")[0] for email in logins} >= {
        "admin",
        "organiser",
        "moderator",
        "officer",
        "auditor",
    }
    with app.app_context():
        for email, password in logins.items():
            assert auth_services.authenticate(email, password) is not None, email
        roles = {u.split("@")[0]: auth_services.authenticate(u, p).role for u, p in logins.items()}
        assert roles["officer"] == Role.OFFICER and roles["admin"] == Role.ADMIN
        comments = db.session.scalar(select(func.count()).select_from(Comment))
        assert comments >= 10
        assert db.session.scalar(select(func.max(Comment.depth))) >= 2
        assert db.session.scalar(select(func.count()).select_from(Proposal)) >= 3
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    again = dict(re.findall(r"(\S+@demo\.consult\.example)\s+(\S+)", second.output))
    assert again["admin@demo.consult.example"] != logins["admin@demo.consult.example"], (
        "new passwords each run"
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == comments, (
            "content is made once"
        )
    path = re.search(r"Demo consultation: (/consultations/\d+)", second.output).group(1)
    page = app.test_client().get(path).get_data(as_text=True)
    assert "old docks" in page and "Hidden by a moderator." in page and "most endorsed" in page
