"""Every QKD protocol as a `kind: qkd` demand, through `qinet.simulate` to the JSON document."""

import math

import pytest

import qinet
from qinet.errors import ConfigError
from qinet.physical.bounds import plob_bound
from qinet.physical.fibre import fibre_transmittance

_LINK = """
name: qkd-test
seed: 4
duration: {duration}
nodes: [{{name: alice}}, {{name: bob}}]
links:
  - {{between: [alice, bob], length: {length} km, scheme: qkd}}
demands:
  - {{kind: qkd, between: [alice, bob], {demand}}}
"""


def _run(demand: str, *, length: float = 10.0, duration: str = "0.1 s"):
    result = qinet.simulate(_LINK.format(duration=duration, length=length, demand=demand))
    return result.to_dict()


def test_single_photon_bb84_reports_every_figure_and_stays_under_plob():
    doc = _run("protocol: bb84, source_rate: 10 MHz, block_size: 200000, epsilon_sec: 1.0e-6")
    (link,) = doc["qkd_links"]
    (demand,) = doc["demands"]
    assert link["protocol"] == "bb84"
    assert link["pulses"] == 1_000_000
    assert link["key_bits"] > 0
    assert link["keys_equal"]
    assert link["leaked_ec_bits"] > 0
    # QBER of an ideal single-photon link: the 1 % misalignment (dark counts negligible)
    n = link["sifted_bits"]
    assert link["qber"]["Z"] == pytest.approx(0.01, abs=5 * math.sqrt(0.01 * 0.99 / n))
    eta = fibre_transmittance(10.0, 0.2)
    assert link["transmittance"] == pytest.approx(eta)
    assert link["plob_bits_per_pulse"] == pytest.approx(plob_bound(eta))
    assert link["secret_bits_per_pulse"] < link["plob_bits_per_pulse"]
    # the demand's entry carries the same key and the bound at the link's pulse rate
    assert demand["kind"] == "qkd"
    assert demand["key"]["key_bits"] == link["key_bits"]
    assert demand["bound"]["plob_bound_bps"] == pytest.approx(link["plob_bound_bps"])
    assert "rate_hz" not in demand["bound"]  # a key rate is in bit/s


def test_decoy_bb84_reports_per_intensity_qber_and_decoy_estimates():
    doc = _run("protocol: bb84-decoy, source_rate: 100 MHz, block_size: 400000, "
               "epsilon_sec: 1.0e-6, intensity_probabilities: [0.7, 0.2, 0.1]")
    (link,) = doc["qkd_links"]
    assert {"Z", "X", "Z/signal", "Z/decoy", "X/signal"} <= set(link["qber"])
    assert set(link["gains"]) == {"signal", "decoy", "vacuum"}
    assert {"y1_lower", "e1_upper"} <= set(link["estimates"])
    assert 0 < link["key_bits"] <= link["finite_key_bits"]
    assert 0 < link["secret_key_rate_bps"] < link["asymptotic_key_rate_bps"]


def test_intercept_resend_is_caught_and_leaves_no_key():
    doc = _run("protocol: bb84-decoy, source_rate: 100 MHz, block_size: 400000, "
               "epsilon_sec: 1.0e-6, attack: {kind: intercept-resend}")
    (link,) = doc["qkd_links"]
    assert link["attack"] == "intercept-resend"
    assert link["key_bits"] == 0
    # Eve guesses the basis half the time: 1/2 x 1/2 error, else the misalignment e_d
    # (Bennett and Brassard 1984); 5 sigma of the sifted bits
    expected, n = 0.25 + 0.01 / 2, link["sifted_bits"]
    assert link["qber"]["Z"] == pytest.approx(expected,
                                              abs=5 * math.sqrt(expected * (1 - expected) / n))
    assert any("QBER" in reason for reason in link["abort_reasons"])


def test_photon_number_splitting_is_betrayed_by_the_decoys():
    doc = _run("protocol: bb84-decoy, source_rate: 100 MHz, block_size: 400000, "
               "epsilon_sec: 1.0e-6, attack: {kind: pns}", length=50.0, duration="0.2 s")
    (link,) = doc["qkd_links"]
    assert link["key_bits"] == 0
    # Eve knows almost every sifted bit: a protocol without decoys would have leaked its key
    assert link["estimates"]["eve_known_fraction"] > 0.99


def test_twin_field_runs_with_its_station_in_the_middle():
    doc = _run("protocol: tf, source_rate: 1 GHz, block_size: 100000, epsilon_sec: 1.0e-6",
               length=50.0, duration="0.05 s")
    (link,) = doc["qkd_links"]
    assert link["protocol"] == "tf"
    assert link["keys_equal"]
    assert link["transmittance"] == pytest.approx(fibre_transmittance(50.0, 0.2))
    assert link["asymptotic_bits_per_pulse"] > 0


def test_mdi_runs_and_reports_its_heralds():
    doc = _run("protocol: mdi, source_rate: 1 GHz, block_size: 100000", duration="2 ms")
    (link,) = doc["qkd_links"]
    assert link["protocol"] == "mdi"
    assert link["pulses"] == 2_000_000
    assert link["raw_rate_bps"] > 0
    assert link["keys_equal"]


def test_e91_over_entangled_pairs_reports_chsh():
    text = """
name: e91-test
seed: 2
duration: 0.1 s
hardware:
  spin: {kind: memory, t2: 10 s, raw_fidelity: 0.995}
nodes:
  - {name: alice, memory: spin}
  - {name: bob, memory: spin}
links:
  - {between: [alice, bob], length: 2 km, scheme: double-click}
demands:
  - {kind: qkd, protocol: e91, between: [alice, bob], block_size: 10000}
"""
    doc = qinet.simulate(text).to_dict()
    key = doc["demands"][0]["key"]
    assert key["protocol"] == "e91"
    assert key["pairs_measured"] > 1000
    assert 2.0 < key["estimates"]["chsh"] <= 2 * math.sqrt(2) + 0.1


def test_attack_on_an_entanglement_protocol_is_refused_with_its_field():
    with pytest.raises(ConfigError, match="attack") as info:
        qinet.simulate(_LINK.format(duration="1 ms", length=10,
                                    demand="protocol: mdi, attack: {kind: pns}"))
    assert info.value.field == "demands[0].attack"
