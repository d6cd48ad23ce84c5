"""Decoy-state BB84 intensities and class probabilities chosen for a link.

For a link (fibre, detectors, window, misalignment, basis choice) and a post-processing
block of ``block_size`` key-basis bits, the expected counts of a block follow in closed
form from the channel model the simulation samples
(:func:`~qinet.qkd.protocols._bb84_channel.cell_probabilities`): per pulse, class ``k``
(probability ``p_k``) with both parties in Z (``q²``) gives a detection with probability
``D_k^Z`` and an error with ``E_k^Z``, and the same in X with ``(1 - q)²``. A block then
takes ``N = n / (q² Σ_k p_k D_k^Z)`` pulses, and its secret length is the finite-key
bound of Lim et al., PRA 89, 022307 (2014)
(:func:`~qinet.qkd.finite_key.lim2014_key_length`) on the expected counts, with
``λ_EC = f n h(E_Z)`` (``f`` = :data:`~qinet.qkd.bounds.F_EC`). The choice maximises
``ℓ / N``, the secret bits per pulse, over the signal and weak-decoy intensities
``μ1 > μ2 > 0`` (the third class is the vacuum, as the protocol requires) and the three
class probabilities, with ``scipy.optimize.minimize`` (Nelder-Mead) from a few starts in
an unconstrained parametrisation. Results are cached per link parameters.

Examples:
    >>> from qinet.physical.detectors import Detector
    >>> from qinet.physical.fibre import Fibre
    >>> choice = choose_decoy_parameters(
    ...     Fibre(50.0, 0.2, 1.4682), Detector(0.9, 10.0, 50e-9, 30e-12),
    ...     detection_window_s=1e-9, misalignment=0.03, z_basis_probability=0.5,
    ...     block_size=1_000_000, epsilon_sec=1e-10, epsilon_cor=1e-15)
    >>> choice.intensities[2], choice.key_bits_per_pulse > 0
    (0.0, True)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.finite_key import lim2014_key_length
from qinet.qkd.protocols._bb84_channel import PrepareMeasureLink, X, Z, cell_probabilities

MAX_SIGNAL = 1.5  # mean photons: beyond this the multi-photon share only costs key
# starts of the search: (signal, decoy, signal probability, decoy probability); Ma et
# al. 2005's intensities with probabilities from decoy-light to decoy-heavy
STARTS = ((0.5, 0.1, 0.8, 0.1), (0.5, 0.15, 0.6, 0.25), (0.4, 0.1, 0.4, 0.4))


@dataclass(frozen=True, slots=True)
class DecoyChoice:
    """Intensities and class probabilities of decoy-state BB84, and what they give.

    Attributes:
        intensities: (signal, weak decoy, vacuum = 0) mean photon numbers.
        probabilities: the probability of each class, summing to 1.
        key_bits_per_pulse: expected secret bits per pulse sent (0 when no key).
        block_pulses: expected pulses sent for one block.
    """

    intensities: tuple[float, float, float]
    probabilities: tuple[float, float, float]
    key_bits_per_pulse: float
    block_pulses: float


def expected_block_rate(link: PrepareMeasureLink, *, block_size: int, epsilon_sec: float,
                        epsilon_cor: float) -> tuple[float, float]:
    """Expected ``(ℓ, N)`` of one block: the Lim et al. length (unclipped, may be < 0)
    and the pulses sent for it, on the channel model's expected counts.

    Args:
        link: a decoy-state link whose source has three classes (signal, decoy, vacuum).
        block_size: key-basis detections per block (``n``).
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.
    """
    cells = cell_probabilities(link).sum(axis=-1)  # (K, Alice, Bob, correct/wrong)
    p = link.class_probabilities
    q = link.z_basis_probability
    per_pulse_z = p * q * q * cells[:, Z, Z].sum(axis=-1)
    errors_z = p * q * q * cells[:, Z, Z, 1]
    per_pulse_x = p * (1 - q) ** 2 * cells[:, X, X].sum(axis=-1)
    errors_x = p * (1 - q) ** 2 * cells[:, X, X, 1]
    pulses = block_size / float(per_pulse_z.sum())
    qber = float(errors_z.sum() / per_pulse_z.sum())
    leak = F_EC * block_size * float(binary_entropy(qber))
    source = link.source
    if not isinstance(source, WeakCoherentSource):
        raise ConfigError("source", "decoy intensities are chosen for weak coherent pulses, "
                                    f"got {type(source).__name__}")
    bound = lim2014_key_length(per_pulse_z * pulses, per_pulse_x * pulses, errors_x * pulses,
                               source.intensities, tuple(p), lambda_ec=leak,
                               epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    return bound.length_unclipped, pulses


@functools.lru_cache(maxsize=256)
def choose_decoy_parameters(fibre: Fibre, detector: Detector, *, detection_window_s: float,
                            misalignment: float, z_basis_probability: float,
                            block_size: int, epsilon_sec: float,
                            epsilon_cor: float) -> DecoyChoice:
    """The intensities and class probabilities of the best expected finite-key rate.

    Args:
        fibre: Alice to Bob.
        detector: each of Bob's two detectors.
        detection_window_s: Bob's gate, in s.
        misalignment: e_d, probability that a photon lands in the wrong detector.
        z_basis_probability: probability of the key basis Z (held fixed).
        block_size: key-basis detections per post-processing block.
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.

    Returns:
        The best choice found; where no choice gives a key, the one closest to giving
        one, with ``key_bits_per_pulse = 0``.
    """

    def link_of(mus: tuple[float, ...], probs: tuple[float, ...]) -> PrepareMeasureLink:
        source = WeakCoherentSource(rate_hz=1.0, intensities=mus, probabilities=probs)
        return PrepareMeasureLink(source, fibre, detector,
                                  detection_window_s=detection_window_s,
                                  misalignment=misalignment,
                                  z_basis_probability=z_basis_probability)

    def negative_rate(x: np.ndarray) -> float:
        try:
            length, pulses = expected_block_rate(
                link_of(*_decode(x)), block_size=block_size, epsilon_sec=epsilon_sec,
                epsilon_cor=epsilon_cor)
        except ConfigError:
            # far out the intensities round to zero or the decoy's share to 1, and the
            # set is no decoy set: no key there
            return 0.0
        return -length / pulses

    from scipy.optimize import minimize  # here, not at the top: 0.2 s of every start
    best = min((minimize(negative_rate, _encode(*start), method="Nelder-Mead",
                         options={"xatol": 1e-4, "fatol": 1e-12, "maxfev": 600})
                for start in STARTS), key=lambda res: float(res.fun))
    mus, probs = _decode(best.x)
    # rounded to what a lab would set, and kept a decoy set (signal > decoy > vacuum,
    # every class sent) where a link with no key let the search drift to zero; the rate
    # is that of the rounded values
    decoy_mu = max(round(mus[1], 3), _STEP)
    chosen_mus = (max(round(mus[0], 3), decoy_mu + _STEP), decoy_mu, 0.0)
    signal_p = min(max(round(probs[0], 3), _STEP), 1.0 - 2 * _STEP)
    decoy_p = min(max(round(probs[1], 3), _STEP), round(1.0 - signal_p - _STEP, 3))
    chosen_probs = (signal_p, decoy_p, round(1.0 - signal_p - decoy_p, 3))
    length, pulses = expected_block_rate(link_of(chosen_mus, chosen_probs),
                                         block_size=block_size, epsilon_sec=epsilon_sec,
                                         epsilon_cor=epsilon_cor)
    bits = max(0.0, math.floor(length)) / pulses
    return DecoyChoice(chosen_mus, chosen_probs, bits, pulses)


_STEP = 0.001  # the rounding of the chosen values


def _logit(y: float) -> float:
    return math.log(y / (1.0 - y))


def _sigmoid(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))  # tanh: no overflow for any x


def _encode(mu1: float, mu2: float, p1: float, p2: float) -> np.ndarray:
    return np.array([_logit(mu1 / MAX_SIGNAL), _logit(mu2 / mu1), math.log(p1 / (1 - p1 - p2)),
                     math.log(p2 / (1 - p1 - p2))])


def _decode(x: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(μ1, μ2, 0) with 0 < μ2 < μ1 < MAX_SIGNAL, and three positive probabilities.

    Examples:
        >>> mus, probs = _decode(_encode(0.5, 0.1, 0.8, 0.1))
        >>> [round(v, 12) for v in mus + probs]
        [0.5, 0.1, 0.0, 0.8, 0.1, 0.1]
    """
    mu1 = MAX_SIGNAL * _sigmoid(float(x[0]))
    mu2 = mu1 * _sigmoid(float(x[1]))
    a, b = float(np.clip(x[2], -30, 30)), float(np.clip(x[3], -30, 30))
    total = math.exp(a) + math.exp(b) + 1.0
    return (mu1, mu2, 0.0), (math.exp(a) / total, math.exp(b) / total, 1.0 / total)
