"""Certify contests with ``tally.audit.certify`` and read back what was certified.

Rules:

- Only an election officer (or admin) certifies, and only a consultation whose voting is closed.
- Certifying freezes the ballot set as it is in the database at that moment (casting is refused outside
  the voting phase), builds the canonical records sorted by ballot id, counts them with ``tally`` using the
  contest's declared method, seats, options and seed, signs the manifest with the instance's Ed25519 key
  and stores the audit package. All contests of the consultation are certified in one transaction, and the
  consultation moves to ``certified`` in it; if any contest cannot be counted nothing is stored.
- The instance key lives at ``CONSULT_SIGNING_KEY`` (config ``SIGNING_KEY``) or
  ``<instance>/signing_key.pem``, created with mode 0600 on first use; its public half is published
  at ``/signing-key.pem``.
- The audit package (and everything on the results pages) is public once certified: ballots carry no
  voter link, so the package reveals nothing the published result does not, and anyone may re-run it.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from tally import canonical
from tally.audit import certify as tally_certify
from tally.audit import fingerprint, load_or_create_key, make_records, public_key_pem
from tally.errors import TallyError

from ..auth.models import Role, User, utcnow
from ..consultations.models import Consultation, Phase
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from ..voting import services as voting
from ..voting.models import Contest
from .models import Certification


def key_path() -> Path:
    configured = current_app.config.get("SIGNING_KEY")
    return Path(configured) if configured else Path(current_app.instance_path) / "signing_key.pem"


def signing_key():
    try:
        return load_or_create_key(key_path())
    except TallyError as err:
        raise ServiceError(f"The instance signing key cannot be used: {err}") from None


def public_key() -> bytes:
    return public_key_pem(signing_key())


def can_certify(consultation: Consultation, user: User | None) -> bool:
    return user is not None and user.has_role(Role.OFFICER) and consultation.current_phase() is Phase.CLOSED


def certify_consultation(consultation: Consultation, officer: User) -> list[Certification]:
    """Certify every contest of ``consultation`` and move it to ``certified`` (see module docstring)."""
    if officer is None or not officer.has_role(Role.OFFICER):
        raise PermissionDenied("Only an election officer certifies results.")
    if consultation.current_phase() is not Phase.CLOSED:
        raise ServiceError("Close voting before certifying.")
    contests = voting.contests_of(consultation)
    if not contests:
        raise ServiceError("This consultation has no contest to certify.")
    key = signing_key()
    now = utcnow()
    made = []
    for contest in contests:
        made.append(_certify_contest(contest, key, officer, now))
    consultation.phase = Phase.CERTIFIED.value
    consultation.phase_changed_at = now
    db.session.commit()
    return made


def _certify_contest(contest: Contest, key, officer: User, now) -> Certification:
    if certification_of(contest) is not None:
        raise ServiceError(f"{contest.title} is already certified.")
    rows = voting.ballots_by_id(contest)
    try:
        config = voting.audit_config(contest)
        records = make_records(config, [(b.id, voting.content_of(b)) for b in rows])
        cert = tally_certify(
            config, records, key, receipts=[b.receipt for b in rows], certified_at=now.isoformat() + "Z"
        )
    except TallyError as err:
        db.session.rollback()
        raise ServiceError(f"{contest.title} could not be counted: {err}") from None
    row = Certification(
        contest_id=contest.id,
        result_json=cert.result_json,
        manifest_json=cert.manifest_bytes.decode("utf-8"),
        signature_b64=base64.b64encode(cert.signature).decode("ascii"),
        key_fingerprint=fingerprint(key),
        receipts_txt="".join(r + "\n" for r in cert.receipts),
        package=cert.package,
        certified_by_id=officer.id,
        certified_at=now,
    )
    db.session.add(row)
    return row


def certification_of(contest: Contest) -> Certification | None:
    return db.session.scalar(select(Certification).where(Certification.contest_id == contest.id))


def result_of(cert: Certification) -> dict[str, Any]:
    return json.loads(cert.result_json)


def manifest_of(cert: Certification) -> dict[str, Any]:
    return json.loads(cert.manifest_json)


def published_receipts(contest: Contest) -> list[str] | None:
    """The sorted receipts, public once voting is closed (certified: exactly the signed list)."""
    consultation = voting.consultation_of(contest)
    phase = consultation.current_phase()
    if phase.rank < Phase.CLOSED.rank:
        return None
    cert = certification_of(contest)
    if cert is not None:
        return cert.receipts_txt.split()
    return voting.sorted_receipts(contest)


def rctab_zip(cert: Certification) -> bytes | None:
    """The ``rctab/`` folder of the audit package (RCTab config + CDF CVR) as its own zip, if any."""
    with zipfile.ZipFile(io.BytesIO(cert.package)) as src:
        names = [n for n in src.namelist() if n.startswith("rctab/")]
        if not names:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in names:
                dst.writestr(name, src.read(name))
    return out.getvalue()


def open_data(contest: Contest, cert: Certification) -> dict[str, Any]:
    """The JSON published for a certified contest (result, manifest, signature, option names)."""
    return canonical.plain(
        {
            "contest": contest.public_id,
            "title": contest.title,
            "ballot_type": contest.ballot_type,
            "method": contest.method,
            "seats": contest.seats,
            "seed": contest.seed,
            "options": {c.key: c.label for c in contest.choices},
            "result": result_of(cert),
            "manifest": manifest_of(cert),
            "signature": cert.signature_b64,
            "key_fingerprint": cert.key_fingerprint,
            "certified_at": cert.certified_at.isoformat() + "Z",
        }
    )
