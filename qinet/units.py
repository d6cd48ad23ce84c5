"""Units: SI floats for physics, integer picoseconds for the clock, strings at the edge.

Scenario files say ``"25 km"``, ``"1 GHz"`` or ``"10 ms"``. They are read once here
into SI floats (metres are reported in km where the name says ``_km``) and never again.

Examples:
    >>> parse_quantity("25 km", "length_km")
    25.0
    >>> parse_quantity("10 ms", "time_s")
    0.01
    >>> parse_quantity("1 GHz", "frequency_hz")
    1000000000.0
    >>> s_to_ps(1.5e-9)
    1500
"""

from __future__ import annotations

import math
import re

from qinet.errors import UnitError

PS_PER_S = 10**12
SPEED_OF_LIGHT_M_PER_S = 299_792_458.0

# Each dimension maps unit spellings to the factor that turns them into the dimension's
# base unit. The base unit is part of the dimension's name, so a caller never guesses.
_DIMENSIONS: dict[str, dict[str, float]] = {
    "length_km": {"km": 1.0, "m": 1e-3, "cm": 1e-5, "mm": 1e-6, "mi": 1.609344},
    "time_s": {
        "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12,
        "min": 60.0, "h": 3600.0,
    },
    "frequency_hz": {"hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9, "thz": 1e12},
    "attenuation_db_per_km": {"db/km": 1.0},
    "loss_db": {"db": 1.0},
    "power_w": {"w": 1.0, "mw": 1e-3, "uw": 1e-6, "µw": 1e-6, "nw": 1e-9, "dbm": math.nan},
    "wavelength_m": {"m": 1.0, "um": 1e-6, "µm": 1e-6, "nm": 1e-9},
}

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d].*?)?\s*$")


def dimensions() -> tuple[str, ...]:
    """Names of the dimensions :func:`parse_quantity` understands."""
    return tuple(_DIMENSIONS)


def units_of(dimension: str) -> tuple[str, ...]:
    """Unit spellings accepted for ``dimension`` (case-insensitive)."""
    return tuple(_DIMENSIONS[dimension])


def parse_quantity(value: str | float | int, dimension: str) -> float:
    """Read a quantity into the base unit of ``dimension``.

    A bare number is taken to be in the base unit already (``25`` for ``length_km`` is
    25 km). Power in dBm is converted as ``10**(dBm/10) mW``.

    Args:
        value: ``"25 km"``, ``"10 ms"``, ``0.2`` ...
        dimension: one of :func:`dimensions`, e.g. ``"length_km"``.

    Returns:
        The value in the base unit named by ``dimension``.

    Raises:
        UnitError: unknown unit, wrong dimension, or not a number.

    Examples:
        >>> parse_quantity("0.2 dB/km", "attenuation_db_per_km")
        0.2
        >>> parse_quantity("-30 dBm", "power_w")
        1e-06
        >>> parse_quantity("3 kg", "length_km")
        Traceback (most recent call last):
        ...
        qinet.errors.UnitError: unknown unit "kg" for a length; use one of km, m, cm, mm, mi
    """
    if dimension not in _DIMENSIONS:
        raise UnitError("", f"unknown dimension {dimension!r}")
    if isinstance(value, bool):
        raise UnitError("", f"expected a quantity, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise UnitError("", f"expected a quantity such as \"25 km\", got {value!r}")
    match = _QUANTITY.match(value)
    if match is None:
        raise UnitError("", f"cannot read {value!r} as a number with a unit")
    number = float(match.group(1))
    unit = (match.group(2) or "").strip()
    if not unit:
        return number
    table = _DIMENSIONS[dimension]
    key = unit.lower().replace(" ", "")
    if key not in table:
        kind = dimension.rsplit("_", 1)[0].replace("_", " ")
        if dimension == "attenuation_db_per_km":
            kind = "attenuation"
        raise UnitError(
            "", f'unknown unit "{unit}" for a {kind}; use one of {", ".join(table)}'
        )
    if key == "dbm":
        return 1e-3 * 10 ** (number / 10)
    return number * table[key]


def s_to_ps(seconds: float) -> int:
    """Seconds to the clock's integer picoseconds, rounded to the nearest.

    Examples:
        >>> s_to_ps(1e-12), s_to_ps(0.4e-12)
        (1, 0)
    """
    return round(seconds * PS_PER_S)


def ps_to_s(picoseconds: int | float) -> float:
    """Picoseconds on the clock to seconds.

    Examples:
        >>> ps_to_s(2_000_000_000_000)
        2.0
    """
    return picoseconds / PS_PER_S
