"""Demand and link metrics: closed forms, exact outage windows, documented keys."""

import dataclasses
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import qinet
from qinet.analysis.metrics import (
    DemandMetrics,
    LinkMetrics,
    NodeMetrics,
    hashing_yield,
    outage_probability,
)
from qinet.analysis.report import demand_table
from tests.network.conftest import chain_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
S = 10**12


def _documented(list_name):
    section = DOC.read_text(encoding="utf-8").split("## JSON keys", 1)[1]
    keys, current = [], None
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[1] in ("key", "---"):
            continue
        current = re.findall(r"`([a-z_0-9]+)`", cells[0])[0] if cells[0] else current
        if current == list_name:
            keys += re.findall(r"`([a-z_0-9]+)`", cells[1])
    return keys


@pytest.mark.parametrize(("name", "cls"), [("demands", DemandMetrics), ("links", LinkMetrics),
                                           ("nodes", NodeMetrics)])
def test_docs_list_every_key_once(name, cls):
    keys = _documented(name)
    assert sorted(keys) == sorted(f.name for f in dataclasses.fields(cls))
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("fidelity", [0.6, 0.8, 0.95, 1.0])
def test_hashing_yield_of_a_werner_state(fidelity):
    # 1 - H(F, (1-F)/3, (1-F)/3, (1-F)/3), written out
    rest = (1 - fidelity) / 3
    entropy = -fidelity * np.log2(fidelity) - (3 * rest * np.log2(rest) if rest else 0.0)
    weights = np.array([fidelity, rest, rest, rest])
    assert hashing_yield(weights) == pytest.approx(max(0.0, 1 - entropy), abs=1e-12)


def test_hashing_yield_is_zero_below_the_hashing_threshold():
    # a Werner state yields nothing by hashing below F ~ 0.8107
    assert hashing_yield(np.array([0.81, 0.19 / 3, 0.19 / 3, 0.19 / 3])) == 0.0
    assert hashing_yield(np.array([0.82, 0.06, 0.06, 0.06])) > 0.0


def test_outage_counts_windows_short_of_the_requests_they_hold():
    # requests every 0.3 s, windows of 1 s: every window holds at least 3 requests
    period = 3 * S // 10
    delivered = np.array([0.1, 0.4, 0.7, 1.1, 1.5, 2.0, 2.1, 2.3]) * S
    useful = np.ones(delivered.size, bool)
    useful[-1] = False  # the last pair of window 2 misses the fidelity target
    out = outage_probability(delivered.astype(np.int64), useful, elapsed_ps=3 * S + 5,
                             window_s=1.0, request_period_ps=period)
    assert out == pytest.approx(2 / 3)  # windows 1 and 2 served 2 each
    # no whole window, or windows shorter than a request period: no figure
    assert outage_probability(delivered, useful, elapsed_ps=S // 2, window_s=1.0,
                              request_period_ps=period) is None
    assert outage_probability(delivered, useful, elapsed_ps=3 * S, window_s=0.1,
                              request_period_ps=period) is None


def test_a_demand_without_detections_shows_no_qber():
    # no photon survives the link: no pair, no sifted bit, so no error rate either
    data = chain_scenario(1, efficiency=1e-9, duration="5 ms", demands=[
        {"kind": "qkd", "protocol": "bbm92", "between": ["n0", "n1"]}])
    demand = qinet.simulate(data).demands[0]
    assert demand.pairs == 0
    assert demand.key.sifted_bits == 0
    assert demand.key.qber is None
    assert demand.key.qber_x is None
    assert demand.distillable_ebits_per_s is None
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(demand_table(demand))
    text = console.export_text()
    assert "QBER (Z / X)  " in text
    assert "– / –" in text


def test_distillable_rate_is_below_the_raw_rate_and_the_chain_capacity():
    result = qinet.simulate(chain_scenario(2, length_km=5.0, efficiency=0.9,
                                           attempt_period=None, raw_fidelity=0.97,
                                           duration="100 ms"))
    demand = result.demands[0]
    assert demand.pairs > 10
    assert 0 < demand.distillable_ebits_per_pair < 1
    assert demand.distillable_ebits_per_s == pytest.approx(
        demand.distillable_ebits_per_pair * demand.rate_hz)
    bound = demand.bound
    assert demand.distillable_ebits_per_s <= bound.repeater_chain_ebits_per_s
    assert bound.direct_ebits_per_s == pytest.approx(
        bound.ebits_per_channel_use * bound.channel_uses_per_s)
    assert bound.repeater_chain_ebits_per_s == pytest.approx(
        bound.repeater_chain_ebits_per_channel_use * bound.repeater_chain_channel_uses_per_s)


def test_streaming_statistics_match_the_per_pair_record():
    # under the sample's size every statistic is exact: the same document either way
    from qinet.analysis.api import run_watched
    from qinet.scenario import load_scenario

    scenario = load_scenario(qinet.preset_path("chain-9"), duration="50 ms")
    kept = run_watched(scenario, keep_pairs=True)
    streamed = run_watched(scenario)
    assert streamed.pairs == {}
    assert kept.result.to_dict() == streamed.result.to_dict()
    arrays = kept.pairs[0]
    demand = kept.result.demands[0]
    assert demand.pairs == arrays["fidelity"].size > 10
    assert demand.fidelity_mean == pytest.approx(arrays["fidelity"].mean(), rel=1e-12)
    assert demand.fidelity_std == pytest.approx(arrays["fidelity"].std(ddof=1), rel=1e-9)
    assert demand.latency_p99_s == pytest.approx(np.percentile(arrays["latency_ps"], 99) * 1e-12)
    assert demand.latency_mean_s == pytest.approx(arrays["latency_ps"].mean() * 1e-12)


def test_the_latency_sample_is_uniform_beyond_its_size():
    from qinet.network.stats import DeliveryStats

    stats = DeliveryStats(window_ps=10, min_fidelity=0.0, rng=np.random.default_rng(3),
                          reservoir_size=400)
    n = 40_000
    values = np.arange(n, dtype=np.int64)
    for chunk in np.array_split(values, 37):
        stats.add(chunk, chunk, np.ones(chunk.size), np.tile([1.0, 0, 0, 0], (chunk.size, 1)))
    assert stats.count == n
    assert stats.latency_mean_ps == pytest.approx((n - 1) / 2)
    # a uniform sample of k = 400 of 0..n-1: its median has std n sqrt(1/4 / k) (the
    # binomial count below n/2), at most, without replacement
    sigma = n * np.sqrt(0.25 / 400)
    assert abs(stats.latency_percentile(50) - n / 2) < 5 * sigma
    # and it is not simply the first 400 nor the last 400
    assert 400 < stats.latency_percentile(50) < n - 400
    assert stats.window_counts(3).tolist() == [10, 10, 10]


def _asdict_then_clean(value):
    """The JSON-ready form the way it was first written: dataclasses.asdict, then
    tuples to lists, numpy scalars to Python numbers, NaN and infinities to None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: _asdict_then_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_asdict_then_clean(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.floating | np.integer):
        return _asdict_then_clean(value.item())
    return value


@pytest.mark.parametrize(("preset", "duration"), [
    ("metro-link", "20 ms"), ("chain-9", "20 ms"), ("qkd-protocols", "5 ms"),
    ("trusted-relay", "5 ms")])
def test_to_dict_is_asdict_made_json_ready(preset, duration):
    result = qinet.simulate(qinet.preset_path(preset), duration=duration)
    document = result.to_dict()
    assert document == _asdict_then_clean(result)
    # and it is JSON as it stands: no tuple, numpy number or NaN is left
    assert json.loads(json.dumps(document, allow_nan=False)) == document
