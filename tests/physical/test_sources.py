"""Photon-number statistics of the sources: pmfs, moments and samplers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.physical.sources import (
    SinglePhotonSource,
    SPDCSource,
    WeakCoherentSource,
    poisson_photon_number_pmf,
    thermal_photon_number_pmf,
)


def moments(pmf: np.ndarray) -> tuple[float, float, float]:
    """Mean, variance and fourth central moment of a pmf on 0, 1, 2, ..."""
    n = np.arange(pmf.shape[-1])
    mean = float(np.sum(n * pmf))
    var = float(np.sum((n - mean) ** 2 * pmf))
    mu4 = float(np.sum((n - mean) ** 4 * pmf))
    return mean, var, mu4


def five_sigma_mean(var: float, n: int) -> float:
    """Five standard errors of a sample mean of n draws of variance var."""
    return 5.0 * math.sqrt(var / n)


def five_sigma_variance(var: float, mu4: float, n: int) -> float:
    """Five standard errors of a sample variance: Var(s^2) ~ (mu4 - var^2) / n."""
    return 5.0 * math.sqrt((mu4 - var**2) / n)


def five_sigma_binomial(p: float, n: int) -> float:
    """Five standard deviations of a frequency estimated from n Bernoulli(p) trials."""
    return 5.0 * math.sqrt(p * (1.0 - p) / n)


@pytest.mark.parametrize("mu", [0.0, 0.01, 0.1, 1.0, 3.0])
def test_thermal_pmf_sums_to_one_with_mean_mu_and_variance_mu_one_plus_mu(mu):
    pmf = thermal_photon_number_pmf(mu, 400)
    assert pmf.shape == (401,)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    mean, var, _ = moments(pmf)
    assert mean == pytest.approx(mu, abs=1e-10)
    assert var == pytest.approx(mu * (1 + mu), abs=1e-9)


@pytest.mark.parametrize("mu", [0.0, 0.01, 0.5, 5.0])
def test_poisson_pmf_sums_to_one_with_mean_and_variance_mu(mu):
    pmf = poisson_photon_number_pmf(mu, 100)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    mean, var, _ = moments(pmf)
    assert mean == pytest.approx(mu, abs=1e-12)
    assert var == pytest.approx(mu, abs=1e-10)


def test_pmfs_broadcast_over_means():
    mus = np.array([0.1, 0.2, 0.3])
    assert thermal_photon_number_pmf(mus, 4).shape == (3, 5)
    np.testing.assert_allclose(
        poisson_photon_number_pmf(mus, 4)[1], poisson_photon_number_pmf(0.2, 4)
    )


def test_pmf_values_closed_form():
    np.testing.assert_allclose(
        thermal_photon_number_pmf(0.5, 2), [1 / 1.5, 0.5 / 1.5**2, 0.25 / 1.5**3]
    )
    np.testing.assert_allclose(
        poisson_photon_number_pmf(2.0, 3), math.exp(-2) * np.array([1, 2, 2, 4 / 3])
    )


def test_pmf_validation():
    with pytest.raises(ConfigError, match="mean_pairs"):
        thermal_photon_number_pmf(-0.1, 3)
    with pytest.raises(ConfigError, match="n_max"):
        poisson_photon_number_pmf(0.1, -1)


@given(mu=st.floats(0.0, 2.0))
def test_thermal_pmf_is_geometric(mu):
    pmf = thermal_photon_number_pmf(mu, 10)
    assert np.all(pmf >= 0)
    assert pmf.sum() <= 1 + 1e-12
    np.testing.assert_allclose(pmf[1:], pmf[:-1] * mu / (1 + mu), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("mu", [0.05, 0.5, 2.0])
def test_sampled_thermal_pairs_have_mean_mu_and_variance_mu_one_plus_mu(rng, mu):
    n = 400_000
    src = SPDCSource(mean_pairs_per_mode=mu)
    pairs = src.sample_pairs(n, rng=rng)
    assert pairs.dtype == np.int64
    assert pairs.min() >= 0
    _, var, mu4 = moments(src.pmf(2000))
    assert var == pytest.approx(mu * (1 + mu), rel=1e-9)
    assert abs(pairs.mean() - mu) <= five_sigma_mean(var, n)
    assert abs(pairs.var(ddof=1) - var) <= five_sigma_variance(var, mu4, n)


def test_sampled_poisson_pairs_have_mean_and_variance_mu(rng):
    mu, n = 0.3, 400_000
    src = SPDCSource(mean_pairs_per_mode=mu, thermal=False)
    pairs = src.sample_pairs(n, rng=rng)
    _, var, mu4 = moments(src.pmf(200))
    assert abs(pairs.mean() - mu) <= five_sigma_mean(mu, n)
    assert abs(pairs.var(ddof=1) - var) <= five_sigma_variance(var, mu4, n)


@pytest.mark.parametrize("thermal", [True, False])
def test_spdc_emission_probabilities_match_pmf(thermal):
    src = SPDCSource(mean_pairs_per_mode=0.2, rate_hz=5e6, thermal=thermal)
    pmf = src.pmf(300)
    assert src.pair_emission_probability == pytest.approx(1 - pmf[0], rel=1e-12)
    assert src.multi_pair_probability == pytest.approx(1 - pmf[0] - pmf[1], rel=1e-12)
    assert src.pair_rate_hz == pytest.approx(5e6 * (1 - pmf[0]))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mean_pairs_per_mode": -0.01}, "mean_pairs_per_mode"),
        ({"rate_hz": 0.0}, "rate_hz"),
        ({"heralding_efficiency": 0.0}, "heralding_efficiency"),
        ({"heralding_efficiency": 1.5}, "heralding_efficiency"),
        ({"thermal": "yes"}, "thermal"),
    ],
)
def test_spdc_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        SPDCSource(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


def test_weak_coherent_sampler_matches_class_and_photon_statistics(rng):
    src = WeakCoherentSource(rate_hz=1e9, intensities=(0.6, 0.1, 0.0),
                             probabilities=(0.7, 0.2, 0.1))
    n = 500_000
    index, photons = src.sample(n, rng=rng)
    assert index.shape == photons.shape == (n,)
    for k, (mu, p) in enumerate(zip(src.intensities, src.probabilities, strict=True)):
        chosen = index == k
        assert abs(chosen.mean() - p) <= five_sigma_binomial(p, n)
        if mu == 0.0:
            assert not photons[chosen].any()
        else:
            # Poisson: variance = mean = mu.
            assert abs(photons[chosen].mean() - mu) <= five_sigma_mean(mu, int(chosen.sum()))
    assert src.mean_photon_number == pytest.approx(0.6 * 0.7 + 0.1 * 0.2)


def test_weak_coherent_normalises_to_tuples():
    src = WeakCoherentSource(intensities=[0.5, 0.1], probabilities=np.array([0.9, 0.1]))
    assert src.intensities == (0.5, 0.1)
    assert src.probabilities == (0.9, 0.1)
    hash(src)
    np.testing.assert_allclose(src.pmf(1), [[math.exp(-0.5), 0.5 * math.exp(-0.5)],
                                            [math.exp(-0.1), 0.1 * math.exp(-0.1)]])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_hz": -1.0}, "rate_hz"),
        ({"intensities": (), "probabilities": ()}, "intensities"),
        ({"intensities": (0.5, -0.1), "probabilities": (0.5, 0.5)}, "intensities"),
        ({"intensities": (0.5, 0.1), "probabilities": (1.0,)}, "probabilities"),
        ({"intensities": (0.5, 0.1), "probabilities": (0.5, 0.6)}, "probabilities"),
        ({"intensities": (0.5, 0.1), "probabilities": (1.2, -0.2)}, "probabilities"),
        ({"intensities": 0.5, "probabilities": (1.0,)}, "intensities"),
    ],
)
def test_weak_coherent_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        WeakCoherentSource(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


@pytest.mark.parametrize(("efficiency", "g2"), [(1.0, 0.0), (0.6, 0.05), (0.3, 1.0)])
def test_single_photon_pmf_has_the_given_mean_and_g2(efficiency, g2):
    src = SinglePhotonSource(efficiency=efficiency, g2=g2)
    pmf = src.pmf(5)
    n = np.arange(6)
    mean = float(np.sum(n * pmf))
    second_factorial = float(np.sum(n * (n - 1) * pmf))
    assert pmf.sum() == pytest.approx(1.0)
    assert np.all(pmf >= 0)
    assert np.all(pmf[3:] == 0)
    assert mean == pytest.approx(efficiency, rel=1e-12)
    # g2(0) = <n(n-1)> / <n>^2.
    assert second_factorial / mean**2 == pytest.approx(g2, abs=1e-12)
    assert src.multi_photon_probability == pytest.approx(pmf[2])


def test_single_photon_small_g2_reduces_to_p2_equal_g2_p1_squared_over_2():
    src = SinglePhotonSource(efficiency=0.8, g2=1e-4)
    _, p1, p2 = src.pmf()
    assert p2 == pytest.approx(1e-4 * p1**2 / 2, rel=2e-4)


def test_single_photon_sampler_frequencies(rng):
    src = SinglePhotonSource(efficiency=0.7, g2=0.2)
    n = 300_000
    photons = src.sample(n, rng=rng)
    for k, p in enumerate(src.pmf(2)):
        assert abs(np.mean(photons == k) - p) <= five_sigma_binomial(p, n)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"efficiency": 0.0}, "efficiency"),
        ({"g2": -0.1}, "g2"),
        ({"efficiency": 0.5, "g2": 2.5}, "g2"),
        ({"rate_hz": 0.0}, "rate_hz"),
    ],
)
def test_single_photon_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        SinglePhotonSource(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


def test_samplers_refuse_bad_sizes(rng):
    with pytest.raises(ConfigError, match="n"):
        SPDCSource().sample_pairs(-1, rng=rng)
    with pytest.raises(ConfigError, match="n"):
        WeakCoherentSource().sample(2.5, rng=rng)  # type: ignore[arg-type]
