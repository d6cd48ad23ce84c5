"""BBM92 on Werner pairs: QBER 2(1-F)/3 in both bases and the Shor-Preskill fraction."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.qkd.bounds import bbm92_key_fraction, werner_qber
from qinet.qkd.protocols.bbm92 import run_bbm92
from qinet.quantum import make_backend
from qinet.quantum.states import werner_weights
from qinet.rng import RngTree

PAIRS = 200_000


@pytest.mark.parametrize("fidelity", [0.99, 0.95])
def test_werner_pairs_give_the_closed_form_qber_and_key(fidelity):
    backend = make_backend("bell-diagonal")
    states = backend.from_bell_weights(np.tile(werner_weights(fidelity), (PAIRS, 1)))
    result = run_bbm92(states, backend, rng=RngTree(1))
    assert not result.aborted, result.reason
    np.testing.assert_array_equal(result.key_alice, result.key_bob)
    e = werner_qber(fidelity)
    n_x = PAIRS / 4
    assert abs(result.qber_x - e) < 5 * np.sqrt(e * (1 - e) / n_x)
    assert abs(result.qber_z - e) < 5 * np.sqrt(e * (1 - e) / (0.1 * PAIRS / 4))
    # key per Z-sifted pair: the Shor-Preskill fraction with Cascade's f and finite terms
    fraction = result.key_alice.size / result.sifted_z
    ideal = bbm92_key_fraction(e, e, f_ec=1.0)
    assert 0.6 * ideal < fraction < ideal


def test_pairs_past_the_threshold_give_no_key():
    backend = make_backend("bell-diagonal")
    states = backend.from_bell_weights(np.tile(werner_weights(0.8), (20_000, 1)))
    result = run_bbm92(states, backend, rng=RngTree(2))
    assert result.aborted
    assert result.key_alice.size == 0


def test_z_probability_is_checked():
    backend = make_backend("bell-diagonal")
    with pytest.raises(ConfigError, match="z_probability"):
        run_bbm92(backend.from_bell_weights([1, 0, 0, 0]), backend, rng=RngTree(1),
                  z_probability=1.0)
