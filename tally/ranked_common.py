"""What IRV and STV share: option checking, the ballot-walk rules and the per-round record.

Ballot-walk rules (RCTab's, §5.2 of its rules): in each round a ballot counts for its first ranked
candidate still continuing. Walking a ballot, at each rank that holds a mark, in this order:

1. skipped ranks: if more than ``max_skipped_ranks`` blank ranks precede this mark (counting from the
   previous marked rank, or from the start), the ballot becomes inactive as ``skipped_rankings``;
   ``"unlimited"`` (default) never does this; blanks after the last mark never matter;
2. duplicates: with ``exhaust_on_duplicate`` (default false) a candidate ranked again becomes inactive
   as ``repeated_rankings`` when the walk reaches the repeat; otherwise the repeat is passed over;
3. overvotes (a rank holding several marks): ``"exhaust_immediately"`` (default) makes the ballot
   inactive as ``overvotes``; ``"always_skip_to_next_rank"`` passes over the rank (an overvote at the
   last marked rank then leaves the ballot ``exhausted_choices``);
4. the first continuing candidate gets the ballot (``excluded`` candidates never continue). A ballot
   with no continuing candidate left becomes inactive as ``exhausted_choices``. Inactive ballots stay
   inactive. Ballots without any mark are ``undervotes`` and never active.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _kernels_ranked as K
from .ballots import RankedBallots
from .errors import TallyError

OVERVOTE_RULES = ("exhaust_immediately", "always_skip_to_next_rank")

WALK_DEFAULTS: dict[str, Any] = {
    "overvote_rule": "exhaust_immediately",
    "max_skipped_ranks": "unlimited",
    "exhaust_on_duplicate": False,
    "seed": "0",
    "contest_id": "",
    "excluded": None,
}

INACTIVE_NAMES = ("overvotes", "skipped_rankings", "exhausted_choices", "repeated_rankings")


def take_options(method: str, given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Merge ``given`` over ``defaults``, refusing any option the method does not know."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TallyError(
            f"method {method!r} has no option {', '.join(map(repr, unknown))} "
            f"(options: {', '.join(sorted(defaults))})"
        )
    opts = dict(defaults)
    opts.update({k: v for k, v in given.items() if v is not None})
    return opts


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TallyError(f"option {name} must be true or false, got {value!r}")


def as_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    try:
        if isinstance(value, bool | float):
            raise ValueError
        out = int(value)
    except (TypeError, ValueError):
        raise TallyError(f"option {name} must be an integer, got {value!r}") from None
    if out < low or (high is not None and out > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise TallyError(f"option {name} must be {bound}, got {out}")
    return out


def as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise TallyError(f"option {name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def normalise_walk_options(opts: dict[str, Any]) -> None:
    """Check and coerce the shared options in place (see module docstring)."""
    opts["overvote_rule"] = as_choice("overvote_rule", opts["overvote_rule"], OVERVOTE_RULES)
    if opts["max_skipped_ranks"] != "unlimited":
        opts["max_skipped_ranks"] = as_int("max_skipped_ranks", opts["max_skipped_ranks"], 0)
    opts["exhaust_on_duplicate"] = as_bool("exhaust_on_duplicate", opts["exhaust_on_duplicate"])
    for key in ("seed", "contest_id"):
        if not isinstance(opts[key], str | int) or isinstance(opts[key], bool):
            raise TallyError(f"option {key} must be text or an integer, got {opts[key]!r}")
        opts[key] = str(opts[key])


def continuing_at_start(ballots: RankedBallots, opts: dict[str, Any]) -> np.ndarray:
    """Continuing mask before round 1; sets ``opts["excluded"]`` to the excluded names in candidate order.

    ``excluded`` (names) are passed over like eliminated candidates and never appear in a tally, as
    RCTab's excluded candidates. By default, a ballot file's withdrawn candidates (and undeclared
    write-ins) are excluded."""
    names = ballots.candidates.names
    given = opts.get("excluded")
    if given is None:
        drop = {*getattr(ballots, "withdrawn", ()), *getattr(ballots, "undeclared", ())}
    else:
        if isinstance(given, str):
            given = [given]
        unknown = [x for x in given if x not in names]
        if unknown:
            raise TallyError(f"option excluded names unknown candidate(s) {', '.join(map(repr, unknown))}")
        drop = {names.index(x) for x in given}
    cont = np.ones(len(names), dtype=np.bool_)
    cont[sorted(drop)] = False
    opts["excluded"] = [names[c] for c in sorted(drop)]
    return cont


def walk_args(opts: dict[str, Any]) -> tuple[int, bool, bool]:
    """``(max_skip, exhaust_dup, exhaust_over)`` as the kernels take them (-1 = unlimited)."""
    skip = -1 if opts["max_skipped_ranks"] == "unlimited" else int(opts["max_skipped_ranks"])
    return skip, bool(opts["exhaust_on_duplicate"]), opts["overvote_rule"] == "exhaust_immediately"


def check_ballots(ballots: Any, method: str) -> RankedBallots:
    if not isinstance(ballots, RankedBallots):
        raise TallyError(f"method {method!r} counts RankedBallots, got {type(ballots).__name__}")
    if ballots.ranks.shape[1] > 32000:
        raise TallyError(f"{ballots.ranks.shape[1]} ranks per ballot: at most 32000 are supported")
    return ballots


def transfers_by_source(
    trans: np.ndarray, sources: list[int], names: tuple[str, ...], convert
) -> dict[str, dict[str, Any]]:
    """``{source name: {target name | "exhausted": value}}`` with zero entries left out."""
    n = len(names)
    out: dict[str, dict[str, Any]] = {}
    for s in sources:
        row: dict[str, Any] = {}
        for t in range(n):
            if trans[s, t]:
                row[names[t]] = convert(trans[s, t])
        lost = sum(int(x) for x in trans[s, n:])
        if lost:
            row["exhausted"] = convert(lost)
        out[names[s]] = row
    return out


def inactive_record(inactive: np.ndarray, convert, final_surplus: bool = False) -> dict[str, Any]:
    rec = {name: convert(inactive[i]) for i, name in enumerate(INACTIVE_NAMES)}
    if final_surplus:
        rec["final_round_surplus"] = convert(inactive[K.CAT_FINAL_SURPLUS])
    return rec


def batch_losers(tallies: dict[int, int], keep_two: bool) -> list[int]:
    """RCTab batch elimination: walking the distinct tallies upwards with a running sum of all lower
    candidates, everyone below a tally that exceeds the running sum is eliminated; applied only when it
    removes two or more. With ``keep_two`` the last addition is undone if it would leave fewer than two.
    """
    groups: dict[int, list[int]] = {}
    for c, t in tallies.items():
        groups.setdefault(int(t), []).append(c)
    running = 0
    seen: list[int] = []
    snapshots: list[list[int]] = [[]]
    for t in sorted(groups):
        if running < t and len(seen) > len(snapshots[-1]):
            snapshots.append(list(seen))
        running += t * len(groups[t])
        seen.extend(groups[t])
    losers = snapshots[-1]
    if keep_two and len(tallies) - len(losers) < 2:
        losers = snapshots[-2] if len(snapshots) > 1 else []
    return sorted(losers) if len(losers) >= 2 else []


def lowest(tallies: dict[int, Any]) -> list[int]:
    low = min(tallies.values())
    return [c for c, t in tallies.items() if t == low]


def highest(tallies: dict[int, Any]) -> list[int]:
    top = max(tallies.values())
    return [c for c, t in tallies.items() if t == top]
