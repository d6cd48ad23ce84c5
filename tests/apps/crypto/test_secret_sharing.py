"""GHZ secret sharing against Hillery, Bužek, Berthiaume (1999) and the Born rule."""

import itertools
import math

import numpy as np
import pytest

from qinet.apps.crypto.secret_sharing import (
    expected_error_rate,
    outcome_probabilities,
    run_secret_sharing,
    white_noise_visibility,
)
from qinet.errors import ConfigError

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
        np.testing.assert_allclose(outcome_probabilities(fidelity, list(bases)),
                                   _born(fidelity, bases), atol=1e-12)


def test_error_rate_closed_form():
    # fidelity of the white-noise state is p + (1 - p)/2^n; e = (1 - p)/2
    for n in (3, 4, 5):
        for f in (1.0, 0.9, 0.6):
            p = white_noise_visibility(f, n)
            assert p + (1 - p) / 2 ** n == pytest.approx(f)
            assert expected_error_rate(f, n) == pytest.approx((1 - p) / 2)
    assert expected_error_rate(0.9, 3) == pytest.approx(4 * 0.1 / 7)
    assert expected_error_rate(1.0, 3, intercepted=True) == 0.25


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
    e = expected_error_rate(fidelity, n)
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
    e = 0.25 + expected_error_rate(fidelity, 3) / 2
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
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"parties": 3, "fidelity": 0.9, "rounds": 100} | kwargs
    with pytest.raises(ConfigError) as err:
        run_secret_sharing(rng=np.random.default_rng(0), **args)
    assert err.value.field == field
