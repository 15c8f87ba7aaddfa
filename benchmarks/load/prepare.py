"""A fresh database for a load run: one consultation in its voting phase, its contests, its voters.

- SQLite: a new file in the run's folder. PostgreSQL: a new database ``consult_load_<pid>_<hex>`` on the
  server named by the admin URL, dropped by :func:`drop_database` (only that database, never another).
- The schema comes from the Alembic migrations, as in production.
- The organiser, the consultation and the contests are made through the app's services (validated as a
  real organiser's would be). Voters and posters are bulk-inserted with one argon2 hash computed once with
  the configured parameters, so every log-in during the run still verifies a full-cost hash.
- Eligibility is ``census``: every voter and poster is on the consultation's census, so each cast runs the
  census look-up a real closed consultation needs.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

PASSWORD = "load run passphrase 7"
ADMIN_DB = "postgres"


@dataclass
class ContestPlan:
    id: int
    public_id: str
    ballot_type: str
    keys: list[str]


@dataclass
class Plan:
    """What the load clients need to know: where the app is, who votes where. Written as JSON."""

    base_url: str = ""
    consultation_id: int = 0
    password: str = PASSWORD
    voters: list[str] = field(default_factory=list)
    posters: list[str] = field(default_factory=list)
    contests: list[ContestPlan] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'consult-load.sqlite'}"


def create_database(admin_url: str) -> str:
    """Create an empty PostgreSQL database of our own; returns its URL."""
    name = f"consult_load_{secrets.token_hex(4)}"
    url = make_url(admin_url)
    engine = create_engine(url.set(database=ADMIN_DB), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database made by :func:`create_database` (its name is checked first)."""
    parsed = make_url(url)
    if not (parsed.database or "").startswith("consult_load_"):
        raise ValueError(f"refusing to drop {parsed.database!r}: not a load-run database")
    engine = create_engine(parsed.set(database=ADMIN_DB), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


def populate(url: str, voters: int, posters: int, contests: int, secret_key: str) -> Plan:
    """Migrate ``url`` and fill it; returns the plan (without ``base_url``)."""
    from flask_migrate import upgrade

    from consult import create_app
    from consult.auth import services as auth_services
    from consult.auth.models import CensusEntry, Role, User
    from consult.consultations import services as consultation_services
    from consult.consultations.models import Phase
    from consult.extensions import db
    from consult.voting import services as voting

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        password_hash = auth_services.hasher().hash(PASSWORD)
        organiser = User(
            email="organiser@load.example",
            display_name="Organiser",
            password_hash=password_hash,
            role=Role.ORGANISER.value,
        )
        db.session.add(organiser)
        db.session.commit()
        consultation = consultation_services.create(
            organiser,
            consultation_services.ConsultationInput(
                title="Deadline rush", summary="Load run", eligibility="census"
            ),
        )
        consultation_services.transition(consultation, organiser, Phase.DELIBERATION)
        plan = Plan(consultation_id=consultation.id)
        for n in range(contests):
            kind = "ranked" if n % 2 == 0 else "approval"
            data = voting.ContestInput(
                title=f"Question {n + 1}",
                ballot_type=kind,
                method="irv" if kind == "ranked" else "approval",
                seed=f"load-{n}",
                rules={} if kind == "ranked" else {"min": 1, "max": 2},
                choices=[(f"Option {c}", None, None) for c in "ABCD"],
            )
            contest = voting.create_contest(consultation, organiser, data)
            plan.contests.append(ContestPlan(contest.id, contest.public_id, kind, contest.keys))
        consultation_services.transition(consultation, organiser, Phase.VOTING)

        plan.voters = [f"voter{i}@load.example" for i in range(voters)]
        plan.posters = [f"poster{i}@load.example" for i in range(posters)]
        emails = plan.voters + plan.posters
        for start in range(0, len(emails), 5000):
            chunk = emails[start : start + 5000]
            db.session.execute(
                insert(User),
                [
                    {"email": e, "display_name": e.split("@")[0], "password_hash": password_hash}
                    for e in chunk
                ],
            )
            db.session.execute(
                insert(CensusEntry), [{"consultation_id": consultation.id, "key": e} for e in chunk]
            )
        db.session.commit()
        db.engine.dispose()
    return plan
