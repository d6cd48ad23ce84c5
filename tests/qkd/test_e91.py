"""E91 on Werner pairs: CHSH S = 2√2 (4F-1)/3, the key from matching angles, the DI bound."""

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.qkd.bounds import chsh_werner, di_secret_fraction, werner_qber
from qinet.qkd.protocols._pair_measurement import correlation
from qinet.qkd.protocols.e91 import (
    ALICE_ANGLES,
    BOB_ANGLES,
    CHSH_TERMS,
    E91Outcomes,
    chsh_estimate,
    measure_e91,
    run_e91,
)
from qinet.quantum import make_backend, werner_weights
from qinet.rng import RngTree

BACKENDS = ("bell-diagonal", "density-matrix")



def _chsh_sigma(fidelity, n):
    """Standard deviation of Ŝ: each correlator ±V/√2 from about n/9 pairs."""
    e = (4 * fidelity - 1) / 3 / math.sqrt(2)
    return math.sqrt(4 * (1 - e * e) / (n / 9))


def _exact_chsh(states, backend):
    return sum(sign * correlation(states, backend, ALICE_ANGLES[a], BOB_ANGLES[b])
               for a, b, sign in CHSH_TERMS)


@pytest.mark.parametrize("name", BACKENDS)
def test_exact_chsh_of_werner_pairs_is_the_closed_form(name):
    # S = 2√2 (4F - 1)/3 (Horodecki, Horodecki and Horodecki, PLA 200, 340 (1995))
    fidelity = np.linspace(0.25, 1.0, 16)
    backend = make_backend(name)
    pairs = backend.from_bell_weights(werner_weights(fidelity))
    np.testing.assert_allclose(_exact_chsh(pairs, backend), chsh_werner(fidelity), atol=1e-12)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("fidelity", [1.0, 0.95, 0.9, 0.8, 0.75, 0.6, 0.5])
def test_measured_chsh_of_werner_pairs_is_within_5_sigma(name, fidelity, werner_pairs):
    n = 45_000
    pairs, backend = werner_pairs(name, fidelity, n)
    estimate = chsh_estimate(measure_e91(pairs, backend, rng=RngTree(7)), epsilon=1e-10)
    assert abs(estimate.value - chsh_werner(fidelity)) < 5 * _chsh_sigma(fidelity, n)
    assert estimate.lower < estimate.value


@pytest.mark.parametrize("name", BACKENDS)
def test_dephased_pairs_give_the_closed_form_chsh_and_error_rates(name):
    # Φ+ with a Z flip of probability p: <ZZ> = 1, <XX> = 1 - 2p, so
    # S = √2 (<ZZ> + <XX>) = 2√2 (1 - p), Q_X = (1 - <XX>)/2 = p and
    # Q_D = (1 - (<ZZ> + <XX>)/2)/2 = p/2 at the diagonal angle π/4.
    n, p = 90_000, 0.2
    backend = make_backend(name)
    pairs = backend.dephase(backend.from_bell_weights(np.tile([1.0, 0, 0, 0], (n, 1))), p, 1)
    result = run_e91(pairs, backend, rng=RngTree(5))
    s = 2 * math.sqrt(2) * (1 - p)
    # the four correlators are ±<ZZ>/√2 (Alice at 0) and <XX>/√2 (Alice at π/2)
    correlators = (1 / math.sqrt(2),) * 2 + ((1 - 2 * p) / math.sqrt(2),) * 2
    sigma_s = math.sqrt(sum(1 - e * e for e in correlators) / (n / 9))
    assert abs(result.estimates["chsh"] - s) < 5 * sigma_s
    for stream, q in (("X", p), ("D", p / 2)):
        assert abs(result.qber[stream] - q) < 5 * math.sqrt(q * (1 - q) / (n / 9))


def test_separable_states_never_exceed_2():
    # Any separable state satisfies |S| <= 2 (CHSH, PRL 23, 880 (1969)): Werner states with
    # F <= 1/2 and random product states, exactly.
    bd, dm = make_backend("bell-diagonal"), make_backend("density-matrix")
    werner = bd.from_bell_weights(werner_weights(np.linspace(0.0, 0.5, 11)))
    assert np.all(np.abs(_exact_chsh(werner, bd)) <= 2.0 + 1e-12)
    rng = np.random.default_rng(8)
    products = []
    for _ in range(200):
        halves = []
        for _ in range(2):
            a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
            rho = a @ a.conj().T
            halves.append(rho / np.trace(rho).real)
        products.append(np.kron(*halves))
    assert np.all(np.abs(_exact_chsh(np.stack(products), dm)) <= 2.0 + 1e-12)
    # classically correlated, perfectly in Z: S = √2 with Ekert's angles
    classical = dm.from_density_matrix(np.diag([0.5, 0, 0, 0.5]), 1)
    assert abs(_exact_chsh(classical, dm)[0] - math.sqrt(2)) < 1e-12


def test_hoeffding_lower_bound_holds_with_confidence(werner_pairs):
    # 400 small runs: the bound at ε = 0.05 may fail in at most 5 % of them (Hoeffding
    # is conservative: far fewer fail).
    runs, size, fidelity, epsilon = 400, 900, 0.9, 0.05
    pairs, backend = werner_pairs("bell-diagonal", fidelity, runs * size)
    out = measure_e91(pairs, backend, rng=RngTree(9))
    failures = 0
    for i in range(runs):
        part = slice(i * size, (i + 1) * size)
        sample = E91Outcomes(out.alice_setting[part], out.bob_setting[part],
                             out.alice_bit[part], out.bob_bit[part])
        failures += chsh_estimate(sample, epsilon=epsilon).lower > chsh_werner(fidelity)
    assert failures <= epsilon * runs



@pytest.mark.parametrize("name", BACKENDS)
def test_high_fidelity_pairs_give_equal_keys(name, werner_pairs):
    n, fidelity = 150_000, 0.98
    pairs, backend = werner_pairs(name, fidelity, n)
    result = run_e91(pairs, backend, rng=RngTree(1))
    assert result.protocol == "e91"
    assert result.pulses == result.detections == n
    assert result.abort_reasons == ()
    assert result.blocks == 2  # one per key stream
    assert result.keys_equal
    assert result.key_bits == result.finite_key_bits > 0
    e = werner_qber(fidelity)
    for stream in ("X", "D"):  # each stream holds about 1/9 of the pairs
        assert abs(result.qber[stream] - e) < 5 * math.sqrt(e * (1 - e) / (n / 9))
    assert abs(result.sifted_bits / n - 2 / 9) < 5 * math.sqrt(2 / 9 * 7 / 9 / n)
    assert abs(result.estimates["chsh"] - chsh_werner(fidelity)) < 5 * _chsh_sigma(fidelity, n)
    assert 2.0 < result.estimates["chsh_lower"] < result.estimates["chsh"]
    # the finite key stays below the asymptotic DI rate
    assert result.key_bits < result.asymptotic_bits_per_pulse * n


def test_asymptotic_rate_is_the_di_fraction_of_the_key_share(werner_pairs):
    # (2/9) r(Q, S) per pair for Werner pairs; 5 sigma from the sifting share, Q and S
    # (delta method with numerical slopes of r).
    n, fidelity = 150_000, 0.97
    pairs, backend = werner_pairs("bell-diagonal", fidelity, n)
    result = run_e91(pairs, backend, rng=RngTree(6))
    q, s = werner_qber(fidelity), chsh_werner(fidelity)
    r = di_secret_fraction(q, s)
    h = 1e-6
    dr_dq = (di_secret_fraction(q + h, s) - di_secret_fraction(q - h, s)) / (2 * h)
    dr_ds = (di_secret_fraction(q, s + h) - di_secret_fraction(q, s - h)) / (2 * h)
    share = 2 / 9
    sigma = math.sqrt((r * math.sqrt(share * (1 - share) / n)) ** 2
                      + (share * dr_dq * math.sqrt(q * (1 - q) / (n * share))) ** 2
                      + (share * dr_ds * _chsh_sigma(fidelity, n)) ** 2)
    assert abs(result.asymptotic_bits_per_pulse - share * r) < 5 * sigma


def test_pairs_below_the_local_bound_abort(werner_pairs):
    # F = 0.75: S = 2√2 (4·0.75 - 1)/3 = 1.886 < 2, no violation, no key
    n, fidelity = 60_000, 0.75
    pairs, backend = werner_pairs("bell-diagonal", fidelity, n)
    result = run_e91(pairs, backend, rng=RngTree(2))
    assert abs(result.estimates["chsh"] - 1.8856) < 5 * _chsh_sigma(fidelity, n)
    assert result.estimates["chsh_lower"] < 2.0
    assert result.key_bits == 0
    assert result.finite_key_bits == 0
    assert result.blocks == result.blocks_aborted == 2
    assert all("CHSH" in reason for reason in result.abort_reasons)
    assert result.asymptotic_bits_per_pulse == 0.0



def test_streams_are_cut_into_blocks(werner_pairs):
    pairs, backend = werner_pairs("bell-diagonal", 0.99, 150_000)
    result = run_e91(pairs, backend, rng=RngTree(3), block_size=5_000)
    assert result.blocks >= 6  # three per stream
    assert result.blocks_aborted == 0
    assert result.keys_equal
    assert result.key_bits > 0



def test_options_are_checked_and_forwarded(werner_pairs):
    pairs, backend = werner_pairs("bell-diagonal", 0.99, 20_000)
    with pytest.raises(ConfigError, match="block_size"):
        run_e91(pairs, backend, rng=RngTree(1), block_size=-5)
    with pytest.raises(ConfigError, match="epsilon_sec"):
        run_e91(pairs, backend, rng=RngTree(1), epsilon_sec=2.0)
    with pytest.raises(ConfigError, match="sample_fraction"):
        run_e91(pairs, backend, rng=RngTree(1), distill_options={"sample_fraction": 0.0})
