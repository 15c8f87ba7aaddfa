"""Seeded tie-breaks for native contests (RCTab contests use RCTab's own modes in ``tally.rctab``).

Rule: the tied candidates are ordered by ``sha256(seed ‖ contest_id ‖ round ‖ name)`` ascending, where
``‖`` joins the UTF-8 bytes of the four parts with one NUL byte (``0x00``) between them and ``round`` is
the round number in decimal. The first candidate in that order is selected: it is the one eliminated in a
tie for last place, and the one elected in a tie for first place. The seed is declared before the count
(option ``seed``) and echoed in the result, so anyone can recompute every tie.
"""

from __future__ import annotations

import hashlib
from typing import Any

RULE = "sha256(seed|contest_id|round|name) ascending, first selected"


def tie_key(seed: str, contest_id: str, round_no: int, name: str) -> bytes:
    data = b"\x00".join(s.encode("utf-8") for s in (seed, contest_id, str(round_no), name))
    return hashlib.sha256(data).digest()


def tie_order(seed: str, contest_id: str, round_no: int, names: list[str]) -> list[str]:
    """``names`` ordered by their tie key (see module docstring)."""
    return sorted(names, key=lambda name: tie_key(seed, contest_id, round_no, name))


def break_tie(
    log: list[dict[str, Any]], kind: str, round_no: int, names: list[str], seed: str, contest_id: str, **facts
) -> str:
    """Select one of ``names`` and append the tie, the rule and the outcome to ``log``."""
    order = tie_order(seed, contest_id, round_no, names)
    log.append(
        {
            "round": round_no,
            "kind": kind,
            "tied": sorted(names),
            "rule": RULE,
            "order": order,
            "selected": order[0],
            **facts,
        }
    )
    return order[0]
