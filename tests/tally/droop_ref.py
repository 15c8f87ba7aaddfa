"""Read droop's JSON reference counts into a form comparable with our STV action record."""

from __future__ import annotations

import json
from pathlib import Path

SKIP = {"log", "round", "iterate"}


def _state(cs: dict) -> str:
    if cs["state"] == "elected" and cs.get("pending"):
        return "pending"
    return cs["state"]


def droop_actions(path: Path) -> tuple[dict, list[tuple]]:
    """(header, actions): each action is (round, tag, msg, {cid: (state, vote)}, non-transferable, quota)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for a in data["actions"]:
        if a["tag"] in SKIP:
            continue
        cstate = {
            int(cid): (_state(cs), cs["vote"])
            for cid, cs in a.get("cstate", {}).items()
            if cs["state"] != "withdrawn"
        }
        out.append((a["round"], a["tag"], a["msg"], cstate, a.get("nt_votes"), a.get("quota")))
    return data, out


def our_actions(result) -> list[tuple]:
    names = result.candidates
    out = []
    for a in result.rounds:
        if a["action"] in SKIP:
            continue
        cstate = {
            i + 1: (a["state"][n], a["votes"].get(n))
            for i, n in enumerate(names)
            if a["state"][n] != "withdrawn"
        }
        out.append((a["round"], a["action"], a["msg"], cstate, a.get("nt_votes"), a.get("quota")))
    return out
