"""Ranked ballots with what ballot files such as BLT and PrefLib add to the plain matrix.

``RankedProfile`` is a ``RankedBallots`` (so every ranked method accepts it) plus three side tables:

- ``equal``: ``{(row, rank): (c1, c2, ...)}`` for a rank that holds several candidates ranked equal
  (BLT ``b=c``, PrefLib ``{b,c}``). The matrix cell holds ``OVERVOTE``, so a rule that knows nothing of
  equal rankings treats the cell as an overvote; rules that support equal rankings (Meek) read the
  side table. Most ballot sets have no such cells, so the common path never looks at it.
- ``withdrawn``: candidate indices withdrawn before the count (BLT ``-n`` or ``[withdrawn ...]``).
- ``undeclared``: undeclared write-in candidates (BLT ``[undeclared ...]``): Minneapolis STV counts their
  first-round votes and then defeats them; every other rule treats them as withdrawn.
- ``tie_order``: candidate indices in a predetermined tie-breaking order (BLT ``[tie ...]``), or ``None``
  for the candidate order of the file.

``options`` holds count options the file itself states (BLT ``[droop key=value ...]``), as strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ballots import OVERVOTE, RankedBallots


@dataclass(frozen=True)
class RankedProfile(RankedBallots):
    """Ranked ballots plus equal-ranking, withdrawal and tie-order side tables (see module docstring)."""

    equal: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    withdrawn: tuple[int, ...] = ()
    undeclared: tuple[int, ...] = ()
    tie_order: tuple[int, ...] | None = None
    options: dict[str, str] = field(default_factory=dict)

    def ranking(self, row: int) -> list[int | tuple[int, ...]]:
        """Row ``row`` as a list of ranks: a candidate index, or a tuple of candidates ranked equal.

        Blank ranks are skipped. An overvote with no entry in ``equal`` ends the list there.
        """
        out: list[int | tuple[int, ...]] = []
        for k, c in enumerate(self.ranks[row].tolist()):
            if c >= 0:
                out.append(c)
            elif c == OVERVOTE:
                group = self.equal.get((row, k))
                if group is None:
                    break
                out.append(group)
        return out


def rankings_of(ballots: RankedBallots) -> list[list[int | tuple[int, ...]]]:
    """Every row of any ranked ballot set as a list of ranks (see ``RankedProfile.ranking``).

    For a plain ``RankedBallots`` an overvoted rank ends the ballot (it has no next available
    preference that can be read), and blank ranks are skipped.
    """
    if isinstance(ballots, RankedProfile):
        return [ballots.ranking(r) for r in range(ballots.ranks.shape[0])]
    out = []
    for row in ballots.ranks.tolist():
        ranking: list[int | tuple[int, ...]] = []
        for c in row:
            if c >= 0:
                ranking.append(c)
            elif c == OVERVOTE:
                break
        out.append(ranking)
    return out
