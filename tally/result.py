"""The result every method returns: winners in order plus the method's own per-round record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import canonical


@dataclass
class Result:
    """Outcome of one count.

    ``elected`` lists candidate names (project ids for budgets) in order of election. ``rounds`` is the
    method's per-round or per-step record, JSON-ready except for exact numbers (int, Fraction, Decimal).
    ``ties`` records every tie met, the rule applied and its outcome. ``details`` holds any other
    method-specific top-level fields (e.g. ``quota``, ``pairwise``).
    """

    method: str
    candidates: list[str]
    elected: list[str]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    ties: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.details)
        out.update(
            method=self.method,
            candidates=list(self.candidates),
            elected=list(self.elected),
            rounds=self.rounds,
            options=self.options,
            ties=self.ties,
        )
        return canonical.plain(out)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, decimal strings, no floats)."""
        return canonical.dumps(self.to_dict())
