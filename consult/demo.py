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


VOTE_TITLE = "Docks budget and priorities: the vote"
CERTIFIED_TITLE = "Name the new riverside bridge (certified)"


def _contest(ctx: DemoContext, consultation: Consultation, kind: str, title: str, method: str, **kw):
    from .voting import services as voting

    choices = kw.pop("choices")
    data = voting.ContestInput(
        title=title, ballot_type=kind, method=method, seed=secrets.token_hex(8), choices=choices, **kw
    )
    return voting.create_contest(consultation, ctx.users["organiser"], data)


def _cast_all(ctx: DemoContext, contest, voters: list[str], ballots: list[object]) -> None:
    from .voting import services as voting

    for key, choices in zip(voters, ballots, strict=True):
        voting.cast(contest, ctx.users[key], choices)


def _short_list(ctx: DemoContext, vote: Consultation) -> list[tuple[str, int | None, int | None]]:
    """Proposals deliberated in ``vote`` before it opens: supported ones make the ranked ballot, the
    unsupported one does not (the consultation's support threshold is 2)."""
    from .voting import services as voting

    u = ctx.users
    ideas = [
        ("amara", "Tidal park", "Reed beds and boardwalks where the river floods anyway.", ["bjorn", "eli"]),
        (
            "bjorn",
            "Housing",
            "Homes on the high ground, a third of them at social rent.",
            ["dara", "citizen"],
        ),
        ("chen", "Makerspace", "Workshops and a tools library in the crane hall.", ["amara", "eli"]),
        ("dara", "Pool", "A filtered river pool with a sunbathing deck.", ["chen", "bjorn", "amara"]),
        ("eli", "Car park", "Parking for the new quay.", []),
    ]
    for author, title, body, supporters in ideas:
        proposal = delib.submit_proposal(vote, u[author], title, body)
        for key in supporters:
            delib.set_support(proposal, u[key], True)
        if supporters:
            first = delib.post_comment(
                vote, u[supporters[0]], f"I support this: {body.lower()}", "for", proposal=proposal
            )
            delib.post_comment(
                vote,
                u[author],
                "Thank you; which part matters most to you?",
                "neutral",
                proposal=proposal,
                parent=first,
            )
    return voting.proposal_choices(vote)


def voting_demo(ctx: DemoContext) -> None:
    """One contest of each ballot type with cast ballots (voting open; the ``citizen`` login has not voted)
    and a ranked contest closed and certified by the officer."""
    from .results import services as results

    u = ctx.users
    vote = db.session.scalar(select(Consultation).where(Consultation.title == VOTE_TITLE))
    if vote is None:
        vote = consultation_services.create(
            u["organiser"],
            consultation_services.ConsultationInput(
                title=VOTE_TITLE,
                summary="Rank the uses, approve the events, fund projects, weigh priorities.",
                support_threshold=2,
            ),
        )
        consultation_services.transition(vote, u["organiser"], Phase.DELIBERATION)
        ranked = _contest(
            ctx, vote, "ranked", "Which use for the old docks?", "irv", choices=_short_list(ctx, vote)
        )
        approval = _contest(
            ctx,
            vote,
            "approval",
            "Which summer events should run?",
            "approval",
            rules={"min": 1, "max": 2},
            choices=[("Night market", None, None), ("Regatta", None, None), ("Open-air cinema", None, None)],
        )
        budget = _contest(
            ctx,
            vote,
            "budget",
            "Fund projects with 100 000",
            "equalshares",
            rules={"budget": 100000},
            choices=[
                ("Boardwalk", 60000, None),
                ("Tool library", 25000, None),
                ("Bike racks", 15000, None),
                ("Floating pool", 70000, None),
            ],
        )
        quadratic = _contest(
            ctx,
            vote,
            "quadratic",
            "How much do these priorities matter?",
            "quadratic",
            rules={"credits": 16, "allow_negative": True},
            choices=[("Flood defence", None, None), ("Green space", None, None), ("Parking", None, None)],
        )
        consultation_services.transition(vote, u["organiser"], Phase.VOTING)
        voters = ["amara", "bjorn", "chen", "dara", "eli"]
        _cast_all(ctx, ranked, voters, [["o1", "o3"], ["o2"], ["o3", "o1"], ["o4", "o1"], ["o1"]])
        _cast_all(ctx, approval, voters, [["o1"], ["o1", "o2"], ["o3"], ["o2", "o3"], ["o1", "o3"]])
        _cast_all(ctx, budget, voters, [["o1", "o2"], ["o4"], ["o2", "o3"], ["o1", "o3"], ["o2"]])
        qv = [{"o1": 3, "o3": -2}, {"o2": 4}, {"o1": 2, "o2": 2}, {"o3": 3}, {"o1": 1, "o2": 1, "o3": -1}]
        _cast_all(ctx, quadratic, voters, qv)
    ctx.notes.append(f"Voting open (the citizen login has not voted yet): /consultations/{vote.id}")

    done = db.session.scalar(select(Consultation).where(Consultation.title == CERTIFIED_TITLE))
    if done is None:
        done = consultation_services.create(
            u["organiser"],
            consultation_services.ConsultationInput(
                title=CERTIFIED_TITLE,
                summary="A ranked vote, closed and certified: see the results and the audit.",
            ),
        )
        consultation_services.transition(done, u["organiser"], Phase.DELIBERATION)
        names = [("Heron Bridge", None, None), ("Dockers' Crossing", None, None), ("Tideway", None, None)]
        bridge = _contest(ctx, done, "ranked", "Name the bridge", "irv", choices=names)
        consultation_services.transition(done, u["organiser"], Phase.VOTING)
        ranks = [["o1", "o2"], ["o2", "o1"], ["o3", "o2"], ["o1"], ["o2"], ["o3", "o1"], ["o1", "o3"]]
        voters = ["amara", "bjorn", "chen", "dara", "eli", "citizen", "moderator"]
        _cast_all(ctx, bridge, voters, ranks)
        consultation_services.transition(done, u["organiser"], Phase.CLOSED)
        results.certify_consultation(done, u["officer"])
    ctx.notes.append(f"Certified result: /consultations/{done.id}")


# Each step receives the shared context; later features append their own (e.g. contests, certified result).
DEMO_STEPS: list[Callable[[DemoContext], None]] = [accounts, deliberation, voting_demo]


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
