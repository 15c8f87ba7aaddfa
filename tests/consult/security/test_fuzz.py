"""Fuzzing: hypothesis sends generated forms to every state-changing route and generated query strings
to every page and JSON endpoint, as every kind of user, plain and htmx; and, with the consultation open for
voting, every ballot form of every ballot type goes to the cast path itself. The only acceptable answers
are a correct response or a clear 4xx carrying the security headers; never a 500 (TESTING propagates
exceptions, so a crash fails loudly)."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from consult.extensions import db
from consult.results import services as results
from consult.voting import services as voting
from consult.voting.models import Ballot, Contest, Participation
from tally.audit import verify_package

from .conftest import ROLES, UNSAFE, create_contests, methods_of, path_of, rules, send, valid_ballot
from .test_headers import header_problems

# Every field name the templates and views read, plus a few nobody reads.
FIELDS = [
    "body", "stance", "title", "summary", "description_md", "eligibility", "support_threshold",
    "deliberation_starts_at", "voting_starts_at", "voting_ends_at", "phase", "count", "label", "token",
    "proposal_id", "endorsed", "supported", "reason", "action", "status", "answer", "blocked", "back",
    "role", "email", "password", "password2", "display_name", "identifier", "next", "q", "sort", "psort",
]  # fmt: skip
INTERESTING = [
    "", " ", "0", "1", "-1", "2", "99999999999999999999", "1e9", "NaN", "true", "null", "voting", "hide",
    "restore", "accepted", "for", "against", "neutral", "admin", "census", "open", "2026-05-01T18:00",
    "9999-12-31T23:59", "/", "//evil.example", "\x00", "\ud7ff", "é" * 300, "x" * 20000,
]  # fmt: skip
values = st.one_of(st.sampled_from(INTERESTING), st.text(max_size=40))
forms = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
queries = st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)
SETTINGS = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def test_generated_forms_never_crash_a_state_changing_route(app, login, world):
    targets = [(m, r) for r in rules(app) for m in methods_of(r, UNSAFE)]
    client = app.test_client()

    @SETTINGS
    @given(
        target=st.sampled_from(targets),
        form=forms,
        role=st.sampled_from(ROLES),
        htmx=st.booleans(),
        upload=st.none() | st.binary(max_size=200),
    )
    def attempt(target, form, role, htmx, upload):
        method, rule = target
        if world.users[role] is not None:
            login(client, world.users[role])
        data = dict(form)
        if upload is not None:
            data["census"] = (io.BytesIO(upload), "census.csv")
        headers = {"HX-Request": "true"} if htmx else {}
        response = send(client, method, path_of(rule, world.values()), data=data, headers=headers)
        assert response.status_code < 500, (method, rule.rule, form, response.status_code)
        assert header_problems(response) == [], (method, rule.rule, response.status_code)

    attempt()


def test_generated_query_strings_never_crash_a_page_or_json_endpoint(app, login, world):
    pages = [r for r in rules(app) if "GET" in (r.methods or ()) and r.endpoint != "static"]
    client = app.test_client()

    @SETTINGS
    @given(rule=st.sampled_from(pages), query=queries, role=st.sampled_from(ROLES), htmx=st.booleans())
    def attempt(rule, query, role, htmx):
        if world.users[role] is not None:
            login(client, world.users[role])
        headers = {"HX-Request": "true"} if htmx else {}
        response = send(client, "GET", path_of(rule, world.values()), query_string=query, headers=headers)
        assert response.status_code < 500, (rule.rule, query, response.status_code)
        assert header_problems(response) == [], (rule.rule, response.status_code)
        if rule.rule.startswith("/api/") and response.status_code == 200:
            assert response.is_json and response.get_json() is not None

    attempt()


# --- the voting phase ---------------------------------------------------------------------------------

ODD_VALUES = ["", " ", "\x00", "é" * 300, "x" * 5000, "null", "NaN", "½", "٣", ":", "<b>Beta</b>"]
NUMBERS = [
    "0",
    "1",
    "-1",
    "2",
    "-3",
    " 3 ",
    "10",
    "10000",
    "10001",
    "-10001",
    "99999999999999999999",
    "1e3",
    "0x10",
]
JSON_TEXTS = [
    "[]", "{}", '["o1","o2"]', '["o1","o1"]', '[["o1","o2"]]', '["o1",null,"o2"]', '{"o1": 2}', '{"o1": -3}',
    '{"o1": 2.5}', '{"o1": 1e400}', '{"o1": 99999999999999999999999}', '{"o9": 1}', '"o1"', "[" * 50_000,
    '{"a":' * 20_000, "[1e400]", '{"o1": true}',
]  # fmt: skip
FUZZED_LABELS = ["Alpha", "<b>Beta</b>", "=Gamma()", "Delta | 4"]
CAST_KEYS = ["k" * 22, "another-cast-key-0123", "short", "x" * 200, "bad key!", "é" * 20, ""]


def _junk(n: int):
    """(field, value) pairs aimed at what each ballot field means, plus anything anywhere."""
    keys = st.sampled_from([f"o{i}" for i in range(n + 2)] + ["", " o1 ", "O1", "Alpha", "o1\x00"])
    aimed = st.one_of(
        st.tuples(st.sampled_from([f"rank-{i}" for i in range(n + 2)] + ["choice"]), keys),
        st.tuples(st.sampled_from([f"votes-o{i}" for i in range(n + 2)]), st.sampled_from(NUMBERS)),
        st.tuples(
            st.just("adjust"), st.sampled_from(["o1:+1", "o1:-1", "o3:+1", "o9:+1", "o1:+2", "o1", ":"])
        ),
        st.tuples(st.just("secret"), st.sampled_from(["0" * 32, "f" * 32, "g" * 32, "F" * 32, "0" * 31])),
        st.tuples(st.just("content"), st.sampled_from(JSON_TEXTS)),
        st.tuples(st.just("receipt"), st.sampled_from(["0" * 64, "A" * 64, "z"])),
        st.tuples(st.just("cast_key"), st.sampled_from(CAST_KEYS)),
    )
    fields = ["rank-0", "rank-x", "votes-", "choice", "secret", "content", "receipt", "adjust", "cast_key"]
    anything = st.tuples(st.sampled_from(fields), st.sampled_from(ODD_VALUES) | st.text(max_size=8))
    return st.lists(aimed | anything, min_size=1, max_size=6)


def _counts(contest_id: int) -> tuple[int, int]:
    """(ballots, poll-book rows) of a contest, read afresh (SQLite's WAL keeps a reader's snapshot)."""
    db.session.rollback()
    ballots = db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.contest_id == contest_id)
    )
    voters = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.contest_id == contest_id)
    )
    return ballots, voters


def _near_misses(kind: str, n: int) -> list[MultiDict]:
    """A valid ballot with one field spoiled, for every field this ballot type reads and every way of
    spoiling it; the secret, receipt and choices-as-JSON fields of the change and receipt-check routes too."""
    spoiled = [("secret", v) for v in ["0" * 32, "g" * 32, "x" * 5000]] + [("receipt", "0" * 64)]
    spoiled += [("content", v) for v in JSON_TEXTS]
    spoiled += [("cast_key", v) for v in CAST_KEYS]
    if kind == "ranked":
        spoiled += [
            (f"rank-{i}", k) for i in (1, 2, n + 1) for k in ["o0", "o99", "O1", " o1 ", "o1\x00", "", "o1"]
        ]
    elif kind in ("approval", "budget"):
        spoiled += [("choice", k) for k in ["o1", "o2", "o99", "", "x" * 5000]]
    else:
        spoiled += [("votes-o1", v) for v in NUMBERS + ODD_VALUES[:5]]
        spoiled += [(f"votes-o{n + 1}", "1"), ("votes-o0", "1")]
        spoiled += [("adjust", a) for a in ["o1:+1", "o1:-1", "o9:+1", "o1:+9", ":", "o1"]]
    base = MultiDict(valid_ballot(kind, n, 0))
    forms = []
    for name, value in spoiled:
        form = base.copy()
        form.setlist(name, [*form.getlist(name), value] if name == "choice" else [value])
        forms.append(form)
    forms.append(MultiDict([*base.items(multi=True), *[("choice", "o1")] * 1000, ("rank-1", "o2")]))
    return forms


def test_generated_ballots_never_crash_casting_and_every_accepted_ballot_counts(app, make, login, world):
    """While the consultation is open for voting, every route that takes a contest (cast, change, preview,
    receipt check, the editor, and any added later) gets, for every ballot type: every near miss
    of a valid ballot (one field spoiled at a time), then hypothesis's mixes of valid ballots, aimed junk
    and anything, cast keys and ``Idempotency-Key`` headers, as voters who may or may not have voted,
    plain and htmx; and hypothesis queries every JSON endpoint. Each answer is a correct response or a
    clear 4xx carrying the security headers; a ballot is stored only by an accepted cast (exactly one,
    with its poll-book row), and a cast answered 200 without storing one is a resend showing a receipt
    already issued; at the end tally certifies every stored ballot and the signed packages verify."""
    client = app.test_client()
    owner = world.users["owner"]
    login(client, owner)
    contests = create_contests(client, world.consultation.id, FUZZED_LABELS, "A fuzzed question")
    sizes = {kind: len(db.session.get(Contest, cid).choices) for kind, cid in contests.items()}
    opened = send(client, "POST", f"/consultations/{world.consultation.id}/phase", data={"phase": "voting"})
    assert opened.status_code == 303
    posts = [r for r in rules(app) if "contest_id" in r.arguments and "POST" in (r.methods or ())]
    assert {"voting.cast", "voting.change", "voting.preview"} <= {r.endpoint for r in posts}
    json_gets = [r for r in rules(app) if r.rule.startswith("/api/") and "GET" in (r.methods or ())]
    secrets_seen: dict[int, list[str]] = {cid: [] for cid in contests.values()}
    accepted = dict.fromkeys(contests, 0)
    receipts_seen: set[str] = set()

    def post(kind: str, rule, form: MultiDict, headers: dict) -> None:
        contest_id = contests[kind]
        before = _counts(contest_id)
        path = path_of(rule, {**world.values(), "contest_id": contest_id})
        response = send(client, "POST", path, data=form, headers=headers)
        where = (kind, rule.endpoint, [(k, v[:40]) for k, v in form.items(multi=True)], response.status_code)
        assert response.status_code < 500, where
        assert header_problems(response) == [], where
        after = _counts(contest_id)
        if rule.endpoint != "voting.cast" or response.status_code != 200:
            assert after == before, where
            return
        html = response.get_data(as_text=True)
        receipt = html.split('id="receipt">', 1)[1].split("<", 1)[0]
        if after == before:  # a resend of an accepted cast (same voter, cast key and choices)
            assert receipt in receipts_seen, where
            return
        assert after == (before[0] + 1, before[1] + 1), where
        accepted[kind] += 1
        receipts_seen.add(receipt)
        secrets_seen[contest_id].append(html.split('id="secret">', 1)[1].split("<", 1)[0])

    for kind, n in sizes.items():
        for rule in posts:
            for i, form in enumerate(_near_misses(kind, n)):
                login(client, make.user() if rule.endpoint == "voting.cast" else world.users["citizen"])
                post(kind, rule, form, {"HX-Request": "true"} if i % 2 else {})

    voters = [make.user() for _ in range(20)] + [world.users[r] for r in ROLES if r != "anonymous"]

    @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(sorted(contests)), who=st.integers(-1, len(voters) - 1), data=st.data())
    def attempt(kind, who, data):
        if who < 0:
            send(client, "POST", "/auth/logout")
        else:
            login(client, voters[who])
        headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
        if data.draw(st.booleans(), label="Idempotency-Key?"):
            headers["Idempotency-Key"] = data.draw(st.sampled_from(CAST_KEYS), label="key")
        plan = data.draw(st.sampled_from(["json", "ballot", "ballot+junk", "junk"]), label="plan")
        if plan == "json":
            rule = data.draw(st.sampled_from(json_gets), label="endpoint")
            values = {**world.values(), "contest_id": contests[kind]}
            response = send(client, "GET", path_of(rule, values), query_string=data.draw(queries))
            assert response.status_code < 500, (rule.rule, response.status_code)
            assert response.status_code == 404 or response.is_json, rule.rule
            assert header_problems(response) == [], rule.rule
            return
        casting = [r for r in posts if r.endpoint in ("voting.cast", "voting.change")]
        rule = data.draw(st.sampled_from(casting if plan == "ballot" else posts), label="route")
        form = MultiDict()
        if plan.startswith("ballot"):
            form = MultiDict(valid_ballot(kind, sizes[kind], data.draw(st.integers(0, 7), label="ballot")))
        if plan != "ballot":
            for name, value in data.draw(_junk(sizes[kind]), label="junk"):
                form.add(name, value)
        known = secrets_seen[contests[kind]]
        pick = data.draw(st.integers(-1, 20), label="known secret")  # drawn alike whatever was cast
        if known and pick >= 0:
            form["secret"] = known[pick % len(known)]
        post(kind, rule, form, headers)

    attempt()
    assert all(accepted.values()), accepted
    login(client, owner)
    closed = send(client, "POST", f"/consultations/{world.consultation.id}/phase", data={"phase": "closed"})
    login(client, world.users["officer"])
    certified = send(client, "POST", f"/consultations/{world.consultation.id}/certify")
    assert closed.status_code == certified.status_code == 303
    db.session.rollback()
    for kind, contest_id in contests.items():
        contest = db.session.get(Contest, contest_id)
        stored = len(voting.ballots_by_id(contest))
        assert stored == _counts(contest_id)[1] >= accepted[kind], kind
        cert = results.certification_of(contest)
        assert cert is not None and verify_package(cert.package, public_key=results.public_key()).ok, kind
        assert results.manifest_of(cert)["ballots"]["count"] == stored, kind
