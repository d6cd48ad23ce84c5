"""What BBM92 and E91 share as runners on measured pairs: reproducibility, empty batches."""

import dataclasses

import numpy as np
import pytest

from qinet.qkd.protocols.bbm92 import run_bbm92
from qinet.qkd.protocols.e91 import run_e91
from qinet.quantum import make_backend
from qinet.rng import RngTree

RUNNERS = [pytest.param(run_bbm92, id="bbm92"), pytest.param(run_e91, id="e91")]


@pytest.mark.parametrize("runner", RUNNERS)
def test_same_seed_gives_the_same_keys(runner, werner_pairs):
    pairs, backend = werner_pairs("bell-diagonal", 0.98, 60_000)
    first = runner(pairs, backend, rng=RngTree(11))
    again = runner(pairs, backend, rng=RngTree(11))
    other = runner(pairs, backend, rng=RngTree(12))
    assert first.key_bits > 0
    for field in dataclasses.fields(first):
        a, b = getattr(first, field.name), getattr(again, field.name)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, field.name
    assert not np.array_equal(first.key_alice[:100], other.key_alice[:100])


@pytest.mark.parametrize("runner", RUNNERS)
def test_no_pairs_give_no_blocks(runner):
    backend = make_backend("density-matrix")
    result = runner(backend.from_density_matrix(np.eye(4) / 4, 0), backend, rng=RngTree(1))
    assert result.pulses == result.blocks == result.key_bits == 0
    assert result.asymptotic_bits_per_pulse == 0.0
