"""Eavesdroppers: the sampled channel against pulse-by-pulse simulation, and fingerprints."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.attacks import BeamSplitting, InterceptResend, PhotonNumberSplitting
from qinet.qkd.protocols._bb84_channel import ChannelSampler, cell_probabilities
from qinet.qkd.protocols.bb84 import BB84Link, run_bb84
from qinet.qkd.protocols.bb84_decoy import DecoyBB84Link, run_decoy_bb84, simulate
from qinet.rng import RngTree

Z, X = 0, 1


def pulse_by_pulse(link, pulses, rng, attack=None):
    """Every pulse and photon drawn explicitly: the model the sampler must reproduce.

    Returns counts with the sampler's axes: (class, Alice's basis, Bob's basis,
    wrong bit, Eve knows), and the pulses sent per (class, bases).
    """
    mus = np.asarray(link.source.intensities)
    k = rng.choice(mus.size, pulses, p=link.source.probabilities)
    n = rng.poisson(mus[k])
    pz = link.z_basis_probability
    a, b = (rng.random(pulses) >= pz).astype(int), (rng.random(pulses) >= pz).astype(int)
    bit = rng.integers(0, 2, pulses)
    # what leaves for Bob: photons, their transmittance, the basis and bit they carry
    photons, t = n.copy(), np.full(pulses, link.fibre.transmittance)
    basis, carried, knows = a.copy(), bit.copy(), np.zeros(pulses, bool)
    if isinstance(attack, InterceptResend):
        hit = (rng.random(pulses) < attack.fraction) & (n >= 1)
        eve_basis = rng.integers(0, 2, pulses)
        eve_bit = np.where(eve_basis == a, bit, rng.integers(0, 2, pulses))
        photons[hit], basis[hit], carried[hit] = 1, eve_basis[hit], eve_bit[hit]
        knows = hit & (eve_basis == a)
    elif isinstance(attack, PhotonNumberSplitting):
        beta, t_eve = attack.strategy(link.photon_pmf()[0],
                                      fibre_transmittance=link.fibre.transmittance,
                                      detector_efficiency=link.detector_efficiency)
        blocked = (n == 1) & (rng.random(pulses) < beta)
        knows = n >= 2
        photons = np.where(blocked, 0, np.where(knows, n - 1, n))
        t[:] = t_eve
    elif isinstance(attack, BeamSplitting):
        kept = rng.binomial(n, attack.tap(fibre_transmittance=link.fibre.transmittance))
        photons, knows = n - kept, kept >= 1
        t[:] = 1.0
    detected = rng.binomial(photons, t * link.detector_efficiency)
    p_right = np.where(basis == b, 1 - link.misalignment, 0.5)
    right = rng.binomial(detected, p_right)
    p_d = link.dark_probability
    click_r = (right > 0) | (rng.random(pulses) < p_d)
    click_w = (detected - right > 0) | (rng.random(pulses) < p_d)
    coin = rng.integers(0, 2, pulses)
    bob = np.where(click_r & click_w, coin, np.where(click_r, carried, 1 - carried))
    clicked = click_r | click_w
    shape = (mus.size, 2, 2, 2, 2)
    index = np.ravel_multi_index((k, a, b, (bob != bit).astype(int), knows.astype(int)), shape)
    counts = np.bincount(index[clicked], minlength=np.prod(shape)).reshape(shape)
    sent = np.bincount(np.ravel_multi_index((k, a, b), shape[:3]),
                       minlength=np.prod(shape[:3])).reshape(shape[:3])
    return counts, sent


@pytest.mark.parametrize("attack", [None, InterceptResend(0.4), PhotonNumberSplitting(),
                                    BeamSplitting(), BeamSplitting(tap_fraction=0.3)])
@pytest.mark.parametrize("length_km", [5.0, 50.0])
def test_closed_form_cells_match_a_pulse_by_pulse_simulation(attack, length_km):
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(length_km),
                         Detector(dark_count_rate_hz=1e5), misalignment=0.03)
    counts, sent = pulse_by_pulse(link, 10**6, np.random.default_rng(17), attack)
    p = cell_probabilities(link, attack)
    expected = sent[..., None, None] * p
    sigma = np.sqrt(sent[..., None, None] * p * (1 - p))
    # every cell within 5 sigma; cells the model forbids stay empty
    assert np.all(np.abs(counts - expected) <= 5 * sigma + 1e-9)
    assert counts.sum() > 10_000


def test_intercept_resend_gives_a_quarter_of_sifted_errors_and_the_key_aborts():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(10.0), Detector(dark_count_rate_hz=10.0),
                         misalignment=0.0)
    stats = simulate(link, 10**9, rng=np.random.default_rng(4), attack=InterceptResend())
    n = stats.sifted(Z)[0]
    # Bennett and Brassard 1984: a wrong basis half the time, then a coin
    assert abs(stats.qber(Z)[0] - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n)
    # the gains no longer follow 1 - exp(-eta mu): Eve's detector sees 1 - exp(-mu)
    expected = link.transmittance * -np.expm1(-0.5)
    assert abs(stats.gains()[0] - expected) < 5 * np.sqrt(expected / stats.sent[0].sum())
    result = run_decoy_bb84(link, 2 * 10**6, rng=RngTree(2), block_size=100_000,
                            attack=InterceptResend())
    assert result.key_bits == 0
    assert result.blocks_aborted == result.blocks > 0
    assert all("QBER" in reason for reason in result.abort_reasons)
    # Eve knows Alice's bit whenever she guessed the basis: half the sifted key
    known = result.estimates["eve_known_fraction"]
    assert abs(known - 0.5) < 5 * np.sqrt(0.25 / result.sifted_bits)


def test_a_partial_intercept_resend_adds_a_quarter_of_its_share():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(10.0), Detector(dark_count_rate_hz=10.0),
                         misalignment=0.0)
    stats = simulate(link, 10**9, rng=np.random.default_rng(5), attack=InterceptResend(0.4))
    eta, mu = link.transmittance, 0.5
    attacked = 0.4 * eta * -np.expm1(-mu)
    clean = 0.6 * -np.expm1(-eta * mu)
    expected = 0.25 * attacked / (attacked + clean)
    n = stats.sifted(Z)[0]
    assert abs(stats.qber(Z)[0] - expected) < 5 * np.sqrt(expected * (1 - expected) / n)


def test_pns_keeps_the_signal_gain_matched_in_both_regimes():
    pmf = DecoyBB84Link(WeakCoherentSource(), Fibre(1.0), Detector()).photon_pmf()[0]
    n = np.arange(pmf.size)
    for eta_f in (0.9, 0.1, 0.01):  # beta < 1 with t = 1; then beta = 1 with t < 1
        beta, t = PhotonNumberSplitting().strategy(pmf, fibre_transmittance=eta_f,
                                                   detector_efficiency=0.8)
        honest = pmf @ (1 - (1 - eta_f * 0.8) ** n)
        eve = pmf[1] * (1 - beta) * t * 0.8 + pmf[2:] @ (1 - (1 - t * 0.8) ** (n[2:] - 1))
        assert eve == pytest.approx(honest, rel=1e-12)
        assert (t == 1.0) == (eta_f == 0.9)


def test_pns_is_caught_by_the_decoys_at_50_km_but_not_by_plain_bb84():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(50.0), Detector())
    attack = PhotonNumberSplitting()
    stats = simulate(link, 10**10, rng=np.random.default_rng(6), attack=attack)
    honest = simulate(link, 10**10, rng=np.random.default_rng(7))
    q, q_h = stats.gains(), honest.gains()
    sigma = np.sqrt(q_h * (1 - q_h) / honest.sent.sum(axis=(1, 2)))
    assert abs(q[0] - q_h[0]) < 5 * np.sqrt(2) * sigma[0]  # the signal looks normal
    assert q_h[1] - q[1] > 100 * sigma[1]  # the weak decoy does not
    assert abs(stats.qber(Z)[0] - honest.qber(Z)[0]) < 0.001  # nor does the QBER move
    result = run_decoy_bb84(link, 10**8, rng=RngTree(8), attack=attack)
    assert result.estimates["y1_lower"] == 0.0
    assert result.estimates["e1_upper"] == 0.5
    assert result.key_bits == 0
    assert result.finite_key_bits == 0
    assert result.blocks_aborted == result.blocks
    # plain BB84 would have kept a key, and Eve holds a photon of almost every sifted bit
    # (dark counts aside), so she knows all of it
    assert result.estimates["eve_known_fraction"] > 0.999
    assert result.estimates["plain_key_bits"] > 10**5
    assert result.estimates["plain_key_bits_exposed"] == result.estimates["plain_key_bits"]
    # GLLP without decoys is safe too, at this intensity by giving no key at all
    plain = run_bb84(BB84Link(WeakCoherentSource(intensities=(0.5,), probabilities=(1.0,)),
                              Fibre(50.0), Detector()), 10**7, rng=RngTree(9), attack=attack)
    assert plain.estimates["tagged_fraction"] == 1.0
    assert plain.key_bits == 0


def test_beam_splitting_leaves_statistics_alone_and_privacy_amplification_pays():
    # decoys frequent enough for the finite-key bound to leave key from one block of 1e6
    source = WeakCoherentSource(intensities=(0.6, 0.2, 0.0), probabilities=(0.6, 0.3, 0.1))
    link = DecoyBB84Link(source, Fibre(50.0), Detector())
    result = run_decoy_bb84(link, 10**8, rng=RngTree(10), attack=BeamSplitting())
    n = result.sifted_bits
    # coherent light splits into independent Poisson parts: Eve holds a photon of a
    # share 1 - exp(-mu tau) of Bob's detections of class mu, tau = 1 - eta_fibre
    # (Dušek et al. 2000); the key pools the classes in proportion to p_k Q_k
    mus, probs = np.array(link.source.intensities), np.array(link.source.probabilities)
    gains = 1 - (1 - link.dark_probability) ** 2 * np.exp(-link.transmittance * mus)
    known = np.sum(probs * gains * -np.expm1(-mus * 0.9)) / np.sum(probs * gains)
    tau = 1 - link.fibre.transmittance
    assert tau == pytest.approx(0.9)
    assert abs(result.estimates["eve_known_fraction"] - known) < 5 * np.sqrt(
        known * (1 - known) / n)
    eta = link.transmittance
    for name, mu, p in zip(("signal", "decoy"), mus, probs, strict=False):
        q = -np.expm1(-eta * mu)
        pulses = result.pulses * p
        assert abs(result.gains[name] - q) < 5 * np.sqrt(q / pulses)
    assert result.keys_equal
    assert result.key_bits > 0
    # the key is shorter than what Eve does not know minus what error correction told her
    assert result.key_bits <= 0.9 * n - result.estimates["eve_known_bits"] * 0.9 \
        - result.leaked_ec
    # a plain BB84 length would have handed her part of the key
    assert result.estimates["plain_key_bits_exposed"] > 0.1 * result.estimates["plain_key_bits"]


def test_attack_parameters_are_checked():
    with pytest.raises(ConfigError, match="fraction"):
        InterceptResend(fraction=-0.1)
    with pytest.raises(ConfigError, match="blocked_single_fraction"):
        PhotonNumberSplitting(blocked_single_fraction=2.0)
    with pytest.raises(ConfigError, match="tap_fraction"):
        BeamSplitting(tap_fraction=1.5)


def test_fixed_strategies_take_effect():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(20.0), Detector(dark_count_rate_hz=0.0))
    pmf, eta_d = link.photon_pmf(), link.detector_efficiency
    n = np.arange(pmf.shape[1])
    key_share = np.array(link.source.probabilities) * 0.25  # each class, both in Z
    # every single photon blocked, the rest lossless: n - 1 photons reach the detectors
    blocked = ChannelSampler(link, PhotonNumberSplitting(blocked_single_fraction=1.0))
    expected = key_share @ (pmf[:, 2:] @ (1 - (1 - eta_d) ** (n[2:] - 1)))
    assert blocked.key_probability == pytest.approx(expected, rel=1e-12)
    # nothing tapped and no fibre: the whole pulse reaches the detectors
    untapped = ChannelSampler(link, BeamSplitting(tap_fraction=0.0))
    mus = np.array(link.source.intensities)
    assert untapped.key_probability == pytest.approx(key_share @ -np.expm1(-mus * eta_d),
                                                     rel=1e-12)
