"""Decoy BB84: sampled click counts against the closed form, streamed key bits, the runner."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.bounds import decoy_bb84_key_rate_vacuum_weak
from qinet.qkd.protocols._bb84_channel import (
    ChannelSampler,
    key_bits,
    key_blocks,
    label_counts,
)
from qinet.qkd.protocols._blocks import block_lengths
from qinet.qkd.protocols.bb84_decoy import (
    DecoyBB84Link,
    decoy_security,
    run_decoy_bb84,
    simulate,
)
from qinet.rng import RngTree

Z, X = 0, 1
# decoy and vacuum classes frequent enough for Lim et al. (2014) to give key from
# blocks of a few 1e5 bits
FINITE_SOURCE = WeakCoherentSource(intensities=(0.6, 0.2, 0.0), probabilities=(0.6, 0.3, 0.1))


def exact_click_and_error(link, mu, same_basis):
    """Per-photon model in closed form: Poisson light splits into independent right/wrong parts.

    P(no right click) = (1 - p_d) e^{-η μ p}, P(no wrong click) = (1 - p_d) e^{-η μ (1 - p)}
    with p = 1 - e_d (same basis) or 1/2; a double click is a coin.
    """
    eta, p_d = link.transmittance, link.dark_probability
    p = 1 - link.misalignment if same_basis else 0.5
    no_r = (1 - p_d) * np.exp(-eta * mu * p)
    no_w = (1 - p_d) * np.exp(-eta * mu * (1 - p))
    click = 1 - no_r * no_w
    error = no_r * (1 - no_w) + 0.5 * (1 - no_r) * (1 - no_w)
    return click, error


@pytest.mark.parametrize(("length_km", "dark_hz", "e_d"), [(25.0, 1e3, 0.01), (80.0, 1e5, 0.03)])
def test_click_counts_follow_the_closed_form_at_5_sigma(length_km, dark_hz, e_d):
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(length_km),
                         Detector(dark_count_rate_hz=dark_hz), misalignment=e_d)
    stats = simulate(link, 10**10, rng=np.random.default_rng(3))
    assert stats.pulses == 10**10
    eta, y0 = link.transmittance, 1 - (1 - link.dark_probability) ** 2
    sent = stats.sent
    for k, mu in enumerate(link.source.intensities):
        for a in (Z, X):
            for b in (Z, X):
                click, error = exact_click_and_error(link, mu, a == b)
                n, clicks = sent[k, a, b], stats.clicks[k, a, b].sum()
                assert abs(clicks - n * click) < 5 * np.sqrt(n * click * (1 - click))
                wrong = stats.clicks[k, a, b, 1].sum()
                assert abs(wrong - n * error) < 5 * np.sqrt(n * error * (1 - error))
        # Ma et al., PRA 72, 012326 (2005): Q = Y0 + 1 - e^{-ημ}, E Q = Y0/2 + e_d(1 - e^{-ημ}),
        # which drop terms of order Y0 (1 - e^{-ημ}) (< 1e-5 here, below 1 sigma)
        q = y0 - np.expm1(-eta * mu)
        n_k = sent[k].sum()
        slack = y0 * -np.expm1(-eta * mu)
        assert abs(stats.gains()[k] - q) < 5 * np.sqrt(q * (1 - q) / n_k) + slack
        e = (y0 / 2 - e_d * np.expm1(-eta * mu)) / q
        sifted = stats.sifted(Z)[k] + stats.sifted(X)[k]
        measured = (stats.errors(Z)[k] + stats.errors(X)[k]) / sifted
        assert abs(measured - e) < 5 * np.sqrt(e * (1 - e) / sifted) + slack / q


def test_key_bits_are_uniform_and_carry_exactly_the_sampled_labels():
    rng = np.random.default_rng(7)
    counts = np.array([[[900_000, 0], [40_000, 0]], [[50_000, 0], [10_000, 0]]])
    alice, bob, labels = key_bits(counts, rng=rng)
    assert alice.size == 10**6
    assert alice.dtype == bob.dtype == labels.dtype == np.uint8
    errors = alice != bob
    assert int(errors.sum()) == 50_000
    np.testing.assert_array_equal(label_counts(labels, 2), counts)
    np.testing.assert_array_equal(errors, (labels & 2) > 0)
    assert abs(alice.mean() - 0.5) < 5 * np.sqrt(0.25 / alice.size)
    # positions uniform: the first half holds half of each label (hypergeometric ~ binomial)
    for label, total in ((2, 40_000), (4, 50_000), (6, 10_000)):
        first = int(np.sum(labels[: alice.size // 2] == label))
        assert abs(first - total / 2) < 5 * np.sqrt(total * 0.25)


def test_sifted_key_streams_in_blocks_of_the_requested_size():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(20.0), Detector())
    sampler = ChannelSampler(link)
    chunks = sampler.draw_chunks(3 * 10**7, rng=np.random.default_rng(1), chunk_pulses=10**6)
    assert len(chunks) == 30
    assert sum(c.pulses for c in chunks) == 3 * 10**7
    blocks = list(key_blocks(chunks, block_size=100_000, rng=np.random.default_rng(2)))
    sizes = [a.size for a, _, _ in blocks]
    total = sum(c.key_counts for c in chunks)
    assert sum(sizes) == total.sum()
    np.testing.assert_array_equal(sum(label_counts(lab, 3) for _, _, lab in blocks), total)
    # blocks of 100 000 bits with the remainder spread over them: no short last block
    assert len(sizes) == int(total.sum()) // 100_000 > 1
    assert 100_000 <= min(sizes) <= max(sizes) <= min(sizes) + 1


def test_no_block_aborts_at_one_percent_qber_at_the_default_block_size():
    # 1 s of a 1 GHz source over 50 km (seed 1): 9.02 M sifted bits at QBER 1 %. Cut into
    # full blocks of 1 M and a remainder, the 23 k-bit remainder got a finite-size key
    # length of zero and aborted; spread over the nine blocks, every block gives key
    link = DecoyBB84Link(WeakCoherentSource(rate_hz=1e9), Fibre(50.0), Detector())
    result = run_decoy_bb84(link, 10**9, rng=RngTree(1))
    assert abs(result.qber["Z"] - 0.01) < 0.001
    assert result.blocks == result.sifted_bits // 1_000_000 == 9
    assert result.blocks_aborted == 0, result.abort_reasons
    assert result.keys_equal
    assert result.key_bits > 0
    # every block's bits but its 10 % estimation sample went through Cascade and verification
    sample = sum(round(0.1 * n) for n in block_lengths(result.sifted_bits, 1_000_000))
    assert result.corrected_bits == result.sifted_bits - sample


def test_asymptotic_rate_on_the_measured_statistics_matches_ma_2005():
    source = WeakCoherentSource(intensities=(0.5, 0.1, 0.0), probabilities=(0.8, 0.1, 0.1))
    link = DecoyBB84Link(source, Fibre(50.0), Detector(dark_count_rate_hz=1e3),
                         misalignment=0.02)
    sampler, rng = ChannelSampler(link), np.random.default_rng(11)
    rates = [decoy_security(link, sampler.draw(10**10, rng=rng), epsilon_sec=1e-10,
                            epsilon_cor=1e-15).asymptotic_bits_per_pulse for _ in range(20)]
    theory = 0.8 * decoy_bb84_key_rate_vacuum_weak(
        link.transmittance, mu=0.5, nu=0.1, y0=1 - (1 - link.dark_probability) ** 2,
        e_d=0.02, f_ec=1.16, q=0.25)
    # tolerance from the spread of 20 independent runs (standard error of their mean)
    assert abs(np.mean(rates) - theory) < 5 * np.std(rates, ddof=1) / np.sqrt(20)


def test_lim_2014_single_photon_bound_holds_on_the_true_count():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(50.0), Detector(dark_count_rate_hz=1e3),
                         misalignment=0.02)
    stats = simulate(link, 10**10, rng=np.random.default_rng(12))
    sec = decoy_security(link, stats, epsilon_sec=1e-10, epsilon_cor=1e-15)
    # true single-photon Z detections: N p_k q_Z^2 mu e^-mu Y1, Y1 = 1 - (1 - p_d)^2 (1 - eta)
    y1 = 1 - (1 - link.dark_probability) ** 2 * (1 - link.transmittance)
    mus, probs = np.array(link.source.intensities), np.array(link.source.probabilities)
    true = 10**10 * 0.25 * np.sum(probs * mus * np.exp(-mus)) * y1
    assert sec.estimates["s_z1_lower"] <= true + 5 * np.sqrt(true)
    assert sec.estimates["s_z1_lower"] > 0.8 * true  # the two-decoy bound is a tight one
    assert link.misalignment < sec.estimates["phase_error_upper"] < 0.5


def test_decoy_bb84_ends_in_equal_keys_within_the_asymptotic_rate():
    link = DecoyBB84Link(FINITE_SOURCE, Fibre(10.0), Detector(dark_count_rate_hz=1e3),
                         misalignment=0.02)
    small = run_decoy_bb84(link, 12 * 10**6, rng=RngTree(5), block_size=200_000)
    result = run_decoy_bb84(link, 12 * 10**6, rng=RngTree(5), block_size=1_000_000)
    assert result.protocol == "bb84-decoy"
    assert result.pulses == 12 * 10**6
    assert result.blocks_aborted == 0, result.abort_reasons
    assert result.keys_equal
    assert result.finite_key_bits == result.key_bits
    assert result.transmittance == pytest.approx(link.fibre.transmittance)
    assert set(result.gains) == {"signal", "decoy", "vacuum"}
    assert {"Z", "X", "Z/signal", "X/decoy", "Z/vacuum"} <= set(result.qber)
    assert {"y1_lower", "e1_upper", "q1", "single_photon_fraction", "s_z1_lower",
            "phase_error_upper"} <= set(result.estimates)
    # Finite blocks cost key (Lim et al. 2014): larger blocks keep more per pulse, and
    # neither exceeds the asymptotic rate of the signal class (plus the decoy's share)
    assert 0 < small.key_bits < result.key_bits
    decoy_share = 1 + 0.3 * result.gains["decoy"] / (0.6 * result.gains["signal"])
    assert result.secret_bits_per_pulse < decoy_share * result.asymptotic_bits_per_pulse
    n = result.key_bits
    assert abs(result.key_alice.mean() - 0.5) < 5 * np.sqrt(0.25 / n)


def test_same_seed_same_key_and_bad_parameters_named():
    link = DecoyBB84Link(FINITE_SOURCE, Fibre(10.0), Detector())
    a = run_decoy_bb84(link, 10**7, rng=RngTree(1), block_size=200_000)
    b = run_decoy_bb84(link, 10**7, rng=RngTree(1), block_size=200_000)
    np.testing.assert_array_equal(a.key_alice, b.key_alice)
    assert a.key_bits > 0
    assert a.blocks == b.blocks > 1
    with pytest.raises(ConfigError, match="misalignment"):
        DecoyBB84Link(WeakCoherentSource(), Fibre(10.0), Detector(), misalignment=0.7)
    with pytest.raises(ConfigError, match="block_size"):
        run_decoy_bb84(link, 1000, rng=RngTree(1), block_size=0)
    with pytest.raises(ConfigError, match="pulses"):
        run_decoy_bb84(link, -1, rng=RngTree(1))


def test_decoy_bb84_needs_signal_weak_vacuum():
    link = DecoyBB84Link(WeakCoherentSource(intensities=(0.5, 0.1), probabilities=(0.5, 0.5)),
                         Fibre(10.0), Detector())
    with pytest.raises(ConfigError, match=r"source\.intensities"):
        run_decoy_bb84(link, 1000, rng=RngTree(1))


def test_distill_options_are_forwarded():
    link = DecoyBB84Link(FINITE_SOURCE, Fibre(10.0), Detector())
    result = run_decoy_bb84(link, 10**7, rng=RngTree(2), block_size=10**6,
                            distill_options={"sample_fraction": 0.3})
    default = run_decoy_bb84(link, 10**7, rng=RngTree(2), block_size=10**6)
    # 30 % of each block disclosed instead of 10 %: a shorter key
    assert 0 < result.key_bits < 0.85 * default.key_bits
