"""The contest configuration an audit package certifies: what was counted, how, and with which seed.

``config.json`` in a package is the canonical JSON (``tally.canonical``) of::

    {"format": "tally-audit-config/1",
     "contest": "<contest id>",            # the id receipts are bound to
     "ballot_type": "ranked" | "approval" | "budget" | "quadratic" | "score",
     "method": "<tally method id>",        # as tally.count(method=...) takes it
     "seats": <int >= 0>,
     "options": {<method option>: <value>, ...},   # passed to tally.count as keywords
     "seed": "<tie-break seed>" | null,    # when not null, tally.count gets seed=<seed> and
                                           # contest_id=<contest> (unless options name a contest_id)
     "candidates": ["<id>", ...],          # candidate / option / project ids, in ballot-set order
     "ballot_rules": {...}}                # ballot constraints (costs, budget, credits); {} when none

The config hash certified in the manifest is ``sha256(config.json bytes)``. Values are JSON integers,
strings, booleans, null, lists and objects only: no floats (exact numbers go in as decimal strings).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .. import canonical
from ..errors import ConfigError

CONFIG_FORMAT = "tally-audit-config/1"
BALLOT_TYPES = ("ranked", "approval", "budget", "quadratic", "score")
_KEYS = {
    "format",
    "contest",
    "ballot_type",
    "method",
    "seats",
    "options",
    "seed",
    "candidates",
    "ballot_rules",
}


@dataclass(frozen=True)
class AuditConfig:
    """What was counted and how. ``to_json_bytes()`` is ``config.json``; ``sha256()`` is its hash."""

    contest: str
    ballot_type: str
    method: str
    candidates: tuple[str, ...]
    seats: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    seed: str | None = None
    ballot_rules: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        errors = []
        if not isinstance(self.contest, str) or not self.contest:
            errors.append("contest id must be a non-empty string")
        if self.ballot_type not in BALLOT_TYPES:
            errors.append(f"ballot_type {self.ballot_type!r} is not one of {', '.join(BALLOT_TYPES)}")
        if not isinstance(self.method, str) or not self.method:
            errors.append("method must be a non-empty string")
        if isinstance(self.seats, bool) or not isinstance(self.seats, int) or self.seats < 0:
            errors.append(f"seats must be an integer >= 0, got {self.seats!r}")
        if self.seed is not None and not isinstance(self.seed, str):
            errors.append("seed must be a string or null")
        cands = tuple(self.candidates) if isinstance(self.candidates, list | tuple) else None
        if cands is None:
            errors.append("candidates must be a list of ids")
        else:
            object.__setattr__(self, "candidates", cands)
            if any(not isinstance(c, str) or not c for c in cands):
                errors.append("every candidate id must be a non-empty string")
            elif len(set(cands)) != len(cands):
                dup = next(c for c in cands if cands.count(c) > 1)
                errors.append(f"candidate id {dup!r} appears twice")
        if isinstance(self.options, dict) and "seed" in self.options:
            errors.append("the tie-break seed goes in the 'seed' field, not in options")
        for name in ("options", "ballot_rules"):
            value = getattr(self, name)
            if not isinstance(value, dict):
                errors.append(f"{name} must be an object")
                continue
            try:
                canonical.dumps(value)
            except TypeError as err:
                errors.append(f"{name}: {err}")
        if errors:
            raise ConfigError(errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CONFIG_FORMAT,
            "contest": self.contest,
            "ballot_type": self.ballot_type,
            "method": self.method,
            "seats": self.seats,
            "options": canonical.plain(self.options),
            "seed": self.seed,
            "candidates": list(self.candidates),
            "ballot_rules": canonical.plain(self.ballot_rules),
        }

    def to_json_bytes(self) -> bytes:
        return canonical.dumps_bytes(self.to_dict())

    def sha256(self) -> str:
        return hashlib.sha256(self.to_json_bytes()).hexdigest()

    def count_options(self) -> dict[str, Any]:
        """Keyword options for ``tally.count``: ``options``, plus ``seed`` and ``contest_id`` (the native
        tie-break's inputs) when a seed is declared. A quadratic contest's ``ballot_rules`` ``credits``
        and ``allow_negative`` become the engine's ``budget`` and ``allow_negative`` unless options set them,
        so the count re-checks every ballot against the declared budget."""
        opts = dict(self.options)
        if (
            self.ballot_type == "quadratic"
            and isinstance(self.ballot_rules, dict)
            and "credits" in self.ballot_rules
        ):
            opts.setdefault("budget", self.ballot_rules["credits"])
            opts.setdefault("allow_negative", bool(self.ballot_rules.get("allow_negative", False)))
        if self.seed is not None:
            opts["seed"] = self.seed
            opts.setdefault("contest_id", self.contest)
        return opts

    @classmethod
    def from_dict(cls, data: Any, *, file: str = "config.json") -> AuditConfig:
        if not isinstance(data, dict):
            raise ConfigError("expected a JSON object", file=file)
        if data.get("format") != CONFIG_FORMAT:
            raise ConfigError(f"format is {data.get('format')!r}, expected {CONFIG_FORMAT!r}", file=file)
        extra = sorted(set(data) - _KEYS)
        missing = sorted({"contest", "ballot_type", "method", "candidates"} - set(data))
        if extra or missing:
            parts = [f"unknown key {k!r}" for k in extra] + [f"missing key {k!r}" for k in missing]
            raise ConfigError(parts, file=file)
        try:
            return cls(
                contest=data["contest"],
                ballot_type=data["ballot_type"],
                method=data["method"],
                candidates=data["candidates"],
                seats=data.get("seats", 1),
                options=data.get("options", {}),
                seed=data.get("seed"),
                ballot_rules=data.get("ballot_rules", {}),
            )
        except ConfigError as err:
            raise ConfigError(err.errors, file=file) from None

    @classmethod
    def from_json_bytes(cls, raw: bytes, *, file: str = "config.json") -> AuditConfig:
        return cls.from_dict(load_json(raw, file=file), file=file)


def load_json(raw: bytes, *, file: str) -> Any:
    """Parse JSON bytes strictly: UTF-8, no NaN/Infinity, no floats, no duplicate keys."""

    def no_dup(pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                raise ConfigError(f"duplicate key {k!r}", file=file)
            out[k] = v
        return out

    def no_float(text):
        raise ConfigError(f"number {text} is not an integer (write exact numbers as strings)", file=file)

    def no_const(text):
        raise ConfigError(f"{text} is not allowed", file=file)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 ({err.reason} at byte {err.start})", file=file) from None
    try:
        return json.loads(text, object_pairs_hook=no_dup, parse_float=no_float, parse_constant=no_const)
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}", file=file
        ) from None
    except RecursionError:
        raise ConfigError("JSON nested too deeply", file=file) from None
