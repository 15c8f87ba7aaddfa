"""A small certified IRV contest shared by the package, verify and command tests."""

import pytest

from tally.audit import AuditConfig, compute_receipt, generate_key, make_records
from tally.audit.certify import certify

BALLOTS = {
    "id01": ["alice", "bob"],
    "id02": ["bob"],
    "id03": ["carol", "bob"],
    "id04": ["alice"],
    "id05": ["bob", "alice"],
    "id06": ["carol", "alice"],
    "id07": ["alice", "carol"],
}


def contest_config(**kw):
    args = dict(
        contest="mayor-2026", ballot_type="ranked", method="irv", candidates=("alice", "bob", "carol")
    )
    args.update(kw, seed=kw.get("seed", "declared-seed"))
    return AuditConfig(**args)


def receipts_for(records):
    return [compute_receipt("mayor-2026", r.ballot, bytes([i]) * 16) for i, r in enumerate(records)]


@pytest.fixture(scope="session")
def key():
    return generate_key()


@pytest.fixture(scope="session")
def contest(key):
    cfg = contest_config()
    records = make_records(cfg, BALLOTS.items())
    return cfg, records, certify(cfg, records, key, receipts=receipts_for(records))
