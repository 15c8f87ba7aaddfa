"""Every ballot type is validated by tally and a refused ballot is explained in plain words."""

from __future__ import annotations

import pytest

from consult.consultations.models import Phase
from consult.errors import ServiceError
from consult.voting import services as voting

from .voting_helpers import contest, to_phase

REFUSED = [
    ("ranked", ["o1", "o1"], "You ranked Alpha more than once"),
    ("ranked", ["", "o2"], "Rank 1 is empty"),
    ("ranked", ["", "", ""], "Rank at least one"),
    ("ranked", ["o9"], "is not a candidate"),
    ("approval", [], "Choose at least 1 option"),
    ("approval", ["o1", "o2", "o3"], "Choose at most 2 options"),
    ("approval", ["o1", "o1"], "approved twice"),
    ("budget", ["o1", "o3"], "cost 110 in total, more than the budget of 100"),
    ("budget", [], "at least one project"),
    ("quadratic", {"o1": 3, "o2": 2}, "cost 13 credits"),
    ("quadratic", {"o1": 4}, "cost 16 credits"),
    ("quadratic", {"o1": 0}, "at least one option a vote"),
]
ACCEPTED = [
    ("ranked", ["o3", "o1", ""], ["o3", "o1"]),
    ("approval", ["o2"], ["o2"]),
    ("approval", ["o3", "o1"], ["o1", "o3"]),
    ("budget", ["o2", "o1"], ["o1", "o2"]),
    ("quadratic", {"o1": 2, "o2": -2, "o3": 1}, {"o1": 2, "o2": -2, "o3": 1}),
    ("quadratic", {"o1": 3, "o2": 0}, {"o1": 3}),
]


@pytest.mark.parametrize(
    ("kind", "choices", "message"), REFUSED, ids=[f"{k}-{m[:20]}" for k, _, m in REFUSED]
)
def test_a_refused_ballot_is_explained(make, kind, choices, message):
    c, consultation, organiser = contest(make, kind)
    to_phase(consultation, organiser, Phase.VOTING)
    with pytest.raises(ServiceError, match=message):
        voting.cast(c, make.user(), choices)
    assert voting.ballot_count(c) == 0


@pytest.mark.parametrize(
    ("kind", "choices", "content"), ACCEPTED, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(ACCEPTED)]
)
def test_a_valid_ballot_is_cast_in_canonical_form(make, kind, choices, content):
    c, consultation, organiser = contest(make, kind)
    to_phase(consultation, organiser, Phase.VOTING)
    assert voting.cast(c, make.user(), choices).content == content


def test_negative_quadratic_votes_are_refused_when_the_contest_does_not_allow_them(make):
    c, consultation, organiser = contest(make, "quadratic")
    c.rules_json = '{"allow_negative":false,"credits":10}'
    to_phase(consultation, organiser, Phase.VOTING)
    with pytest.raises(ServiceError, match="Votes against an option are not allowed"):
        voting.cast(c, make.user(), {"o1": -1})


def test_a_ranked_contest_limits_the_ranks(make):
    c, consultation, organiser = contest(make, "ranked")
    c.rules_json = '{"max_ranks":2}'
    to_phase(consultation, organiser, Phase.VOTING)
    with pytest.raises(ServiceError, match="Rank at most 2"):
        voting.cast(c, make.user(), ["o1", "o2", "o3"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "approval"}, "does not count ranked ballots"),
        ({"seed": ""}, "tie-break seed"),
        ({"seats": 4}, "Seats must be between"),
        ({"choices": [("A", None, None), ("A", None, None)]}, "same name"),
        ({"options": {"seed": "x"}}, "seed"),
    ],
    ids=["method-type", "no-seed", "seats", "duplicate-option", "seed-in-options"],
)
def test_a_contest_with_bad_settings_is_refused(make, change, message):
    c, consultation, organiser = contest(make)
    data = voting.contest_input(c)
    for key, value in change.items():
        setattr(data, key, value)
    with pytest.raises(ServiceError, match=message):
        voting.update_contest(c, organiser, data)


def test_budget_contests_need_a_cost_for_every_project(make, client, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser=organiser)
    login(client, organiser)
    response = client.post(
        f"/consultations/{consultation.id}/contests/new",
        data={
            "title": "Budget",
            "ballot_type": "budget",
            "method": "greedy",
            "seed": "s",
            "choices": "Park\nPool | 5",
        },
    )
    assert response.status_code == 400 and b"Give the project" in response.data


def test_ballot_eligible_proposals_become_options(make, client, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser=organiser)
    proposal = make.proposal(consultation, title="A tidal park")
    login(client, organiser)
    page = client.get(f"/consultations/{consultation.id}/contests/new")
    assert b"A tidal park" in page.data
    response = client.post(
        f"/consultations/{consultation.id}/contests/new",
        data={
            "title": "Which idea?",
            "ballot_type": "ranked",
            "method": "irv",
            "seed": "s",
            "seats": "1",
            "choices": "A tidal park\nSomething else",
            "allow_change": "on",
        },
    )
    assert response.status_code == 303
    c = voting.contests_of(consultation)[0]
    assert [(x.label, x.proposal_id) for x in c.choices] == [
        ("A tidal park", proposal.id),
        ("Something else", None),
    ]
