"""The gated APD's steady state seen gate by gate: armed probability, afterpulses per
quiet gate, and the equivalent threshold detector a QKD receiver model uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.physical.detectors import Detector
from qinet.physical.gated_detectors import GatedDetector


def simulate_classes(p_classes, weights, p_ap, h, r, *, runs, gates, burn_in, rng):
    """Click rate per gate class when each gate's primary probability is drawn i.i.d.

    The gate-by-gate model of the module (hold-off of h gates after a click, a carrier
    trapped with p_ap / r^h and released with 1 - r per gate, lost in hold-off), with
    every gate's class drawn independently.
    """
    p_trap = p_ap / r**h
    p_classes = np.asarray(p_classes)
    dead = np.zeros(runs, dtype=np.int64)
    trapped = np.zeros(runs, dtype=bool)
    clicks = np.zeros((len(p_classes), runs))
    seen = np.zeros((len(p_classes), runs))
    for gate in range(gates):
        cls = rng.choice(len(p_classes), size=runs, p=weights)
        armed = dead == 0
        primary = rng.random(runs) < p_classes[cls]
        released = trapped & (rng.random(runs) < 1 - r)
        click = armed & (primary | released)
        if gate >= burn_in:
            for k in range(len(p_classes)):
                mine = cls == k
                clicks[k] += click & mine
                seen[k] += mine
        trapped = np.where(click, rng.random(runs) < p_trap, trapped & ~released)
        dead = np.where(click, h, np.maximum(dead - 1, 0))
    return clicks, seen


def test_each_gate_class_clicks_with_a_p_plus_b_one_minus_p(rng):
    # Two classes of gates, p = 0.2 (30 %) and 0.01 (70 %), mean p = 0.067; 6000 runs
    # of 900 gates after 150 of burn-in. Per class the click rate is A p + b (1 - p)
    # with A and b from the renewal closed forms at the mean p. Runs are independent:
    # the spread of their per-run rates gives the standard error; 5 sigma.
    p_classes, weights = (0.2, 0.01), (0.3, 0.7)
    p_ap, h, r = 0.2, 3, 0.8
    apd = GatedDetector(gate_frequency_hz=1e9, efficiency=0.5, dark_probability_per_gate=0.0,
                        hold_off_gates=h, afterpulse_probability=p_ap,
                        trap_lifetime_s=-1e-9 / math.log(r))
    mean_p = float(np.dot(p_classes, weights))
    state = apd.steady_state(mean_p)
    clicks, seen = simulate_classes(p_classes, weights, p_ap, h, r, runs=6000, gates=1050,
                                    burn_in=150, rng=rng)
    for k, p in enumerate(p_classes):
        per_run = clicks[k] / seen[k]
        expected = state.armed_probability * p + state.afterpulse_per_quiet_gate * (1 - p)
        stderr = per_run.std(ddof=1) / math.sqrt(per_run.size)
        assert abs(per_run.mean() - expected) <= 5 * stderr, (k, per_run.mean(), expected)
    # without the afterpulses the classes would click at p / (1 + p_mean h) times less
    # margin: the check above can fail
    assert state.afterpulse_per_quiet_gate > 0.01


def test_steady_state_reproduces_the_renewal_click_probability():
    apd = GatedDetector(hold_off_gates=7, afterpulse_probability=0.06)
    for p in (1e-5, 1e-3, 0.05, 0.5):
        s = apd.steady_state(p)
        mean_click = s.armed_probability * p + s.afterpulse_per_quiet_gate * (1 - p)
        assert mean_click == pytest.approx(float(apd.click_probability_from_primary(p)),
                                           rel=1e-12)


def test_equivalent_detector_matches_single_photon_clicks_exactly():
    apd = GatedDetector(efficiency=0.25, dark_probability_per_gate=3e-6, hold_off_gates=10,
                        afterpulse_probability=0.05, trap_lifetime_s=50e-9)
    p_mean, window = 2e-3, 0.5e-9
    s = apd.steady_state(p_mean)
    eq = apd.equivalent_detector(p_mean, window)
    a, b = s.armed_probability, s.afterpulse_per_quiet_gate
    for photons in (0, 1):
        primary = 1 - (1 - 3e-6) * (1 - 0.25) ** photons
        assert float(eq.click_probability(photons, window)) == pytest.approx(
            a * primary + b * (1 - primary), rel=1e-12)
    assert eq.dead_time_s == pytest.approx(10e-9)


def test_without_afterpulses_or_hold_off_it_is_the_plain_detector():
    apd = GatedDetector(efficiency=0.3, dark_probability_per_gate=1e-5, hold_off_gates=0,
                        afterpulse_probability=0.0)
    eq = apd.equivalent_detector(0.01, 1e-9)
    plain = Detector(efficiency=0.3, dark_count_rate_hz=-math.log1p(-1e-5) / 1e-9,
                     dead_time_s=0.0, jitter_fwhm_s=0.0)
    assert eq == plain
