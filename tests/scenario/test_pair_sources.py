"""``pair_sources``: a shared entangled-pair source's user pairs in a scenario run."""

from __future__ import annotations

import math

import pytest

from qinet import simulate
from qinet.errors import ConfigError
from qinet.physical.fibre import Fibre
from qinet.scenario import load_scenario
from qinet.scenario.pair_sources import RECEIVER_DETECTORS, user_pair_theory

_STAR = """
seed: 4
duration: {duration}
hardware: {{snspd: {{kind: detector, efficiency: 0.8, dark_count_rate: 100 Hz}}}}
nodes: [{{name: a}}, {{name: b}}, {{name: c}}]
pair_sources:
  - name: hub
    pair_rate: 2 MHz
    visibility: 0.97
    coincidence_window: 500 ps
    users:
      - {{node: a, length: 10 km, insertion_loss: 3, detector: snspd {raman}}}
      - {{node: b, length: 20 km, detector: snspd}}
      - {{node: c, length: 5 km, insertion_loss: 6, detector: snspd}}
    channels: [{{users: [a, b]}}, {{users: [a, c]}}, {{users: [b, c], pair_rate: 1 MHz}}]
"""


def _star(duration="1 s", raman=""):
    return _STAR.format(duration=duration, raman=raman)


def test_singles_and_efficiencies_follow_the_users_fibres_and_channels():
    s = load_scenario(_star())
    theory = {users: (rate, r) for users, rate, r in user_pair_theory(s, s.pair_sources[0])}
    eta_a = Fibre(10.0).transmittance * 10 ** -0.3 * 0.8
    eta_b = Fibre(20.0).transmittance * 0.8
    rate_ab, ab = theory[("a", "b")]
    assert rate_ab == 2e6
    assert ab.coincidence_rate_hz == pytest.approx(2e6 * eta_a * eta_b, rel=1e-12)
    # a is on two channel pairs of 2 MHz, b on one of 2 MHz and one of 1 MHz
    singles_a = 4e6 * eta_a + RECEIVER_DETECTORS * 100
    singles_b = 3e6 * eta_b + RECEIVER_DETECTORS * 100
    assert ab.accidental_rate_hz == pytest.approx(singles_a * singles_b * 500e-12, rel=1e-12)


def test_a_run_counts_within_shot_noise_of_the_closed_form():
    # 2 s: about 1e5 coincidences per pair; Poisson and binomial counts at 5 sigma
    run = simulate(_star(duration="2 s"))
    s = load_scenario(_star())
    theory = {users: r for users, _, r in user_pair_theory(s, s.pair_sources[0])}
    assert [p.users for p in run.pair_sources] == [("a", "b"), ("a", "c"), ("b", "c")]
    for pair in run.pair_sources:
        r = theory[pair.users]
        mean = r.detected_rate_hz * 2.0
        assert abs(pair.coincidences - mean) <= 5 * math.sqrt(mean)
        assert abs(pair.sifted_bits - pair.coincidences / 2) <= 5 * math.sqrt(
            pair.coincidences / 4)
        assert abs(pair.qber - r.qber) <= 5 * math.sqrt(r.qber * (1 - r.qber)
                                                        / pair.sifted_bits)
        assert pair.secret_key_rate_bps > 0
        assert pair.car == pytest.approx(r.car)


def test_raman_noise_on_a_users_fibre_lowers_its_pairs_car():
    quiet = load_scenario(_star())
    noisy = load_scenario(_star(raman=", classical_channels: [{power: 1 mW}]"))
    q = {u: r for u, _, r in user_pair_theory(quiet, quiet.pair_sources[0])}
    n = {u: r for u, _, r in user_pair_theory(noisy, noisy.pair_sources[0])}
    assert n[("a", "b")].car < q[("a", "b")].car
    assert n[("a", "b")].qber > q[("a", "b")].qber
    assert n[("b", "c")].car == q[("b", "c")].car  # b and c do not share a's fibre


def test_the_file_is_checked():
    with pytest.raises(ConfigError, match=r"pair_sources\[0\]\.users\[2\]\.node: unknown node"):
        load_scenario(_star().replace("{node: c,", "{node: z,").replace(
            "[a, c]", "[a, z]").replace("[b, c]", "[b, z]"))
    with pytest.raises(ConfigError, match=r"channels\[0\]\.users: 'q' is not a user"):
        load_scenario(_star().replace("[{users: [a, b]}", "[{users: [a, q]}"))
    with pytest.raises(ConfigError, match="band holds 1"):
        load_scenario(_star().replace("pair_rate: 2 MHz",
                                      "pair_rate: 2 MHz\n    bandwidth: 2.5 nm"))
    with pytest.raises(ConfigError, match=r"links: at least one link \(or a source"):
        load_scenario("nodes: [{name: a}, {name: b}]\n")


def test_the_text_report_has_a_row_per_user_pair():
    from rich.console import Console

    from qinet.analysis.report import pair_source_tables

    result = simulate("bristol-8-user", duration="1 s")
    console = Console(width=100, record=True)
    for table in pair_source_tables(result.pair_sources):
        console.print(table)
    text = console.export_text()
    assert "user pair" in text
    assert "key (asymptotic)" in text
    assert "alice ↔ bob" in text
    assert "heidi ↔ ivan" in text
