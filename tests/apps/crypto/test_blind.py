"""Blind computation with traps: the pattern's output, trap detection, and trap noise."""

import math

import numpy as np
import pytest

from qinet.apps.crypto.blind import (
    detection_probability,
    ideal_output_zero_probability,
    layouts,
    run_blind_computation,
    trap_failure_probability,
    trap_hit_probability,
)
from qinet.errors import ConfigError
from qinet.quantum import werner_weights

Q = math.pi / 4
PERFECT = [1.0, 0.0, 0.0, 0.0]


def _cluster_postselected(phis):
    """P(last = 0 | every earlier outcome 0) on the full line cluster state (no byproducts)."""
    m = len(phis)
    plus = np.array([1, 1], dtype=complex) / math.sqrt(2)
    state = plus
    for _ in range(m - 1):
        state = np.kron(state, plus)
    for i in range(m - 1):  # CZ between neighbours i, i+1 (qubit 0 most significant)
        for index in range(2 ** m):
            if (index >> (m - 1 - i)) & 1 and (index >> (m - 2 - i)) & 1:
                state[index] *= -1
    for phi in phis[:-1]:  # project the leading qubit, in order, on <+_φ|
        bra = np.array([1, np.exp(-1j * phi)]) / math.sqrt(2)
        state = np.tensordot(bra, state.reshape(2, -1), axes=(0, 0))
    state = state / np.linalg.norm(state)
    bra = np.array([1, np.exp(-1j * phis[-1])]) / math.sqrt(2)
    return abs(bra @ state) ** 2


@pytest.mark.parametrize("ks", [[0], [2], [0, 0, 0], [1, 3, 2], [2, 5, 7, 1], [3, 0, 6, 1, 4]])
def test_ideal_output_matches_the_cluster_state(ks):
    phis = [k * Q for k in ks]
    assert ideal_output_zero_probability(phis) == pytest.approx(_cluster_postselected(phis))


@pytest.mark.parametrize("ks", [[0, 0, 0], [0], [4], [0, 0, 0, 0, 0]])
def test_honest_server_perfect_pairs_deterministic_output(ks):
    phis = [k * Q for k in ks]
    expected = 0 if ideal_output_zero_probability(phis) == 1.0 else 1
    assert ideal_output_zero_probability(phis) in (0.0, 1.0)
    r = run_blind_computation(phis, weights=PERFECT, traps=3, runs=2000,
                              rng=np.random.default_rng(1))
    assert r.detection_rate == 0.0
    assert r.accepted.all()
    assert (r.output_bits == expected).all()


@pytest.mark.parametrize("ks", [[1, 3, 2], [2, 5, 7, 1], [3, 0, 6, 1, 4], [1, 1]])
def test_honest_server_perfect_pairs_output_distribution(ks):
    phis = [k * Q for k in ks]
    runs = 40_000
    r = run_blind_computation(phis, weights=PERFECT, traps=2, runs=runs,
                              rng=np.random.default_rng(2))
    p0 = ideal_output_zero_probability(phis)
    sigma = math.sqrt(max(p0 * (1 - p0), 1e-12) / runs)
    assert abs((r.output_bits == 0).mean() - p0) < 5 * sigma + 1e-12


def test_trap_hit_probability_by_enumeration():
    # m = 3, t = 2: (C C C d T d T), (T d C C C d T), (T d T d C C C)
    roles = [layout.roles for layout in layouts(3, 2)]
    assert roles == [(0, 0, 0, 2, 1, 2, 1), (1, 2, 0, 0, 0, 2, 1), (1, 2, 1, 2, 0, 0, 0)]
    assert [trap_hit_probability(3, 2, p) for p in range(7)] == pytest.approx(
        [2 / 3, 0, 1 / 3, 0, 1 / 3, 0, 2 / 3])
    assert trap_hit_probability(3, 2, None) == 2 / 7


@pytest.mark.parametrize(("m", "t"), [(3, 2), (2, 4), (5, 1)])
def test_flip_at_a_random_position_is_caught_with_the_trap_fraction(m, t):
    runs = 40_000
    r = run_blind_computation([0.0] * m, weights=PERFECT, traps=t, runs=runs,
                              rng=np.random.default_rng(m + t), deviate_random_position=True)
    p = t / (m + 2 * t)
    assert r.trap_fraction == p
    assert abs(r.detection_rate - p) < 5 * math.sqrt(p * (1 - p) / runs)


@pytest.mark.parametrize("position", range(7))
def test_flip_at_a_fixed_position_is_caught_when_it_is_a_trap(position):
    runs = 20_000
    r = run_blind_computation([Q, 0.0, 3 * Q], weights=PERFECT, traps=2, runs=runs,
                              rng=np.random.default_rng(position), deviate_position=position)
    p = trap_hit_probability(3, 2, position)
    assert abs(r.detection_rate - p) < 5 * math.sqrt(p * (1 - p) / runs) + 1e-12


def test_trap_failure_closed_form():
    for f in (1.0, 0.95, 0.8):
        v = (4 * f - 1) / 3
        for d in (1, 2):
            assert trap_failure_probability(werner_weights(f), d) == pytest.approx(
                (1 - v ** (d + 1)) / 2)
    # dephasing only (w_Z = p): the trap flips iff it dephased, dummies are untouched
    assert trap_failure_probability([0.9, 0, 0, 0.1], 2) == pytest.approx(0.1)
    # bit flips only (w_X = p) on the trap: a fair coin; on a dummy: a flip
    assert trap_failure_probability([0.9, 0.1, 0, 0], 1) == pytest.approx(
        0.9 * 0.1 + 0.1 * 0.5)


@pytest.mark.parametrize("weights", [werner_weights(0.9).tolist(), [0.9, 0, 0, 0.1],
                                     [0.85, 0.1, 0.05, 0.0]])
def test_honest_trap_failures_on_noisy_pairs_within_shot_noise(weights):
    runs = 20_000
    r = run_blind_computation([0.0, Q, 0.0], weights=weights, traps=3, runs=runs,
                              rng=np.random.default_rng(8))
    q = r.trap_failure_rate_expected
    n_traps = runs * 3
    # traps sharing a dummy are correlated; bound the variance by counting each pair of
    # traps as fully correlated: Var <= 2 q (1 - q) / n
    assert abs(r.trap_failure_rate - q) < 5 * math.sqrt(2 * q * (1 - q) / n_traps)


def test_server_sees_uniform_angles_at_every_position():
    runs = 40_000
    r = run_blind_computation([Q, 2 * Q, 0.0], weights=PERFECT, traps=2, runs=runs,
                              rng=np.random.default_rng(5))
    eighths = np.rint(r.angles_sent_rad / Q).astype(int)
    for position in range(r.qubits_per_run):
        counts = np.bincount(eighths[:, position], minlength=8)
        sigma = math.sqrt(runs * (1 / 8) * (7 / 8))
        assert np.all(np.abs(counts - runs / 8) < 5 * sigma)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"angles_rad": [0.3]}, "angles_rad[0]"),
    ({"angles_rad": []}, "angles_rad"),
    ({"traps": 0}, "traps"),
    ({"runs": 0}, "runs"),
    ({"weights": [1.0, 0.2, 0, 0]}, "weights"),
    ({"deviate_position": 9}, "deviate_position"),
    ({"deviation_rad": float("nan"), "deviate_position": 1}, "deviation_rad"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"angles_rad": [0.0], "weights": PERFECT, "traps": 1, "runs": 10} | kwargs
    angles = args.pop("angles_rad")
    with pytest.raises(ConfigError) as err:
        run_blind_computation(angles, rng=np.random.default_rng(0), **args)
    assert err.value.field == field


@pytest.mark.parametrize("alpha", [Q, 2 * Q, 3 * Q])
def test_a_misangled_measurement_is_caught_with_the_closed_form(alpha):
    runs = 40_000
    r = run_blind_computation([Q, 0.0, 3 * Q], weights=PERFECT, traps=2, runs=runs,
                              rng=np.random.default_rng(17), deviate_random_position=True,
                              deviation_rad=alpha)
    p = detection_probability(3, 2, None, alpha)
    assert p == pytest.approx(2 / 7 * (1 - math.cos(alpha)) / 2)
    assert abs(r.detection_rate - p) < 5 * math.sqrt(p * (1 - p) / runs)


def test_a_flip_on_the_computation_spoils_the_output():
    # position 0 holds the first computation qubit in the layout C C C d T d T, a trap
    # otherwise; measuring it at δ + π leaves every trap intact but flips the output
    runs = 20_000
    r = run_blind_computation([0.0, 0.0, 0.0], weights=PERFECT, traps=2, runs=runs,
                              rng=np.random.default_rng(4), deviate_position=0)
    undetected = r.accepted
    assert abs(undetected.mean() - 1 / 3) < 5 * math.sqrt(2 / 9 / runs)
    # all-zero angles: the honest output is 0; the client records the first outcome
    # flipped, so the Z byproduct it tracks onto the last qubit is wrong: output 1
    assert (r.output_bits[undetected] == 1).all()
