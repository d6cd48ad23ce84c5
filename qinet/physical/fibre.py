"""Optical fibre: loss, propagation delay, chromatic dispersion and Raman noise.

Defaults describe standard single-mode fibre (ITU-T G.652, e.g. Corning SMF-28) at
1550 nm: 0.2 dB/km attenuation and a group index of 1.4682 (Corning SMF-28 product
information sheet, group index at 1550 nm).

Examples:
    >>> link = Fibre(length_km=50.0)
    >>> round(link.transmittance, 12), round(link.loss_db, 12)
    (0.1, 10.0)
    >>> round(link.delay_s * 1e6, 2)
    244.87
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.units import SPEED_OF_LIGHT_M_PER_S

PLANCK_CONSTANT_J_S = 6.626_070_15e-34
"""Planck constant (exact in the 2019 SI)."""

BOLTZMANN_CONSTANT_J_PER_K = 1.380_649e-23
"""Boltzmann constant (exact in the 2019 SI)."""

FIBRE_TEMPERATURE_K = 300.0
"""Temperature of installed fibre for the phonon population of Raman scattering."""

TELECOM_WAVELENGTH_M = 1550e-9
"""Centre of the telecom C band, where the defaults of this module apply."""

DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM = 3e-9
"""Effective spontaneous-Raman coefficient rho, in 1/(km nm).

A representative value for a C-band quantum channel a few nm from a C-band classical
channel in standard fibre: measured coefficients there lie between about 1e-9 and 5e-9
per km per nm (Eraerds et al., New J. Phys. 12, 063027 (2010); da Silva et al.,
arXiv:1410.0656 (2014)). Set it from the measured Raman spectrum of the actual
wavelength pair when it is known; the value depends strongly on the detuning.
"""

DEFAULT_FILTER_BANDWIDTH_NM = 0.8
"""Width of a 100 GHz ITU DWDM channel at 1550 nm (ITU-T G.694.1)."""

DEFAULT_DISPERSION_PS_PER_NM_KM = 17.0
"""Chromatic dispersion of standard single-mode fibre at 1550 nm (ITU-T G.652)."""


def attenuation_per_km(attenuation_db_per_km: ArrayLike) -> FloatArray:
    """The natural (power) attenuation coefficient alpha = a ln(10) / 10, in 1/km.

    Examples:
        >>> round(float(attenuation_per_km(0.2)), 6)
        0.046052
    """
    a = chk.non_negative("attenuation_db_per_km", attenuation_db_per_km)
    return a * (math.log(10.0) / 10.0)


def fibre_transmittance(
    length_km: ArrayLike, attenuation_db_per_km: ArrayLike = 0.2
) -> float | FloatArray:
    """Probability that a photon survives ``length_km`` of fibre.

    ``T = 10**(-a L / 10)`` (Agrawal, *Fiber-Optic Communication Systems*, 4th ed.,
    2010, section 2.5.1).

    Args:
        length_km: fibre length in km (scalar or array, >= 0).
        attenuation_db_per_km: loss coefficient a in dB/km (>= 0).

    Returns:
        Transmittance in (0, 1], a float for scalar input, else an array of the
        broadcast shape.

    Raises:
        ConfigError: a negative or non-finite length or attenuation.

    Examples:
        >>> fibre_transmittance(50.0)
        0.1
        >>> fibre_transmittance([0.0, 100.0], 0.2)
        array([1.  , 0.01])
    """
    length = chk.non_negative("length_km", length_km)
    a = chk.non_negative("attenuation_db_per_km", attenuation_db_per_km)
    return chk.out(10.0 ** (-a * length / 10.0))


def fibre_delay_s(length_km: ArrayLike, group_index: ArrayLike = 1.4682) -> float | FloatArray:
    """Time a photon needs to cross ``length_km`` of fibre: ``t = L n_g / c``.

    Args:
        length_km: fibre length in km (>= 0).
        group_index: group refractive index n_g (>= 1); 1.4682 is SMF-28 at 1550 nm.

    Returns:
        Delay in seconds.

    Raises:
        ConfigError: a negative length, or a group index below 1.

    Examples:
        >>> round(fibre_delay_s(10.0) * 1e6, 3)
        48.974
    """
    length = chk.non_negative("length_km", length_km)
    n = chk.checked("group_index", group_index, low=1.0)
    return chk.out(length * 1e3 * n / SPEED_OF_LIGHT_M_PER_S)


def photon_energy_j(wavelength_m: ArrayLike = TELECOM_WAVELENGTH_M) -> float | FloatArray:
    """Energy of one photon, ``E = h c / lambda``.

    Examples:
        >>> round(photon_energy_j(1550e-9) * 1e19, 4)
        1.2816
    """
    lam = chk.positive("wavelength_m", wavelength_m)
    return chk.out(PLANCK_CONSTANT_J_S * SPEED_OF_LIGHT_M_PER_S / lam)


def raman_noise_rate_hz(
    classical_power_w: ArrayLike,
    length_km: ArrayLike,
    *,
    raman_coefficient_per_km_per_nm: ArrayLike = DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM,
    filter_bandwidth_nm: ArrayLike = DEFAULT_FILTER_BANDWIDTH_NM,
    attenuation_db_per_km: ArrayLike = 0.2,
    co_propagating: bool = True,
    wavelength_m: ArrayLike = TELECOM_WAVELENGTH_M,
) -> float | FloatArray:
    """Spontaneous-Raman photons per second reaching the quantum receiver's filter.

    Classical light of launch power ``P_in`` shares the fibre with the quantum channel
    (Eraerds et al., New J. Phys. 12, 063027 (2010), eqs. for forward and backward
    scattering). With alpha the natural attenuation in 1/km and
    ``P_out = P_in exp(-alpha L)``:

    * co-propagating (forward scattering): ``P = P_out rho L d_lambda``;
    * counter-propagating (backward scattering):
      ``P = P_in rho d_lambda (1 - exp(-2 alpha L)) / (2 alpha)``.

    The power is turned into a photon rate with ``E = h c / lambda``. The rate is the
    flux in the filter band at the fibre end, before detector efficiency.

    Args:
        classical_power_w: launch power of the classical channel in W (>= 0).
        length_km: shared fibre length in km (>= 0).
        raman_coefficient_per_km_per_nm: effective Raman coefficient rho in 1/(km nm).
        filter_bandwidth_nm: width d_lambda of the quantum receiver's filter in nm.
        attenuation_db_per_km: fibre loss in dB/km.
        co_propagating: True when the classical light travels with the photons.
        wavelength_m: wavelength of the quantum channel (sets the photon energy).

    Returns:
        Noise photons per second in the filter band.

    Raises:
        ConfigError: a negative power, length, coefficient or bandwidth.

    Examples:
        >>> fwd = raman_noise_rate_hz(1e-3, 25.0)
        >>> bwd = raman_noise_rate_hz(1e-3, 25.0, co_propagating=False)
        >>> f"{fwd:.3e} {bwd:.3e}"
        '1.480e+08 1.830e+08'
        >>> raman_noise_rate_hz(0.0, 25.0)
        0.0
    """
    p_in = chk.non_negative("classical_power_w", classical_power_w)
    length = chk.non_negative("length_km", length_km)
    rho = chk.non_negative("raman_coefficient_per_km_per_nm", raman_coefficient_per_km_per_nm)
    band = chk.non_negative("filter_bandwidth_nm", filter_bandwidth_nm)
    alpha = attenuation_per_km(attenuation_db_per_km)
    if co_propagating:
        power_w = p_in * np.exp(-alpha * length) * rho * length * band
    else:
        two_alpha_l = 2.0 * alpha * length
        # (1 - e^{-2aL}) / (2a) -> L as a -> 0; the ratio form keeps lossless fibre finite.
        ratio = np.divide(
            -np.expm1(-two_alpha_l), two_alpha_l,
            out=np.ones_like(two_alpha_l), where=two_alpha_l > 0,
        )
        power_w = p_in * rho * band * length * ratio
    return chk.out(power_w / photon_energy_j(wavelength_m))


def raman_side_factor(
    quantum_wavelength_m: ArrayLike,
    classical_wavelength_m: ArrayLike,
    *,
    temperature_k: ArrayLike = FIBRE_TEMPERATURE_K,
) -> float | FloatArray:
    """Raman coefficient on the quantum channel's side over the Stokes one, same detuning.

    Spontaneous Raman scattering to the red of the classical light (Stokes) goes as
    ``n + 1`` and to the blue (anti-Stokes) as ``n``, with ``n = 1 / (exp(h dv / k T) - 1)``
    the thermal phonon population at the detuning ``dv`` (Agrawal, *Nonlinear Fiber
    Optics*, 5th ed., 2013, section 8.1; the asymmetry Eraerds et al., New J. Phys. 12,
    063027 (2010), measure around a C-band pump). A coefficient measured on the Stokes
    side therefore applies to a quantum channel at a longer wavelength than the classical
    one (factor 1) and is ``n / (n + 1) = exp(-h dv / k T)`` times smaller on the
    anti-Stokes side.

    Args:
        quantum_wavelength_m: wavelength of the quantum channel in m (> 0).
        classical_wavelength_m: wavelength of the classical channel in m (> 0).
        temperature_k: fibre temperature in K (> 0).

    Returns:
        1 on the Stokes side (quantum wavelength >= classical), ``exp(-h dv / k T)`` on
        the anti-Stokes side.

    Examples:
        >>> raman_side_factor(1550e-9, 1530e-9)  # quantum channel red of the data: Stokes
        1.0
        >>> round(raman_side_factor(1530e-9, 1550e-9), 4)  # 2.53 THz to the blue, 300 K
        0.6673
    """
    lam_q = chk.positive("quantum_wavelength_m", quantum_wavelength_m)
    lam_c = chk.positive("classical_wavelength_m", classical_wavelength_m)
    temp = chk.positive("temperature_k", temperature_k)
    detuning_hz = SPEED_OF_LIGHT_M_PER_S * (1.0 / lam_q - 1.0 / lam_c)  # > 0: anti-Stokes
    exponent = PLANCK_CONSTANT_J_S * np.maximum(detuning_hz, 0.0) / (
        BOLTZMANN_CONSTANT_J_PER_K * temp)
    return chk.out(np.exp(-exponent))


def dispersion_broadening_s(
    length_km: ArrayLike,
    spectral_width_nm: ArrayLike,
    *,
    dispersion_ps_per_nm_km: ArrayLike = DEFAULT_DISPERSION_PS_PER_NM_KM,
    initial_width_s: ArrayLike = 0.0,
) -> float | FloatArray:
    """Pulse (or photon wave-packet) width after chromatic dispersion.

    The group-delay spread is ``|D| L d_lambda`` (Agrawal, *Fiber-Optic Communication
    Systems*, 4th ed., 2010, section 2.3); widths add in quadrature with the initial
    width, as for Gaussian pulses far from the transform limit.

    Args:
        length_km: fibre length in km.
        spectral_width_nm: spectral width of the light in nm (>= 0).
        dispersion_ps_per_nm_km: dispersion parameter D in ps/(nm km); its sign is ignored.
        initial_width_s: width of the pulse at the fibre input in s.

    Returns:
        Output width in seconds.

    Examples:
        >>> round(dispersion_broadening_s(10.0, 0.1) * 1e12, 6)
        17.0
        >>> round(dispersion_broadening_s(10.0, 0.1, initial_width_s=17e-12) * 1e12, 3)
        24.042
    """
    length = chk.non_negative("length_km", length_km)
    width_nm = chk.non_negative("spectral_width_nm", spectral_width_nm)
    d = np.abs(chk.as_float_array("dispersion_ps_per_nm_km", dispersion_ps_per_nm_km))
    d = chk.checked("dispersion_ps_per_nm_km", d)
    t0 = chk.non_negative("initial_width_s", initial_width_s)
    spread_s = d * length * width_nm * 1e-12
    return chk.out(np.hypot(t0, spread_s))


@dataclass(frozen=True, slots=True)
class Fibre:
    """A span of optical fibre.

    Attributes:
        length_km: length in km (>= 0).
        attenuation_db_per_km: loss coefficient in dB/km (>= 0).
        group_index: group refractive index (>= 1).

    Raises:
        ConfigError: a field out of range, e.g. ``length_km: must be non-negative, got -3``.

    Examples:
        >>> Fibre(length_km=100.0, attenuation_db_per_km=0.16).loss_db
        16.0
        >>> Fibre(length_km=-3)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: length_km: must be non-negative, got -3
    """

    length_km: float
    attenuation_db_per_km: float = 0.2
    group_index: float = 1.4682

    def __post_init__(self) -> None:
        chk.set_field(self, "length_km", low=0.0)
        chk.set_field(self, "attenuation_db_per_km", low=0.0)
        chk.set_field(self, "group_index", low=1.0)

    @property
    def transmittance(self) -> float:
        """Probability that a photon crosses the span."""
        return float(fibre_transmittance(self.length_km, self.attenuation_db_per_km))

    @property
    def delay_s(self) -> float:
        """Propagation delay in seconds."""
        return float(fibre_delay_s(self.length_km, self.group_index))

    @property
    def loss_db(self) -> float:
        """Total span loss in dB."""
        return self.attenuation_db_per_km * self.length_km

    def raman_noise_rate_hz(
        self,
        classical_power_w: ArrayLike,
        *,
        raman_coefficient_per_km_per_nm: ArrayLike = DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM,
        filter_bandwidth_nm: ArrayLike = DEFAULT_FILTER_BANDWIDTH_NM,
        co_propagating: bool = True,
        wavelength_m: ArrayLike = TELECOM_WAVELENGTH_M,
    ) -> float | FloatArray:
        """:func:`raman_noise_rate_hz` over this span.

        Examples:
            >>> span = Fibre(length_km=25.0)
            >>> span.raman_noise_rate_hz(1e-3) == raman_noise_rate_hz(1e-3, 25.0)
            True
        """
        return raman_noise_rate_hz(
            classical_power_w,
            self.length_km,
            raman_coefficient_per_km_per_nm=raman_coefficient_per_km_per_nm,
            filter_bandwidth_nm=filter_bandwidth_nm,
            attenuation_db_per_km=self.attenuation_db_per_km,
            co_propagating=co_propagating,
            wavelength_m=wavelength_m,
        )
