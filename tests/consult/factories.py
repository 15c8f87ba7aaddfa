"""Test data factories. Call them inside an application context (the ``ctx`` / ``make`` fixtures)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from consult.auth import services as auth_services
from consult.auth.models import Role, User, utcnow
from consult.consultations import services as consultation_services
from consult.consultations.models import Consultation, Phase
from consult.deliberation import services as delib
from consult.deliberation.models import Comment, Proposal
from consult.extensions import db

PASSWORD = "a long test passphrase"
_seq = itertools.count(1)


class Factories:
    def user(
        self, role: Role | str = Role.CITIZEN, name: str | None = None, email: str | None = None
    ) -> User:
        n = next(_seq)
        user = auth_services.register(email or f"user{n}@example.org", name or f"User {n}", PASSWORD)
        if str(role) != Role.CITIZEN:
            auth_services.set_role(user, str(role))
        return user

    def consultation(
        self,
        organiser: User | None = None,
        phase: Phase | str = Phase.DELIBERATION,
        title: str | None = None,
        **fields,
    ) -> Consultation:
        """A consultation moved through the phases up to ``phase`` by its organiser (and an officer)."""
        organiser = organiser or self.user(Role.ORGANISER)
        data = consultation_services.ConsultationInput(title=title or f"Consultation {next(_seq)}", **fields)
        consultation = consultation_services.create(organiser, data)
        target = Phase(phase)
        officer = None
        while consultation.current_phase().rank < target.rank:
            step = consultation_services.next_phase(consultation)
            actor = organiser
            if step is Phase.CERTIFIED:
                officer = officer or self.user(Role.OFFICER)
                actor = officer
            consultation_services.transition(consultation, actor, step)
        return consultation

    def proposal(
        self, consultation: Consultation, author: User | None = None, title: str = "An idea"
    ) -> Proposal:
        author = author or self.user()
        return delib.submit_proposal(consultation, author, title, "Let us **do** it.")

    def comment(
        self,
        consultation: Consultation,
        author: User | None = None,
        body: str = "A comment",
        stance: str = "neutral",
        parent: Comment | None = None,
        proposal: Proposal | None = None,
    ) -> Comment:
        author = author or self.user()
        return delib.post_comment(consultation, author, body, stance, proposal=proposal, parent=parent)

    def backdate(self, obj, minutes: int) -> None:
        obj.created_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()
