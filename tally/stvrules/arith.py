"""The three arithmetics of the STV rules: fixed, guarded and rational.

Values are Python ints (fixed and guarded: the number times 10^scale) or ``Fraction`` (rational), so
sums and differences are plain ``+``/``-``; products and quotients go through ``mul``/``div``/``muldiv``,
which round as each rule states.

- ``fixed`` (p places): every product and quotient is cut to p decimals, down unless the rule asks for
  ``up``; comparisons are exact. Values print with p places (or fewer, rounded half up, with ``display``).
- ``guarded`` (p places + g guard digits): arithmetic in p+g decimals, always truncating; two values
  compare equal when they differ by less than half a unit of the p-th place (10^g / 2 units), so the
  truncation error that collects in the guard digits never decides an order. Printed rounded half up to
  ``display`` places. With g = 0 it is ``fixed`` arithmetic.
- ``rational``: exact fractions; printed rounded half up to ``display`` places (default 12).

``exact`` is true for guarded (g > 0) and rational arithmetic: rules that compare "vote > quota" with an
exact quota, and "vote >= quota" with a quota rounded up by one unit, read it.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import TallyError

ARITHMETICS = ("fixed", "guarded", "rational")


class Arithmetic:
    """One arithmetic with its precision; see the module docstring."""

    def __init__(self, name: str, precision: int | None = None, guard: int | None = None, display=None):
        if name not in ARITHMETICS:
            raise TallyError(f"unknown arithmetic {name!r} (known: {', '.join(ARITHMETICS)})")
        for label, v in (("precision", precision), ("guard", guard), ("display", display)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise TallyError(f"{label} must be a whole number >= 0, got {v!r}")
        self.name = name
        if name == "rational":
            self.precision = None
            self.guard = None
            self.display = 12 if display is None else display
            self.exact = True
            self.geps = 0
            self.epsilon = Fraction(0)
            self.one = Fraction(1)
            return
        if precision is None:
            raise TallyError(f"{name} arithmetic needs a precision")
        self.precision = precision
        self.guard = (precision if guard is None else guard) if name == "guarded" else 0
        scale_digits = precision + self.guard
        self.scale = 10**scale_digits
        self.display = precision if display is None else display
        if name == "fixed":
            self.display = min(self.display, precision)
        else:
            self.display = min(self.display, scale_digits)
        self.exact = name == "guarded" and self.guard > 0
        self.geps = max(10**self.guard // 2, 1) if self.exact else 0
        self.epsilon = 1
        self.one = self.scale
        self._drop = 10 ** (scale_digits - self.display)

    def __repr__(self) -> str:
        return f"Arithmetic({self.describe()})"

    def describe(self) -> str:
        if self.name == "rational":
            return f"rational, {self.display} places displayed"
        if self.name == "guarded":
            return f"guarded, {self.precision}+{self.guard} places, {self.display} displayed"
        return f"fixed, {self.precision} places, {self.display} displayed"

    # construction and arithmetic
    def n(self, k: int):
        """The whole number ``k`` as a value."""
        return Fraction(k) if self.name == "rational" else k * self.scale

    def from_fraction(self, f: Fraction):
        """``f`` as a value, truncated to the arithmetic's places."""
        if self.name == "rational":
            return f
        return f.numerator * self.scale // f.denominator

    def mul(self, a, b, up: bool = False):
        if self.name == "rational":
            return a * b
        q, r = divmod(a * b, self.scale)
        return q + 1 if up and r and not self.exact else q

    def div(self, a, b, up: bool = False):
        if self.name == "rational":
            return Fraction(a) / b
        q, r = divmod(a * self.scale, b)
        return q + 1 if up and r and not self.exact else q

    def muldiv(self, a, b, c, up: bool = False):
        """a*b/c with the full product kept, rounded once."""
        if self.name == "rational":
            return Fraction(a) * b / c
        q, r = divmod(a * b, c)
        return q + 1 if up and r and not self.exact else q

    # comparisons (guarded: equal within geps)
    def cmp(self, a, b) -> int:
        d = a - b
        if self.geps and abs(d) < self.geps:
            return 0
        return (d > 0) - (d < 0)

    def eq(self, a, b) -> bool:
        return self.cmp(a, b) == 0

    def lt(self, a, b) -> bool:
        return self.cmp(a, b) < 0

    def le(self, a, b) -> bool:
        return self.cmp(a, b) <= 0

    def gt(self, a, b) -> bool:
        return self.cmp(a, b) > 0

    def ge(self, a, b) -> bool:
        return self.cmp(a, b) >= 0

    # display
    def fmt(self, v) -> str:
        """``v`` as a decimal string with ``display`` places, rounded half up.
        Guarded values shown beyond their precision separate the guard digits with ``_`` (as droop)."""
        d = self.display
        if self.name == "rational":
            f = Fraction(v)
            if f.denominator != 1:
                f += Fraction(1, 2 * 10**d)
            units = f.numerator * 10**d // f.denominator
        else:
            units = (v + self._drop // 2) // self._drop if self._drop > 1 else v
        sign = "-" if units < 0 else ""
        units = abs(units)
        if d == 0:
            return f"{sign}{units}"
        frac = f"{units % 10**d:0{d}d}"
        if self.name == "guarded" and d > self.precision:  # guard digits shown after an underscore
            frac = f"{frac[: self.precision]}_{frac[self.precision :]}"
        return f"{sign}{units // 10**d}.{frac}"

    def fraction(self, v) -> Fraction:
        """The exact value of ``v``."""
        return Fraction(v) if self.name == "rational" else Fraction(v, self.scale)
