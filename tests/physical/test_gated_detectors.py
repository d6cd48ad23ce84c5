"""Gated APD with hold-off and afterpulses: limits, the renewal sum and a gate simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.physical.detectors import click_probability_coherent, detected_rate_nonparalyzable
from qinet.physical.gated_detectors import (
    GatedDetector,
    afterpulse_click_probability,
    afterpulse_decay_per_gate,
    afterpulse_error_probability,
    gated_click_probability,
)


def test_reduces_to_the_plain_detector_without_afterpulses_or_hold_off():
    apd = GatedDetector(efficiency=0.25, dark_probability_per_gate=1e-5,
                        afterpulse_probability=0.0, hold_off_gates=0)
    mu = np.array([0.0, 0.1, 0.5, 2.0])
    np.testing.assert_allclose(apd.click_probability(mu),
                               click_probability_coherent(mu, 0.25, 1e-5), rtol=1e-14)
    np.testing.assert_array_equal(apd.afterpulse_error_probability(mu), 0.0)
    p = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(gated_click_probability(p, 0.0, 0, 0.7), p, rtol=1e-15)


def test_hold_off_alone_is_the_non_paralyzable_dead_time():
    # p per gate at f is a rate p f; h gates of hold-off are a dead time h / f (Knoll).
    p, h, f = 0.03, 7, 1e9
    assert gated_click_probability(p, 0.0, h, 0.5) * f == pytest.approx(
        detected_rate_nonparalyzable(p * f, h / f), rel=1e-14)


def test_no_light_gives_dark_counts_and_their_afterpulse_cascade():
    p_d, p_ap, h, r = 1e-7, 0.08, 20, 0.95
    # Each click starts, on average, p_ap / (1 - p_ap) further clicks when p_d -> 0.
    assert gated_click_probability(p_d, p_ap, h, r) == pytest.approx(p_d / (1 - p_ap), rel=1e-5)
    assert afterpulse_click_probability(p_d, p_ap, h, r) == pytest.approx(
        p_d * p_ap / (1 - p_ap), rel=1e-5)
    assert gated_click_probability(0.0, p_ap, h, r) == 0.0


@pytest.mark.parametrize("h", [0, 1, 5, 50])
def test_saturation_with_hold_off_clicks_once_per_hold_off_cycle(h):
    assert gated_click_probability(1.0, 0.3, h, 0.9) == pytest.approx(1 / (1 + h), rel=1e-15)
    # A saturated detector's clicks are all primary: afterpulses add no errors.
    assert afterpulse_error_probability(1.0, 0.3, h, 0.9) == 0.0
    apd = GatedDetector(efficiency=1.0, hold_off_gates=h)
    assert apd.click_probability(200.0) == pytest.approx(1 / (1 + h), rel=1e-12)


def test_closed_form_is_the_inverse_of_the_summed_renewal_interval():
    # Mean interval h + sum_m S_m with S_m = (1-p)^m (1 - p_ap + p_ap r^m), summed directly.
    p, p_ap, h, r = 0.02, 0.15, 4, 0.9
    m = np.arange(5000)
    survival = (1 - p) ** m * (1 - p_ap + p_ap * r**m)
    assert gated_click_probability(p, p_ap, h, r) == pytest.approx(
        1 / (h + survival.sum()), rel=1e-12)
    # Afterpulse-only end of a cycle at armed gate m: p_ap (1 - r) r^(m-1) (1 - p)^m.
    k = m[1:]
    phi = np.sum(p_ap * (1 - r) * r ** (k - 1) * (1 - p) ** k)
    assert afterpulse_click_probability(p, p_ap, h, r) == pytest.approx(
        phi / (h + survival.sum()), rel=1e-12)


@given(
    p=st.floats(1e-9, 1.0),
    p_ap=st.floats(0.0, 0.99),
    h=st.integers(0, 100),
    r=st.floats(0.0, 0.999),
)
def test_click_probability_lies_between_dead_time_only_and_saturation(p, p_ap, h, r):
    click = gated_click_probability(p, p_ap, h, r)
    assert p / (1 + p * h) * (1 - 1e-12) <= click <= 1 / (1 + h) * (1 + 1e-12)
    ap = afterpulse_click_probability(p, p_ap, h, r)
    assert 0.0 <= ap <= p_ap * click * (1 + 1e-12)


def test_functions_broadcast():
    got = gated_click_probability(np.array([[0.1], [0.2]]), 0.05, np.array([0, 3, 9]), 0.8)
    assert got.shape == (2, 3)
    assert got[1, 0] == gated_click_probability(0.2, 0.05, 0, 0.8)


def test_decay_per_gate():
    assert afterpulse_decay_per_gate(10e-9, 1e9) == pytest.approx(math.exp(-0.1), rel=1e-15)
    apd = GatedDetector(gate_frequency_hz=1.25e9, trap_lifetime_s=40e-9, hold_off_gates=5)
    assert apd.decay_per_gate == pytest.approx(math.exp(-1 / 50), rel=1e-15)
    assert apd.dead_time_s == pytest.approx(4e-9, rel=1e-15)


def simulate_gates(p, p_ap, h, r, *, runs, gates, burn_in, rng):
    """Clicks and afterpulse-only clicks per gate in ``runs`` independent gate sequences.

    The model of the module, gate by gate: an armed gate clicks on a primary avalanche
    (probability p) or on the release of a trapped carrier; each click holds off the
    next h gates and traps a carrier with probability p_ap / r^h, released in each later
    gate with probability 1 - r; a release in a held-off gate is lost.
    """
    p_trap = p_ap / r**h
    dead = np.zeros(runs, dtype=np.int64)
    trapped = np.zeros(runs, dtype=bool)
    clicks = np.zeros(runs)
    ap_only = np.zeros(runs)
    for gate in range(gates):
        armed = dead == 0
        primary = rng.random(runs) < p
        released = trapped & (rng.random(runs) < 1 - r)
        click = armed & (primary | released)
        if gate >= burn_in:
            clicks += click
            ap_only += click & released & ~primary
        trapped = np.where(click, rng.random(runs) < p_trap, trapped & ~released)
        dead = np.where(click, h, np.maximum(dead - 1, 0))
    counted = gates - burn_in
    return clicks / counted, ap_only / counted


@pytest.mark.parametrize(
    ("p", "p_ap", "h", "r"),
    [(0.05, 0.2, 3, 0.8), (0.3, 0.05, 5, 0.6), (0.01, 0.3, 2, 0.9)],
)
def test_gate_simulation_matches_the_closed_form(rng, p, p_ap, h, r):
    # 16 000 independent runs of 1000 gates counted after 200 gates of burn-in (1.6e7
    # gates per case): the runs are independent, so the spread of their means gives the
    # standard error even though clicks within a run are correlated. The click rate
    # without afterpulses, p / (1 + p h), lies 39 to 130 standard errors off here.
    runs = 16_000
    click_rate, ap_rate = simulate_gates(p, p_ap, h, r, runs=runs, gates=1200,
                                         burn_in=200, rng=rng)
    for measured, expected in (
        (click_rate, gated_click_probability(p, p_ap, h, r)),
        (ap_rate, afterpulse_click_probability(p, p_ap, h, r)),
    ):
        standard_error = measured.std(ddof=1) / math.sqrt(runs)
        assert abs(measured.mean() - expected) <= 5 * standard_error


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gate_frequency_hz": 0.0}, "gate_frequency_hz"),
        ({"efficiency": 0.0}, "efficiency"),
        ({"efficiency": 1.5}, "efficiency"),
        ({"dark_probability_per_gate": 1.0}, "dark_probability_per_gate"),
        ({"dark_probability_per_gate": -1e-6}, "dark_probability_per_gate"),
        ({"hold_off_gates": -1}, "hold_off_gates"),
        ({"hold_off_gates": 2.5}, "hold_off_gates"),
        ({"hold_off_gates": True}, "hold_off_gates"),
        ({"afterpulse_probability": 1.0}, "afterpulse_probability"),
        ({"afterpulse_probability": math.nan}, "afterpulse_probability"),
        ({"trap_lifetime_s": 0.0}, "trap_lifetime_s"),
    ],
)
def test_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        GatedDetector(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((1.2, 0.1, 0, 0.5), "avalanche_probability"),
        ((0.1, 1.0, 0, 0.5), "afterpulse_probability"),
        ((0.1, 0.1, 1.5, 0.5), "hold_off_gates"),
        ((0.1, 0.1, -2, 0.5), "hold_off_gates"),
        ((0.1, 0.1, 0, 1.0), "decay_per_gate"),
    ],
)
def test_functions_refuse_bad_inputs(args, field):
    for fn in (gated_click_probability, afterpulse_click_probability,
               afterpulse_error_probability):
        with pytest.raises(ConfigError) as exc:
            fn(*args)
        assert exc.value.field == field
    with pytest.raises(ConfigError, match="trap_lifetime_s"):
        afterpulse_decay_per_gate(-1e-9, 1e9)
