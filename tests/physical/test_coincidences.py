"""Coincidence-to-accidental ratio of a pair source against its limits, a mode-by-mode
simulation, and the midpoint-source link's heralding probability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.link.hardware import LinkHardware
from qinet.link.midpoint_source import heralded_state
from qinet.physical.coincidences import (
    coincidence_probabilities,
    coincidence_to_accidental_ratio,
)
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.memories import QuantumMemory
from qinet.physical.sources import SPDCSource


@pytest.mark.parametrize("mu", [1e-3, 1e-2, 0.1])
def test_low_efficiency_without_noise_is_one_plus_one_over_mu(mu):
    # many modes (Poisson): 1 + 1/mu; one mode (thermal, bunched pairs): 2 + 1/mu;
    # corrections are of order eta = 1e-6
    eta = 1e-6
    assert coincidence_to_accidental_ratio(mu, eta, eta, thermal=False) == pytest.approx(
        1 + 1 / mu, rel=1e-4)
    assert coincidence_to_accidental_ratio(mu, eta, eta) == pytest.approx(2 + 1 / mu, rel=1e-4)


def test_lossless_poisson_source_gives_one_over_the_emission_probability():
    for mu in (0.01, 0.3, 2.0):
        assert coincidence_to_accidental_ratio(mu, 1.0, 1.0, thermal=False) == pytest.approx(
            1 / -math.expm1(-mu), rel=1e-12)


def test_noise_lowers_the_ratio_towards_one():
    noise = np.array([0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.1, 0.9])
    car = coincidence_to_accidental_ratio(0.01, 0.05, 0.05, noise, noise)
    assert np.all(np.diff(car) < 0)
    assert car[-1] == pytest.approx(1.0, abs=1e-3)
    # weak noise: C ~ mu eta^2, S ~ mu eta + d, so CAR ~ (1/mu) / (1 + d / (mu eta))^2
    d, mu, eta = 1e-6, 1e-3, 1e-3
    approx = 1 + (1 / mu) / (1 + d / (mu * eta)) ** 2
    assert coincidence_to_accidental_ratio(mu, eta, eta, d, d, thermal=False) == (
        pytest.approx(approx, rel=0.01))


def test_a_mode_by_mode_simulation_gives_the_same_ratio():
    # 4e6 modes of a Poisson source, binomial detection at each end, noise clicks;
    # accidentals pair each mode's a with the next mode's b. 5 sigma of the counts.
    rng = np.random.default_rng(11)
    mu, eta_a, eta_b, d_a, d_b, modes = 0.05, 0.3, 0.2, 2e-3, 1e-3, 4_000_000
    n = rng.poisson(mu, modes)
    click_a = (rng.binomial(n, eta_a) > 0) | (rng.random(modes) < d_a)
    click_b = (rng.binomial(n, eta_b) > 0) | (rng.random(modes) < d_b)
    s_a, s_b, c = coincidence_probabilities(mu, eta_a, eta_b, d_a, d_b, thermal=False)
    coincidences = int(np.sum(click_a & click_b))
    accidentals = int(np.sum(click_a[:-1] & click_b[1:]))
    assert abs(coincidences - c * modes) <= 5 * math.sqrt(c * modes)
    assert abs(accidentals - s_a * s_b * (modes - 1)) <= 5 * math.sqrt(s_a * s_b * modes)


def test_coincidences_are_the_midpoint_source_heralding_probability():
    # the midpoint-source link heralds when both memories' detectors click in a mode:
    # its closed-form success probability is C with the heralds' dark counts as noise
    memory = QuantumMemory(efficiency=0.7)
    hw = LinkHardware(memory, memory, Fibre(10.0), Fibre(25.0),
                      Detector(efficiency=0.8, dark_count_rate_hz=1e5), detection_window_s=1e-9)
    for thermal in (True, False):
        source = SPDCSource(mean_pairs_per_mode=0.05, thermal=thermal)
        success, _ = heralded_state(source, hw)
        eta_a, eta_b = hw.photon_efficiencies
        _, _, c = coincidence_probabilities(0.05, eta_a, eta_b, hw.p_dark, hw.p_dark,
                                            thermal=thermal)
        assert float(c) == pytest.approx(success, rel=1e-9)


def test_bad_input_is_named():
    with pytest.raises(ConfigError, match="efficiency_a"):
        coincidence_to_accidental_ratio(0.1, 1.5, 0.1)
    with pytest.raises(ConfigError, match="mean_pairs"):
        coincidence_to_accidental_ratio(-0.1, 0.5, 0.1)
    assert math.isnan(coincidence_to_accidental_ratio(0.0, 0.5, 0.5))
