"""The Raman fields of a QKD link reach the receiver's noise: coefficient, quantum and
classical wavelengths, defaults as before they existed."""

from __future__ import annotations

import pytest

from qinet.errors import ConfigError
from qinet.physical.fibre import Fibre, raman_noise_rate_hz, raman_side_factor
from qinet.scenario import load_scenario
from qinet.scenario.qkd_protocols import default_link_demand, raman_rate_hz


def _scenario(link_extra: str = "", channel_extra: str = ""):
    return load_scenario(f"""
nodes: [{{name: a}}, {{name: b}}]
links:
  - {{between: [a, b], length: 30 km, scheme: qkd, {link_extra}
     classical_channels: [{{power: 1 mW, direction: co {channel_extra}}}]}}
""")


def _rate(scenario) -> float:
    link = scenario.links[0]
    return raman_rate_hz(scenario, link, default_link_demand(link))


def test_defaults_give_the_rate_of_the_physical_defaults():
    assert _rate(_scenario()) == pytest.approx(float(raman_noise_rate_hz(1e-3, 30.0)), rel=1e-14)


def test_the_link_coefficient_scales_the_noise_and_a_channel_overrides_it():
    base = _rate(_scenario())
    assert _rate(_scenario("raman_coefficient: 6e-9,")) == pytest.approx(2 * base, rel=1e-14)
    assert _rate(_scenario("raman_coefficient: 6e-9,", ", raman_coefficient: 1.5e-9")) == (
        pytest.approx(base / 2, rel=1e-14))


def test_the_quantum_wavelength_sets_the_photon_energy():
    base = _rate(_scenario())
    assert _rate(_scenario("quantum_wavelength: 1310 nm,")) == pytest.approx(
        base * 1310 / 1550, rel=1e-12)


def test_a_classical_wavelength_to_the_red_takes_the_anti_stokes_factor():
    base = _rate(_scenario())
    # quantum 1550 nm, classical 1570 nm: the quantum channel is to the blue (anti-Stokes)
    anti = _rate(_scenario("", ", wavelength: 1570 nm"))
    assert anti == pytest.approx(base * float(raman_side_factor(1550e-9, 1570e-9)), rel=1e-12)
    assert anti < base
    # classical 1530 nm: the quantum channel is on the Stokes side, the coefficient as given
    assert _rate(_scenario("", ", wavelength: 1530 nm")) == pytest.approx(base, rel=1e-14)


def test_counter_propagating_channel_uses_the_backward_form():
    s = load_scenario("""
nodes: [{name: a}, {name: b}]
links:
  - {between: [a, b], length: 30 km, scheme: qkd, raman_coefficient: 4e-9,
     classical_channels: [{power: 2 mW, direction: counter}]}
""")
    expected = Fibre(30.0).raman_noise_rate_hz(2e-3, raman_coefficient_per_km_per_nm=4e-9,
                                                co_propagating=False)
    assert _rate(s) == pytest.approx(float(expected), rel=1e-14)


def test_bad_raman_fields_are_named():
    with pytest.raises(ConfigError, match="raman_coefficient"):
        _scenario("raman_coefficient: -1e-9,")
    with pytest.raises(ConfigError, match="wavelength"):
        _scenario("", ", wavelength: -3 nm")
