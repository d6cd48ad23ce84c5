"""Fixtures shared by the QKD tests."""

import numpy as np
import pytest

from qinet.quantum import make_backend, werner_weights


@pytest.fixture
def werner_pairs():
    """``make(backend_name, fidelity, n) -> (states, backend)``: n Werner pairs of one F."""
    def make(name, fidelity, n):
        backend = make_backend(name)
        return backend.from_bell_weights(np.tile(werner_weights(fidelity), (n, 1))), backend
    return make
