"""SVG charts are drawn from the certified result only, escape every label and need no script or style."""

from __future__ import annotations

from consult.consultations.models import Phase
from consult.results import charts
from consult.voting import services as voting

from .voting_helpers import contest, to_phase

EVIL = '<script>alert(1)</script>"'


def test_labels_are_escaped_in_every_chart():
    ranked = {
        "candidates": ["a", "b"],
        "rounds": [
            {
                "round": 1,
                "tally": {"a": 2, "b": 1},
                "elected": [],
                "eliminated": ["b"],
                "transfers": {"b": {"a": 1}},
            },
            {"round": 2, "tally": {"a": 3}, "elected": ["a"], "eliminated": [], "transfers": {}},
        ],
    }
    svgs = [
        charts.ranked_rounds(ranked, lambda k: EVIL)["chart"],
        charts.score_chart({"scores": {"a": 3, "b": -2}}, lambda k: EVIL, EVIL),
        charts.allocation_chart({"elected": ["a"]}, {"a": 40}, 100, lambda k: EVIL),
    ]
    for svg in svgs:
        assert "<script>" not in svg and "&lt;script&gt;" in svg and "style=" not in svg
        assert svg.startswith("<svg") and 'role="img"' in svg


def test_negative_scores_grow_left_of_the_zero_axis():
    svg = str(charts.score_chart({"scores": {"for": "3", "against": "-3"}}, str, "Net votes"))
    rects = [part for part in svg.split("<rect ")[1:]]
    xs = sorted(float(r.split('x="')[1].split('"')[0]) for r in rects)
    assert xs[0] < xs[1], "the negative bar starts left of the positive one"


def test_transfer_rows_follow_the_result():
    result = {
        "candidates": ["a", "b", "c"],
        "rounds": [
            {"round": 1, "tally": {"a": 2, "b": 2, "c": 1}, "transfers": {"c": {"a": 1}}},
            {"round": 2, "tally": {"a": 3, "b": 2}, "transfers": {}},
        ],
    }
    out = charts.ranked_rounds(result, str.upper)
    assert out["transfers"] == [(1, "C", "A", 1)]
    assert out["table"] == [("A", [2, 3]), ("B", [2, 2]), ("C", [1, None])]


def test_the_contests_open_data_lists_rules_and_never_ballots(make, client):
    c, consultation, organiser = contest(make, "approval")
    to_phase(consultation, organiser, Phase.VOTING)
    voting.cast(c, make.user(), ["o1"])
    data = client.get(f"/api/consultations/{consultation.id}/contests").get_json()
    (row,) = data["contests"]
    assert row["ballot_rules"] == {"max": 2, "min": 1} and row["seed"] == "declared-seed"
    assert [o["label"] for o in row["options"]] == ["Alpha", "Beta", "Gamma"]
    assert row["ballots_cast"] is None and "receipt" not in str(data)
