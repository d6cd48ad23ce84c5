"""Unit strings: SI case rules, every prefix round-trips, wrong case and bare numbers refused."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinet.errors import UnitError
from qinet.units import dimensions, format_quantity, parse_quantity, unit_factor, units_of

LINEAR_UNITS = [(d, u) for d in dimensions() for u in units_of(d) if u != "dBm"]
VALUES = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("text", "dimension", "expected"), [
    ("500 mHz", "frequency_hz", 0.5),
    ("500 MHz", "frequency_hz", 5e8),
    ("1 Mm", "length_km", 1e3),
    ("1 mm", "length_km", 1e-6),
    ("2 Ms", "time_s", 2e6),
    ("2 ms", "time_s", 2e-3),
    ("3 µs", "time_s", 3e-6),  # micro sign
    ("3 μs", "time_s", 3e-6),  # Greek mu
    ("3 us", "time_s", 3e-6),
    ("1 THz", "frequency_hz", 1e12),
    ("2 min", "time_s", 120.0),
    ("1 h", "time_s", 3600.0),
    ("0.2 dB / km", "attenuation_db_per_km", 0.2),
    ("1550 nm", "wavelength_m", 1.55e-6),
    ("0", "length_km", 0.0),
    (0, "time_s", 0.0),
    ("inf s", "time_s", math.inf),
])
def test_si_symbols_are_read_case_sensitively(text, dimension, expected):
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("text", "dimension", "meant"), [
    ("10 KM", "length_km", '"km" (kilometre) was probably meant'),
    ("5 S", "time_s", '"s" (second) was probably meant'),
    ("1 ghz", "frequency_hz", '"GHz" (gigahertz) was probably meant'),
    ("20 hz", "frequency_hz", '"Hz" (hertz) was probably meant'),
    ("0.2 db/km", "attenuation_db_per_km", '"dB/km" (decibel per kilometre)'),
    ("3 DBM", "power_w", '"dBm" (decibel-milliwatt)'),
    ("1 ghZ", "frequency_hz", '"GHz"'),
])
def test_a_wrong_case_names_the_unit_probably_meant(text, dimension, meant):
    with pytest.raises(UnitError, match="units are case-sensitive") as info:
        parse_quantity(text, dimension)
    assert meant in info.value.reason


@pytest.mark.parametrize(("text", "dimension", "options"), [
    ("500 mhz", "frequency_hz", ('"mHz" (millihertz)', '"MHz" (megahertz)')),
    ("500 MHZ", "frequency_hz", ('"mHz" (millihertz)', '"MHz" (megahertz)')),
    ("3 MM", "length_km", ('"mm" (millimetre)', '"Mm" (megametre)')),
    ("3 MS", "time_s", ('"ms" (millisecond)', '"Ms" (megasecond)')),
    ("3 PS", "time_s", ('"ps" (picosecond)',)),
])
def test_an_ambiguous_case_lists_every_candidate(text, dimension, options):
    with pytest.raises(UnitError) as info:
        parse_quantity(text, dimension)
    for option in options:
        assert option in info.value.reason


@pytest.mark.parametrize(("value", "dimension", "example"), [
    (20, "length_km", '"20 km"'),
    (1.5, "time_s", '"1.5 s"'),
    ("20", "length_km", '"20 km"'),
    ("10", "frequency_hz", '"10 Hz"'),
    ("0.2", "attenuation_db_per_km", '"0.2 dB/km"'),
    (math.inf, "time_s", '"inf s"'),
])
def test_a_bare_number_needs_its_unit(value, dimension, example):
    with pytest.raises(UnitError, match="needs a unit") as info:
        parse_quantity(value, dimension)
    assert example in info.value.reason
    assert "use one of" in info.value.reason


def test_a_unit_of_another_dimension_says_what_it_measures():
    with pytest.raises(UnitError, match=r'unknown unit "km" for a time \("km" is a length\)'):
        parse_quantity("10 km", "time_s")


@pytest.mark.parametrize(("dimension", "unit"), LINEAR_UNITS)
@settings(max_examples=25)
@given(value=VALUES)
def test_every_unit_round_trips_its_value(dimension, unit, value):
    factor = unit_factor(unit, dimension)
    assert parse_quantity(f"{value!r} {unit}", dimension) == value * factor
    assert parse_quantity(f"{value!r}{unit}", dimension) == value * factor


# the micro sign upper-cases to a Greek capital mu, whose lower case is the Greek mu: the
# same prefix (see the last test), spelled differently
@pytest.mark.parametrize(("dimension", "unit"), [(d, u) for d, u in LINEAR_UNITS if "µ" not in u])
@settings(max_examples=10)
@given(value=VALUES.filter(lambda v: v != 0))
def test_a_units_other_cases_are_other_units_or_errors(dimension, unit, value):
    accepted = set(units_of(dimension))
    for variant in {unit.upper(), unit.lower(), unit.swapcase(), unit.capitalize()} - {unit}:
        if variant in accepted:  # mm / Mm, ms / Ms, mHz / MHz: both exist, and differ
            assert unit_factor(variant, dimension) != unit_factor(unit, dimension)
            continue
        with pytest.raises(UnitError, match="case-sensitive") as info:
            parse_quantity(f"{value!r} {variant}", dimension)
        assert f'"{unit}"' in info.value.reason


@pytest.mark.parametrize("dimension", [d for d in dimensions() if d != "power_w"])
@settings(max_examples=50)
@given(value=st.floats(allow_nan=False, allow_infinity=True))
def test_format_quantity_is_read_back_exactly(dimension, value):
    assert parse_quantity(format_quantity(value, dimension), dimension) == value


def test_the_micro_sign_and_greek_mu_are_the_same_prefix():
    assert parse_quantity("7 µm", "wavelength_m") == parse_quantity("7 μm", "wavelength_m")
    assert parse_quantity("7 um", "wavelength_m") == pytest.approx(7e-6)
