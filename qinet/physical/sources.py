"""Photon sources: SPDC pair sources, weak coherent pulses with decoys, single photons.

Each source gives its photon-number distribution (a pmf truncated at ``n_max``; the
tail beyond it is dropped, not renormalised) and a vectorised sampler that takes the
caller's ``numpy.random.Generator``.

Examples:
    >>> spdc = SPDCSource(mean_pairs_per_mode=0.1)
    >>> spdc.pmf(2).round(6)
    array([0.909091, 0.082645, 0.007513])
    >>> round(spdc.multi_pair_probability, 6)
    0.008264
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray

IntArray = NDArray[np.int64]


def _orders(n_max: int) -> IntArray:
    return np.arange(chk.sample_size("n_max", n_max) + 1)


def thermal_photon_number_pmf(mean_pairs: ArrayLike, n_max: int) -> FloatArray:
    """Bose-Einstein (thermal) pair-number distribution of single-mode SPDC.

    ``P(n) = mu**n / (1 + mu)**(n + 1)`` (Loudon, *The Quantum Theory of Light*, 3rd
    ed., 2000, chaotic light; for SPDC see Takesue and Shimizu, Opt. Commun. 283, 276
    (2010)). Mean ``mu``, variance ``mu (1 + mu)``.

    Args:
        mean_pairs: mean pair number mu per mode (>= 0), scalar or array.
        n_max: largest photon number kept.

    Returns:
        Array of shape ``mean_pairs.shape + (n_max + 1,)``.

    Examples:
        >>> thermal_photon_number_pmf(1.0, 3)
        array([0.5   , 0.25  , 0.125 , 0.0625])
    """
    mu = chk.non_negative("mean_pairs", mean_pairs)[..., None]
    n = _orders(n_max)
    ratio = mu / (1.0 + mu)
    return ratio**n / (1.0 + mu)


def poisson_photon_number_pmf(mu: ArrayLike, n_max: int) -> FloatArray:
    """Poisson photon-number distribution (weak coherent light, or many-mode SPDC).

    ``P(n) = exp(-mu) mu**n / n!`` (Loudon, *The Quantum Theory of Light*, 3rd ed.,
    2000, coherent states), evaluated in log space so large ``n_max`` stays finite.

    Args:
        mu: mean photon number (>= 0), scalar or array.
        n_max: largest photon number kept.

    Returns:
        Array of shape ``mu.shape + (n_max + 1,)``.

    Examples:
        >>> poisson_photon_number_pmf(0.5, 2).round(6)
        array([0.606531, 0.303265, 0.075816])
        >>> poisson_photon_number_pmf(0.0, 2)
        array([1., 0., 0.])
    """
    mean = chk.non_negative("mu", mu)[..., None]
    n = _orders(n_max)
    # xlogy-style guard: 0 * log(0) is 0, so mu = 0 gives the vacuum exactly.
    log_mu_n = np.where(n == 0, 0.0, n * np.log(np.where(mean > 0, mean, 1.0)))
    pmf = np.exp(log_mu_n - mean - gammaln(n + 1))
    return np.where((mean == 0) & (n > 0), 0.0, pmf)


@dataclass(frozen=True, slots=True)
class SPDCSource:
    """A spontaneous parametric down-conversion pair source.

    Attributes:
        mean_pairs_per_mode: mean pair number mu per pump pulse / temporal mode (>= 0).
        rate_hz: pump repetition rate, i.e. modes per second (> 0).
        heralding_efficiency: probability that the partner of a detected photon is
            coupled into the output fibre (Klyshko efficiency), in (0, 1].
        thermal: True for single-mode (thermal) statistics, False for the Poisson
            limit of many modes.

    Examples:
        >>> src = SPDCSource(mean_pairs_per_mode=0.01, rate_hz=1e6)
        >>> round(src.pair_rate_hz, 3)
        9900.99
        >>> SPDCSource(rate_hz=0)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: rate_hz: must be positive, got 0
    """

    mean_pairs_per_mode: float = 0.01
    rate_hz: float = 1e6
    heralding_efficiency: float = 1.0
    thermal: bool = True

    def __post_init__(self) -> None:
        chk.set_field(self, "mean_pairs_per_mode", low=0.0)
        chk.set_field(self, "rate_hz", low=0.0, low_open=True)
        chk.set_field(self, "heralding_efficiency", low=0.0, low_open=True, high=1.0)
        if not isinstance(self.thermal, bool):
            raise ConfigError("thermal", f"must be true or false, got {self.thermal!r}")

    def pmf(self, n_max: int) -> FloatArray:
        """Pair-number probabilities ``P(0) .. P(n_max)`` per mode."""
        if self.thermal:
            return thermal_photon_number_pmf(self.mean_pairs_per_mode, n_max)
        return poisson_photon_number_pmf(self.mean_pairs_per_mode, n_max)

    @property
    def pair_emission_probability(self) -> float:
        """Probability of at least one pair per mode: ``mu/(1+mu)`` or ``1 - e^-mu``."""
        mu = self.mean_pairs_per_mode
        return mu / (1.0 + mu) if self.thermal else -math.expm1(-mu)

    @property
    def multi_pair_probability(self) -> float:
        """Probability of two or more pairs per mode.

        ``(mu/(1+mu))**2`` (thermal) or ``1 - e^-mu (1 + mu)`` (Poisson).
        """
        mu = self.mean_pairs_per_mode
        if self.thermal:
            return (mu / (1.0 + mu)) ** 2
        return -math.expm1(-mu) - mu * math.exp(-mu)

    @property
    def pair_rate_hz(self) -> float:
        """Rate of modes that hold at least one pair, per second."""
        return self.rate_hz * self.pair_emission_probability

    def sample_pairs(self, n: int, *, rng: np.random.Generator) -> IntArray:
        """Pair numbers of ``n`` consecutive modes.

        Thermal statistics are geometric on {0, 1, ...} with success probability
        ``1/(1+mu)``; Poisson statistics are drawn directly.

        Examples:
            >>> SPDCSource(mean_pairs_per_mode=0.0).sample_pairs(3, rng=np.random.default_rng(0))
            array([0, 0, 0])
        """
        size = chk.sample_size("n", n)
        mu = self.mean_pairs_per_mode
        if self.thermal:
            return rng.geometric(1.0 / (1.0 + mu), size).astype(np.int64) - 1
        return rng.poisson(mu, size).astype(np.int64)


@dataclass(frozen=True, slots=True)
class WeakCoherentSource:
    """A phase-randomised weak coherent pulse source with decoy intensities.

    Each pulse picks intensity ``k`` with probability ``probabilities[k]`` and then
    carries a Poisson number of photons of mean ``intensities[k]`` (Lo, Ma and Chen,
    Phys. Rev. Lett. 94, 230504 (2005)). The defaults are a signal, a weak decoy and a
    vacuum decoy (Ma et al., Phys. Rev. A 72, 012326 (2005)).

    Attributes:
        rate_hz: pulse repetition rate in Hz (> 0).
        intensities: mean photon numbers, one per class (>= 0).
        probabilities: probability of each class (>= 0, summing to 1).

    Examples:
        >>> WeakCoherentSource(intensities=(0.5, 0.1), probabilities=(0.5, 0.6))
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: probabilities: must sum to 1, got 1.1
    """

    rate_hz: float = 1e9
    intensities: tuple[float, ...] = (0.5, 0.1, 0.0)
    probabilities: tuple[float, ...] = (0.8, 0.1, 0.1)

    def __post_init__(self) -> None:
        chk.set_field(self, "rate_hz", low=0.0, low_open=True)
        mus = self._vector("intensities")
        probs = self._vector("probabilities")
        if len(mus) == 0:
            raise ConfigError("intensities", "must hold at least one intensity")
        if len(probs) != len(mus):
            raise ConfigError("probabilities", f"must have one entry per intensity "
                                               f"({len(mus)}), got {len(probs)}")
        chk.non_negative("intensities", mus)
        chk.probability("probabilities", probs)
        total = math.fsum(probs)
        if not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=1e-9):
            raise ConfigError("probabilities", f"must sum to 1, got {chk.show(total)}")

    def _vector(self, field: str) -> tuple[float, ...]:
        raw = getattr(self, field)
        if isinstance(raw, str | bytes) or not hasattr(raw, "__iter__"):
            raise ConfigError(field, f"must be a sequence of numbers, got {raw!r}")
        values = tuple(chk.scalar(field, v) for v in raw)
        object.__setattr__(self, field, values)  # a tuple keeps the frozen object hashable
        return values

    @property
    def mean_photon_number(self) -> float:
        """Mean photons per pulse, averaged over the intensity classes."""
        return math.fsum(m * p for m, p in zip(self.intensities, self.probabilities, strict=True))

    def pmf(self, n_max: int) -> FloatArray:
        """Photon-number pmf per class, shape ``(len(intensities), n_max + 1)``.

        Examples:
            >>> WeakCoherentSource(intensities=(0.0,), probabilities=(1.0,)).pmf(1)
            array([[1., 0.]])
        """
        return poisson_photon_number_pmf(np.asarray(self.intensities), n_max)

    def sample(self, n: int, *, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """Intensity class and photon number of ``n`` pulses.

        Returns:
            ``(intensity_index, photon_number)``, two int arrays of length ``n``.

        Examples:
            >>> src = WeakCoherentSource(intensities=(0.0,), probabilities=(1.0,))
            >>> idx, photons = src.sample(4, rng=np.random.default_rng(3))
            >>> idx.tolist(), photons.tolist()
            ([0, 0, 0, 0], [0, 0, 0, 0])
        """
        size = chk.sample_size("n", n)
        index = rng.choice(len(self.intensities), size=size, p=np.asarray(self.probabilities))
        photons = rng.poisson(np.asarray(self.intensities)[index])
        return index.astype(np.int64), photons.astype(np.int64)


@dataclass(frozen=True, slots=True)
class SinglePhotonSource:
    """A triggered single-photon source (quantum dot, colour centre, heralded source).

    The photon-number state is truncated at two photons and fixed by two measured
    numbers: the mean photon number ``<n> = efficiency`` and the second-order
    correlation ``g2 = <n(n-1)> / <n>**2`` (Loudon, *The Quantum Theory of Light*,
    3rd ed., 2000). Solving them exactly gives

    ``p2 = g2 eta**2 / 2``, ``p1 = eta - 2 p2 = eta (1 - g2 eta)``, ``p0 = 1 - p1 - p2``.

    For small g2 this is the usual ``p2 ~ g2 p1**2 / 2``; the exact form keeps both the
    mean and g2 of the model equal to the values given.

    Attributes:
        efficiency: mean photon number per trigger in the output mode, in (0, 1].
        g2: second-order correlation at zero delay, in [0, 1/efficiency].
        rate_hz: trigger (excitation) rate in Hz (> 0).

    Examples:
        >>> SinglePhotonSource(efficiency=0.5, g2=0.04).pmf(2).round(6)
        array([0.505, 0.49 , 0.005])
    """

    efficiency: float = 1.0
    g2: float = 0.0
    rate_hz: float = 80e6

    def __post_init__(self) -> None:
        eta = chk.set_field(self, "efficiency", low=0.0, low_open=True, high=1.0)
        chk.set_field(self, "g2", low=0.0)
        chk.set_field(self, "rate_hz", low=0.0, low_open=True)
        if self.g2 * eta > 1.0 + 1e-12:
            raise ConfigError("g2", f"must be at most 1/efficiency = {chk.show(1.0 / eta)} "
                                    f"for a state of at most two photons, got "
                                    f"{chk.show(self.g2)}")

    def pmf(self, n_max: int = 2) -> FloatArray:
        """Photon-number probabilities ``P(0) .. P(n_max)`` (zero beyond two)."""
        eta = self.efficiency
        p2 = self.g2 * eta * eta / 2.0
        p1 = max(eta - 2.0 * p2, 0.0)
        full = np.array([1.0 - p1 - p2, p1, p2])
        out = np.zeros(chk.sample_size("n_max", n_max) + 1)
        keep = min(3, out.size)
        out[:keep] = full[:keep]
        return out

    @property
    def multi_photon_probability(self) -> float:
        """Probability of two photons in one trigger."""
        return self.g2 * self.efficiency**2 / 2.0

    def sample(self, n: int, *, rng: np.random.Generator) -> IntArray:
        """Photon numbers of ``n`` triggers.

        Examples:
            >>> SinglePhotonSource().sample(3, rng=np.random.default_rng(0)).tolist()
            [1, 1, 1]
        """
        size = chk.sample_size("n", n)
        return rng.choice(3, size=size, p=self.pmf(2)).astype(np.int64)
