"""Decoy-state BB84 over fibre, pulse by pulse in distribution, click by click in data.

Alice sends phase-randomised weak coherent pulses whose intensity class (signal, decoys,
vacuum) is drawn per pulse; Bob measures in a random basis with two threshold detectors.
Nothing is simulated for a pulse that produces no click: for each intensity the number
of pulses with a detected photon is binomial with ``1 - exp(-η μ)`` (a Poisson pulse
thinned by the total transmittance η is Poisson with mean ``η μ``), and dark-count-only
events are drawn on the rest. Only the clicks become array entries, each with its photon
number, both bases, both bits and the detector pattern:

* each detected photon lands in the right detector with probability ``1 - e_d``
  (misalignment), and basis mismatch sends it to either detector with probability 1/2;
* each detector has a dark count with probability ``p_d`` in the window;
* a double click is assigned a random bit (the squashing model of Lütkenhaus and
  Beaudry et al., PRL 101, 093601 (2008)).

The resulting gains and error rates reproduce the channel model of Ma, Qi, Zhao and Lo,
PRA 72, 012326 (2005): ``Q_μ = Y0 + 1 - e^{-ημ}`` and
``E_μ Q_μ = Y0/2 + e_d (1 - e^{-ημ})`` (a test checks this at 5σ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.attacks import InterceptResend
from qinet.qkd.bounds import decoy_estimates
from qinet.qkd.postprocessing.pipeline import distill
from qinet.qkd.postprocessing.privacy_amplification import final_key_length
from qinet.rng import RngTree


@dataclass(frozen=True, slots=True)
class DecoyBB84Link:
    """A prepare-and-measure link: Alice's source, the fibre, Bob's detectors.

    Attributes:
        source: intensities, their probabilities and the pulse rate.
        fibre: the channel.
        detector: each of Bob's two detectors (efficiency, dark counts).
        detection_window_s: Bob's gate width in s.
        misalignment: e_d, probability that a photon ends in the wrong detector.
        z_basis_probability: probability that Alice (and Bob) choose Z.
    """

    source: WeakCoherentSource
    fibre: Fibre
    detector: Detector
    detection_window_s: float = 1e-9
    misalignment: float = 0.01
    z_basis_probability: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.misalignment <= 0.5:
            raise ConfigError("misalignment", f"must lie in [0, 0.5], got {self.misalignment}")
        if not 0.0 < self.z_basis_probability < 1.0:
            raise ConfigError("z_basis_probability",
                              f"must lie in (0, 1), got {self.z_basis_probability}")

    @property
    def transmittance(self) -> float:
        """η: fibre transmittance times detector efficiency (with the window's jitter loss)."""
        return float(self.fibre.transmittance * self.detector.efficiency
                     * self.detector.window_efficiency(self.detection_window_s))

    @property
    def dark_probability(self) -> float:
        """p_d of one detector in one window."""
        return float(self.detector.dark_probability(self.detection_window_s))


@dataclass(frozen=True, slots=True)
class Clicks:
    """Every pulse that made Bob's detectors click, and how many pulses were sent.

    Attributes:
        pulses_sent: pulses per intensity class.
        intensity: class index of each click.
        photons: photons that reached the detectors in that pulse (0: a dark count).
        alice_basis: 0 = Z, 1 = X.
        bob_basis: Bob's basis.
        alice_bit: Alice's bit.
        bob_bit: Bob's bit after squashing double clicks.
        double_click: whether both detectors clicked.
    """

    pulses_sent: NDArray[np.int64]
    intensity: NDArray[np.int8]
    photons: NDArray[np.int64]
    alice_basis: NDArray[np.uint8]
    bob_basis: NDArray[np.uint8]
    alice_bit: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]
    double_click: NDArray[np.bool_]

    def gains(self) -> NDArray[np.float64]:
        """Q_k: clicks per pulse sent, per intensity class."""
        counts = np.bincount(self.intensity, minlength=self.pulses_sent.size)
        return counts / np.maximum(self.pulses_sent, 1)

    def error_rates(self, basis: int | None = None) -> NDArray[np.float64]:
        """E_k: error rate of the sifted clicks per class (``basis`` 0/1 or both)."""
        sifted = self.alice_basis == self.bob_basis
        if basis is not None:
            sifted &= self.alice_basis == basis
        errors = sifted & (self.alice_bit != self.bob_bit)
        k = self.pulses_sent.size
        n = np.bincount(self.intensity[sifted], minlength=k)
        e = np.bincount(self.intensity[errors], minlength=k)
        return e / np.maximum(n, 1)


def simulate(link: DecoyBB84Link, pulses: int, *, rng: np.random.Generator,
             attack: InterceptResend | None = None) -> Clicks:
    """Send ``pulses`` pulses and return Bob's clicks.

    With an ``attack``, Eve intercepts that share of the pulses at Alice's door and
    resends one photon in her own basis and bit for each pulse she detects.

    Examples:
        >>> link = DecoyBB84Link(WeakCoherentSource(), Fibre(50.0), Detector())
        >>> clicks = simulate(link, 10**7, rng=np.random.default_rng(1))
        >>> bool(0.04 < clicks.gains()[0] < 0.05)  # signal: 1 - exp(-eta mu), eta = 0.1 x 0.9
        True
    """
    if pulses < 0:
        raise ConfigError("pulses", f"must be non-negative, got {pulses}")
    source = link.source
    mus = np.asarray(source.intensities, dtype=float)
    sent = rng.multinomial(pulses, np.asarray(source.probabilities, dtype=float))
    eta, p_dark = link.transmittance, link.dark_probability
    any_dark = 1.0 - (1.0 - p_dark) ** 2
    share = 0.0 if attack is None else attack.fraction
    parts = []
    for k, (n_k, mu) in enumerate(zip(sent, mus, strict=True)):
        attacked = rng.binomial(n_k, share)
        clean = n_k - attacked
        with_photon = rng.binomial(clean, -np.expm1(-eta * mu))
        # Detected photons in such a pulse: Poisson(eta mu) conditioned on >= 1.
        photons = _zero_truncated_poisson(eta * mu, with_photon, rng)
        dark_only = rng.binomial(clean - with_photon, any_dark)
        # Eve detects a pulse with >= 1 photon and resends one photon through the fibre.
        resent = rng.binomial(rng.binomial(attacked, -np.expm1(-mu)), eta)
        dark_attacked = rng.binomial(attacked - resent, any_dark)
        block = [photons, np.zeros(dark_only, dtype=np.int64),
                 np.ones(resent, dtype=np.int64), np.zeros(dark_attacked, dtype=np.int64)]
        photons = np.concatenate(block)
        by_eve = np.zeros(photons.size, dtype=bool)
        by_eve[with_photon + dark_only:] = True
        parts.append((np.full(photons.size, k, dtype=np.int8), photons, by_eve))
    intensity = np.concatenate([p[0] for p in parts])
    photons = np.concatenate([p[1] for p in parts])
    by_eve = np.concatenate([p[2] for p in parts])
    n = photons.size
    pz = link.z_basis_probability
    alice_basis = (rng.random(n) >= pz).astype(np.uint8)
    bob_basis = (rng.random(n) >= pz).astype(np.uint8)
    alice_bit = rng.integers(0, 2, n, dtype=np.uint8)
    # What reaches Bob was prepared by Alice, or by Eve in her own basis and bit (her
    # bit is Alice's when she guessed the basis, a coin otherwise).
    eve_basis = rng.integers(0, 2, n, dtype=np.uint8)
    eve_bit = np.where(eve_basis == alice_basis, alice_bit,
                       rng.integers(0, 2, n, dtype=np.uint8))
    source_basis = np.where(by_eve, eve_basis, alice_basis)
    source_bit = np.where(by_eve, eve_bit, alice_bit)
    # photons in the detector that matches the source's bit: misalignment, or a coin per
    # photon when the bases differ
    p_right = np.where(source_basis == bob_basis, 1.0 - link.misalignment, 0.5)
    right = rng.binomial(photons, p_right)
    wrong = photons - right
    dark_right = rng.random(n) < p_dark
    dark_wrong = rng.random(n) < p_dark
    dark_only = photons == 0
    # dark-only events were drawn given at least one dark count: redraw the pattern
    pattern = rng.random(n) * (2 * p_dark - p_dark**2)
    dark_right = np.where(dark_only, pattern < p_dark, dark_right)
    dark_wrong = np.where(dark_only, (pattern >= p_dark - p_dark**2), dark_wrong)
    click_right = (right > 0) | dark_right
    click_wrong = (wrong > 0) | dark_wrong
    double = click_right & click_wrong
    coin = rng.integers(0, 2, n, dtype=np.uint8)
    bob_bit = np.where(double, coin, np.where(click_right, source_bit, 1 - source_bit))
    return Clicks(pulses_sent=sent.astype(np.int64), intensity=intensity, photons=photons,
                  alice_basis=alice_basis, bob_basis=bob_basis, alice_bit=alice_bit,
                  bob_bit=bob_bit.astype(np.uint8), double_click=double)


def _zero_truncated_poisson(lam: float, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Poisson(lam) draws conditioned on being at least 1 (inverse CDF on the tail)."""
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    # P(N = n | N >= 1) = e^-lam lam^n / n! / (1 - e^-lam); invert with uniforms
    u = rng.random(size) * -np.expm1(-lam) + np.exp(-lam)
    n = np.ones(size, dtype=np.int64)
    term = lam * np.exp(-lam)
    cdf = np.exp(-lam) + term
    active = u > cdf
    k = 1
    while active.any():
        k += 1
        term *= lam / k
        cdf += term
        n[active] += 1
        active &= u > cdf
    return n


@dataclass(frozen=True, slots=True)
class DecoyBB84Result:
    """One block of decoy BB84: the statistics, the decoy bounds and the key.

    Attributes:
        pulses: pulses sent.
        gains: Q per intensity class (signal, weak decoy, vacuum).
        qbers: sifted error rate per class.
        y1_lower: single-photon yield lower bound (decoy estimate).
        e1_upper: single-photon error upper bound.
        sifted_bits: signal-class, Z-basis sifted bits that entered post-processing.
        leaked_ec: bits disclosed by error correction and verification.
        key_alice: Alice's final key.
        key_bob: Bob's final key (equal to Alice's, or both empty on abort).
        aborted: whether post-processing stopped; ``reason`` says why.
        reason: why it aborted.
    """

    pulses: int
    gains: NDArray[np.float64]
    qbers: NDArray[np.float64]
    y1_lower: float
    e1_upper: float
    sifted_bits: int
    leaked_ec: int
    key_alice: NDArray[np.uint8]
    key_bob: NDArray[np.uint8]
    aborted: bool
    reason: str = ""

    @property
    def secret_bits_per_pulse(self) -> float:
        """Final key bits per pulse sent."""
        return self.key_alice.size / self.pulses if self.pulses else 0.0


def run_decoy_bb84(link: DecoyBB84Link, pulses: int, *, rng: RngTree,
                   epsilon_sec: float = 1e-10, epsilon_cor: float = 1e-15,
                   attack: InterceptResend | None = None) -> DecoyBB84Result:
    """Send pulses, sift, estimate with decoys, correct errors and amplify privacy.

    The key is made from signal pulses measured in Z by both; decoy and X-basis clicks
    are disclosed to estimate the gains and error rates. The privacy-amplified length
    rests on the single-photon part of the key, ``n1 = n Q1/Q_μ`` with
    ``Q1 = Y1 μ e^-μ``, and its error bound e1 (vacuum + weak decoy bounds of Ma et al.
    2005): ``ℓ = n1 (1 - H2(e1)) - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)``, the GLLP
    length with the finite-size terms of Tomamichel et al. (2012); the statistical
    fluctuation of the decoy estimates is not included.

    Args:
        link: the source, fibre and detectors; the source's intensities must be
            (signal, weak decoy, vacuum) with the vacuum at 0.
        pulses: pulses to send.
        rng: the run's random tree (the channel, the two ends and their shared stream
            take their own named streams).
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.
        attack: an eavesdropper on the fibre, if any.

    Raises:
        ConfigError: the source is not (signal, weak, vacuum).
    """
    mus = link.source.intensities
    if len(mus) != 3 or not mus[0] > mus[1] > mus[2] == 0.0:
        raise ConfigError("source.intensities",
                          f"decoy BB84 needs (signal, weak decoy, vacuum = 0), got {mus}")
    clicks = simulate(link, pulses, rng=rng.generator("bb84/channel"), attack=attack)
    gains = clicks.gains()
    qbers = clicks.error_rates()
    mu, nu = mus[0], mus[1]
    y1, e1 = decoy_estimates(gains[0], gains[1], qbers[1], y0=gains[2], mu=mu, nu=nu)
    y1, e1 = float(y1), float(e1)
    single_fraction = y1 * mu * np.exp(-mu) / gains[0] if gains[0] > 0 else 0.0
    key_mask = ((clicks.intensity == 0) & (clicks.alice_basis == 0)
                & (clicks.bob_basis == 0))

    def key_length(n: int, _qber_upper: float, leaked: int) -> int:
        # the secrecy rests on the single-photon part of the key and its error bound
        return final_key_length(n * single_fraction, qber_upper=e1, leaked_ec=leaked,
                                epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)

    result = distill(clicks.alice_bit[key_mask], clicks.bob_bit[key_mask],
                     rng_shared=rng.generator("bb84/shared"),
                     rng_alice=rng.generator("bb84/alice"), epsilon_sec=epsilon_sec,
                     epsilon_cor=epsilon_cor, key_length=key_length)
    return DecoyBB84Result(pulses=pulses, gains=gains, qbers=qbers, y1_lower=y1, e1_upper=e1,
                           sifted_bits=int(key_mask.sum()), leaked_ec=result.leaked_ec,
                           key_alice=result.key_alice, key_bob=result.key_bob,
                           aborted=result.aborted, reason=result.reason)
