"""Count options of the STV rules: explicit options, options the ballot file states, rule defaults.

Precedence: an option given by the caller wins over one the file states (BLT ``[droop k=v]``), which
wins over the rule's default. A rule that fixes an option (Scottish STV is 5-place fixed-point by
statute) *forces* it: a caller asking for something else gets an error; a file option that conflicts is
overridden and listed in the result's ``overridden_options``. File options that name nothing the rule
uses are listed in ``unused_options``.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import TallyError
from ..profile import RankedProfile
from .arith import Arithmetic

KNOWN = ("arithmetic", "precision", "guard", "omega", "display")


def resolve(
    method: str,
    ballots: Any,
    given: dict[str, Any],
    *,
    defaults: dict[str, Any],
    force: dict[str, Any] | None = None,
    uses: tuple[str, ...] = KNOWN,
) -> tuple[Arithmetic, dict[str, Any], dict[str, Any]]:
    """Merge options; return (arithmetic, options used, extra result fields)."""
    force = force or {}
    for k, v in given.items():
        if k not in uses:
            raise TallyError(f"method {method!r} has no option {k!r} (options: {', '.join(uses)})")
        if k in force and v is not None and v != force[k]:
            raise TallyError(f"method {method!r} fixes {k}={force[k]}; {v!r} was asked for")
    extra: dict[str, Any] = {}
    file_opts: dict[str, Any] = {}
    unused, overridden = [], []
    if isinstance(ballots, RankedProfile):
        for k, v in ballots.options.items():
            if k == "rule":
                continue
            if k not in uses:
                unused.append(k)
                continue
            val: Any = int(v) if re.fullmatch(r"\d+", v) else v
            if k in force and val != force[k]:
                overridden.append(k)
                continue
            file_opts[k] = val
    opts = dict(defaults)
    opts.update(file_opts)
    opts.update({k: v for k, v in given.items() if v is not None})
    opts.update(force)
    arithmetic = opts.get("arithmetic")
    if arithmetic == "guarded" and opts.get("guard") is None:
        opts["guard"] = opts.get("precision")
    if arithmetic == "rational":
        opts.pop("precision", None)
        opts.pop("guard", None)
    if arithmetic == "fixed":
        opts.pop("guard", None)
    if opts.get("display") is None:
        opts["display"] = opts.get("precision", 12)
    for k in ("precision", "guard", "omega", "display"):
        if k in opts and (not isinstance(opts[k], int) or isinstance(opts[k], bool) or opts[k] < 0):
            raise TallyError(f"{k} must be a whole number >= 0, got {opts[k]!r}")
    A = Arithmetic(arithmetic, opts.get("precision"), opts.get("guard"), opts.get("display"))
    if unused:
        extra["unused_options"] = sorted(unused)
    if overridden:
        extra["overridden_options"] = sorted(overridden)
    return A, opts, extra
