"""Fuzzing: hypothesis sends generated forms to every state-changing route and generated query strings
to every page and JSON endpoint, as every kind of user, plain and htmx. The only acceptable answers are a
correct response or a clear 4xx; never a 500 (TESTING propagates exceptions, so a crash fails loudly)."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ROLES, UNSAFE, methods_of, path_of, rules, send

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
        if rule.rule.startswith("/api/") and response.status_code == 200:
            assert response.is_json and response.get_json() is not None

    attempt()
