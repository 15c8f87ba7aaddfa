"""The demo: ``flask --app consult demo`` (run by ``make run``).

Applies the migrations, then runs each step of :data:`DEMO_STEPS` with one shared :class:`DemoContext`.
Accounts get new random passwords on every run (printed at the end); content is created once (a step
checks whether its content exists). Other features add their own step to :data:`DEMO_STEPS`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import select

from .auth import services as auth_services
from .auth.models import Role, User, utcnow
from .consultations import services as consultation_services
from .consultations.models import Consultation, Phase
from .deliberation import services as delib
from .deliberation.models import Comment
from .extensions import db

DEMO_DOMAIN = "demo.consult.example"
DEMO_TITLE = "A greener riverside: how should we use the old docks?"

ROLE_ACCOUNTS = {
    Role.ADMIN: ("admin", "Ada Admin"),
    Role.ORGANISER: ("organiser", "Olu Organiser"),
    Role.MODERATOR: ("moderator", "Mo Moderator"),
    Role.OFFICER: ("officer", "Efe Officer"),
    Role.AUDITOR: ("auditor", "Aud Auditor"),
    Role.CITIZEN: ("citizen", "Cit Izen"),
}
EXTRA_CITIZENS = [("amara", "Amara"), ("bjorn", "Björn"), ("chen", "Chen"), ("dara", "Dara"), ("eli", "Eli")]


@dataclass
class DemoContext:
    users: dict[str, User] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    consultation: Consultation | None = None
    notes: list[str] = field(default_factory=list)


def _account(ctx: DemoContext, key: str, name: str, role: Role) -> User:
    email = f"{key}@{DEMO_DOMAIN}"
    password = secrets.token_urlsafe(12)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = auth_services.register(email, name, password)
    else:
        auth_services.set_password(user, password)
    auth_services.set_role(user, role.value)
    ctx.users[key], ctx.passwords[key] = user, password
    return user


def accounts(ctx: DemoContext) -> None:
    for role, (key, name) in ROLE_ACCOUNTS.items():
        _account(ctx, key, name, role)
    for key, name in EXTRA_CITIZENS:
        _account(ctx, key, name, Role.CITIZEN)


def deliberation(ctx: DemoContext) -> None:
    existing = db.session.scalar(select(Consultation).where(Consultation.title == DEMO_TITLE))
    if existing is not None:
        ctx.consultation = existing
        return
    u = ctx.users
    now = utcnow()
    c = consultation_services.create(
        u["organiser"],
        consultation_services.ConsultationInput(
            title=DEMO_TITLE,
            summary="The city bought the old docks. Propose uses, discuss them, then rank the short-list.",
            description_md=(
                "The **old docks** (4 hectares) are now public land.\n\n"
                "1. *Deliberation*: submit proposals and discuss them.\n"
                "2. *Voting*: proposals with at least 3 supports go on the ballot.\n\n"
                "Read the [site survey](https://example.org/docks-survey) before proposing."
            ),
            support_threshold=3,
            voting_starts_at=now + timedelta(days=14),
            voting_ends_at=now + timedelta(days=21),
        ),
    )
    consultation_services.transition(c, u["organiser"], Phase.DELIBERATION)
    ctx.consultation = c
    ideas = [
        ("amara", "A tidal park with wetlands", "Let the river back in: reed beds, boardwalks, birds."),
        (
            "bjorn",
            "Affordable housing with a public quay",
            "300 homes, a third social rent, quay open to all.",
        ),
        (
            "chen",
            "A makerspace in the crane hall",
            "Keep the crane hall; workshops, tools library, repair café.",
        ),
        ("dara", "An open-air swimming pool", "A filtered river pool, like Copenhagen's harbour baths."),
    ]
    proposals = [delib.submit_proposal(c, u[k], t, b) for k, t, b in ideas]
    supporters = {
        0: ["citizen", "bjorn", "chen", "eli"],
        1: ["amara", "dara", "eli"],
        2: ["citizen", "eli"],
        3: [],
    }
    for index, keys in supporters.items():
        for key in keys:
            delib.set_support(proposals[index], u[key], True)
    delib.answer_proposal(
        proposals[1], u["organiser"], "evaluating", "The planning office is checking flood risk for housing."
    )

    def say(
        key: str, body: str, stance: str = "neutral", parent: Comment | None = None, proposal=None
    ) -> Comment:
        return delib.post_comment(c, u[key], body, stance, proposal=proposal, parent=parent)

    root = say("amara", "Whatever we choose, the riverside path must stay open to everyone.", "for")
    r1 = say("bjorn", "Agreed, but who pays for maintaining it?", "neutral", root)
    r2 = say("chen", "A small levy on events at the crane hall could cover it.", "for", r1)
    say("dara", "Levies always end up on the people who can least afford them.", "against", r2)
    say("eli", "The survey says the quay wall needs repairs first. Costs matter here.", "neutral", root)
    second = say("citizen", "Housing is the most urgent need in this city; parks can come later.", "for")
    say("amara", "Housing on a flood plain is not a solution; it is a future problem.", "against", second)
    say("dara", "Could we do both? Housing on the high ground, wetlands on the low ground.", "for", second)
    third = say(
        "chen", "**Please** keep the old cranes: they are the last of their kind on this river.", "for"
    )
    for key in ("amara", "bjorn", "citizen", "eli"):
        delib.set_endorsement(third, u[key], True)
    for key in ("chen", "eli"):
        delib.set_endorsement(second, u[key], True)
    delib.set_endorsement(root, u["bjorn"], True)
    pool = say("eli", "Is river water clean enough to swim in?", "neutral", proposal=proposals[3])
    say("dara", "With a filter barge, yes; it works in Copenhagen and Basel.", "for", pool, proposals[3])
    spam = say("bjorn", "BUY CHEAP WATCHES at example dot com", "neutral")
    for key in ("amara", "chen"):
        delib.flag(spam, u[key], "spam")
    delib.moderate(spam, u["moderator"], "hide", "Advertising is not allowed in the discussion.")
    delib.edit_comment(r1, u["bjorn"], "Agreed, but who pays for maintaining the path and the quay?")


# Each step receives the shared context; later features append their own (e.g. contests, certified result).
DEMO_STEPS: list[Callable[[DemoContext], None]] = [accounts, deliberation]


def run_demo(echo: Callable[[str], None] = print) -> DemoContext:
    upgrade()
    ctx = DemoContext()
    for step in DEMO_STEPS:
        step(ctx)
    db.session.commit()
    echo("Database ready. Demo logins (passwords are new on every run):")
    for key, password in ctx.passwords.items():
        user = ctx.users[key]
        echo(f"  {Role(user.role).label:16} {user.email:36} {password}")
    if ctx.consultation is not None:
        echo(f"Demo consultation: /consultations/{ctx.consultation.id}")
    for note in ctx.notes:
        echo(note)
    return ctx
