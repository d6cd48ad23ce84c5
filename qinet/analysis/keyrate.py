"""Key rate against distance for prepare-and-measure QKD, next to the PLOB bound.

Everything is per pulse sent (bits per channel use, the unit of the PLOB bound) and in
bit/s at the source's pulse rate.
"""

from __future__ import annotations

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

PROTOCOLS = ("decoy-asymptotic", "decoy-vacuum-weak", "bb84-no-decoy")


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per distance, bit/pulse and bit/s of every protocol and the bound."""
        rows = []
        for i, d in enumerate(self.distance_km):
            row: dict[str, Any] = {"distance_km": float(d)}
            for name, rate in self.rates.items():
                row[f"{name}_bits_per_pulse"] = float(rate[i])
                row[f"{name}_bps"] = float(rate[i] * self.pulse_rate_hz)
            row["plob_bits_per_pulse"] = float(self.plob[i])
            row["plob_bps"] = float(self.plob[i] * self.pulse_rate_hz)
            rows.append(row)
        return {"pulse_rate_hz": self.pulse_rate_hz, "rows": rows}


def key_rate_curve(
    distance_km: np.ndarray,
    *,
    attenuation_db_per_km: float = 0.2,
    detector_efficiency: float = 0.1,
    dark_count_probability: float = 1e-6,
    misalignment: float = 0.01,
    mu: float = 0.5,
    nu: float = 0.1,
    f_ec: float = 1.16,
    pulse_rate_hz: float = 1e9,
) -> KeyRateCurve:
    """Key rates of decoy BB84 (infinite and vacuum + weak decoys) and BB84 without decoys.

    BB84 without decoys uses the mean photon number that maximises its rate at each
    distance (of order the transmittance), as a practical link would.

    Examples:
        >>> curve = key_rate_curve(np.array([0.0, 50.0, 100.0]))
        >>> bool(np.all(curve.rates["decoy-asymptotic"] < curve.plob))
        True
    """
    if pulse_rate_hz <= 0:
        raise ConfigError("pulse_rate", f"must be positive, got {pulse_rate_hz} Hz")
    eta = fibre_transmittance(np.asarray(distance_km, float), attenuation_db_per_km)
    eta = eta * detector_efficiency
    common = {"y0": dark_count_probability, "e_d": misalignment, "f_ec": f_ec}
    no_decoy = np.max([gllp_key_rate_no_decoy(eta, mu=m, **common)
                       for m in np.geomspace(1e-4, 0.5, 60)], axis=0)
    return KeyRateCurve(
        distance_km=np.asarray(distance_km, float),
        rates={"decoy-asymptotic": np.asarray(decoy_bb84_key_rate_asymptotic(eta, mu=mu, **common)),
               "decoy-vacuum-weak": np.asarray(
                   decoy_bb84_key_rate_vacuum_weak(eta, mu=mu, nu=nu, **common)),
               "bb84-no-decoy": no_decoy},
        plob=np.asarray(plob_bound(fibre_transmittance(np.asarray(distance_km, float),
                                                       attenuation_db_per_km))),
        pulse_rate_hz=pulse_rate_hz,
    )


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
