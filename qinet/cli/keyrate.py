"""``qinet keyrate``: key rate against distance, as a table, JSON or a plot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from qinet.analysis.keyrate import (
    ALL_PROTOCOLS,
    PROTOCOLS,
    KeyRateCurve,
    key_rate_curve,
    plot_key_rates,
)
from qinet.analysis.report import format_fraction, format_si
from qinet.cli._common import json_document
from qinet.errors import ConfigError
from qinet.units import parse_quantity

MAX_POINTS = 100_000  # distances on one curve


def keyrate(*, max_distance: str, step: str, attenuation: str, detector_efficiency: float,
            dark_count_probability: float, misalignment: float, mu: float | None,
            nu: float | None,
            f_ec: float, pulse_rate: str, protocols: str, as_json: bool,
            plot: Path | None) -> None:
    """Compute the curve and print it (see ``qinet keyrate --help``)."""
    _number("--detector-efficiency", detector_efficiency, low=0.0, high=1.0, low_open=True)
    _number("--dark-count-probability", dark_count_probability, low=0.0, high=1.0)
    _number("--misalignment", misalignment, low=0.0, high=0.5)
    if mu is not None:
        _number("--mu", mu, low=0.0, low_open=True)
    if nu is not None:  # a weak decoy: below the signal, or the signals searched
        _number("--nu", nu, low=0.0, high=1.0 if mu is None else mu, low_open=True,
                high_open=True)
    _number("--f-ec", f_ec, low=1.0)
    names = tuple(p.strip() for p in protocols.split(",") if p.strip())
    if not names:
        raise ConfigError("--protocols", f"name at least one of {', '.join(PROTOCOLS)}")
    unknown = [name for name in names if name not in ALL_PROTOCOLS]
    if unknown:
        raise ConfigError("--protocols", f"unknown {', '.join(map(repr, unknown))}; use "
                                         f"{', '.join(ALL_PROTOCOLS)}")
    top = _option("--max-distance", max_distance, "length_km")
    dx = _option("--step", step, "length_km")
    if not 0 <= top < math.inf:
        raise ConfigError("--max-distance", f"must be a finite distance >= 0, got "
                                            f"{max_distance!r}")
    if not 0 < dx < math.inf:
        raise ConfigError("--step", f"must be a positive, finite distance, got {step!r}")
    if top / dx > MAX_POINTS:
        raise ConfigError("--step", f"{step!r} over {max_distance!r} makes more than "
                                    f"{MAX_POINTS:,} distances; take a longer step")
    curve = key_rate_curve(
        np.arange(0.0, top + dx / 2, dx),
        attenuation_db_per_km=_option("--attenuation", attenuation, "attenuation_db_per_km"),
        detector_efficiency=detector_efficiency, dark_count_probability=dark_count_probability,
        misalignment=misalignment, mu=mu, nu=nu, f_ec=f_ec,
        pulse_rate_hz=_option("--pulse-rate", pulse_rate, "frequency_hz"),
        protocols=names)
    if plot is not None:
        plot_key_rates(curve, plot)
    if as_json:
        print(json_document(curve.to_dict()))
        return
    table = keyrate_table(curve)
    console = Console()
    console.print(table)
    for name, longest in curve.max_distance_km().items():
        console.print(f"{name}: {_reach(longest, curve.distance_km)}", markup=False)
    if plot is not None:
        Console(stderr=True).print(f"wrote {plot}")


def keyrate_table(curve: KeyRateCurve) -> Table:
    """The curve as stacked rows, so any number of protocols fits 80 columns.

    Per distance: a row with the PLOB bound, then a row per protocol with its key rate
    and its share of the bound.
    """
    table = Table(title="secret-key rate against distance", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("distance", justify="right", no_wrap=True)
    table.add_column("protocol", no_wrap=True)
    table.add_column("key rate", justify="right", no_wrap=True)
    table.add_column("of PLOB bound", justify="right", no_wrap=True)
    for i, d in enumerate(curve.distance_km):
        plob = curve.plob[i]
        table.add_row(f"{d:g} km", "PLOB bound", format_si(plob * curve.pulse_rate_hz, "bit/s"),
                      "")
        for name, rate in curve.rates.items():
            share = (format_fraction(rate[i] / plob) if 0 < plob < math.inf else "–")
            table.add_row("", name, format_si(rate[i] * curve.pulse_rate_hz, "bit/s")
                          if rate[i] > 0 else "0 bit/s", share)
        if i < len(curve.distance_km) - 1:
            table.add_section()
    return table


def _reach(longest: float | None, distance_km: np.ndarray) -> str:
    """How far a protocol gives key on the grid, e.g. ``key up to 140 km (none at
    150 km)``."""
    if longest is None:
        return "no key at any distance"
    end = float(distance_km[-1])
    if longest >= end:
        return f"key up to {end:g} km, the end of the curve"
    beyond = float(distance_km[np.searchsorted(distance_km, longest) + 1])
    return f"key up to {longest:g} km (none at {beyond:g} km)"


def _number(option: str, value: float, *, low: float, high: float = math.inf,
            low_open: bool = False, high_open: bool = False) -> None:
    """Refuse a plain-number option outside its range, naming the option.

    Examples:
        >>> _number("--mu", 0.5, low=0.0, low_open=True)
        >>> _number("--f-ec", float("nan"), low=1.0)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: --f-ec: must lie in [1, inf], got nan
    """
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):  # also refuses nan
        span = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ConfigError(option, f"must lie in {span}, got {value:g}")


def _option(option: str, value: str, dimension: str) -> float:
    """A quantity option read with its unit; a bad one is a ConfigError naming the option."""
    try:
        return parse_quantity(value, dimension)
    except ConfigError as exc:
        raise ConfigError(option, f"{exc.reason}, got {value!r}") from None
