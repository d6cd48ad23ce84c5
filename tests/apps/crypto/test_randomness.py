"""CHSH-certified randomness against Pironio et al. (2010) and the CHSH of Bell-diagonal pairs."""

import math

import numpy as np
import pytest

from qinet.apps.crypto.randomness import (
    ALICE_SETTINGS,
    BOB_SETTINGS,
    TSIRELSON_BOUND,
    chsh_confidence_margin,
    chsh_value,
    min_entropy_bits,
    run_chsh_randomness,
)
from qinet.errors import ConfigError
from qinet.quantum import PAULI_MATRICES, werner_weights
from qinet.quantum.states import weights_to_density_matrix


def test_min_entropy_closed_form_at_the_bounds():
    # Pironio et al. Eq. 3: 1 bit at Tsirelson's bound, nothing at the local bound.
    assert min_entropy_bits(TSIRELSON_BOUND) == pytest.approx(1.0, abs=1e-12)
    assert min_entropy_bits(2.0) == 0.0
    assert min_entropy_bits(1.2) == 0.0
    assert min_entropy_bits(3.5) == pytest.approx(1.0, abs=1e-12)  # clipped at 2√2
    s = np.linspace(2.0, TSIRELSON_BOUND, 50)
    values = [min_entropy_bits(float(v)) for v in s]
    assert np.all(np.diff(values) > 0)
    # one interior value by hand: S = 2.5, 1 - log2(1 + sqrt(2 - 6.25/4))
    assert min_entropy_bits(2.5) == pytest.approx(1 - math.log2(1 + math.sqrt(0.4375)))


@pytest.mark.parametrize("fidelity", [1.0, 0.95, 0.85, 0.78, 0.5, 0.25])
def test_chsh_of_werner_pairs(fidelity):
    assert chsh_value(werner_weights(fidelity)) == pytest.approx(
        2 * math.sqrt(2) * (4 * fidelity - 1) / 3, abs=1e-12)


@pytest.mark.parametrize("weights", [[1, 0, 0, 0], [0.7, 0.1, 0.05, 0.15], [0.4, 0.3, 0.2, 0.1]])
def test_chsh_value_matches_the_density_matrix(weights):
    # An independent path: S = Σ (-1)^{xy} Tr(ρ A_x ⊗ B_y) on the 4x4 density matrix.
    rho = weights_to_density_matrix(np.array(weights, dtype=float))
    pauli = PAULI_MATRICES  # I, X, Y, Z

    def observable(direction):
        return direction[0] * pauli[1] + direction[1] * pauli[2] + direction[2] * pauli[3]

    s = sum((-1) ** (x * y) * np.trace(rho @ np.kron(observable(ALICE_SETTINGS[x]),
                                                     observable(BOB_SETTINGS[y]))).real
            for x in (0, 1) for y in (0, 1))
    assert chsh_value(weights) == pytest.approx(s, abs=1e-12)


@pytest.mark.parametrize("fidelity", [1.0, 0.9, 0.75])
def test_estimator_unbiased_within_shot_noise(fidelity):
    n = 200_000
    report = run_chsh_randomness(werner_weights(fidelity), rounds=n,
                                 rng=np.random.default_rng(11))
    s = 2 * math.sqrt(2) * (4 * fidelity - 1) / 3
    # every round score is ±4, so Var = 16 - S² exactly; 5σ
    sigma = math.sqrt(16 - s * s) / math.sqrt(n)
    assert report.chsh_expected == pytest.approx(s)
    assert abs(report.chsh_estimate - s) < 5 * sigma
    assert report.chsh_std_error == pytest.approx(sigma, rel=0.02)
    assert report.chsh_lower_bound == pytest.approx(
        report.chsh_estimate - chsh_confidence_margin(n, 1e-6))
    assert report.chsh_lower_bound < s  # the bound holds (fails with probability 1e-6)


def test_certified_bits_follow_the_lower_bound():
    n = 100_000
    good = run_chsh_randomness([1.0, 0, 0, 0], rounds=n, rng=np.random.default_rng(2))
    assert good.certified_bits == pytest.approx(n * min_entropy_bits(good.chsh_lower_bound))
    # the bound sits one Hoeffding margin below Ŝ, which is 2√2 within 5σ (Var = 16 - 8)
    margin = chsh_confidence_margin(n, 1e-6)
    assert abs(good.chsh_lower_bound - (TSIRELSON_BOUND - margin)) < 5 * math.sqrt(8 / n)
    assert 0 < good.certified_bits < n
    # F = 0.75 gives S = 2√2 · 2/3 ≈ 1.886 < 2: nothing is certified
    local = run_chsh_randomness(werner_weights(0.75), rounds=n, rng=np.random.default_rng(2))
    assert local.certified_bits == 0.0
    assert local.min_entropy_bits_per_round == 0.0


def test_outputs_of_perfect_pairs_are_unbiased_and_correlated_per_setting():
    n = 100_000
    report = run_chsh_randomness([1.0, 0, 0, 0], rounds=n, rng=np.random.default_rng(5))
    # each output bit is a fair coin: 5σ of a binomial mean with p = 1/2
    assert abs(report.alice_bits.mean() - 0.5) < 5 * 0.5 / math.sqrt(n)
    assert abs(report.bob_bits.mean() - 0.5) < 5 * 0.5 / math.sqrt(n)


def test_per_pair_weights_give_the_mean_chsh():
    n = 100_000
    rows = np.vstack([np.tile(werner_weights(1.0), (n // 2, 1)),
                      np.tile(werner_weights(0.7), (n // 2, 1))])
    report = run_chsh_randomness(rows, rng=np.random.default_rng(3))
    s = (2 * math.sqrt(2) + 2 * math.sqrt(2) * (4 * 0.7 - 1) / 3) / 2
    assert report.chsh_expected == pytest.approx(s)
    assert abs(report.chsh_estimate - s) < 5 * 4 / math.sqrt(n)


def test_same_seed_same_run():
    a = run_chsh_randomness(werner_weights(0.9), rounds=1000, rng=np.random.default_rng(9))
    b = run_chsh_randomness(werner_weights(0.9), rounds=1000, rng=np.random.default_rng(9))
    assert a.chsh_estimate == b.chsh_estimate
    assert np.array_equal(a.alice_bits, b.alice_bits)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"weights": [0.5, 0.5, 0.5, 0.5], "rounds": 10}, "weights"),
    ({"weights": [1.0, 0, 0], "rounds": 10}, "weights"),
    ({"weights": [1.0, 0, 0, 0], "rounds": 0}, "rounds"),
    ({"weights": [1.0, 0, 0, 0], "rounds": 10, "epsilon": 0.0}, "epsilon"),
    ({"weights": np.ones((3, 4)) / 4, "rounds": 5}, "weights"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        run_chsh_randomness(rng=np.random.default_rng(0), **kwargs)
    assert err.value.field == field
