import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError, QinetError, UnitError
from qinet.rng import RngTree
from qinet.units import parse_quantity, ps_to_s, s_to_ps


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("25 km", "length_km", 25.0),
        ("250m", "length_km", 0.25),
        ("10 ms", "time_s", 0.01),
        ("50 ns", "time_s", 5e-8),
        ("30 ps", "time_s", 3e-11),
        ("1 GHz", "frequency_hz", 1e9),
        ("10 Hz", "frequency_hz", 10.0),
        ("0.2 dB/km", "attenuation_db_per_km", 0.2),
        ("0 dBm", "power_w", 1e-3),
        ("3 Mm", "length_km", 3000.0),
        ("500 mHz", "frequency_hz", 0.5),
        (0, "time_s", 0.0),
        ("1e-3 s", "time_s", 1e-3),
    ],
)
def test_parse_quantity(text, dimension, expected):
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "dimension", "message"),
    [
        ("25 kg", "length_km", 'unknown unit "kg"'),
        ("ten km", "length_km", "cannot read"),
        ("10 km", "time_s", 'unknown unit "km" for a time'),
        (True, "time_s", "expected a quantity"),
        ([1], "time_s", "expected a quantity"),
    ],
)
def test_parse_quantity_errors_are_unit_errors(text, dimension, message):
    with pytest.raises(UnitError, match=message) as info:
        parse_quantity(text, dimension)
    assert isinstance(info.value, ConfigError)
    assert isinstance(info.value, QinetError)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_ps_round_trip_within_half_a_picosecond(seconds):
    assert abs(ps_to_s(s_to_ps(seconds)) - seconds) <= 0.5e-12 + 1e-15 * seconds


@given(st.integers(min_value=0, max_value=2**63), st.text(max_size=20))
def test_rng_tree_is_deterministic_per_name(seed, name):
    a = RngTree(seed).generator(name).integers(0, 2**62, size=4)
    b = RngTree(seed).generator(name).integers(0, 2**62, size=4)
    np.testing.assert_array_equal(a, b)


def test_rng_streams_differ_between_names_and_seeds():
    base = RngTree(1).generator("x").random(8)
    assert not np.array_equal(base, RngTree(1).generator("y").random(8))
    assert not np.array_equal(base, RngTree(2).generator("x").random(8))
    assert not np.array_equal(base, RngTree(1).child("x").generator("x").random(8))


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_rng_tree_rejects_bad_seed(bad):
    with pytest.raises(ConfigError, match="seed"):
        RngTree(bad)
