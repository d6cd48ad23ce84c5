"""Clocks and coincidence windows: offset, drift and timing jitter between nodes.

A node's clock reads ``t + offset + drift t`` plus Gaussian jitter of its time-tagger.
Two time tags belong to one event when they differ by at most half the coincidence
window, which sets how many true coincidences survive.

Examples:
    >>> round(coincidence_probability(100e-12, 20e-12, 20e-12), 6)
    0.9229
    >>> Clock(offset_s=1e-9, drift_ppm=1.0).error_s(1.0)
    1.001e-06
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erfinv, ndtr

from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray


def coincidence_probability(
    window_s: ArrayLike,
    jitter_rms_a: ArrayLike,
    jitter_rms_b: ArrayLike,
    offset_s: ArrayLike = 0.0,
) -> float | FloatArray:
    """Probability that two time tags of one event fall within a coincidence window.

    The tag difference ``t_a - t_b`` is Gaussian with mean ``offset_s`` and variance
    ``sigma_a**2 + sigma_b**2`` (the difference of two independent Gaussians), and it
    counts when ``|t_a - t_b| <= window_s / 2``::

        P = Phi((w/2 - d) / s) - Phi((-w/2 - d) / s),  s = sqrt(sigma_a**2 + sigma_b**2)

    With no jitter at all the answer is 1 inside the window and 0 outside.

    Args:
        window_s: total width of the coincidence window in s (>= 0).
        jitter_rms_a: RMS timing jitter of tag a in s (>= 0).
        jitter_rms_b: RMS timing jitter of tag b in s (>= 0).
        offset_s: residual clock offset ``t_a - t_b`` in s.

    Returns:
        Probability in [0, 1].

    Examples:
        >>> coincidence_probability(1e-9, 0.0, 0.0, [0.0, 2e-9]).tolist()
        [1.0, 0.0]
        >>> round(coincidence_probability(2e-9, 3e-10, 4e-10), 6)  # window = +-2 sigma
        0.9545
    """
    window = chk.non_negative("window_s", window_s)
    sigma_a = chk.non_negative("jitter_rms_a", jitter_rms_a)
    sigma_b = chk.non_negative("jitter_rms_b", jitter_rms_b)
    offset = chk.checked("offset_s", offset_s)
    sigma = np.hypot(sigma_a, sigma_b)
    half = window / 2.0
    window, sigma, offset, half = np.broadcast_arrays(window, sigma, offset, half)
    jittery = sigma > 0
    safe = np.where(jittery, sigma, 1.0)
    smooth = ndtr((half - offset) / safe) - ndtr((-half - offset) / safe)
    sharp = (np.abs(offset) <= half).astype(float)
    return chk.out(np.where(jittery, smooth, sharp))


def window_for_coincidence_probability(
    target: float, jitter_rms_a: float, jitter_rms_b: float
) -> float:
    """Smallest centred window keeping a fraction ``target`` of coincidences (no offset).

    Inverts :func:`coincidence_probability` at zero offset:
    ``w = 2 sqrt(2) s erfinv(target)``.

    Examples:
        >>> round(window_for_coincidence_probability(0.9545, 3e-10, 4e-10) * 1e9, 4)
        2.0
    """
    p = float(chk.checked("target", target, low=0.0, high=1.0, high_open=True))
    sigma = math.hypot(float(chk.non_negative("jitter_rms_a", jitter_rms_a)),
                       float(chk.non_negative("jitter_rms_b", jitter_rms_b)))
    return 2.0 * math.sqrt(2.0) * sigma * float(erfinv(p))


@dataclass(frozen=True, slots=True)
class Clock:
    """A node's clock against the network's reference time.

    Attributes:
        offset_s: constant offset at reference time 0, in s.
        drift_ppm: fractional frequency error in parts per million (a clock that runs
            fast by 1 ppm gains 1 us per s).
        jitter_rms_s: RMS jitter of each time tag in s (>= 0).

    Examples:
        >>> Clock(jitter_rms_s=-1e-12)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: jitter_rms_s: must be non-negative, got -1e-12
    """

    offset_s: float = 0.0
    drift_ppm: float = 0.0
    jitter_rms_s: float = 0.0

    def __post_init__(self) -> None:
        chk.set_field(self, "offset_s")
        chk.set_field(self, "drift_ppm", low=-1e6, low_open=True)
        chk.set_field(self, "jitter_rms_s", low=0.0)

    def error_s(self, true_s: ArrayLike) -> float | FloatArray:
        """Deterministic part of the reading error at reference time ``true_s``."""
        t = chk.checked("true_s", true_s)
        return chk.out(self.offset_s + self.drift_ppm * 1e-6 * t)

    def read_s(self, true_s: ArrayLike) -> float | FloatArray:
        """The clock's reading, without jitter, at reference time ``true_s``.

        Examples:
            >>> Clock(drift_ppm=-2.0).read_s(10.0)
            9.99998
        """
        t = chk.checked("true_s", true_s)
        return chk.out(t + self.error_s(t))

    def sample_timestamps(self, true_s: ArrayLike, *, rng: np.random.Generator) -> FloatArray:
        """Time tags of events at reference times ``true_s``, with jitter drawn from ``rng``.

        Examples:
            >>> Clock(offset_s=1.0).sample_timestamps([0.0, 2.0], rng=np.random.default_rng(0))
            array([1., 3.])
        """
        t = chk.checked("true_s", true_s)
        jitter = rng.normal(0.0, self.jitter_rms_s, t.shape) if self.jitter_rms_s else 0.0
        return np.asarray(t + self.error_s(t) + jitter, dtype=float)

    def coincidence_probability(
        self, other: Clock, window_s: ArrayLike, *, at_s: ArrayLike = 0.0
    ) -> float | FloatArray:
        """:func:`coincidence_probability` of tags from this clock and ``other`` at ``at_s``.

        Examples:
            >>> a, b = Clock(offset_s=1e-9), Clock()
            >>> a.coincidence_probability(b, 1e-9), a.coincidence_probability(b, 3e-9)
            (0.0, 1.0)
        """
        offset = np.asarray(self.error_s(at_s)) - np.asarray(other.error_s(at_s))
        return coincidence_probability(window_s, self.jitter_rms_s, other.jitter_rms_s, offset)
