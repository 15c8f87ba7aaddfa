"""A certified contest: what ``tally.audit.certify`` produced, stored as it was signed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..auth.models import utcnow
from ..extensions import db


class Certification(db.Model):
    __tablename__ = "certification"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), unique=True)
    result_json: Mapped[str] = mapped_column(Text)
    manifest_json: Mapped[str] = mapped_column(Text)
    signature_b64: Mapped[str] = mapped_column(String(120))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    receipts_txt: Mapped[str] = mapped_column(Text)
    package: Mapped[bytes] = mapped_column(LargeBinary)
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    certified_at: Mapped[datetime] = mapped_column(default=utcnow)
