"""Single-photon detectors: efficiency, dark counts, dead time and timing jitter.

The detector is a threshold (click / no click) detector. Defaults describe a current
superconducting nanowire detector (SNSPD): 90 % system efficiency, 10 Hz dark counts,
50 ns recovery, 30 ps jitter (Hadfield, Nat. Photon. 3, 696 (2009); Esmaeil Zadeh et
al., APL Photonics 6, 080901 (2021)).

Examples:
    >>> snspd = Detector()
    >>> round(snspd.click_probability(1, window_s=1e-9), 6)
    0.9
    >>> f"{snspd.dark_probability(1e-9):.3e}"
    '1.000e-08'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erf

from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
"""FWHM of a Gaussian in units of its standard deviation (about 2.3548)."""


def dark_count_probability(rate_hz: ArrayLike, window_s: ArrayLike) -> float | FloatArray:
    """Probability of at least one dark count in a detection window.

    Dark counts are a Poisson process, so ``p_d = 1 - exp(-R t)``
    (Hadfield, Nat. Photon. 3, 696 (2009)).

    Args:
        rate_hz: dark-count rate in Hz (>= 0).
        window_s: length of the detection window in s (>= 0).

    Returns:
        Probability in [0, 1).

    Examples:
        >>> round(dark_count_probability(100.0, 1e-3), 12)
        0.095162581964
        >>> dark_count_probability([0.0, 1e9], 1e-9)
        array([0.        , 0.63212056])
    """
    rate = chk.non_negative("rate_hz", rate_hz)
    window = chk.non_negative("window_s", window_s)
    # expm1 keeps the tiny p_d of a good detector (~1e-8) accurate to full precision.
    return chk.out(-np.expm1(-rate * window))


def click_probability_fock(
    n_photons: ArrayLike, efficiency: ArrayLike, dark_probability: ArrayLike
) -> float | FloatArray:
    """Click probability of a threshold detector hit by an n-photon Fock state.

    ``P = 1 - (1 - p_d) (1 - eta)**n``: no click needs every photon lost and no dark
    count (Lütkenhaus, Phys. Rev. A 61, 052304 (2000)).

    Args:
        n_photons: photon number(s) n (non-negative integers).
        efficiency: detection efficiency eta in [0, 1].
        dark_probability: dark-count probability per window in [0, 1].

    Returns:
        Click probability.

    Examples:
        >>> click_probability_fock([0, 1, 2], 0.5, 0.0)
        array([0.  , 0.5 , 0.75])
    """
    n = chk.counts("n_photons", n_photons)
    eta = chk.probability("efficiency", efficiency)
    p_d = chk.probability("dark_probability", dark_probability)
    return chk.out(1.0 - (1.0 - p_d) * (1.0 - eta) ** n)


def click_probability_coherent(
    mean_photons: ArrayLike, efficiency: ArrayLike, dark_probability: ArrayLike
) -> float | FloatArray:
    """Click probability of a threshold detector hit by a coherent (Poisson) pulse.

    ``P = 1 - (1 - p_d) exp(-eta mu)`` (Lo, Ma and Chen, Phys. Rev. Lett. 94, 230504
    (2005), the gain of a weak coherent pulse).

    Args:
        mean_photons: mean photon number mu at the detector input (>= 0).
        efficiency: detection efficiency eta in [0, 1].
        dark_probability: dark-count probability per window in [0, 1].

    Returns:
        Click probability.

    Examples:
        >>> round(click_probability_coherent(1.0, 1.0, 0.0), 6)
        0.632121
    """
    mu = chk.non_negative("mean_photons", mean_photons)
    eta = chk.probability("efficiency", efficiency)
    p_d = chk.probability("dark_probability", dark_probability)
    return chk.out(1.0 - (1.0 - p_d) * np.exp(-eta * mu))


def detected_rate_nonparalyzable(
    incident_rate_hz: ArrayLike, dead_time_s: ArrayLike
) -> float | FloatArray:
    """Registered count rate of a non-paralyzable detector: ``R / (1 + R tau)``.

    Knoll, *Radiation Detection and Measurement*, 4th ed. (2010), section 4.VII.

    Examples:
        >>> detected_rate_nonparalyzable(1e7, 50e-9)
        6666666.666666667
    """
    rate = chk.non_negative("incident_rate_hz", incident_rate_hz)
    tau = chk.non_negative("dead_time_s", dead_time_s)
    return chk.out(rate / (1.0 + rate * tau))


def detected_rate_paralyzable(
    incident_rate_hz: ArrayLike, dead_time_s: ArrayLike
) -> float | FloatArray:
    """Registered count rate of a paralyzable detector: ``R exp(-R tau)``.

    Knoll, *Radiation Detection and Measurement*, 4th ed. (2010), section 4.VII.

    Examples:
        >>> round(detected_rate_paralyzable(1e7, 50e-9), 3)
        6065306.597
    """
    rate = chk.non_negative("incident_rate_hz", incident_rate_hz)
    tau = chk.non_negative("dead_time_s", dead_time_s)
    return chk.out(rate * np.exp(-rate * tau))


def jitter_window_efficiency(window_s: ArrayLike, jitter_fwhm_s: ArrayLike) -> float | FloatArray:
    """Probability that a Gaussian-jittered arrival falls in a window centred on it.

    With ``sigma = FWHM / (2 sqrt(2 ln 2))`` and a window of total width ``w``,
    ``P(|t| <= w/2) = erf(w / (2 sqrt(2) sigma))``. Zero jitter gives 1 for any window
    of positive width.

    Args:
        window_s: total width of the acceptance window in s (>= 0).
        jitter_fwhm_s: full width at half maximum of the timing jitter in s (>= 0).

    Returns:
        Fraction of detections kept by the window.

    Examples:
        >>> round(jitter_window_efficiency(30e-12, 30e-12), 6)  # a FWHM window keeps 76 %
        0.760968
        >>> jitter_window_efficiency(1e-9, 0.0)
        1.0
    """
    window = chk.non_negative("window_s", window_s)
    fwhm = chk.non_negative("jitter_fwhm_s", jitter_fwhm_s)
    window, fwhm = np.broadcast_arrays(window, fwhm)
    sigma = fwhm / FWHM_PER_SIGMA
    z = np.divide(window, 2.0 * math.sqrt(2.0) * sigma,
                  out=np.full(window.shape, np.inf), where=sigma > 0)
    z = np.where(window > 0, z, 0.0)
    return chk.out(erf(z))


@dataclass(frozen=True, slots=True)
class Detector:
    """A threshold single-photon detector.

    Attributes:
        efficiency: system detection efficiency in (0, 1].
        dark_count_rate_hz: dark-count rate in Hz (>= 0).
        dead_time_s: recovery time after a click in s (>= 0).
        jitter_fwhm_s: timing jitter (FWHM) in s (>= 0).

    Raises:
        ConfigError: a field out of range, naming the field.

    Examples:
        >>> Detector(efficiency=1.5)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: efficiency: must be at most 1, got 1.5
    """

    efficiency: float = 0.9
    dark_count_rate_hz: float = 10.0
    dead_time_s: float = 50e-9
    jitter_fwhm_s: float = 30e-12

    def __post_init__(self) -> None:
        chk.set_field(self, "efficiency", low=0.0, low_open=True, high=1.0)
        chk.set_field(self, "dark_count_rate_hz", low=0.0)
        chk.set_field(self, "dead_time_s", low=0.0)
        chk.set_field(self, "jitter_fwhm_s", low=0.0)

    def dark_probability(self, window_s: ArrayLike) -> float | FloatArray:
        """Probability of a dark count in a window of ``window_s`` seconds."""
        return dark_count_probability(self.dark_count_rate_hz, window_s)

    def window_efficiency(self, window_s: ArrayLike) -> float | FloatArray:
        """Fraction of photon detections that the jitter leaves inside ``window_s``.

        :meth:`click_probability` assumes a window wide against the jitter; multiply
        ``efficiency`` by this factor for a narrow one.

        Examples:
            >>> round(Detector().window_efficiency(100e-12), 6)
            0.999913
        """
        return jitter_window_efficiency(window_s, self.jitter_fwhm_s)

    def click_probability(self, n_photons: ArrayLike, window_s: ArrayLike) -> float | FloatArray:
        """Click probability for ``n_photons`` (Fock) arriving in a window of ``window_s``.

        Examples:
            >>> Detector(efficiency=0.5, dark_count_rate_hz=0.0).click_probability([0, 1], 1e-9)
            array([0. , 0.5])
        """
        return click_probability_fock(n_photons, self.efficiency, self.dark_probability(window_s))

    def click_probability_coherent(
        self, mean_photons: ArrayLike, window_s: ArrayLike
    ) -> float | FloatArray:
        """Click probability for a coherent pulse of ``mean_photons`` in ``window_s``."""
        return click_probability_coherent(
            mean_photons, self.efficiency, self.dark_probability(window_s)
        )

    def detected_rate_hz(self, incident_rate_hz: ArrayLike) -> float | FloatArray:
        """Registered click rate for a Poisson photon flux, treating the detector as
        non-paralyzable (a nanowire is blind for ``dead_time_s`` and then recovers).

        Examples:
            >>> Detector(efficiency=1.0, dead_time_s=1e-6).detected_rate_hz(1e6)
            500000.0
        """
        return detected_rate_nonparalyzable(
            self.efficiency * chk.non_negative("incident_rate_hz", incident_rate_hz),
            self.dead_time_s,
        )

    def sample_clicks(
        self, n_photons: ArrayLike, window_s: float, *, rng: np.random.Generator
    ) -> NDArray[np.bool_]:
        """Draw click outcomes for an array of photon numbers, one window each.

        Each photon is detected independently with ``efficiency`` (a binomial draw), and
        a dark count in the window clicks regardless; the click probability therefore
        equals :meth:`click_probability`.

        Args:
            n_photons: photon numbers arriving, any shape (non-negative integers).
            window_s: detection window in s, shared by every element.
            rng: the caller's random generator.

        Returns:
            Boolean array of the shape of ``n_photons``.

        Examples:
            >>> rng = np.random.default_rng(1)
            >>> Detector(efficiency=1.0, dark_count_rate_hz=0.0).sample_clicks(
            ...     [0, 1, 3], 1e-9, rng=rng).tolist()
            [False, True, True]
        """
        n = chk.counts("n_photons", n_photons)
        p_dark = self.dark_probability(window_s)
        detected = rng.binomial(n, self.efficiency) > 0
        dark = rng.random(n.shape) < p_dark
        return detected | dark
