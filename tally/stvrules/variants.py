"""droop's rule-variant names: ``meek-prf-o6-fixed-p9-d9`` = rule ``meek-prf`` with omega 6, fixed-point
arithmetic, precision 9, display 9.

Grammar: ``RULE`` then any of ``-oN`` (omega, Meek/Warren convergence 10^-N), ``-fixed`` / ``-guarded`` /
``-rational`` (arithmetic; ``-integer`` is fixed with precision 0), ``-pN`` (precision), ``-gN``
(guard digits), ``-dN`` (places displayed), each
at most once. ``RULE`` is one of the STV rule ids (longest match, so ``wigm-prf-batch`` is not read as
``wigm-prf`` plus ``-batch``).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import TallyError

RULES = (
    "scotland",
    "scottish-stv",
    "meek",
    "meek-prf",
    "warren",
    "wigm",
    "wigm-prf",
    "wigm-prf-batch",
    "cfer",
    "cfer-batch",
    "mpls",
    "qpq",
)

_PART = re.compile(r"(?P<arith>fixed|guarded|rational|integer)|(?P<key>[opgd])(?P<num>\d+)")
_KEYS = {"o": "omega", "p": "precision", "g": "guard", "d": "display"}


def parse_variant(name: str) -> tuple[str, dict[str, Any]]:
    """Split a method name into (rule id, options). A plain rule id gives no options.

    Raises ``TallyError`` for a name that starts with no known rule or has an unreadable suffix.
    """
    if name in RULES:
        return name, {}
    rule = next((r for r in sorted(RULES, key=len, reverse=True) if name.startswith(r + "-")), None)
    if rule is None:
        raise TallyError(f"unknown method {name!r}")
    opts: dict[str, Any] = {}
    for part in name[len(rule) + 1 :].split("-"):
        m = _PART.fullmatch(part)
        if m is None:
            raise TallyError(
                f"method {name!r}: cannot read {part!r} (expected oN, pN, gN, dN or an arithmetic)"
            )
        if m["arith"] == "integer":  # droop's integer arithmetic: fixed-point with no decimals
            if "arithmetic" in opts or "precision" in opts:
                raise TallyError(f"method {name!r} gives the arithmetic twice")
            opts.update(arithmetic="fixed", precision=0)
            continue
        key, value = ("arithmetic", m["arith"]) if m["arith"] else (_KEYS[m["key"]], int(m["num"]))
        if key in opts:
            raise TallyError(f"method {name!r} gives {key} twice")
        opts[key] = value
    return rule, opts


def is_variant(name: str) -> bool:
    """True when ``name`` is an STV rule id with a droop variant suffix."""
    try:
        rule, opts = parse_variant(name)
    except TallyError:
        return False
    return bool(opts)


def split_method(method: str, **flags: Any) -> tuple[str, dict[str, Any]]:
    """The method id and STV options for ``tally count``: a droop variant name is split into its rule and
    options, then explicit flags (``arithmetic``, ``precision``, ``guard``, ``omega``, ``display``; ``None``
    when not given) are added. A flag that contradicts the variant name is an error. Other method ids
    pass through unchanged with the flags that were given."""
    given = {k: v for k, v in flags.items() if v is not None}
    rule, opts = parse_variant(method) if is_variant(method) else (method, {})
    for key, value in given.items():
        if key in opts and opts[key] != value:
            raise TallyError(f"--{key} {value} contradicts the method name {method!r} ({key} {opts[key]})")
        opts[key] = value
    return rule, opts
