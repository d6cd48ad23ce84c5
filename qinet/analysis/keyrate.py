"""Key rate against distance for prepare-and-measure QKD, next to the PLOB bound.

Everything is per pulse sent (bits per channel use, the unit of the PLOB bound) and in
bit/s at the source's pulse rate. MDI and twin-field put the measuring station in the
middle, so each arm is half the distance; the twin-field curve crosses the bound at long
distance (its rate scales as the square root of the transmittance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.bounds import plob_bound
from qinet.physical.fibre import fibre_transmittance
from qinet.qkd.bounds import (
    decoy_bb84_key_rate_asymptotic,
    decoy_bb84_key_rate_vacuum_weak,
    gllp_key_rate_no_decoy,
)
from qinet.qkd.four_phase_tf_bounds import four_phase_key_rate_asymptotic
from qinet.qkd.mdi_tf_bounds import mdi_key_rate_asymptotic, pm_key_rate_asymptotic
from qinet.qkd.one_decoy import one_decoy_key_rate_asymptotic
from qinet.qkd.sns_tf_bounds import sns_aopp_key_rate_asymptotic, sns_key_rate_asymptotic

PROTOCOLS = ("decoy-asymptotic", "decoy-vacuum-weak", "bb84-no-decoy", "mdi", "tf")
"""The curves drawn when none are named."""

RECORD_PROTOCOLS = ("one-decoy", "sns", "sns-aopp", "four-phase")
"""The protocols of the fibre distance records, drawn when named: three-state one-decoy
BB84, sending-or-not-sending twin field without and with odd-parity pairing, and
four-phase twin field (no phase post-selection)."""

ALL_PROTOCOLS = PROTOCOLS + RECORD_PROTOCOLS


@dataclass(frozen=True, slots=True)
class KeyRateCurve:
    """Secret-key rate per pulse of each protocol on a distance grid.

    Attributes:
        distance_km: the grid.
        rates: protocol name -> bits per pulse at each distance.
        plob: the PLOB bound in bits per pulse at each distance.
        pulse_rate_hz: the source's pulse rate, for bit/s.
    """

    distance_km: np.ndarray
    rates: dict[str, np.ndarray]
    plob: np.ndarray
    pulse_rate_hz: float

    def max_distance_km(self) -> dict[str, float | None]:
        """Per protocol, the longest distance of the grid with a positive key rate
        (``None``: none); the true limit lies below the next grid point."""
        longest: dict[str, float | None] = {}
        for name, rate in self.rates.items():
            positive = np.flatnonzero(np.asarray(rate) > 0)
            longest[name] = float(self.distance_km[positive[-1]]) if positive.size else None
        return longest

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per distance, bit/pulse and bit/s of every protocol and the bound;
        and per protocol the longest distance with key (``max_distance_km``)."""
        rows = []
        for i, d in enumerate(self.distance_km):
            row: dict[str, Any] = {"distance_km": float(d)}
            for name, rate in self.rates.items():
                row[f"{name}_bits_per_pulse"] = float(rate[i])
                row[f"{name}_bps"] = float(rate[i] * self.pulse_rate_hz)
            row["plob_bits_per_pulse"] = float(self.plob[i])
            row["plob_bps"] = float(self.plob[i] * self.pulse_rate_hz)
            rows.append(row)
        return {"pulse_rate_hz": self.pulse_rate_hz, "max_distance_km": self.max_distance_km(),
                "rows": rows}


def key_rate_curve(
    distance_km: np.ndarray,
    *,
    attenuation_db_per_km: float = 0.2,
    detector_efficiency: float = 0.1,
    dark_count_probability: float = 1e-6,
    misalignment: float = 0.01,
    mu: float | None = None,
    nu: float | None = None,
    f_ec: float = 1.16,
    pulse_rate_hz: float = 1e9,
    protocols: tuple[str, ...] = PROTOCOLS,
) -> KeyRateCurve:
    """Asymptotic key rates of the chosen protocols on a distance grid.

    Decoy BB84 with infinitely many decoys and with a vacuum and a weak decoy (Ma, Qi,
    Zhao and Lo 2005); BB84 without decoys (GLLP), MDI-QKD with infinitely many decoys
    (Lo, Curty and Qi 2012) and phase-matching twin-field QKD (Ma, Zeng and Zhou 2018),
    each at the mean photon numbers that maximise its rate at each distance, as a
    practical link would: the signal (and for decoy BB84 with a vacuum and a weak decoy,
    the weak decoy too) over a log grid, unless ``mu`` (and ``nu``) fix them.
    ``dark_count_probability`` is per detector and pulse.

    The record protocols (:data:`RECORD_PROTOCOLS`) are drawn when named, each optimised
    per distance over a grid: ``one-decoy`` (Rusca et al. 2018, the bound without
    fluctuations, three states with both ends choosing Z with probability 0.9; signal,
    decoy over signal 0.1, 0.25 or 0.5, signal probability 0.5, 0.7 or 0.9), ``sns`` and
    ``sns-aopp`` (Wang, Yu and Hu 2018; Xu et al. 2020; intensity and sending
    probability) and ``four-phase`` (Curty, Azuma and Lo 2019; the code intensity), all
    with infinitely many decoys in their test rounds and ``misalignment`` as their
    optical error. ``mu`` and ``nu`` fix only the decoy BB84 curves.

    Examples:
        >>> curve = key_rate_curve(np.array([0.0, 50.0, 100.0]))
        >>> bool(np.all(curve.rates["decoy-asymptotic"] < curve.plob))
        True
        >>> key_rate_curve(np.array([10.0]), protocols=("e91",))
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: protocols: unknown protocol 'e91'; use decoy-asymptotic, ...
    """
    if pulse_rate_hz <= 0:
        raise ConfigError("pulse_rate", f"must be positive, got {pulse_rate_hz} Hz")
    for name in protocols:
        if name not in ALL_PROTOCOLS:
            raise ConfigError("protocols", f"unknown protocol {name!r}; use "
                                           f"{', '.join(ALL_PROTOCOLS)}")
    distance = np.asarray(distance_km, float)
    fibre = fibre_transmittance(distance, attenuation_db_per_km)
    eta = fibre * detector_efficiency
    # each arm of MDI and twin-field: half the fibre, then the station's detector
    arm = fibre_transmittance(distance / 2, attenuation_db_per_km) * detector_efficiency
    common = {"y0": dark_count_probability, "e_d": misalignment, "f_ec": f_ec}
    station: dict[str, Any] = {"dark_count_probability": dark_count_probability,
                               "misalignment": misalignment, "f_ec": f_ec}
    builders: dict[str, Callable[[], Any]] = {
        "decoy-asymptotic": lambda: _best_over_mu(
            lambda m: decoy_bb84_key_rate_asymptotic(eta, mu=m, **common), 1e-3, 1.0,
            fixed=mu),
        "decoy-vacuum-weak": lambda: _best_over_mu(
            lambda m: _best_over_mu(
                lambda n: decoy_bb84_key_rate_vacuum_weak(eta, mu=m, nu=n, **common),
                1e-3 * m, 0.9 * m, fixed=nu, points=20),
            # a fixed weak decoy leaves the signals above it
            1e-3 if nu is None else 1.01 * nu, 1.0, fixed=mu),
        "bb84-no-decoy": lambda: _best_over_mu(
            lambda m: gllp_key_rate_no_decoy(eta, mu=m, **common), 1e-4, 0.5),
        "mdi": lambda: _best_over_mu(
            lambda m: mdi_key_rate_asymptotic(arm, arm, mu=m, **station), 0.01, 1.0),
        "tf": lambda: _best_over_mu(
            lambda m: pm_key_rate_asymptotic(arm, mu=m, **station), 1e-3, 1.0),
        "one-decoy": lambda: _one_decoy_curve(eta, dark_count_probability, misalignment,
                                              f_ec),
        "sns": lambda: _best_over_mu(
            lambda m: _best_over_mu(
                lambda e: sns_key_rate_asymptotic(arm, arm, mu=m, send_probability=e,
                                                  **station), 0.005, 0.3, points=16),
            0.05, 0.8, points=16),
        "sns-aopp": lambda: _best_over_mu(
            lambda m: _best_over_mu(
                lambda e: sns_aopp_key_rate_asymptotic(arm, arm, mu=m, send_probability=e,
                                                       **station), 0.01, 0.45, points=16),
            0.05, 0.8, points=16),
        "four-phase": lambda: _best_over_mu(
            lambda m: four_phase_key_rate_asymptotic(arm, arm, mu=m, **station), 1e-3, 0.5),
    }
    return KeyRateCurve(
        distance_km=distance,
        rates={name: np.asarray(builders[name](), float) for name in protocols},
        plob=np.asarray(plob_bound(fibre)),
        pulse_rate_hz=pulse_rate_hz,
    )


def _best_over_mu(rate: Callable[[float], Any], low: float, high: float, *,
                  fixed: float | None = None, points: int = 40) -> np.ndarray:
    """The rate at the best mean photon number of a log grid over [low, high], per
    distance; at ``fixed`` alone when it is given."""
    grid = np.geomspace(low, high, points) if fixed is None else [fixed]
    best: np.ndarray = np.max([np.asarray(rate(float(m)), float) for m in grid], axis=0)
    return best


def _one_decoy_curve(eta: float | np.ndarray, dark_count_probability: float,
                     misalignment: float, f_ec: float) -> np.ndarray:
    """The best one-decoy rate per transmittance over the grid of :func:`key_rate_curve`."""
    grid = [(float(m), r, p) for m in np.geomspace(0.05, 1.0, 16) for r in (0.1, 0.25, 0.5)
            for p in (0.5, 0.7, 0.9)]

    def best(t: float) -> float:
        if t <= 0.0:
            return 0.0
        return max(one_decoy_key_rate_asymptotic(
            min(t, 1.0), intensities=(m, m * r), probabilities=(p, 1.0 - p),
            alice_z_probability=0.9, bob_z_probability=0.9,
            dark_count_probability=dark_count_probability, error_z=misalignment,
            error_x=misalignment, f_ec=f_ec) for m, r, p in grid)

    return np.array([best(float(t)) for t in np.ravel(eta)]).reshape(np.shape(eta))


def plot_key_rates(curve: KeyRateCurve, path: str | Path) -> Path:
    """Write a log-scale figure of bit/s against km, with the PLOB bound."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    for name, rate in curve.rates.items():
        positive = rate > 0
        ax.semilogy(curve.distance_km[positive], rate[positive] * curve.pulse_rate_hz,
                    label=name)
    ax.semilogy(curve.distance_km, curve.plob * curve.pulse_rate_hz, "k--",
                label="PLOB bound (repeaterless)")
    ax.set_xlabel("fibre length (km)")
    ax.set_ylabel("secret-key rate (bit/s)")
    ax.set_title(f"key rate at {curve.pulse_rate_hz:.3g} pulses/s")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    figure.savefig(path, dpi=120)
    return path
