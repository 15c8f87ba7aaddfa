"""Plain-text report of an STV count, action by action, laid out like droop's reports.

Each action prints its message, then for elect/defeat/transfer/begin/end actions every candidate's state
and vote, and the quota and the rule's totals. Input is ``Result.to_dict()`` of an STV rule here.
"""

from __future__ import annotations

from typing import Any

_LABEL = {"elected": "Elected: ", "pending": "Pending: ", "hopeful": "Hopeful: ", "defeated": "Defeated:"}
_SHOWN = ("begin", "elect", "defeat", "transfer", "count", "end")


def is_stv_record(d: dict[str, Any]) -> bool:
    rounds = d.get("rounds") or []
    return bool(rounds) and all(isinstance(r, dict) and "msg" in r and "votes" in r for r in rounds)


def render(d: dict[str, Any]) -> str:
    """The report text of an STV result dictionary."""
    lines = [
        f"Method: {d['method']}",
        f"Arithmetic: {d.get('arithmetic', '')}",
        f"Seats: {d.get('seats', '')}",
        f"Ballots: {d.get('ballots', '')}",
        f"Quota: {d.get('quota', '')}",
    ]
    for key in ("omega", "unused_options", "overridden_options"):
        if key in d:
            lines.append(f"{key.replace('_', ' ').capitalize()}: {d[key]}")
    lines.append("")
    last_round = None
    for a in d["rounds"]:
        if a["round"] != last_round and a["round"] > 0:
            lines.append(f"Round {a['round']}:")
        last_round = a["round"]
        if a["action"] == "log":
            lines.append(f"\t{a['msg']}")
            continue
        lines.append(f"Action: {a['msg']}")
        if a["action"] in _SHOWN:
            for state in ("elected", "pending", "hopeful", "defeated"):
                for name, s in a["state"].items():
                    if s == state:
                        lines.append(f"\t{_LABEL[state]} {name} ({a['votes'][name]})")
        extras = [(k, a[k]) for k in ("quota", "nt_votes", "residual", "surplus") if k in a]
        lines.extend(f"\t{k.replace('nt_votes', 'non-transferable').capitalize()}: {v}" for k, v in extras)
    lines.append("")
    lines.append("Elected: " + (", ".join(d["elected"]) or "nobody"))
    return "\n".join(lines)
