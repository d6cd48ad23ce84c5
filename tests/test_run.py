"""End to end: scenario in, metrics out; reproducible, and consistent across modes."""

import json

import numpy as np
import pytest

import qinet
from qinet.scenario import load_scenario

SHORT = "200 ms"


@pytest.fixture(scope="module")
def default_result():
    return qinet.simulate(qinet.preset_path("metro-link"), duration=SHORT)


def test_result_has_the_documented_keys(default_result):
    doc = default_result.to_dict()
    demand = doc["demands"][0]
    for key in ("pairs", "rate_hz", "fidelity_mean", "fidelity_std", "latency_p50_s",
                "latency_p99_s", "outage_probability", "bound"):
        assert key in demand
    assert demand["bound"]["name"] == "PLOB"
    assert demand["distillable_ebits_per_s"] < demand["bound"]["direct_ebits_per_s"]
    json.dumps(doc, allow_nan=False)  # strict JSON: no NaN or inf


def test_same_seed_same_json_and_other_seed_other_samples(default_result):
    again = qinet.simulate(qinet.preset_path("metro-link"), duration=SHORT)
    assert json.dumps(again.to_dict()) == json.dumps(default_result.to_dict())
    other = qinet.simulate(qinet.preset_path("metro-link"), duration=SHORT, seed=8)
    assert other.demands[0].pairs != default_result.demands[0].pairs or (
        other.demands[0].latency_p50_s != default_result.demands[0].latency_p50_s)


def test_detailed_mode_is_reproducible_too():
    a = qinet.simulate(qinet.preset_path("single-click-metro"), duration="20 ms", mode="detailed")
    b = qinet.simulate(qinet.preset_path("single-click-metro"), duration="20 ms", mode="detailed")
    assert a.to_dict() == b.to_dict()


SINGLE_LINK_PRESETS = [name for name in qinet.preset_names()
                       if len(load_scenario(qinet.preset_path(name)).links) == 1
                       # a satellite link carries pulses, not heralded pairs
                       and load_scenario(qinet.preset_path(name)).links[0].scheme
                       not in ("downlink", "uplink", "dual-downlink")]


@pytest.mark.parametrize("preset", SINGLE_LINK_PRESETS)
def test_measured_rate_and_success_probability_match_theory(preset):
    # pairs used at once: the renewal rate of the link (multi-hop presets hold pairs)
    result = qinet.simulate(qinet.preset_path(preset), duration="500 ms")
    link = result.links[0]
    expected = link.rate_theory_hz * result.duration_s
    assert abs(link.successes - expected) < 5 * np.sqrt(expected)
    p = link.success_probability_theory
    # only attempts whose outcome is known by the end count: no partial attempts to allow for
    assert abs(link.success_probability - p) < 5 * np.sqrt(p * (1 - p) / link.attempts)


def test_both_modes_agree_through_the_scenario_api():
    scenario = load_scenario(qinet.preset_path("metro-link"), duration="300 ms")
    ff = qinet.simulate(scenario)
    dt = qinet.simulate(scenario, mode="detailed")
    n_ff, n_dt = ff.demands[0].pairs, dt.demands[0].pairs
    assert abs(n_ff - n_dt) < 5 * np.sqrt(n_ff + n_dt)
    assert ff.demands[0].fidelity_mean == pytest.approx(dt.demands[0].fidelity_mean, abs=1e-12)


def test_backends_agree_on_the_fidelity_of_dephased_pairs():
    bd = qinet.simulate(qinet.preset_path("single-click-metro"), duration="50 ms")
    dm = qinet.simulate(qinet.preset_path("single-click-metro"), duration="50 ms",
                        backend="density-matrix")
    assert bd.demands[0].pairs == dm.demands[0].pairs
    assert bd.demands[0].fidelity_mean == pytest.approx(dm.demands[0].fidelity_mean, abs=1e-12)


def test_outage_with_an_unreachable_rate_target():
    data = load_scenario(qinet.preset_path("metro-link")).model_dump()
    data["demands"][0]["rate"] = "1 GHz"
    data["duration"] = "200 ms"
    result = qinet.simulate(data)
    assert result.demands[0].outage_probability == 1.0


@pytest.mark.parametrize("preset", qinet.preset_names())
def test_every_preset_runs_and_respects_its_bounds(preset):
    result = qinet.simulate(qinet.preset_path(preset), duration="100 ms")
    for link in result.links:
        assert link.plob_ebits_per_s == pytest.approx(
            link.plob_ebits_per_channel_use * link.channel_uses_per_s)
    for demand in result.demands:
        assert demand.pairs >= 0
        if demand.pairs:
            assert 0.25 <= demand.fidelity_mean <= 1.0
            # what the pairs distil cannot beat the chain's capacity in ebits
            assert demand.distillable_ebits_per_s <= demand.bound.repeater_chain_ebits_per_s


def test_a_qkd_demand_distils_equal_keys_at_the_pairs_qber():
    # 5 s: enough sifted bits that the finite-size QBER bound stays under 11 %
    result = qinet.simulate(qinet.preset_path("metro-link"), duration="5 s")
    entanglement, qkd = result.demands
    key = qkd.key
    assert key is not None
    assert entanglement.key is None
    assert key.keys_equal
    assert not key.aborted
    assert key.key_bits > 0
    assert key.secret_key_rate_bps == pytest.approx(key.key_bits / result.duration_s)
    # Bell-diagonal pairs: Z errors come from X and Y, X errors from Z and Y
    sim_backend = qinet.load_scenario(qinet.preset_path("metro-link"))
    from qinet.quantum import make_backend
    from qinet.scenario import compile_link

    backend = make_backend(sim_backend.backend)
    weights = backend.bell_weights(backend.from_density_matrix(
        compile_link(sim_backend, 0).heralded_state, 1))[0]
    e_z, e_x = weights[1] + weights[2], weights[3] + weights[2]
    n_x = key.pairs_measured / 4
    # memory decay over the ~0.1 ms herald adds ~1e-4: far inside 5 sigma
    assert abs(key.qber_x - e_x) < 5 * np.sqrt(e_x * (1 - e_x) / n_x) + 1e-3
    assert key.qber < 0.11
    assert abs(key.qber - e_z) < 5 * np.sqrt(e_z * (1 - e_z) / (0.1 * key.sifted_bits))
