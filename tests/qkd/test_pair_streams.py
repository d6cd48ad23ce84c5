"""BBM92 and E91 measuring pairs batch by batch, as a long run delivers them."""

import numpy as np
import pytest

from qinet.qkd.protocols.bbm92 import Bbm92Stream, run_bbm92
from qinet.qkd.protocols.e91 import E91Stream, run_e91
from qinet.quantum import make_backend, werner_weights
from qinet.rng import RngTree
from qinet.scenario import Simulation, load_scenario

BACKEND = make_backend("bell-diagonal")
PAIRS = 60_000
CHUNK = 7_000  # batches of unequal sizes: the last is shorter


def _weights(fidelity: float) -> np.ndarray:
    return np.tile(werner_weights(fidelity), (PAIRS, 1))


def _fed(stream, weights):
    for start in range(0, len(weights), CHUNK):
        stream.add(BACKEND.from_bell_weights(weights[start:start + CHUNK]), BACKEND)
    return stream.result()


def test_e91_in_batches_is_the_run_on_all_pairs_at_once():
    weights = _weights(0.95)
    whole = run_e91(BACKEND.from_bell_weights(weights), BACKEND, rng=RngTree(3),
                    block_size=10_000)
    fed = _fed(E91Stream(rng=RngTree(3), block_size=10_000), weights)
    assert (fed.qber, fed.estimates, fed.key_bits, fed.sifted_bits) == (
        whole.qber, whole.estimates, whole.key_bits, whole.sifted_bits)
    assert fed.keys_equal


def test_bbm92_in_batches_sifts_the_same_pairs_and_errs_at_the_werner_rate():
    fidelity = 0.95
    weights = _weights(fidelity)
    whole = run_bbm92(BACKEND.from_bell_weights(weights), BACKEND, rng=RngTree(3),
                      block_size=10_000)
    fed = _fed(Bbm92Stream(rng=RngTree(3), block_size=10_000), weights)
    # the basis choices continue one stream per end: the same pairs are sifted
    assert (fed.pulses, fed.sifted_bits) == (whole.pulses, whole.sifted_bits) == (
        PAIRS, whole.sifted_bits)
    # a Werner pair errs in Z and in X with probability 2(1 - F)/3
    expected = 2 * (1 - fidelity) / 3
    sigma = (expected * (1 - expected) / fed.sifted_bits) ** 0.5
    for basis in ("Z", "X"):
        assert fed.qber[basis] == pytest.approx(expected, abs=5 * sigma)
    assert fed.keys_equal
    assert fed.key_bits > 0
    assert fed.blocks_aborted == 0


def test_streams_check_their_options_up_front():
    from qinet.errors import ConfigError

    with pytest.raises(ConfigError):
        Bbm92Stream(rng=RngTree(1), z_probability=1.0)
    with pytest.raises(ConfigError):
        E91Stream(rng=RngTree(1), block_size=0)


def test_a_bbm92_demand_keeps_no_pair_records_unless_asked():
    text = """\
duration: 200 ms
nodes: [{name: a, memories: 10}, {name: b, memories: 10}]
links: [{between: [a, b], length: 5 km, scheme: double-click}]
demands: [{kind: qkd, protocol: bbm92, between: [a, b], block_size: 1000}]
"""
    scenario = load_scenario(text)
    lean = Simulation(scenario, keep_pairs=False).run().demands[0]
    kept = Simulation(scenario, keep_pairs=True).run().demands[0]
    assert lean.arrays["fidelity"].size == 0
    assert kept.arrays["fidelity"].size == kept.stats.count > 0
    assert lean.key is not None
    assert kept.key is not None
    assert lean.key.sifted_bits == kept.key.sifted_bits > 0  # the same pairs, measured
    assert lean.key.key_bits == kept.key.key_bits
