"""Every list of ballots or receipts the app publishes is ordered by ballot id or receipt, never by the
order of casting, on SQLite and on PostgreSQL (whose heap returns rows in insertion order to a query
without ORDER BY, so an unsorted export would leak who voted when)."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import zipfile

from consult.consultations.models import Phase
from consult.results import services as results
from consult.voting import services as voting

from .voting_helpers import contest, to_phase

CAST = [["o1"], ["o2"], ["o3"], ["o1", "o2"], ["o2", "o1"], ["o3", "o1"], ["o1", "o3"], ["o2", "o3"]]


def test_bulletins_and_audit_exports_never_follow_the_casting_order(app_factory, tmp_path, monkeypatch):
    app = app_factory(SIGNING_KEY=str(tmp_path / "key.pem"))
    client = app.test_client()
    with app.app_context():
        from .factories import Factories

        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        # Ballot ids in descending order of casting: any export in casting order is visibly unsorted.
        descending = iter(f"{0xFF - n:02x}" * 16 for n in range(len(CAST)))
        real = secrets.token_hex
        monkeypatch.setattr(
            voting.secrets, "token_hex", lambda n=None: next(descending) if n == 16 else real(n)
        )
        cast = [voting.cast(c, make.user(), ballot) for ballot in CAST]
        monkeypatch.setattr(voting.secrets, "token_hex", real)
        ids_cast = [b.id for b in voting.ballots_by_id(c)]
        assert ids_cast == sorted(ids_cast) and ids_cast[0] == "f8" * 16
        receipts = sorted(r.receipt for r in cast)
        to_phase(consultation, organiser, Phase.CLOSED)

        def published() -> list[list[str]]:
            page = client.get(f"/contests/{c.id}/bulletin").get_data(as_text=True)
            rows = list(csv.reader(io.StringIO(client.get(f"/contests/{c.id}/bulletin.csv").text)))
            return [
                client.get(f"/api/contests/{c.id}/bulletin").get_json()["receipts"],
                [row[0] for row in rows[1:]],
                re.findall(r"<code>([0-9a-f]{64})</code>", page),
            ]

        assert published() == [receipts] * 3, "closed, not yet certified"
        results.certify_consultation(consultation, make.user("officer"))
        assert published() == [receipts] * 3, "certified"

        package = zipfile.ZipFile(io.BytesIO(client.get(f"/contests/{c.id}/audit.zip").data))
        records = [
            json.loads(line) for line in package.read("ballots.jsonl").splitlines()[1:]
        ]  # after the header
        assert [r["id"] for r in records] == sorted(r["id"] for r in records)
        assert [r["ballot"] for r in records] == list(reversed(CAST)), "ids descend as ballots were cast"
        assert package.read("receipts.txt").decode().split() == receipts
        cvr = json.loads(
            zipfile.ZipFile(io.BytesIO(client.get(f"/contests/{c.id}/rctab.zip").data)).read("rctab/cvr.json")
        )
        printed = [x["BallotPrePrintedId"] for x in cvr["CVR"]]
        assert printed == sorted(printed) == [r["id"] for r in records]
