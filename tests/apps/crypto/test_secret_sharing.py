"""GHZ secret sharing against Hillery, Bužek, Berthiaume (1999) and the Born rule."""

import itertools
import math

import numpy as np
import pytest

from qinet.apps.crypto.secret_sharing import (
    GhzNoise,
    expected_error_rate,
    outcome_probabilities,
    run_secret_sharing,
    white_noise_visibility,
)
from qinet.errors import ConfigError
from qinet.quantum import PAULI_MATRICES, werner_weights

_S2 = 1 / math.sqrt(2)
# eigenvectors for outcome bit 0 (+1) and 1 (-1) of X and of Y
_EIGEN = {0: np.array([[_S2, _S2], [_S2, -_S2]], dtype=complex),
          1: np.array([[_S2, 1j * _S2], [_S2, -1j * _S2]], dtype=complex)}


def _born(fidelity, bases):
    """P(bits) from the n-qubit density matrix p|GHZ><GHZ| + (1-p) I/2^n."""
    n = len(bases)
    dim = 2 ** n
    ghz = np.zeros(dim, dtype=complex)
    ghz[0] = ghz[-1] = _S2
    p = (dim * fidelity - 1) / (dim - 1)
    rho = p * np.outer(ghz, ghz.conj()) + (1 - p) * np.eye(dim) / dim
    probs = []
    for bits in itertools.product((0, 1), repeat=n):
        vec = np.array([1.0 + 0j])
        for basis, bit in zip(bases, bits, strict=True):
            vec = np.kron(vec, _EIGEN[basis][bit])
        probs.append((vec.conj() @ rho @ vec).real)
    return np.array(probs)


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("fidelity", [1.0, 0.8])
def test_outcome_distribution_is_the_born_rule(n, fidelity):
    for bases in itertools.product((0, 1), repeat=n):
        np.testing.assert_allclose(outcome_probabilities(GhzNoise.white(fidelity, n), list(bases)),
                                   _born(fidelity, bases), atol=1e-12)


def _born_fused(pair_weights, bases):
    """P(bits) of the GHZ whose qubit j >= 1 carries pair j's Pauli error, by the Born rule."""
    n = len(bases)
    ghz = np.zeros(2 ** n, dtype=complex)
    ghz[0] = ghz[-1] = _S2
    rho = np.zeros((2 ** n, 2 ** n), dtype=complex)
    for paulis in itertools.product(range(4), repeat=n - 1):
        op = np.array([[1.0 + 0j]])
        weight = 1.0
        for j, k in enumerate(paulis):
            op = np.kron(op, PAULI_MATRICES[k])
            weight *= pair_weights[j][k]
        op = np.kron(np.eye(2), op)  # the dealer's qubit (most significant) is error-free
        rho += weight * op @ np.outer(ghz, ghz.conj()) @ op.conj().T
    probs = []
    for bits in itertools.product((0, 1), repeat=n):
        vec = np.array([1.0 + 0j])
        for basis, bit in zip(bases, bits, strict=True):
            vec = np.kron(vec, _EIGEN[basis][bit])
        probs.append((vec.conj() @ rho @ vec).real)
    return np.array(probs)


@pytest.mark.parametrize("pairs", [
    [[0.9, 0.05, 0.02, 0.03], [0.8, 0.0, 0.1, 0.1]],
    [[0.85, 0.05, 0.05, 0.05]] * 3,
])
def test_fused_pair_outcome_distribution_is_the_born_rule(pairs):
    n = len(pairs) + 1
    noise = GhzNoise.from_pairs(pairs, n)
    for bases in itertools.product((0, 1), repeat=n):
        np.testing.assert_allclose(outcome_probabilities(noise, list(bases)),
                                   _born_fused(pairs, bases), atol=1e-12)


def test_fused_pair_error_rate_closed_form():
    for n in (3, 4, 6):
        for f in (1.0, 0.95, 0.8):
            v = (4 * f - 1) / 3
            assert expected_error_rate(GhzNoise.from_pairs(werner_weights(f), n)) == \
                pytest.approx((1 - v ** (n - 1)) / 2)
    pairs = [[0.9, 0.05, 0.02, 0.03], [0.8, 0.0, 0.1, 0.1]]
    assert expected_error_rate(GhzNoise.from_pairs(pairs, 3)) == pytest.approx(
        (1 - (0.9 - 0.03) * (0.8 - 0.1)) / 2)


@pytest.mark.parametrize(("n", "fidelity"), [(3, 0.95), (5, 0.97)])
def test_fused_pair_run_within_shot_noise(n, fidelity):
    r = run_secret_sharing(parties=n, pair_weights=werner_weights(fidelity), rounds=200_000,
                           rng=np.random.default_rng(9))
    e = (1 - ((4 * fidelity - 1) / 3) ** (n - 1)) / 2
    assert r.error_rate_expected == pytest.approx(e)
    assert abs(r.error_rate - e) < 5 * math.sqrt(e * (1 - e) / r.checked_rounds)
    attacked = run_secret_sharing(parties=n, pair_weights=werner_weights(fidelity),
                                  rounds=200_000, rng=np.random.default_rng(9),
                                  intercepted_party=1)
    ea = 0.25 + e / 2
    assert abs(attacked.error_rate - ea) < 5 * math.sqrt(ea * (1 - ea) / attacked.checked_rounds)
    assert attacked.aborted


def test_error_rate_closed_form():
    # fidelity of the white-noise state is p + (1 - p)/2^n; e = (1 - p)/2
    for n in (3, 4, 5):
        for f in (1.0, 0.9, 0.6):
            p = white_noise_visibility(f, n)
            assert p + (1 - p) / 2 ** n == pytest.approx(f)
            assert expected_error_rate(GhzNoise.white(f, n)) == pytest.approx((1 - p) / 2)
    assert expected_error_rate(GhzNoise.white(0.9, 3)) == pytest.approx(4 * 0.1 / 7)
    assert expected_error_rate(GhzNoise.white(1.0, 3), intercepted=True) == 0.25


@pytest.mark.parametrize("n", [3, 4, 6])
def test_perfect_states_share_the_secret_exactly(n):
    rounds = 40_000
    r = run_secret_sharing(parties=n, fidelity=1.0, rounds=rounds, rng=np.random.default_rng(n))
    assert r.error_rate == 0.0
    assert not r.aborted
    np.testing.assert_array_equal(r.secret_bits, r.recovered_bits)
    # half the rounds have an even number of Y: 5σ of a binomial
    assert abs(r.kept_rounds / rounds - 0.5) < 5 * 0.5 / math.sqrt(rounds)
    assert r.share_bits.shape == (n - 1, r.secret_bits.size)
    # every bit is a fair coin
    m = r.secret_bits.size
    for bits in [r.secret_bits, *r.share_bits]:
        assert abs(bits.mean() - 0.5) < 5 * 0.5 / math.sqrt(m)


def test_no_proper_subset_of_shareholders_learns_the_secret():
    r = run_secret_sharing(parties=4, fidelity=1.0, rounds=80_000, rng=np.random.default_rng(7))
    m = r.secret_bits.size
    for size in (1, 2):
        for subset in itertools.combinations(range(3), size):
            guess = np.bitwise_xor.reduce(r.share_bits[list(subset)], axis=0)
            # agreement with the dealer's bit is a fair coin: 5σ
            assert abs((guess == r.secret_bits).mean() - 0.5) < 5 * 0.5 / math.sqrt(m)


@pytest.mark.parametrize(("n", "fidelity"), [(3, 0.9), (4, 0.85), (5, 0.95)])
def test_noisy_error_rate_within_shot_noise(n, fidelity):
    r = run_secret_sharing(parties=n, fidelity=fidelity, rounds=200_000,
                           rng=np.random.default_rng(21))
    e = expected_error_rate(GhzNoise.white(fidelity, n))
    assert r.error_rate_expected == e
    assert abs(r.error_rate - e) < 5 * math.sqrt(e * (1 - e) / r.checked_rounds)
    assert not r.aborted
    # the kept, unchecked rounds err at the same rate
    key_error = (r.secret_bits != r.recovered_bits).mean()
    assert abs(key_error - e) < 5 * math.sqrt(e * (1 - e) / r.secret_bits.size)


@pytest.mark.parametrize("fidelity", [1.0, 0.9])
def test_intercept_resend_insider_is_detected(fidelity):
    r = run_secret_sharing(parties=3, fidelity=fidelity, rounds=100_000,
                           rng=np.random.default_rng(3), intercepted_party=2)
    e = 0.25 + expected_error_rate(GhzNoise.white(fidelity, 3)) / 2
    assert r.error_rate_expected == pytest.approx(e)
    assert abs(r.error_rate - e) < 5 * math.sqrt(e * (1 - e) / r.checked_rounds)
    assert r.aborted
    assert r.secret_bits.size == 0


def test_few_checks_still_detect_the_attack_with_a_fixed_threshold():
    # 2000 rounds, about 500 checks: 25 % errors against a 10 % threshold
    r = run_secret_sharing(parties=3, fidelity=1.0, rounds=2000, rng=np.random.default_rng(4),
                           intercepted_party=1, tolerated_error_rate=0.1)
    assert r.aborted


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"parties": 2}, "parties"),
    ({"fidelity": 0.1}, "fidelity"),
    ({"fidelity": 1.2}, "fidelity"),
    ({"rounds": 0}, "rounds"),
    ({"check_fraction": 1.0}, "check_fraction"),
    ({"intercepted_party": 0}, "intercepted_party"),
    ({"intercepted_party": 3}, "intercepted_party"),
    ({"pair_weights": [1.0, 0, 0, 0]}, "fidelity"),
    ({"fidelity": None, "pair_weights": [[1.0, 0, 0, 0]] * 3}, "pair_weights"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"parties": 3, "fidelity": 0.9, "rounds": 100} | kwargs
    with pytest.raises(ConfigError) as err:
        run_secret_sharing(rng=np.random.default_rng(0), **args)
    assert err.value.field == field
