"""BBM92 on Werner pairs: QBER 2(1-F)/3 in both bases and the Shor-Preskill fraction."""

import math

import pytest

from qinet.errors import ConfigError
from qinet.qkd.bounds import bbm92_key_fraction, werner_qber
from qinet.qkd.protocols.bbm92 import run_bbm92
from qinet.quantum import make_backend
from qinet.rng import RngTree

PAIRS = 200_000
BACKENDS = ("bell-diagonal", "density-matrix")



def _binomial_sigma(p, n):
    return math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("fidelity", [0.99, 0.95])
def test_werner_pairs_give_the_closed_form_qber_and_key(name, fidelity, werner_pairs):
    states, backend = werner_pairs(name, fidelity, PAIRS)
    result = run_bbm92(states, backend, rng=RngTree(1))
    assert result.protocol == "bbm92"
    assert result.pulses == result.detections == PAIRS
    assert result.abort_reasons == ()
    assert result.blocks == 1
    assert result.keys_equal
    assert result.key_bits == result.finite_key_bits > 0
    e = werner_qber(fidelity)
    for basis in ("Z", "X"):  # each basis holds about a quarter of the pairs
        assert abs(result.qber[basis] - e) < 5 * _binomial_sigma(e, PAIRS / 4)
    assert result.qber["X"] <= result.estimates["phase_error_upper"] <= 0.5
    # key per Z-sifted pair: below the Shor-Preskill fraction (Cascade's f > 1, the
    # disclosed sample and the finite-size terms), but not far below it
    fraction = result.key_bits / result.sifted_bits
    ideal = bbm92_key_fraction(e, e, f_ec=1.0)
    assert 0.6 * ideal < fraction < ideal


@pytest.mark.parametrize("fidelity", [0.99, 0.97, 0.95, 0.93])
def test_asymptotic_rate_follows_the_shor_preskill_fraction(fidelity, werner_pairs):
    # (1/4) [1 - 2 H2(2(1-F)/3)] per pair (Shor & Preskill, PRL 85, 441 (2000)); the
    # tolerance is 5 sigma of the measured sifting share and error rates (delta method).
    states, backend = werner_pairs("bell-diagonal", fidelity, PAIRS)
    result = run_bbm92(states, backend, rng=RngTree(3))
    e = werner_qber(fidelity)
    r = float(bbm92_key_fraction(e, e))
    slope = math.log2((1 - e) / e)  # |dH2/de|
    sigma_e = _binomial_sigma(e, PAIRS / 4)
    sigma = math.sqrt((r * _binomial_sigma(0.25, PAIRS)) ** 2
                      + (0.25 * slope * sigma_e) ** 2 * 2)
    assert abs(result.asymptotic_bits_per_pulse - 0.25 * r) < 5 * sigma
    assert result.key_bits < result.asymptotic_bits_per_pulse * PAIRS


def test_blocks_are_distilled_one_by_one(werner_pairs):
    states, backend = werner_pairs("bell-diagonal", 0.99, PAIRS)
    result = run_bbm92(states, backend, rng=RngTree(4), block_size=10_000)
    assert result.blocks == result.sifted_bits // 10_000 >= 4
    assert result.blocks_aborted == 0
    assert result.keys_equal
    # blocks of 10 000 bits leave fewer bits than the same bits in one block would,
    # because the finite-size terms are paid once per block
    whole = run_bbm92(states, backend, rng=RngTree(4))
    assert 0 < result.key_bits < whole.key_bits


def test_pairs_past_the_threshold_give_no_key(werner_pairs):
    states, backend = werner_pairs("bell-diagonal", 0.8, 20_000)
    result = run_bbm92(states, backend, rng=RngTree(2))
    assert result.blocks == result.blocks_aborted == 1
    assert result.key_bits == 0
    assert result.finite_key_bits == 0
    assert result.asymptotic_bits_per_pulse == 0.0  # e = 13.3 % > 11 %
    assert "QBER" in result.abort_reasons[0]



def test_biased_bases_sift_p_squared(werner_pairs):
    states, backend = werner_pairs("bell-diagonal", 0.99, 50_000)
    result = run_bbm92(states, backend, rng=RngTree(5), z_probability=0.8)
    share = result.sifted_bits / 50_000
    assert abs(share - 0.64) < 5 * _binomial_sigma(0.64, 50_000)
    assert result.keys_equal
    assert result.key_bits > 0



def test_distill_options_are_forwarded(werner_pairs):
    states, backend = werner_pairs("bell-diagonal", 0.99, 20_000)
    with pytest.raises(ConfigError, match="sample_fraction"):
        run_bbm92(states, backend, rng=RngTree(1), distill_options={"sample_fraction": 1.5})
    with pytest.raises(ConfigError, match="distill_options"):
        run_bbm92(states, backend, rng=RngTree(1), distill_options={"key_length": len})


@pytest.mark.parametrize(("option", "value"), [("z_probability", 1.0), ("block_size", 0),
                                               ("epsilon_sec", 0.0), ("epsilon_cor", 1.0)])
def test_options_are_checked(option, value):
    backend = make_backend("bell-diagonal")
    with pytest.raises(ConfigError, match=option):
        run_bbm92(backend.from_bell_weights([1, 0, 0, 0]), backend, rng=RngTree(1),
                  **{option: value})

