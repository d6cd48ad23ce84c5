"""One broadband entangled-pair source shared by many users through wavelength
demultiplexing (Wengerowsky et al., Nature 564, 225 (2018); Joshi et al., Sci. Adv. 6,
eaba0959 (2020)).

A broadband polarisation-entangled source emits pairs whose photons sit symmetrically
about the centre frequency; a demultiplexer cuts the spectrum into channels of width
``spacing``, and the two channels of a conjugate pair (``nu0 +- k spacing``) carry the
two photons of the same pairs. Routing both channels of a pair to two users gives them
entangled pairs; a user who shares pairs with several others receives several channels
on one receiver, so every channel adds to its singles.

For the user pair ``(i, j)`` on a channel pair emitting ``B`` pairs per second, with
``eta_i`` the probability that user ``i`` detects its photon (fibre, insertion loss,
detector) and ``S_i`` its singles rate over all its channels and noise:

* true coincidences ``C = B eta_i eta_j``;
* accidentals in a coincidence window ``tau``: ``A = S_i S_j tau`` (uncorrelated clicks;
  Joshi et al. 2020, Supplementary, scalability);
* QBER in a basis ``e = (C (1 - V) / 2 + A / 2) / (C + A)``, with ``V`` the source's
  two-photon visibility (accidentals are random);
* CAR ``= (C + A) / A``.

Examples:
    >>> round(wavelength_channels(60e-9, 100e9), 1)  # Joshi et al.: ~75 channels
    74.9
"""

from __future__ import annotations

from dataclasses import dataclass

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical.fibre import TELECOM_WAVELENGTH_M
from qinet.units import SPEED_OF_LIGHT_M_PER_S


def bandwidth_hz(bandwidth_m: float, centre_m: float = TELECOM_WAVELENGTH_M) -> float:
    """Optical bandwidth in Hz of a band ``bandwidth_m`` wide centred at ``centre_m``:
    ``c (1 / lambda_lo - 1 / lambda_hi)`` with ``lambda = centre -+ bandwidth / 2``.

    Examples:
        >>> round(bandwidth_hz(0.8e-9) / 1e9, 1)  # a 0.8 nm DWDM channel at 1550 nm
        99.8
    """
    width = float(chk.positive("bandwidth_m", bandwidth_m))
    centre = float(chk.positive("centre_m", centre_m))
    if width >= 2 * centre:
        raise ConfigError("bandwidth_m", f"must be below twice the centre wavelength, "
                                             f"got {width:g} m")
    return SPEED_OF_LIGHT_M_PER_S * (1.0 / (centre - width / 2) - 1.0 / (centre + width / 2))


def wavelength_channels(bandwidth_m: float, spacing_hz: float,
                        centre_m: float = TELECOM_WAVELENGTH_M) -> float:
    """How many channels of width ``spacing_hz`` the source's band holds (not rounded).

    Examples:
        >>> round(wavelength_channels(60e-9, 200e9), 2)
        37.45
    """
    spacing = float(chk.positive("spacing_hz", spacing_hz))
    return bandwidth_hz(bandwidth_m, centre_m) / spacing


@dataclass(frozen=True, slots=True)
class UserPairRates:
    """Closed-form rates of one user pair sharing a channel pair.

    Attributes:
        coincidence_rate_hz: true coincidences ``C`` per second.
        accidental_rate_hz: accidental coincidences ``A`` per second in the window.
        qber: error rate of a basis, ``(C (1 - V) / 2 + A / 2) / (C + A)``.
    """

    coincidence_rate_hz: float
    accidental_rate_hz: float
    qber: float

    @property
    def car(self) -> float:
        """Coincidence-to-accidental ratio ``(C + A) / A`` (inf without accidentals)."""
        a = self.accidental_rate_hz
        return (self.coincidence_rate_hz + a) / a if a > 0 else float("inf")

    @property
    def detected_rate_hz(self) -> float:
        """Coincidences counted in the window, true and accidental: ``C + A``."""
        return self.coincidence_rate_hz + self.accidental_rate_hz


def user_pair_rates(pair_rate_hz: float, efficiency_i: float, efficiency_j: float,
                    singles_i_hz: float, singles_j_hz: float, window_s: float,
                    visibility: float) -> UserPairRates:
    """Coincidences, accidentals and QBER of one user pair (module docstring).

    Args:
        pair_rate_hz: pairs per second the source emits into the pair's channel pair.
        efficiency_i: probability that user i detects its photon of a pair.
        efficiency_j: the same for user j.
        singles_i_hz: user i's singles rate in Hz over all its channels and noise.
        singles_j_hz: the same for user j.
        window_s: coincidence window in s.
        visibility: two-photon visibility of the source in each basis, in [0, 1].

    Examples:
        >>> r = user_pair_rates(1e6, 0.1, 0.1, 2e5, 2e5, 1e-9, 1.0)
        >>> r.coincidence_rate_hz, r.accidental_rate_hz, round(r.car, 1)
        (10000.0, 40.0, 251.0)
    """
    b = float(chk.non_negative("pair_rate_hz", pair_rate_hz))
    e_i = float(chk.probability("efficiency_i", efficiency_i))
    e_j = float(chk.probability("efficiency_j", efficiency_j))
    s_i = float(chk.non_negative("singles_i_hz", singles_i_hz))
    s_j = float(chk.non_negative("singles_j_hz", singles_j_hz))
    tau = float(chk.non_negative("window_s", window_s))
    v = float(chk.probability("visibility", visibility))
    true = b * e_i * e_j
    accidental = s_i * s_j * tau
    total = true + accidental
    qber = (true * (1.0 - v) / 2 + accidental / 2) / total if total > 0 else 0.5
    return UserPairRates(true, accidental, qber)
