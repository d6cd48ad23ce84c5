"""Density evolution on the BSC and the degree-distribution design, against published and
closed-form thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing.ldpc_codes import DESIGNED_DISTRIBUTIONS, DESIGNED_THRESHOLDS
from qinet.qkd.postprocessing.ldpc_design import (
    bsc_threshold,
    concentrated_checks,
    de_converges,
    design_rate,
    optimise_variable_degrees,
    refine_by_density_evolution,
)

COARSE = {"step": 0.1, "llr_max": 25.0}  # the grid the designed thresholds were taken on


def _shannon_limit(rate: float) -> float:
    """The crossover p with h(p) = 1 − R (bisection on the binary entropy)."""
    lo, hi = 1e-9, 0.5
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if float(binary_entropy(mid)) < 1.0 - rate else (lo, mid)
    return lo


def test_regular_3_6_threshold_is_the_published_one():
    # T. J. Richardson and R. L. Urbanke, IEEE Trans. Inf. Theory 47, 599 (2001): BP
    # threshold of the (3,6)-regular ensemble on the BSC, p* = 0.084 (three decimals,
    # so ±0.0005; the value as the paper is widely quoted, its table not re-read
    # here), with a bisection tolerance of 2e-4: |p − 0.084| ≤ 0.0007
    p = bsc_threshold({3: 1.0}, {6: 1.0}, low=0.07, high=0.1, **COARSE)
    assert p == pytest.approx(0.084, abs=7e-4)
    assert p < _shannon_limit(0.5)  # 0.110: BP cannot beat capacity


def test_cycle_code_threshold_respects_the_stability_bound():
    # Richardson, Shokrollahi and Urbanke 2001: with λ'(0) ρ'(1) B(p) > 1, B(p) =
    # 2 √(p(1 − p)), the error stays bounded away from 0. For the (2,4) ensemble
    # λ'(0) ρ'(1) = 3, so p* ≤ (1 − √(1 − 4/9)) / 2 = 0.0286 (closed form)
    bound = (1.0 - math.sqrt(1.0 - 4.0 / 9.0)) / 2.0
    p = bsc_threshold({2: 1.0}, {4: 1.0}, low=0.005, high=0.06, **COARSE)
    assert 0.01 < p <= bound + 2e-4
    assert not de_converges(bound + 0.002, {2: 1.0}, {4: 1.0}, **COARSE)


def test_designed_distribution_has_its_stated_threshold_below_capacity():
    lam = DESIGNED_DISTRIBUTIONS[0.91]
    rho = concentrated_checks(80.0)
    rate = design_rate(lam, rho)
    threshold = DESIGNED_THRESHOLDS[0.91]
    assert sum(lam.values()) == pytest.approx(1.0, abs=1e-9)
    assert rate == pytest.approx(0.91, abs=2e-3)
    # converges just below the stated threshold, not 5 % above it
    assert de_converges(threshold - 2e-4, lam, rho, **COARSE)
    assert not de_converges(threshold * 1.05, lam, rho, **COARSE)
    # below the Shannon limit, and within 5 % of it in h(p): 1 − R ≤ 1.05 h(p*)
    assert threshold < _shannon_limit(rate)
    assert 1.0 - rate <= 1.05 * float(binary_entropy(threshold))
    assert lam[2] <= 2.0 / 80.0 + 1e-12  # all degree-2 columns fit on the zigzag


def test_linear_programme_respects_its_constraints_and_beats_the_regular_code():
    degrees = [2, 3, 4, 5, 6, 8, 10]
    p, dc = 0.03, 12.0
    ens = optimise_variable_degrees(p, dc, degrees)
    assert ens is not None
    assert sum(ens.variable_edges.values()) == pytest.approx(1.0)
    assert ens.variable_edges.get(2, 0.0) <= 2.0 / dc + 1e-9
    assert ens.rate == pytest.approx(design_rate(ens.variable_edges, ens.check_edges))
    # a regular (3,12) code has rate 0.75; the optimum over a superset can only be higher
    assert ens.rate > 0.75
    with pytest.raises(ConfigError, match="p"):
        optimise_variable_degrees(0.6, dc, degrees)


def test_refinement_keeps_convergence_and_never_lowers_the_rate():
    degrees = [2, 3, 4, 5, 6, 8, 10]
    p, dc = 0.03, 12.0
    start = None
    for scale in np.arange(1.0, 1.6, 0.05):  # the Gaussian approximation is optimistic
        start = optimise_variable_degrees(p * scale, dc, degrees)
        if start is not None and de_converges(p, start.variable_edges, start.check_edges,
                                              **COARSE):
            break
    assert start is not None
    refined = refine_by_density_evolution(start, p, degrees, rounds=4)
    assert refined.rate >= start.rate - 1e-9
    assert de_converges(p, refined.variable_edges, refined.check_edges, **COARSE)
    with pytest.raises(ConfigError, match="start"):
        refine_by_density_evolution(start, 0.2, degrees, rounds=1)


def test_concentrated_checks_have_the_mean_degree():
    rho = concentrated_checks(80.4)
    nodes = {d: w / d for d, w in rho.items()}
    assert sum(d * w for d, w in nodes.items()) / sum(nodes.values()) == pytest.approx(80.4)
    with pytest.raises(ConfigError, match="mean_degree"):
        concentrated_checks(1.0)
    with pytest.raises(ConfigError, match="variable_edges"):
        bsc_threshold({3: 0.5}, {6: 1.0})
