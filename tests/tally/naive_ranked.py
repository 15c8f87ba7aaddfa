"""Plain-Python reference IRV and STV, written straight from the rules in tally.irv / tally.stv.

One object per ballot (weights expanded), every round re-walks each ballot from rank 1 as RCTab does,
tallies recomputed from scratch, values in integer units of 10^-d. Returns the same dict shape as
``Result.to_dict()`` for ``elected``, ``rounds`` and ``ties``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from tally.canonical import plain

CATS = ("overvotes", "skipped_rankings", "exhausted_choices", "repeated_rankings")


def tie_pick(seed, contest, round_no, names):
    def key(name):
        return hashlib.sha256("\x00".join((seed, contest, str(round_no), name)).encode()).digest()

    order = sorted(names, key=key)
    return order


class Ballot:
    def __init__(self, ranks):
        self.ranks = [int(c) for c in ranks]
        self.value = None
        self.where = None  # candidate index, or a category name once inactive


def walk(ballot, continuing, opts):
    """Return the candidate or inactive category for ``ballot`` walking from rank 1."""
    prev = -1
    seen = []
    skip = opts["max_skipped_ranks"]
    for k, c in enumerate(ballot.ranks):
        if c == -1:
            continue
        if skip != "unlimited" and k - prev - 1 > skip:
            return "skipped_rankings"
        if opts["exhaust_on_duplicate"] and c >= 0 and c in seen:
            return "repeated_rankings"
        seen.append(c)
        prev = k
        if c == -2:
            if opts["overvote_rule"] == "exhaust_immediately":
                return "overvotes"
            continue
        if c in continuing:
            return c
    return "exhausted_choices"


def expand(ranks, weights):
    out = []
    for row, w in zip(ranks, weights, strict=True):
        out.extend(Ballot(row) for _ in range(int(w)))
    return out


def _place(ballots, continuing, opts, inactive, record=None, value_of=None):
    """Re-walk every active ballot whose candidate stopped continuing; fill ``record[src][dst]``."""
    for bal in ballots:
        if bal.where is None or isinstance(bal.where, str) or bal.where in continuing:
            continue
        src = bal.where
        v = value_of(bal) if value_of else bal.value
        dst = walk(bal, continuing, opts)
        bal.where = dst
        if isinstance(dst, str):
            inactive[dst] += v
        key = dst if isinstance(dst, int) else "exhausted"
        if record is not None:
            record.setdefault(src, {}).setdefault(key, 0)
            record[src][key] += v


def first(ballots, continuing, opts, inactive, unit):
    under = 0
    for bal in ballots:
        bal.value = unit
        if all(c == -1 for c in bal.ranks):
            under += 1
            bal.where = "undervote"
            continue
        bal.where = walk(bal, continuing, opts)
        if isinstance(bal.where, str):
            inactive[bal.where] += unit
    return under


def tallies_of(ballots, continuing):
    t = dict.fromkeys(sorted(continuing), 0)
    for bal in ballots:
        if isinstance(bal.where, int) and bal.where in continuing:
            t[bal.where] += bal.value
    return t


def naive_irv(ranks, weights, names, opts):
    ballots = expand(ranks, weights)
    cont = set(range(len(names))) - {names.index(x) for x in opts.get("excluded") or ()}
    n_live = len(cont)
    inactive = dict.fromkeys(CATS, 0)
    first(ballots, cont, opts, inactive, 1)
    rounds, ties, elected, n_out = [], [], [], 0
    keep_two = opts["continue_until_two"]
    threshold = 0
    rnd = 0
    while True:
        rnd += 1
        t = tallies_of(ballots, cont)
        active = sum(t.values())
        if not (keep_two and elected):
            threshold = active // 2 + 1
        won = []
        if not elected and cont:
            if len(cont) == 1:
                won = list(cont)
            else:
                won = [c for c in t if t[c] >= threshold]
                if not won and len(cont) == 2:
                    top = max(t.values())
                    tied = [c for c in t if t[c] == top]
                    won = (
                        [tied[0]] if len(tied) == 1 else [_tie(ties, "election", rnd, tied, top, names, opts)]
                    )
        out = []
        if not won and cont and (not elected or (keep_two and len(cont) > 2)):
            if opts["elimination"] == "batch":
                out = _batch(t, keep_two)
            if not out:
                low = min(t.values())
                tied = [c for c in t if t[c] == low]
                out = (
                    [tied[0]] if len(tied) == 1 else [_tie(ties, "elimination", rnd, tied, low, names, opts)]
                )
        elected += won
        if not keep_two:
            cont -= set(won)
        cont -= set(out)
        n_out += len(out)
        rounds.append(
            {
                "round": rnd,
                "tally": {names[c]: v for c, v in t.items()},
                "active": active,
                "threshold": threshold,
                "elected": [names[c] for c in won],
                "eliminated": sorted(names[c] for c in out),
                "transfers": {},
                "inactive": dict(inactive),
            }
        )
        go_on = (n_out + len(elected) + 1 < n_live or out) if keep_two else not elected
        if not go_on or not cont:
            break
        rec = {}
        _place(ballots, cont, opts, inactive, rec)
        sources = out if keep_two else won + out
        rounds[-1]["transfers"] = {
            names[s]: {(names[k] if isinstance(k, int) else k): v for k, v in rec.get(s, {}).items() if v}
            for s in sources
        }
    return plain({"elected": [names[c] for c in elected], "rounds": rounds, "ties": ties})


def _batch(t, keep_two):
    # Straight from the rule: eliminate the largest set of lowest candidates whose combined votes are
    # below the tally of every candidate above them; only if that removes >= 2.
    order = sorted(t, key=lambda c: t[c])
    best = []
    prev_best = []
    for i in range(1, len(order)):
        low, high = order[:i], order[i:]
        if t[order[i - 1]] == t[order[i]]:
            continue
        if sum(t[c] for c in low) < min(t[c] for c in high) and len(low) > len(best):
            prev_best, best = best, low
    if keep_two and len(t) - len(best) < 2:
        best = prev_best
    return sorted(best) if len(best) >= 2 else []


def _tie(ties, kind, rnd, tied, votes, names, opts, fmt=int):
    tied_names = [names[c] for c in tied]
    order = tie_pick(opts["seed"], opts["contest_id"], rnd, tied_names)
    ties.append(
        {
            "round": rnd,
            "kind": kind,
            "tied": sorted(tied_names),
            "rule": "sha256(seed|contest_id|round|name) ascending, first selected",
            "order": order,
            "selected": order[0],
            "votes": fmt(votes),
        }
    )
    return names.index(order[0])


def naive_stv(ranks, weights, names, seats, opts):
    d = opts["decimal_places"]
    unit = 10**d

    def dec(x):
        return Decimal(x).scaleb(-d)

    ballots = expand(ranks, weights)
    cont = set(range(len(names))) - {names.index(x) for x in opts.get("excluded") or ()}
    inactive = dict.fromkeys(CATS, 0)
    final_surplus = 0
    first(ballots, cont, opts, inactive, unit)
    rounds, ties, elected, shown = [], [], [], {}
    q = 0
    rnd = 0
    while True:
        rnd += 1
        t = tallies_of(ballots, cont)
        active = sum(t.values())
        if rnd == 1:
            whole = active // unit
            if opts["quota"] == "hare":
                q = -(-whole // seats) * unit
            elif opts["non_integer_quota"]:
                q = active // (seats + 1) + 1
            else:
                q = (whole // (seats + 1) + 1) * unit
        unfilled = seats - len(elected)
        won = []
        if unfilled > 0 and cont:
            if len(cont) <= unfilled:
                won = list(t)
            else:
                won = [c for c in t if t[c] >= q]
                if len(won) > 1 and opts["winners_per_round"] == "one":
                    top = max(t[c] for c in won)
                    tied = [c for c in won if t[c] == top]
                    won = (
                        [tied[0]]
                        if len(tied) == 1
                        else [_tie(ties, "election", rnd, tied, top, names, opts, fmt=dec)]
                    )
        won.sort(key=lambda c: (-t[c], names[c]))
        out = []
        if not won and unfilled > 0 and cont:
            low = min(t.values())
            tied = [c for c in t if t[c] == low]
            out = (
                [tied[0]]
                if len(tied) == 1
                else [_tie(ties, "elimination", rnd, tied, low, names, opts, fmt=dec)]
            )
        shown_tally = {names[c]: dec(v) for c, v in t.items()}
        shown_tally.update({names[c]: dec(v) for c, v in shown.items()})
        rounds.append(
            {
                "round": rnd,
                "tally": shown_tally,
                "active": dec(active),
                "threshold": dec(q),
                "elected": [names[c] for c in won],
                "eliminated": [names[c] for c in out],
                "transfers": {},
                "inactive": {k: dec(v) for k, v in inactive.items()},
            }
        )
        elected += won
        if not ((len(elected) < seats or won) and (cont or won)):
            break
        if len(elected) < seats and not (cont - set(won)):
            break
        cont -= set(won) | set(out)
        rec = {}
        kept = dict.fromkeys(won, 0)
        final = len(elected) >= seats
        for bal in ballots:
            if isinstance(bal.where, int) and bal.where in won:
                total = t[bal.where]
                f = (total - q) * unit // total if total > q else 0
                moved = bal.value * f // unit
                kept[bal.where] += bal.value - moved
                bal.value = moved
                if final:
                    rec.setdefault(bal.where, {}).setdefault("exhausted", 0)
                    rec[bal.where]["exhausted"] += moved
                    final_surplus += moved
                    bal.where = "final"
        _place(ballots, cont, opts, inactive, rec)
        transfers = {
            names[s]: {
                (names[k] if isinstance(k, int) else k): dec(v) for k, v in rec.get(s, {}).items() if v
            }
            for s in sorted(won + out)
        }
        for c in won:
            if kept[c] > q:
                transfers[names[c]]["residual surplus"] = dec(kept[c] - q)
                shown[c] = q
            else:
                shown[c] = kept[c]
        rounds[-1]["transfers"] = transfers
    rounds[-1]["inactive"]["final_round_surplus"] = dec(final_surplus)
    return plain({"elected": [names[c] for c in elected], "rounds": rounds, "ties": ties})
