"""Three ways to join two sites, side by side: capital cost and key rate against distance.

* **Trusted-node chain**: decoy BB84 over ``relays + 1`` equal fibre hops, keys relayed
  by one-time pad through trusted nodes (:func:`trusted_chain`). Its key rate is the
  slowest hop's: every hop alike, the asymptotic decoy-state rate with infinitely many
  decoys (:func:`qinet.qkd.bounds.decoy_bb84_key_rate_asymptotic`, Ma et al. 2005) at
  the hop's transmittance ``10^(-α L / 10) η_d``, maximised over the signal intensity,
  times the pulse rate: the scenario's own defaults (``α`` 0.2 dB/km, SNSPD ``η_d`` 0.9,
  10 Hz dark counts in a 1 ns window on each of two detectors, 1 % misalignment, ``f``
  1.16, 100 MHz pulses). The chain meets a key rate ``R`` when its hop length is at
  most ``L_max(R)``, the root of ``rate(L) = R``: the fewest relays that do are
  ``ceil(D / L_max) - 1``, and since every relay adds cost, that is the cheapest chain.
* **Repeater chain**: double-click links between memory nodes, swapped at
  ``repeaters`` nodes (:func:`repeater_chain`). Its pair rate is the upper bound of
  :mod:`qinet.network.estimates`, ``min_i r_i prod_k s_k`` with each link's renewal rate
  :func:`qinet.link.model.expected_pair_rate_hz` of its compiled attempt model, its
  fidelity that of Werner pairs joined by ideal swaps (no memory decay: an upper bound),
  and its key BBM92's asymptotic fraction ``1 - 2 H2(e)`` of the sifted half of the
  pairs, ``e = 2 (1 - F) / 3``. The cheapest chain meeting ``R`` is searched over the
  number of repeaters; when none does, the fastest is shown.
* **Satellite relay**: a trusted satellite runs decoy BB84 with each of two ground
  stations on its passes and relays a key between them (:func:`satellite_relay`). Its
  key rate is the key of a pass times the usable passes per day, per second of a day;
  it does not depend on the stations' distance while each sees the satellite (the
  satellite keeps its keys between passes, so the two need no common view). The
  default key per pass, 3.53 Mbit, is qinet's own ``micius-downlink`` preset
  (Liao et al. 2017 optics, one night pass: ``qinet run micius-downlink``, seed 1).

Capital costs come from :func:`qinet.analysis.costs.capital_cost_eur` of the generated
scenarios, so the catalogue and its overrides price all three alike.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qinet.analysis.costs import capital_cost_eur
from qinet.link.model import expected_pair_rate_hz
from qinet.network.estimates import werner_swap_fidelity
from qinet.qkd.bounds import F_EC, bbm92_key_fraction, decoy_bb84_key_rate_asymptotic
from qinet.scenario import compile_link, load_scenario

ATTENUATION_DB_PER_KM = 0.2
DETECTOR_EFFICIENCY = 0.9  # the schema's default detector (an SNSPD)
DARK_COUNT_PROBABILITY = 2 * -math.expm1(-10.0 * 1e-9)  # two detectors, 10 Hz, 1 ns
MISALIGNMENT = 0.01
PULSE_RATE_HZ = 1e8
KEY_BITS_PER_PASS = 3.53e6  # qinet run micius-downlink (seed 1): 3,532,798 bits
_MU = np.linspace(0.02, 1.2, 119)  # signal intensities searched (steps of 0.01)
_DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class ArchitecturePoint:
    """One architecture at one distance.

    Attributes:
        architecture: ``trusted-node chain``, ``repeater chain`` or ``satellite relay``.
        distance_km: fibre distance between the two sites (ground distance for the
            satellite).
        nodes: trusted relays, repeaters, or satellites between the two sites.
        capital_cost_eur: the design's capital cost.
        key_rate_bps: its secret-key rate between the two sites.
        meets_target: the key rate reaches the target asked for.
        cost_per_bps_eur: capital per (bit/s), ``None`` when the key rate is zero.
    """

    architecture: str
    distance_km: float
    nodes: int
    capital_cost_eur: float
    key_rate_bps: float
    meets_target: bool
    cost_per_bps_eur: float | None


def hop_key_rate_bps(length_km: float | np.ndarray) -> float | np.ndarray:
    """Asymptotic decoy BB84 key rate of one fibre hop (bit/s, defaults above), at the
    best signal intensity.

    Examples:
        >>> round(float(hop_key_rate_bps(50.0)))
        1161454
        >>> float(hop_key_rate_bps(500.0))
        0.0
    """
    eta = DETECTOR_EFFICIENCY * 10.0 ** (-ATTENUATION_DB_PER_KM * np.asarray(length_km) / 10.0)
    rates = decoy_bb84_key_rate_asymptotic(np.multiply.outer(eta, np.ones_like(_MU)), mu=_MU,
                                           y0=DARK_COUNT_PROBABILITY, e_d=MISALIGNMENT,
                                           f_ec=F_EC)
    best = np.max(np.asarray(rates), axis=-1) * PULSE_RATE_HZ
    return float(best) if np.ndim(best) == 0 else best


def max_hop_km(key_rate_bps: float) -> float:
    """The longest hop whose key rate reaches ``key_rate_bps``: the root of
    ``hop_key_rate_bps(L) = key_rate_bps`` (the rate falls with ``L``).

    Examples:
        >>> round(max_hop_km(1000.0), 1)
        202.9
    """
    low, high = 1e-3, 1.0
    if hop_key_rate_bps(low) < key_rate_bps:
        return 0.0
    while hop_key_rate_bps(high) >= key_rate_bps:
        high *= 2.0
    from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
    return float(brentq(lambda km: float(hop_key_rate_bps(km)) - key_rate_bps, low, high,
                        xtol=1e-9))


def fewest_relays(distance_km: float, key_rate_bps: float) -> int:
    """The fewest trusted relays for ``key_rate_bps`` over ``distance_km``:
    ``ceil(D / L_max) - 1`` (at least 0), the cheapest trusted-node chain."""
    return max(0, math.ceil(distance_km / max_hop_km(key_rate_bps) - 1e-12) - 1)


def trusted_chain(distance_km: float, relays: int) -> dict[str, Any]:
    """Scenario data of a trusted-node chain: ``alice``, ``t1``..``tN``, ``bob``, equal
    `scheme: qkd` hops, and a relayed key demand from ``alice`` to ``bob``."""
    names = ["alice", *(f"t{i}" for i in range(1, relays + 1)), "bob"]
    hop = distance_km / (relays + 1)
    return {
        "name": f"trusted-chain-{relays}", "duration": "1 s",
        "nodes": [{"name": n, "trusted": 0 < i < len(names) - 1} for i, n in enumerate(names)],
        "links": [{"between": [a, b], "length": f"{hop!r} km", "scheme": "qkd"}
                  for a, b in itertools.pairwise(names)],
        "demands": [{"kind": "key", "between": ["alice", "bob"]}],
    }


def trusted_chain_key_rate_bps(data: Mapping[str, Any]) -> float:
    """The key rate of trusted-chain scenario data: its slowest hop's (module docstring)."""
    lengths = [float(str(link["length"]).split()[0]) for link in data["links"]]
    return float(min(hop_key_rate_bps(length) for length in lengths))


def repeater_chain(distance_km: float, repeaters: int, *,
                   memory_pairs: int = 10) -> dict[str, Any]:
    """Scenario data of a repeater chain: ``alice``, ``r1``..``rN``, ``bob``, equal
    double-click links of ``memory_pairs`` memory pairs each, and an entanglement demand
    with a BBM92 key from ``alice`` to ``bob``."""
    names = ["alice", *(f"r{i}" for i in range(1, repeaters + 1)), "bob"]
    hop = distance_km / (repeaters + 1)
    return {
        "name": f"repeater-chain-{repeaters}", "duration": "1 s",
        "nodes": [{"name": n, "memories": memory_pairs * (1 if i in (0, len(names) - 1)
                                                           else 2)}
                  for i, n in enumerate(names)],
        "links": [{"between": [a, b], "length": f"{hop!r} km", "scheme": "double-click",
                   "memories": memory_pairs} for a, b in itertools.pairwise(names)],
        "demands": [{"kind": "qkd", "protocol": "bbm92", "between": ["alice", "bob"]}],
    }


def repeater_chain_rates(data: Mapping[str, Any]) -> tuple[float, float, float]:
    """(pair rate in Hz, fidelity, key rate in bit/s) of repeater-chain data, in closed
    form (module docstring)."""
    scenario = load_scenario(data)
    models = [compile_link(scenario, i) for i in range(len(scenario.links))]
    rates = [expected_pair_rate_hz(m, getattr(link, "memories", None) or 1)
             for m, link in zip(models, scenario.links, strict=True)]
    swaps = math.prod(n.swap_success for n in scenario.nodes[1:-1])
    pair_rate = min(rates) * swaps
    fidelity = werner_swap_fidelity([m.heralded_fidelity for m in models])
    qber = 2.0 * (1.0 - fidelity) / 3.0
    key = pair_rate * 0.5 * float(bbm92_key_fraction(min(qber, 0.5)))
    return pair_rate, fidelity, key


def satellite_relay(distance_km: float) -> dict[str, Any]:
    """Scenario data of a trusted satellite relaying keys between two ground stations
    ``distance_km`` apart along a parallel at 45° north."""
    lon_deg = math.degrees(distance_km / (6371.0 * math.cos(math.radians(45.0))))
    station = {"latitude": "45 deg", "altitude": "500 m", "aperture": "1 m"}
    return {
        "name": "satellite-relay", "duration": "1 s",
        "space": {"epoch": "2017-01-01T15:10:00Z"},
        "nodes": [{"name": "sat", "trusted": True,
                   "orbit": {"altitude": "500 km", "inclination": "97.4 deg"}},
                  {"name": "ga", "station": {**station, "longitude": "0 deg"}},
                  {"name": "gb", "station": {**station, "longitude": f"{lon_deg!r} deg"}}],
        "links": [{"between": ["sat", g], "scheme": "downlink", "divergence": "5 urad",
                   "pointing_jitter": "0.5 urad"} for g in ("ga", "gb")],
        "demands": [{"kind": "key", "between": ["ga", "gb"]}],
    }


def compare_architectures(distances_km: Sequence[float], *, key_rate_bps: float = 1000.0,
                          max_repeaters: int = 20, memory_pairs: int = 10,
                          key_bits_per_pass: float = KEY_BITS_PER_PASS,
                          passes_per_day: float = 1.0) -> list[ArchitecturePoint]:
    """Each architecture's cheapest design meeting ``key_rate_bps`` at each distance
    (the fastest repeater chain where none meets it), with its cost and key rate.

    Examples:
        >>> rows = compare_architectures([100.0, 600.0], key_rate_bps=100.0)
        >>> [(r.architecture, r.distance_km, r.nodes) for r in rows][:2]
        [('trusted-node chain', 100.0, 0), ('trusted-node chain', 600.0, 2)]
    """
    trusted, repeater, satellite = [], [], []
    sat_rate = key_bits_per_pass * passes_per_day / _DAY_S
    sat_cost = capital_cost_eur(load_scenario(satellite_relay(1000.0)))
    for distance in distances_km:
        relays = fewest_relays(distance, key_rate_bps)
        data = trusted_chain(distance, relays)
        rate = trusted_chain_key_rate_bps(data)
        trusted.append(_point("trusted-node chain", distance, relays, data, rate,
                              key_rate_bps))
        best = (-1.0, 0, trusted_chain(distance, 0))
        for n in range(max_repeaters + 1):
            data = repeater_chain(distance, n, memory_pairs=memory_pairs)
            key = repeater_chain_rates(data)[2]
            if key > best[0]:
                best = (key, n, data)
            if key >= key_rate_bps:
                break
        repeater.append(_point("repeater chain", distance, best[1], best[2], best[0],
                               key_rate_bps))
        satellite.append(ArchitecturePoint(
            "satellite relay", float(distance), 1, sat_cost, sat_rate,
            sat_rate >= key_rate_bps, sat_cost / sat_rate if sat_rate > 0 else None))
    return [*trusted, *repeater, *satellite]


def _point(architecture: str, distance: float, nodes: int, data: Mapping[str, Any],
           rate: float, target: float) -> ArchitecturePoint:
    cost = capital_cost_eur(load_scenario(data))
    return ArchitecturePoint(architecture, float(distance), nodes, cost, rate, rate >= target,
                             cost / rate if rate > 0 else None)


def comparison_table(points: Sequence[ArchitecturePoint]) -> Any:
    """The points as a pandas DataFrame, one row each."""
    pandas = importlib.import_module("pandas")  # untyped: reached by name
    return pandas.DataFrame([asdict(p) for p in points])


def plot_comparison(points: Sequence[ArchitecturePoint], path: str | Path, *,
                    key_rate_bps: float | None = None) -> Path:
    """One figure, two panels sharing the distance axis: capital cost (EUR) and key rate
    (bit/s, with the target as a dashed line) of each architecture; a hollow marker is
    a design that misses the target. Written to ``path`` (.png, .svg or .pdf)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_cost, ax_rate) = plt.subplots(2, 1, sharex=True, figsize=(7, 7))
    for name in dict.fromkeys(p.architecture for p in points):
        rows = [p for p in points if p.architecture == name]
        x = [p.distance_km for p in rows]
        line = ax_cost.plot(x, [p.capital_cost_eur for p in rows], "-", label=name)[0]
        ax_rate.plot(x, [max(p.key_rate_bps, 1e-6) for p in rows], "-", color=line.get_color())
        for p in rows:
            face = line.get_color() if p.meets_target else "none"
            ax_cost.plot(p.distance_km, p.capital_cost_eur, "o", mfc=face,
                         color=line.get_color())
            ax_rate.plot(p.distance_km, max(p.key_rate_bps, 1e-6), "o", mfc=face,
                         color=line.get_color())
    if key_rate_bps is not None:
        ax_rate.axhline(key_rate_bps, ls="--", color="grey", label="target")
    ax_cost.set(yscale="log", ylabel="capital cost (EUR)")
    ax_rate.set(yscale="log", ylabel="secret-key rate (bit/s)", xlabel="distance (km)")
    ax_cost.legend()
    ax_rate.legend()
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out
