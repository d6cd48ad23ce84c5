"""Challenge-response authentication against its binomial closed forms."""

import math

import numpy as np
import pytest
from scipy import stats

from qinet.apps.crypto.authentication import (
    false_accept_probability,
    false_reject_probability,
    round_error_rate,
    rounds_needed,
    run_authentication,
)
from qinet.errors import ConfigError
from qinet.quantum import werner_weights


def test_round_error_rate_closed_form():
    for f in (1.0, 0.95, 0.8):
        assert round_error_rate(werner_weights(f)) == pytest.approx(2 * (1 - f) / 3)
    # pure dephasing: only the X challenges err, half of the rounds
    assert round_error_rate([0.9, 0, 0, 0.1]) == pytest.approx(0.05)
    # pure bit flip: only the Z challenges err
    assert round_error_rate([0.9, 0.1, 0, 0]) == pytest.approx(0.05)


def test_impostor_passes_with_two_to_the_minus_n():
    assert false_accept_probability(12, 0) == 2.0 ** -12
    assert false_accept_probability(10, 1) == pytest.approx(11 / 1024)


@pytest.mark.parametrize(("rounds", "k"), [(8, 0), (10, 1)])
def test_impostor_accept_rate_within_shot_noise(rounds, k):
    sessions = 100_000
    r = run_authentication(werner_weights(0.95), rounds=rounds, tolerated_errors=k,
                           rng=np.random.default_rng(rounds), sessions=sessions, impostor=True)
    p = false_accept_probability(rounds, k)
    assert abs(r.accept_rate - p) < 5 * math.sqrt(p * (1 - p) / sessions)
    # each impostor answer is a coin: disagreement rate 1/2 within 5σ
    assert abs(r.errors.sum() / (rounds * sessions) - 0.5) < 5 * 0.5 / math.sqrt(rounds * sessions)


@pytest.mark.parametrize(("weights", "rounds", "k"), [
    (werner_weights(0.95), 50, 3), (werner_weights(0.9), 30, 2), ([0.9, 0, 0, 0.1], 40, 1)])
def test_honest_false_reject_within_shot_noise(weights, rounds, k):
    sessions = 20_000
    r = run_authentication(weights, rounds=rounds, tolerated_errors=k,
                           rng=np.random.default_rng(7), sessions=sessions)
    e = round_error_rate(weights)
    p = false_reject_probability(e, rounds, k)
    assert p == pytest.approx(float(stats.binom.sf(k, rounds, e)))
    assert abs((1 - r.accept_rate) - p) < 5 * math.sqrt(p * (1 - p) / sessions)
    total = rounds * sessions
    assert abs(r.errors.sum() / total - e) < 5 * math.sqrt(e * (1 - e) / total)


def test_perfect_pairs_always_pass():
    r = run_authentication([1.0, 0, 0, 0], rounds=32, tolerated_errors=0,
                           rng=np.random.default_rng(1), sessions=1000)
    assert r.accepted.all()
    assert r.false_reject_probability == 0.0
    assert r.pairs_used == 32_000


@pytest.mark.parametrize("fidelity", [1.0, 0.97, 0.9])
def test_rounds_needed_is_the_smallest_that_meets_both_targets(fidelity):
    w = werner_weights(fidelity)
    e = round_error_rate(w)
    n, k = rounds_needed(w, false_accept=1e-6, false_reject=1e-6)
    assert false_reject_probability(e, n, k) <= 1e-6
    assert false_accept_probability(n, k) <= 1e-6
    # with one round fewer no threshold meets both
    assert not any(false_reject_probability(e, n - 1, j) <= 1e-6
                   and false_accept_probability(n - 1, j) <= 1e-6 for j in range(n))


def test_rounds_needed_refuses_useless_pairs():
    with pytest.raises(ConfigError):
        rounds_needed(werner_weights(0.25), false_accept=1e-3, false_reject=1e-3, max_rounds=200)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"rounds": 0}, "rounds"),
    ({"tolerated_errors": -1}, "tolerated_errors"),
    ({"sessions": 0}, "sessions"),
    ({"weights": [0.5, 0.5, 0.5, 0.5]}, "weights"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"weights": [1.0, 0, 0, 0], "rounds": 10, "tolerated_errors": 0} | kwargs
    weights = args.pop("weights")
    with pytest.raises(ConfigError) as err:
        run_authentication(weights, rng=np.random.default_rng(0), **args)
    assert err.value.field == field
