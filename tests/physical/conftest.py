"""Shared fixtures of the physical-layer tests: one fixed-seed generator per test."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed, so statistical tests are reproducible."""
    return np.random.default_rng(20240611)
