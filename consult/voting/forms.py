"""Reading ballot and contest forms into plain values (the services do all checking).

Ballot form fields: ranked ``rank-1`` .. ``rank-N`` (an option key or empty); approval and budget
``choice`` (repeated); quadratic ``votes-<key>`` (an integer) and an optional ``adjust`` button value
``<key>:+1`` / ``<key>:-1`` that the +/- buttons send.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import MultiDict

from ..errors import ServiceError
from .models import Contest
from .services import ContestInput


def ballot_choices(contest: Contest, form: MultiDict) -> Any:
    """The voter's choices as ``tally.audit.canonical_ballot`` takes them."""
    kind = contest.ballot_type
    if kind == "ranked":
        return [form.get(f"rank-{i}", "").strip() for i in range(1, len(contest.choices) + 1)]
    if kind in ("approval", "budget"):
        return [v for v in form.getlist("choice") if v]
    votes: dict[str, int] = {}
    for key in contest.keys:
        raw = (form.get(f"votes-{key}") or "0").strip()
        try:
            votes[key] = int(raw)
        except ValueError:
            raise ServiceError(f"Votes for {contest.label_of(key)} must be a whole number.") from None
        if abs(votes[key]) > 10_000:
            raise ServiceError(f"Votes for {contest.label_of(key)} are out of range.")
    adjust = form.get("adjust", "")
    key, _, step = adjust.partition(":")
    if key in votes and step in ("+1", "-1"):
        votes[key] += int(step)
    return votes


def form_state(contest: Contest, choices: Any) -> dict[str, Any]:
    """What the ballot form shows back: rank -> key, set of ticked keys, key -> votes."""
    if contest.ballot_type == "ranked":
        return {"ranks": {i: v for i, v in enumerate(choices or [], start=1)}}
    if contest.ballot_type in ("approval", "budget"):
        return {"ticked": set(choices or [])}
    return {"votes": dict(choices or {})}


def in_words(contest: Contest, content: Any) -> str:
    """Canonical ballot content as a voter reads it: ``1. Beta, 2. Alpha`` (ranked), ``Alpha, Gamma``
    (approval, budget), ``Alpha +2, Beta -1`` (quadratic, options with no vote left out); ``no choice``
    when empty."""
    if contest.ballot_type == "ranked":
        parts = []
        for rank, entry in enumerate(content or [], start=1):
            keys = entry if isinstance(entry, list) else [entry]
            names = " = ".join(contest.label_of(k) for k in keys if k) or "(no choice)"
            parts.append(f"{rank}. {names}")
    elif contest.ballot_type in ("approval", "budget"):
        parts = [contest.label_of(k) for k in content or []]
    else:
        parts = [f"{contest.label_of(k)} {v:+d}" for k, v in (content or {}).items() if v]
    return ", ".join(parts) or "no choice"


def _int(form: MultiDict, name: str, label: str, default: int | None = None) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(f"{label} must be a whole number.") from None


def contest_input(form: MultiDict, proposals: dict[str, int]) -> ContestInput:
    """A contest from its edit form. Options: one per line, ``name`` or ``name | cost``; a name equal to a
    ballot-eligible proposal's title links that proposal."""
    kind = form.get("ballot_type", "ranked")
    choices: list[tuple[str, int | None, int | None]] = []
    for line in (form.get("choices") or "").splitlines():
        if not line.strip():
            continue
        label, sep, cost_text = line.rpartition("|") if "|" in line else (line, "", "")
        label = label.strip()
        cost = None
        if kind == "budget":
            if not sep:
                raise ServiceError(f"Give the project {label!r} a cost: write 'name | cost'.")
            try:
                cost = int(cost_text.strip().replace("_", "").replace(",", ""))
            except ValueError:
                raise ServiceError(f"The cost of {label!r} must be a whole number.") from None
        elif sep:
            label = line.strip()
        choices.append((label, cost, proposals.get(label)))
    rules: dict[str, Any] = {}
    if kind == "ranked":
        max_ranks = _int(form, "max_ranks", "The number of ranks")
        if max_ranks is not None:
            rules["max_ranks"] = max_ranks
    elif kind == "approval":
        rules["min"] = _int(form, "min_choices", "The minimum", 0)
        rules["max"] = _int(form, "max_choices", "The maximum", max(1, len(choices)))
    elif kind == "budget":
        rules["budget"] = _int(form, "budget", "The budget")
    elif kind == "quadratic":
        rules["credits"] = _int(form, "credits", "The voice credits")
        rules["allow_negative"] = form.get("allow_negative") == "on"
    options_text = (form.get("options") or "").strip() or "{}"
    try:
        options = json.loads(options_text, parse_float=_no_float)
    except (ValueError, RecursionError):
        raise ServiceError(
            'Method options must be a JSON object, e.g. {} or {"tie_break": "seeded"}.'
        ) from None
    if not isinstance(options, dict):
        raise ServiceError("Method options must be a JSON object.")
    seats = _int(form, "seats", "Seats", 1)
    return ContestInput(
        title=form.get("title", ""),
        ballot_type=kind,
        method=form.get("method", ""),
        seats=seats if seats is not None else 1,
        seed=form.get("seed", ""),
        allow_change=form.get("allow_change") == "on",
        rules=rules,
        options=options,
        choices=choices,
    )


def _no_float(text: str) -> Any:
    raise ValueError(f"{text} is not a whole number")
