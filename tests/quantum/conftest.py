"""Fixtures shared by the quantum-backend tests: both backends and random Bell weights."""

import numpy as np
import pytest

from qinet.quantum import BellDiagonalBackend, DensityMatrixBackend


@pytest.fixture
def bd():
    return BellDiagonalBackend()


@pytest.fixture
def dm():
    return DensityMatrixBackend()


@pytest.fixture(params=["bell-diagonal", "density-matrix"])
def backend(request):
    """Each backend in turn, for properties every backend must have."""
    return BellDiagonalBackend() if request.param == "bell-diagonal" else DensityMatrixBackend()


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


@pytest.fixture
def random_weights(rng):
    """Twenty random Bell-weight rows (Dirichlet, so every corner is reachable)."""
    return rng.dirichlet(np.ones(4), size=20)
