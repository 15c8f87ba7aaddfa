"""How a contest was counted, in plain words, for the results page: one text per method the app offers.

Rule: every method id of ``voting.services.METHOD_FAMILIES`` that this tally version registers has a text
here (``tests/consult/test_results_pages.py`` checks it), so no results page falls back to a vague line.
A method id with options (``equalshares/add1``) uses the text of its id, else that of its family
(the part before ``/``).
"""

from __future__ import annotations

_STV = (
    "Single transferable vote: a quota of votes is set from the number of ballots and seats. A candidate "
    "who reaches it is elected and the votes above the quota move on to the next choices at a reduced "
    "value; when nobody reaches it, the candidate with the fewest votes is eliminated and their ballots "
    "move to the next continuing choice."
)
_MEEK = (
    "Meek's single transferable vote: elected candidates keep only the share of each ballot they need to "
    "reach the quota and pass the rest on; the quota and the shares are recomputed until they settle, and "
    "then the candidate with the fewest votes is eliminated. Ballots pass over eliminated candidates."
)
_PAIRWISE = (
    "Every pair of candidates is compared: candidate A beats B when more ballots rank A above B than B "
    "above A."
)
_EQUAL_SHARES_BUDGET = (
    "Method of Equal Shares: the budget is split equally among the voters. A project is funded when its "
    "supporters can pay its cost from their shares, each paying as equally as possible; the project they "
    "can buy at the lowest price per supporter goes first, and its supporters pay. This repeats until no "
    "project can be paid for, so every group of voters gets projects in proportion to its size."
)

HOW: dict[str, str] = {
    "irv": "Instant-runoff: every ballot counts for its highest-ranked continuing candidate. While nobody "
    "has more than half of the active ballots, the candidate with the fewest votes is eliminated and their "
    "ballots move to the next continuing choice.",
    "stv": _STV,
    "wigm": _STV + " Surplus votes move at a fractional value (weighted inclusive Gregory method).",
    "scotland": _STV + " The rules are those of Scottish local government elections (2007 order).",
    "cfer": _STV + " The rules are the draft California Elections Code section 10059 of Californians for "
    "Electoral Reform (CfER).",
    "mpls": _STV + " The rules are those of the City of Minneapolis, with its batch elimination of "
    "candidates who can no longer win.",
    "qpq": "Quota preferential by quotient (QPQ): each candidate's quotient is their votes divided by one "
    "plus the seats their ballots already helped fill; the highest quotient above the quota is elected, "
    "otherwise the lowest candidate is eliminated.",
    "meek": _MEEK,
    "warren": _MEEK + " In Warren's variant an elected candidate takes a fixed amount from each ballot "
    "rather than a share.",
    "condorcet": _PAIRWISE + " The candidate who beats every other one wins; when there is a cycle "
    "(A beats B, B beats C, C beats A) nobody wins and the cycle is shown.",
    "schulze": _PAIRWISE + " The Schulze method follows the strongest chains of such wins (beatpaths): "
    "a candidate whose strongest path to every other is at least as strong as the way back wins.",
    "ranked-pairs": _PAIRWISE + " Ranked pairs locks in the wins from the largest margin down, skipping "
    "any that would create a cycle; the candidate nobody beats in the locked order wins.",
    "copeland": _PAIRWISE + " Copeland scores each candidate by their wins minus their losses; the highest "
    "score wins.",
    "minimax": _PAIRWISE + " Minimax gives each candidate the size of their worst defeat; the candidate "
    "whose worst defeat is smallest wins.",
    "approval": "Approval voting: each option's score is the number of ballots approving it; the highest "
    "scores win.",
    "sav": "Satisfaction approval: a ballot approving k options gives each of them 1/k; the highest "
    "totals win.",
    "pav": "Proportional approval voting: the committee chosen is the one that best satisfies the voters, "
    "a voter counting 1 for their first approved member, 1/2 for the second, 1/3 for the third, and so on. "
    "Every possible committee is compared exactly.",
    "seq-pav": "Sequential proportional approval voting: seats are filled one at a time; each time, the "
    "option gaining the most satisfaction is elected, a voter who already has k approved members counting "
    "1/(k+1) for one more.",
    "seq-phragmen": "Sequential Phragmén: each seat puts a load of 1 on the voters who approve the member "
    "elected, shared so their loads end as equal as possible; each time, the option that keeps the highest "
    "load on any voter smallest is elected.",
    "equal-shares": "Method of Equal Shares: each voter holds an equal share of the seats' price. An "
    "option is elected when its supporters can pay for it, each paying as equally as possible; the option "
    "they can buy at the lowest price per supporter goes first. Seats left when nothing is affordable are "
    "filled by the declared completion rule.",
    "greedy": "Greedy budget: projects are taken in order of supporters, each funded if it still fits the "
    "remaining budget; a project that does not fit is skipped and the next one is tried.",
    "greedy-no-skip": "Greedy budget without skipping: projects are taken in order of supporters and "
    "funded while they fit; the first project that does not fit ends the selection.",
    "greedy-threshold": "Greedy budget with a threshold: only projects with at least the declared number "
    "of supporters are eligible; they are taken in order of supporters, each funded if it still fits the "
    "remaining budget.",
    "equalshares": _EQUAL_SHARES_BUDGET,
    "equalshares/add1": _EQUAL_SHARES_BUDGET + " When money is left, the count is repeated with each "
    "voter's share raised by one unit at a time, keeping each outcome that still fits the budget.",
    "equalshares/utilitarian": _EQUAL_SHARES_BUDGET + " Money left at the end goes to the remaining "
    "projects with the most supporters that still fit.",
    "quadratic": "Quadratic voting: each voter spreads voice credits over the options, and v votes on one "
    "option cost v × v credits, so strong feelings cost more. Each option's result is the sum of its votes "
    "(votes against subtract); the highest totals win. Ballots over the credit limit are refused, never "
    "trimmed.",
}
HOW["mes"] = HOW["equal-shares"]
HOW["qv"] = HOW["quadratic-voting"] = HOW["quadratic"]


def how_counted(method: str) -> str | None:
    """The plain-words text for ``method`` (its own, else its family's), or ``None``."""
    return HOW.get(method) or HOW.get(method.split("/")[0])
