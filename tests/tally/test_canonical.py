from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from tally import canonical


def test_dumps_sorts_keys_and_writes_exact_numbers_as_strings():
    out = canonical.dumps({"b": Fraction(1, 4), "a": Decimal("2.500"), "c": np.int64(3)})
    assert out == '{"a":"2.500","b":"0.25","c":3}'


def test_fraction_without_finite_decimal_is_written_as_ratio():
    assert canonical.fraction_str(Fraction(-1, 3)) == "-1/3"
    assert canonical.fraction_str(Fraction(-1, 8)) == "-0.125"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        canonical.dumps({"x": 0.5})
