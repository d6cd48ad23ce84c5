"""Quantum digital signatures: runs against exact probabilities, exact values under the bounds."""

import math

import numpy as np
import pytest
from scipy import stats

from qinet.apps.crypto.signatures import (
    exact_failure_probability,
    honest_mismatch_rate,
    run_signatures,
    signature_parameters,
)
from qinet.errors import ConfigError
from qinet.quantum import werner_weights

NOISY = werner_weights(0.85)  # E = (1 - F)/3 = 0.05


def test_honest_mismatch_rate_closed_form():
    for f in (1.0, 0.97, 0.85):
        assert honest_mismatch_rate(werner_weights(f)) == pytest.approx((1 - f) / 3)
    assert honest_mismatch_rate([0.9, 0, 0, 0.1]) == pytest.approx(0.025)


@pytest.mark.parametrize("fidelity", [1.0, 0.95, 0.85])
@pytest.mark.parametrize("epsilon", [1e-4, 1e-10])
def test_signature_length_reaches_epsilon(fidelity, epsilon):
    p = signature_parameters(werner_weights(fidelity), epsilon=epsilon)
    gap = 0.25 - (1 - fidelity) / 3
    assert p.signature_length % 2 == 0
    assert p.signature_length == pytest.approx(16 * math.log(2 / epsilon) / gap ** 2, abs=2)
    assert max(p.honest_abort_bound, p.repudiation_bound, p.forging_bound) <= epsilon
    assert p.pairs_per_bit == 4 * p.signature_length
    # the length grows with the noise: 1/Δ²
    assert signature_parameters(werner_weights(fidelity - 0.05), epsilon=epsilon) \
        .signature_length > p.signature_length


def test_pairs_too_noisy_to_sign():
    with pytest.raises(ConfigError) as err:
        signature_parameters(werner_weights(0.25))  # E = 1/4 = p_e
    assert err.value.field == "weights"


def test_honest_abort_within_shot_noise():
    p = signature_parameters(NOISY, length=100)
    trials = 20_000
    r = run_signatures(NOISY, params=p, trials=trials, rng=np.random.default_rng(1))
    # Bob's two halves, 50 positions each, pass with at most 4 mismatches (< 0.1 · 50)
    exact = 1 - stats.binom.cdf(4, 50, 0.05) ** 2
    assert r.failure_probability_exact == pytest.approx(exact)
    assert abs(r.failure_rate - exact) < 5 * math.sqrt(exact * (1 - exact) / trials)


@pytest.mark.parametrize("altered", [0, 24, 40])
def test_repudiation_within_shot_noise(altered):
    p = signature_parameters(NOISY, length=100)
    trials = 20_000
    r = run_signatures(NOISY, params=p, trials=trials, rng=np.random.default_rng(altered),
                       strategy="repudiate", altered=altered)
    exact = r.failure_probability_exact
    assert abs(r.failure_rate - exact) < 5 * math.sqrt(exact * (1 - exact) / trials)


def test_forging_within_shot_noise_and_independent_of_the_pairs():
    trials = 20_000
    exact = stats.binom.cdf(9, 50, 0.25)  # Charlie's 50 kept positions, at most 9 mismatches
    for weights in (NOISY, [1.0, 0, 0, 0]):
        p = signature_parameters(NOISY, length=100)
        r = run_signatures(weights, params=p, trials=trials, rng=np.random.default_rng(3),
                           strategy="forge")
        assert r.failure_probability_exact == pytest.approx(exact)
        assert abs(r.failure_rate - exact) < 5 * math.sqrt(exact * (1 - exact) / trials)


@pytest.mark.parametrize("length", [200, 1000, 3000])
def test_exact_failures_lie_under_the_bounds(length):
    p = signature_parameters(NOISY, length=length)
    assert exact_failure_probability(p, "honest") <= p.honest_abort_bound
    assert exact_failure_probability(p, "forge") <= p.forging_bound
    worst = max(exact_failure_probability(p, "repudiate", r)
                for r in range(0, length + 1, length // 40))
    assert worst <= p.repudiation_bound


def test_perfect_pairs_never_abort():
    p = signature_parameters([1.0, 0, 0, 0], length=400)
    r = run_signatures([1.0, 0, 0, 0], params=p, trials=500, rng=np.random.default_rng(2))
    assert r.failure_rate == 0.0
    assert r.charlie_accept_rate == 1.0


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"trials": 0}, "trials"),
    ({"strategy": "bribe"}, "strategy"),
    ({"strategy": "repudiate", "altered": 101}, "altered"),
])
def test_bad_input_names_the_field(kwargs, field):
    p = signature_parameters(NOISY, length=100)
    args = {"trials": 10} | kwargs
    with pytest.raises(ConfigError) as err:
        run_signatures(NOISY, params=p, rng=np.random.default_rng(0), **args)
    assert err.value.field == field


def test_odd_length_is_refused():
    with pytest.raises(ConfigError) as err:
        signature_parameters(NOISY, length=101)
    assert err.value.field == "length"


def test_exact_probability_follows_the_pairs_of_the_run():
    # thresholds chosen for noisy pairs, run on perfect ones: Bob never rejects
    p = signature_parameters(NOISY, length=100)
    r = run_signatures([1.0, 0, 0, 0], params=p, trials=1000, rng=np.random.default_rng(6))
    assert r.failure_probability_exact == 0.0
    assert r.failure_rate == 0.0
