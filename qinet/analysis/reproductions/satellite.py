"""Published figures of the Micius satellite experiments.

Only figures that could be read in a copy of the papers are targets (docs/experiments.md,
"Satellites", says which others were looked for and why they are not here):

* Liao et al. 2017: a key rate of kilohertz up to 1,200 km (the abstract), from the
  ``micius-downlink`` preset's pass, the asymptotic decoy key of the steps near 1,200 km;
* Yin et al. 2017: the Bell violation S = 2.37 +- 0.09, from the QBER of about 8.1 % that
  Yin et al. 2020 quote for that experiment, for a Werner state;
* Yin et al. 2017: the shortest summed length of the two downlinks, 1,600 km, for
  stations 1,203 km apart under a 500 km orbit;
* Yin et al. 2017 and 2020: the stations' separations (1,203 km and 1,120 km) from
  their coordinates;
* Yin et al. 2020: the asymptotic key rate 0.43 bit/s from their sifted rate (1.1 Hz),
  QBER (about 4.5 %) and error-correction inefficiency (1.19).
"""

from __future__ import annotations

import math

import numpy as np

from qinet.analysis.api import run_scenario
from qinet.analysis.reproductions import Paper, Reproduction
from qinet.physical.orbits import (
    EARTH_MEAN_RADIUS_M,
    earth_central_angle_rad,
    great_circle_distance_m,
    slant_range_m,
)
from qinet.qkd.bounds import binary_entropy, chsh_werner
from qinet.scenario import load_scenario, preset_path

_LIAO_2017 = Paper("S.-K. Liao et al.", "Nature 549, 43", 2017, doi="10.1038/nature23655")
_YIN_2017 = Paper("J. Yin et al.", "Science 356, 1140", 2017, doi="10.1126/science.aan3211")
_YIN_2020 = Paper("J. Yin et al.", "Nature 582, 501", 2020, doi="10.1038/s41586-020-2401-y")

# --- Liao et al. 2017: the downlink's key rate at 1,200 km ----------------------------


def _liao_key_rate_at_1200km(*, quick: bool = False) -> float:
    """log10 of the asymptotic key rate (bit/s) over the steps within 50 km of 1,200 km.

    The preset's run starts 10 s before the satellite climbs through 1,200 km of range;
    ``quick`` keeps its first 40 s (the pass's first steps), the full run the whole pass
    (both ends).
    """
    overrides = {"duration": "40 s"} if quick else {}
    run = run_scenario(load_scenario(preset_path("micius-downlink"), **overrides))
    rates = [rate for p in run.qkd_links[0].passes
             for rng, rate, sending in zip(p.range_km, p.secret_rate_bps, p.sending,
                                           strict=True)
             if sending and abs(rng - 1200.0) <= 50.0]
    return math.log10(float(np.mean(rates)))


# --- Yin et al. 2017: the Bell test and the geometry of the two downlinks -------------

_YIN_2017_QBER = 0.081  # "about 8.1 %" (Yin et al. 2020, comparing with the 2017 work)


def _yin_chsh(*, quick: bool = False) -> float:
    # a Werner state of visibility V has QBER (1 - V)/2 in every basis and fidelity
    # (1 + 3V)/4; its S is 2 sqrt(2) V (qkd.bounds.chsh_werner)
    visibility = 1.0 - 2.0 * _YIN_2017_QBER
    return float(chsh_werner((1.0 + 3.0 * visibility) / 4.0))


_DELINGHA_LIJIANG_M = 1_203e3  # the stations' separation (the abstract)
_MICIUS_ALTITUDE_M = 500e3  # "about 500 km"


def _yin_shortest_two_downlinks_km(*, quick: bool = False) -> float:
    """The sum of the two slant ranges with the satellite above the midpoint of the
    stations' great circle, the shortest the two downlinks can be (spherical Earth).

    Each station sees it at the Earth-central angle ``psi = d / (2 R)``; the elevation
    with that angle (:func:`~qinet.physical.orbits.earth_central_angle_rad`, inverted)
    gives the slant range (:func:`~qinet.physical.orbits.slant_range_m`).
    """
    psi = _DELINGHA_LIJIANG_M / (2.0 * EARTH_MEAN_RADIUS_M)
    from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
    elevation = brentq(lambda el: float(earth_central_angle_rad(el, _MICIUS_ALTITUDE_M))
                       - psi, 0.0, math.pi / 2, xtol=1e-12)
    return 2.0 * float(slant_range_m(elevation, _MICIUS_ALTITUDE_M)) / 1e3


def _dms(degrees: float, minutes: float, seconds: float) -> float:
    return degrees + minutes / 60.0 + seconds / 3600.0


# Delingha and Lijiang as the Chinese Academy of Sciences gives them (news release of
# 20 January 2018 on the Micius ground stations); Delingha's agrees with Yin et al. 2020
_DELINGHA_DEG = (_dms(37, 22, 44.43), _dms(97, 43, 37.01))
_LIJIANG_DEG = (_dms(26, 41, 38.15), _dms(100, 1, 45.55))


def _yin2017_station_distance_km(*, quick: bool = False) -> float:
    return float(great_circle_distance_m(*_DELINGHA_DEG, *_LIJIANG_DEG)) / 1e3


# --- Yin et al. 2020: the entanglement-based key ---------------------------------------


def _yin2020_station_distance_km(*, quick: bool = False) -> float:
    """The great-circle distance between the ``micius-entanglement`` preset's stations
    (the paper's coordinates)."""
    scenario = load_scenario(preset_path("micius-entanglement"))
    sites = {n.name: n.station for n in scenario.nodes if n.station is not None}
    a, b = sites["delingha"], sites["nanshan"]
    return float(great_circle_distance_m(math.degrees(a.latitude), math.degrees(a.longitude),
                                         math.degrees(b.latitude),
                                         math.degrees(b.longitude))) / 1e3


def _yin2020_asymptotic_rate(*, quick: bool = False) -> float:
    # BBM92 with Shor-Preskill's phase error equal to the bit error (the QBER of both
    # bases is the one quoted): R = R_sifted [1 - f H2(e) - H2(e)]
    sifted_hz, qber, f_ec = 1.1, 0.045, 1.19
    h = float(binary_entropy(qber))
    return sifted_hz * (1.0 - f_ec * h - h)


ENTRIES: tuple[Reproduction, ...] = (
    Reproduction(
        name="liao2017-key-rate-1200km", paper=_LIAO_2017,
        quantity="log10 of the secret key rate (bit/s) at 1,200 km, one night pass",
        unit="lg(bit/s)", published=3.5, tolerance=0.5,
        why="the abstract reports a kilohertz key rate up to 1,200 km: the decade from "
            "1 to 10 kbit/s, 3.5 +- 0.5 in log10; the preset's receiver and detector "
            "efficiencies are assumed (docs/experiments.md), which a decade covers",
        compute=_liao_key_rate_at_1200km, preset="micius-downlink"),
    Reproduction(
        name="yin2017-chsh", paper=_YIN_2017,
        quantity="CHSH S between Delingha and Lijiang, from the QBER of the same pairs",
        unit="1", published=2.37, tolerance=0.093, published_uncertainty=0.09,
        why="the paper's own one-sigma error (0.09), plus the last digit of the QBER "
            "quoted for this experiment (8.1 +- 0.05 %, 0.003 in S)",
        compute=_yin_chsh),
    Reproduction(
        name="yin2017-two-downlinks-min", paper=_YIN_2017,
        quantity="shortest summed length of the two downlinks (stations 1,203 km apart)",
        unit="km", published=1600.0, tolerance=50.0,
        why="the paper gives the summed length to the hundred kilometres (1,600 to 2,400 "
            "km); the orbit's height, about 500 km, moves the figure by under 20 km per "
            "10 km of height",
        compute=_yin_shortest_two_downlinks_km),
    Reproduction(
        name="yin2017-station-distance", paper=_YIN_2017,
        quantity="distance between Delingha and Lijiang, from their coordinates",
        unit="km", published=1203.0, tolerance=6.0,
        why="qinet's distance is the great circle of a spherical Earth; the ellipsoid's "
            "geodesic differs by up to 0.5 % (6 km); the coordinates are the Chinese "
            "Academy of Sciences' for its stations",
        compute=_yin2017_station_distance_km),
    Reproduction(
        name="yin2020-station-distance", paper=_YIN_2020,
        quantity="distance between Delingha and Nanshan, from the paper's coordinates",
        unit="km", published=1120.0, tolerance=6.0,
        why="the great circle of a spherical Earth against the ellipsoid's geodesic: up to "
            "0.5 % (6 km)",
        compute=_yin2020_station_distance_km, preset="micius-entanglement"),
    Reproduction(
        name="yin2020-asymptotic-rate", paper=_YIN_2020,
        quantity="asymptotic BBM92 key rate, Delingha-Nanshan (1,120 km)",
        unit="bit/s", published=0.43, tolerance=0.035,
        why="from the paper's sifted rate (1.1 Hz), QBER (about 4.5 %) and error-"
            "correction inefficiency (1.19): their last printed digits (+-0.05 Hz, "
            "+-0.1 point for 'about') span 0.43 to 0.49 bit/s around qinet's 0.46",
        compute=_yin2020_asymptotic_rate),
)
