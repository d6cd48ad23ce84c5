"""``kind: gated_apd`` receivers: a QKD run's click rate and QBER against the renewal
closed form of gated diodes, and the plain detector when nothing is gated."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical.fibre import fibre_transmittance
from qinet.physical.gated_detectors import GatedDetector
from qinet.qkd.protocols._bb84_channel import ChannelSampler, Z
from qinet.rng import RngTree
from qinet.scenario import load_scenario
from qinet.scenario.qkd_protocols import make_runner

ETA, P_DARK, P_AP, TRAP_S, HOLD_GATES, RATE_HZ = 0.25, 5e-6, 0.1, 50e-9, 10, 1e9
LENGTH_KM, E_D, WINDOW_S = 20.0, 0.01, 1e-9


def _runner(detector_yaml: str, *, protocol: str = "bb84", extra: str = ""):
    s = load_scenario(f"""
hardware:
  det: {detector_yaml}
nodes: [{{name: a}}, {{name: b}}]
links: [{{between: [a, b], length: {LENGTH_KM} km, scheme: qkd, detector: det,
          detection_window: 1 ns}}]
demands: [{{kind: qkd, protocol: {protocol}, between: [a, b], source_rate: 1 GHz,
            misalignment: {E_D}, block_size: 10000 {extra}}}]
""")
    return make_runner(s, s.links[0], s.demands[0], "demands[0]")


GATED = (f"{{kind: gated_apd, gate_frequency: 1 GHz, efficiency: {ETA}, dark_probability: "
         f"{P_DARK}, afterpulse_probability: {P_AP}, trap_lifetime: 50 ns, hold_off: 10 ns}}")


def _closed_form():
    """Per sifted Z pulse: the right and wrong diodes' click probabilities, from the
    renewal steady state (A armed, b afterpulse per quiet gate) at the mean primary
    probability of a diode, which receives the single photon with T eta / 2."""
    t = float(fibre_transmittance(LENGTH_KM))
    diode = GatedDetector(gate_frequency_hz=RATE_HZ, efficiency=ETA,
                          dark_probability_per_gate=P_DARK, hold_off_gates=HOLD_GATES,
                          afterpulse_probability=P_AP, trap_lifetime_s=TRAP_S)
    state = diode.steady_state(1 - (1 - P_DARK) * (1 - ETA * t / 2))
    a, b = state.armed_probability, state.afterpulse_per_quiet_gate
    primary_right = 1 - (1 - P_DARK) * (1 - ETA * t * (1 - E_D))
    primary_wrong = 1 - (1 - P_DARK) * (1 - ETA * t * E_D)
    right = a * primary_right + b * (1 - primary_right)
    wrong = a * primary_wrong + b * (1 - primary_wrong)
    return right, wrong, state


def test_click_rate_and_qber_match_the_renewal_closed_form():
    # 2e7 pulses of a single-photon source over 20 km into diodes gated at 1 GHz with
    # 10 gates of hold-off and 10 % afterpulses: about 5e6 sifted Z pulses, 3.4e5 Z
    # clicks and 8e3 errors (QBER 2.3 %, e_d 1 %). Tolerance 5 sigma of the binomial
    # counts. Double clicks (both diodes, about right x wrong = 5e-4 of a pulse) are
    # taken as independent diodes: a random bit, half errors.
    runner = _runner(GATED, extra=", photon_efficiency: 1.0, g2: 0.0")
    stats = ChannelSampler(runner.optics).draw(20_000_000, rng=np.random.default_rng(7))
    right, wrong, state = _closed_form()
    correct_p = right * (1 - wrong / 2)
    error_p = wrong * (1 - right / 2)
    n_z = int(stats.sent[0, Z, Z])
    gain_z = stats.sifted(Z)[0] / n_z
    expected_gain = correct_p + error_p
    assert abs(gain_z - expected_gain) <= 5 * math.sqrt(expected_gain / n_z)
    qber = float(stats.qber(Z)[0])
    expected_qber = error_p / expected_gain
    clicks = int(stats.sifted(Z)[0])
    assert abs(qber - expected_qber) <= 5 * math.sqrt(expected_qber * (1 - expected_qber)
                                                      / clicks)
    # the afterpulses matter here: without them the QBER would be near e_d = 1 %
    assert expected_qber > 2 * E_D
    assert state.afterpulse_per_quiet_gate > 5e-4


def test_without_afterpulses_or_hold_off_it_is_the_plain_detector():
    gated = _runner(f"{{kind: gated_apd, gate_frequency: 1 GHz, efficiency: {ETA}, "
                    f"dark_probability: {P_DARK}, afterpulse_probability: 0, hold_off: 0 s}}")
    rate_hz = -math.log1p(-P_DARK) / WINDOW_S
    plain = _runner(f"{{kind: detector, efficiency: {ETA}, dark_count_rate: {rate_hz!r} Hz, "
                    f"dead_time: 0 s, jitter: 0 s}}")
    assert gated.optics.detector.efficiency == plain.optics.detector.efficiency
    assert gated.optics.detector.dark_probability(WINDOW_S) == pytest.approx(
        plain.optics.detector.dark_probability(WINDOW_S), rel=1e-12)
    a = gated(200_000, RngTree(3), 10_000)
    b = plain(200_000, RngTree(3), 10_000)
    assert (a.detections, a.sifted_bits, a.qber) == (b.detections, b.sifted_bits, b.qber)


def test_decoy_bb84_runs_on_gated_diodes():
    runner = _runner(GATED, protocol="bb84-decoy",
                     extra=", intensities: [0.5, 0.1, 0.0], "
                           "intensity_probabilities: [0.8, 0.1, 0.1]")
    result = runner(2_000_000, RngTree(1), 10_000)
    assert result.detections > 0
    assert result.qber["Z"] > E_D  # afterpulses and dark counts add errors


def test_gated_diodes_are_refused_where_they_do_not_apply():
    with pytest.raises(ConfigError, match=r"demands\[0\]\.detector: a gated_apd serves"):
        _runner(GATED, protocol="mdi")
    with pytest.raises(ConfigError, match=r"demands\[0\]\.source_rate: must be at most"):
        _runner(GATED.replace("gate_frequency: 1 GHz", "gate_frequency: 500 MHz"))
    with pytest.raises(ConfigError, match=r"links\[0\]\.detector: 'det' is a gated_apd"):
        load_scenario(f"""
hardware: {{det: {GATED}}}
nodes: [{{name: a}}, {{name: b}}]
links: [{{between: [a, b], length: 10 km, scheme: double-click, detector: det}}]
""")
    with pytest.raises(ConfigError, match="afterpulse_probability"):
        _runner(GATED.replace(f"afterpulse_probability: {P_AP}", "afterpulse_probability: 1"))


def test_a_simulated_run_reports_the_closed_form_qber():
    # the whole path of `qinet run`: the key network sends 2e7 pulses in slices through
    # the gated receiver; about 3.4e5 sifted bits in the key basis (half the pulses in Z at
    # each end, q_Z = 1/2), QBER at 5 sigma of its binomial count
    from qinet import simulate

    result = simulate(f"""
duration: 20 ms
hardware: {{det: {GATED}}}
nodes: [{{name: a}}, {{name: b}}]
links: [{{between: [a, b], length: {LENGTH_KM} km, scheme: qkd, detector: det}}]
demands: [{{kind: qkd, protocol: bb84, between: [a, b], source_rate: 1 GHz,
            misalignment: {E_D}, block_size: 10000, photon_efficiency: 1.0, g2: 0.0}}]
""")
    link = result.qkd_links[0]
    right, wrong, _ = _closed_form()
    expected = wrong * (1 - right / 2) / (right * (1 - wrong / 2) + wrong * (1 - right / 2))
    n = link.pulses / 4 * (right + wrong)  # sifted Z clicks expected
    assert link.pulses == 20_000_000
    assert abs(link.qber["Z"] - expected) <= 5 * math.sqrt(expected * (1 - expected) / n)
