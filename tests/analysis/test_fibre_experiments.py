"""Fibre QKD experiments recomputed from their stated hardware: the closed form behind each
entry, its limits, its tolerance, and the preset's simulated run against it."""

from __future__ import annotations

import math

import pytest

import qinet
from qinet.analysis.reproductions import FAMILIES, reproductions
from qinet.analysis.reproductions.fibre_experiments import (
    GOBBY_PRESET,
    GOBBY_TRANSFER_S,
    WeakPulseLink,
    gobby_link,
    paper_qber_sigma,
)
from qinet.errors import ConfigError

# Ma, Qi, Zhao and Lo 2005, Table I, "GYS": α, η_Bob, Y0, e_d; μ and the clock of the paper
GYS = {"attenuation_db_per_km": 0.21, "bob_efficiency": 0.045, "background_yield": 1.7e-6,
       "misalignment": 0.033, "mu": 0.1, "pulse_rate_hz": 2e6}
LENGTHS_KM = (4.4, 65.0, 101.0, 122.0)


def qber_by_hand(length_km: float) -> float:
    """E = (Y0/2 + e_d (1 - e^{-ημ})) / (Y0 + 1 - e^{-ημ}), η = 10^{-αL/10} η_Bob."""
    eta = 10 ** (-GYS["attenuation_db_per_km"] * length_km / 10) * GYS["bob_efficiency"]
    signal = 1 - math.exp(-eta * GYS["mu"])
    y0 = GYS["background_yield"]
    return (y0 / 2 + GYS["misalignment"] * signal) / (y0 + signal)


def test_the_family_is_registered_and_its_entries_run_the_preset():
    assert "fibre_experiments" in FAMILIES
    entries = [r for r in reproductions().values() if r.name.startswith("gobby2004")]
    assert {r.name for r in entries} == {"gobby2004-qber-122km", "gobby2004-qber-101km"}
    assert all(r.preset == GOBBY_PRESET for r in entries)


@pytest.mark.parametrize("length_km", LENGTHS_KM)
def test_the_preset_holds_the_tabulated_hardware(length_km):
    link = gobby_link(length_km)
    assert link == WeakPulseLink(length_km=length_km, **GYS)


@pytest.mark.parametrize("length_km", LENGTHS_KM)
def test_the_qber_is_the_weak_pulse_closed_form(length_km):
    _, qber = gobby_link(length_km).gain_and_qber()
    assert qber == pytest.approx(qber_by_hand(length_km), rel=1e-12)


def test_the_qber_runs_from_the_optical_error_to_a_coin():
    near = WeakPulseLink(length_km=0.0, **GYS).gain_and_qber()[1]
    far = WeakPulseLink(length_km=1000.0, **GYS).gain_and_qber()[1]
    # at 0 km the background is 1.7e-6 against 4.5e-3 of signal: e_d within 2e-4
    assert near == pytest.approx(GYS["misalignment"], abs=2e-4)
    assert far == pytest.approx(0.5, abs=1e-6)
    qbers = [gobby_link(length).gain_and_qber()[1] for length in LENGTHS_KM]
    assert qbers == sorted(qbers)


@pytest.mark.parametrize(("name", "length_km"), [("gobby2004-qber-122km", 122.0),
                                                 ("gobby2004-qber-101km", 101.0)])
def test_each_tolerance_is_two_sigma_of_the_papers_average_plus_half_a_digit(name, length_km):
    link = gobby_link(length_km)
    gain, qber = link.gain_and_qber()
    sifted = gain * link.pulse_rate_hz * GOBBY_TRANSFER_S / 2
    sigma = paper_qber_sigma(link, GOBBY_TRANSFER_S)
    assert sigma == pytest.approx(math.sqrt(qber * (1 - qber) / sifted), rel=1e-12)
    # four times the time, half the spread
    assert paper_qber_sigma(link, 4 * GOBBY_TRANSFER_S) == pytest.approx(sigma / 2, rel=1e-12)
    entry = reproductions()[name]
    assert entry.tolerance == pytest.approx(2 * 100 * sigma + 0.05, abs=0.005)


def test_the_preset_run_measures_the_closed_form_within_its_shot_noise():
    # the preset's own duration: the paper's two-minute transfer at every length
    result = qinet.simulate(qinet.preset_path(GOBBY_PRESET))
    assert [q.length_km for q in result.qkd_links] == list(LENGTHS_KM)
    for measured in result.qkd_links:
        link = gobby_link(measured.length_km)
        gain, qber = link.gain_and_qber()
        # the signal class is 98 % of the pulses; its gain within 5 sigma of Poisson counts
        pulses = 0.98 * measured.pulses
        assert abs(measured.gains["signal"] - gain) < 5 * math.sqrt(gain / pulses)
        # Z-basis sifted bits (both ends chose Z: a quarter of the clicks)
        n = 0.98 * measured.sifted_bits
        assert abs(measured.qber["Z/signal"] - qber) < 5 * math.sqrt(qber * (1 - qber) / n)


def test_a_length_the_preset_lacks_is_named():
    with pytest.raises(ConfigError, match="50 km"):
        gobby_link(50.0)
