"""Clocks and coincidence windows against the Gaussian closed form and sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.physical.timing import (
    Clock,
    coincidence_probability,
    window_for_coincidence_probability,
)


def five_sigma_binomial(p: float, n: int) -> float:
    """Five standard deviations of a frequency estimated from n Bernoulli(p) trials."""
    return 5.0 * math.sqrt(p * (1.0 - p) / n)


def test_coincidence_probability_closed_form():
    # Difference of two Gaussians: sigma = sqrt(sa^2 + sb^2) = 50 ps for 30 and 40 ps.
    window, sa, sb, offset = 120e-12, 30e-12, 40e-12, 20e-12
    sigma = 50e-12
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    expected = phi((60e-12 - offset) / sigma) - phi((-60e-12 - offset) / sigma)
    assert coincidence_probability(window, sa, sb, offset) == pytest.approx(expected, rel=1e-12)
    # Centred +-1 sigma keeps 68.27 %.
    assert coincidence_probability(2 * sigma, sa, sb) == pytest.approx(math.erf(1 / math.sqrt(2)))


def test_coincidence_probability_without_jitter_is_a_step():
    got = coincidence_probability(2e-9, 0.0, 0.0, [-1.5e-9, -1e-9, 0.0, 0.999e-9, 1.1e-9])
    np.testing.assert_array_equal(got, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_coincidence_probability_matches_sampling(rng):
    sa, sb, offset, window, n = 25e-12, 35e-12, 15e-12, 80e-12, 200_000
    diff = offset + rng.normal(0.0, sa, n) - rng.normal(0.0, sb, n)
    frequency = np.mean(np.abs(diff) <= window / 2)
    p = coincidence_probability(window, sa, sb, offset)
    assert abs(frequency - p) <= five_sigma_binomial(p, n)


@given(
    window=st.floats(0.0, 1e-9),
    sigma=st.floats(1e-13, 1e-10),
    offset=st.floats(-1e-9, 1e-9),
)
def test_coincidence_probability_is_symmetric_in_offset_and_bounded(window, sigma, offset):
    left = coincidence_probability(window, sigma, sigma, offset)
    right = coincidence_probability(window, sigma, sigma, -offset)
    assert 0.0 <= left <= 1.0
    assert left == pytest.approx(right, abs=1e-12)
    assert coincidence_probability(window, sigma, sigma, 0.0) >= left - 1e-12


def test_window_for_coincidence_probability_inverts():
    window = window_for_coincidence_probability(0.99, 20e-12, 30e-12)
    assert coincidence_probability(window, 20e-12, 30e-12) == pytest.approx(0.99, rel=1e-12)
    with pytest.raises(ConfigError, match="target"):
        window_for_coincidence_probability(1.0, 20e-12, 30e-12)


def test_coincidence_validation():
    with pytest.raises(ConfigError, match="window_s"):
        coincidence_probability(-1.0, 0.0, 0.0)
    with pytest.raises(ConfigError, match="jitter_rms_b"):
        coincidence_probability(1.0, 0.0, -1e-12)


def test_clock_reading_is_offset_plus_drift():
    clock = Clock(offset_s=2e-9, drift_ppm=5.0)
    t = np.array([0.0, 1.0, 10.0])
    np.testing.assert_allclose(clock.read_s(t), t + 2e-9 + 5e-6 * t, rtol=0, atol=1e-18)
    np.testing.assert_allclose(clock.error_s(t), 2e-9 + 5e-6 * t, rtol=1e-14)


def test_clock_timestamps_have_the_stated_jitter(rng):
    clock = Clock(offset_s=1e-6, jitter_rms_s=50e-12)
    n = 200_000
    true = np.linspace(0.0, 1e-3, n)
    errors = clock.sample_timestamps(true, rng=rng) - true - 1e-6
    # Standard error of the mean is sigma / sqrt(n); of the variance sigma^2 sqrt(2 / n).
    assert abs(errors.mean()) <= 5 * 50e-12 / math.sqrt(n)
    assert abs(errors.var() - (50e-12) ** 2) <= 5 * (50e-12) ** 2 * math.sqrt(2 / n)


def test_clock_timestamps_are_reproducible():
    clock = Clock(jitter_rms_s=1e-12)
    first = clock.sample_timestamps(np.arange(5.0), rng=np.random.default_rng(9))
    second = clock.sample_timestamps(np.arange(5.0), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(first, second)


def test_clock_pair_coincidence_uses_the_offset_at_the_time():
    a = Clock(drift_ppm=1e-3, jitter_rms_s=10e-12)  # gains 1 ns per 1000 s
    b = Clock(jitter_rms_s=10e-12)
    at_zero = a.coincidence_probability(b, 100e-12)
    later = a.coincidence_probability(b, 100e-12, at_s=1000.0)
    assert at_zero == pytest.approx(coincidence_probability(100e-12, 10e-12, 10e-12))
    assert later == pytest.approx(coincidence_probability(100e-12, 10e-12, 10e-12, 1e-9))
    assert later < 1e-6 < at_zero


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"offset_s": math.nan}, "offset_s"),
        ({"drift_ppm": -2e6}, "drift_ppm"),
        ({"jitter_rms_s": -1e-12}, "jitter_rms_s"),
        ({"jitter_rms_s": "30 ps"}, "jitter_rms_s"),
    ],
)
def test_clock_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        Clock(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)
