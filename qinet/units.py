"""Units: SI floats for physics, integer picoseconds for the clock, strings at the edge.

Scenario files say ``"25 km"``, ``"1 GHz"`` or ``"10 ms"``. They are read once here
into SI floats (metres are reported in km where the name says ``_km``) and never again.

Unit symbols follow the SI's case rules exactly: ``mHz`` is a millihertz and ``MHz`` a
megahertz, ``mm`` a millimetre and ``Mm`` a megametre, ``ms`` a millisecond and ``Ms`` a
megasecond. A symbol in the wrong case (``KM``, ``S``, ``ghz``) is an error that names
the unit probably meant, or the candidates when the case alone cannot tell (``MS``).
A number needs its unit: ``20`` is refused where a length is expected, except ``0``,
which is zero in every unit. The micro prefix is written ``u``, ``µ`` or ``μ``.

Examples:
    >>> parse_quantity("25 km", "length_km")
    25.0
    >>> parse_quantity("10 ms", "time_s")
    0.01
    >>> parse_quantity("1 GHz", "frequency_hz")
    1000000000.0
    >>> parse_quantity("500 mHz", "frequency_hz")
    0.5
    >>> s_to_ps(1.5e-9)
    1500
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

from qinet.errors import UnitError

PS_PER_S = 10**12
SPEED_OF_LIGHT_M_PER_S = 299_792_458.0

# SI prefixes, with the word each stands for (used to explain a wrong case).
PREFIXES: dict[str, tuple[float, str]] = {
    "f": (1e-15, "femto"), "p": (1e-12, "pico"), "n": (1e-9, "nano"),
    "u": (1e-6, "micro"), "µ": (1e-6, "micro"), "μ": (1e-6, "micro"),
    "m": (1e-3, "milli"), "c": (1e-2, "centi"), "k": (1e3, "kilo"), "M": (1e6, "mega"),
    "G": (1e9, "giga"), "T": (1e12, "tera"),
}


@dataclass(frozen=True, slots=True)
class _Dimension:
    """A physical dimension: its unit symbols and their factors to the base unit."""

    label: str  # for messages: "a length"
    units: dict[str, tuple[float, str]]  # symbol -> (factor to the base unit, its name)
    common: tuple[str, ...]  # what an error message lists
    lowercase: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = {}
        for symbol in self.units:
            index.setdefault(symbol.lower(), []).append(symbol)
        object.__setattr__(self, "lowercase", index)


def _prefixed(symbol: str, name: str, scale: float, prefixes: str,
              extra: dict[str, tuple[float, str]] | None = None) -> dict[str, tuple[float, str]]:
    """``symbol`` with each of ``prefixes`` (scaled by ``scale``), plus ``extra`` units."""
    units = {symbol: (scale, name)}
    for p in prefixes:
        factor, word = PREFIXES[p]
        units[p + symbol] = (factor * scale, word + name)
    units.update(extra or {})
    return units


_SI = "fpnuµμmkMGT"

_DIMENSIONS: dict[str, _Dimension] = {
    "length_km": _Dimension(
        "a length",
        _prefixed("m", "metre", 1e-3, _SI + "c", {"mi": (1.609344, "mile")}),
        ("km", "m", "cm", "mm", "Mm", "mi")),
    "time_s": _Dimension(
        "a time",
        _prefixed("s", "second", 1.0, _SI, {"min": (60.0, "minute"), "h": (3600.0, "hour")}),
        ("s", "ms", "us", "ns", "ps", "min", "h")),
    "frequency_hz": _Dimension(
        "a frequency", _prefixed("Hz", "hertz", 1.0, _SI), ("Hz", "kHz", "MHz", "GHz", "mHz")),
    "attenuation_db_per_km": _Dimension(
        "an attenuation", {"dB/km": (1.0, "decibel per kilometre"),
                           "dB/m": (1e3, "decibel per metre")}, ("dB/km", "dB/m")),
    "loss_db": _Dimension("a loss", {"dB": (1.0, "decibel")}, ("dB",)),
    "power_w": _Dimension(
        "a power", _prefixed("W", "watt", 1.0, _SI, {"dBm": (math.nan, "decibel-milliwatt")}),
        ("W", "mW", "uW", "nW", "dBm")),
    "wavelength_m": _Dimension(
        "a wavelength", _prefixed("m", "metre", 1.0, _SI), ("m", "um", "nm")),
    "angle_rad": _Dimension(
        "an angle", _prefixed("rad", "radian", 1.0, "nuµμm",
                              {"deg": (math.pi / 180.0, "degree")}),
        ("rad", "mrad", "urad", "deg")),
}

_NUMBER = r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")


def dimensions() -> tuple[str, ...]:
    """Names of the dimensions :func:`parse_quantity` understands."""
    return tuple(_DIMENSIONS)


def units_of(dimension: str) -> tuple[str, ...]:
    """Every unit symbol accepted for ``dimension`` (case-sensitive).

    Examples:
        >>> "Mm" in units_of("length_km") and "MM" not in units_of("length_km")
        True
    """
    return tuple(_DIMENSIONS[dimension].units)


def unit_factor(unit: str, dimension: str) -> float:
    """How many base units of ``dimension`` one ``unit`` is (``nan`` for dBm).

    Examples:
        >>> unit_factor("Mm", "length_km"), unit_factor("mm", "length_km")
        (1000.0, 1e-06)
    """
    return _DIMENSIONS[dimension].units[unit][0]


def parse_quantity(value: str | float | int, dimension: str) -> float:
    """Read a quantity, written with its unit, into the base unit of ``dimension``.

    Power in dBm is converted as ``10**(dBm/10) mW``. ``inf`` is read as infinity
    (``"inf s"``); a bare ``0`` is zero in any unit.

    Args:
        value: ``"25 km"``, ``"10 ms"``, ``"0.2 dB/km"`` ...
        dimension: one of :func:`dimensions`, e.g. ``"length_km"``.

    Returns:
        The value in the base unit named by ``dimension``.

    Raises:
        UnitError: a missing, unknown or wrongly cased unit, a unit of another
            dimension, or not a number.

    Examples:
        >>> parse_quantity("0.2 dB/km", "attenuation_db_per_km")
        0.2
        >>> parse_quantity("-30 dBm", "power_w")
        1e-06
        >>> parse_quantity("3 kg", "length_km")
        Traceback (most recent call last):
        ...
        qinet.errors.UnitError: unknown unit "kg" for a length; use one of km, m, cm, mm, Mm, mi
        >>> parse_quantity("10 KM", "length_km")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qinet.errors.UnitError: unknown unit "KM" for a length (...); "km" (kilometre) was ...
        >>> parse_quantity(20, "length_km")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qinet.errors.UnitError: a length needs a unit, such as "20 km"; use one of km, m, ...
    """
    if dimension not in _DIMENSIONS:
        raise UnitError("", f"unknown dimension {dimension!r}")
    dim = _DIMENSIONS[dimension]
    if isinstance(value, bool):
        raise UnitError("", f"expected a quantity, got {value!r}")
    if isinstance(value, int | float):
        if value == 0:
            return 0.0
        raise UnitError("", _needs_unit(dim, value))
    if not isinstance(value, str):
        raise UnitError("", f"expected a quantity such as \"25 km\", got {value!r}")
    return _parse_text(value, dimension)


# A large network repeats a few quantities ("20 km") thousands of times; errors are not
# cached, so each bad value is reported afresh.
@functools.lru_cache(maxsize=4096)
def _parse_text(value: str, dimension: str) -> float:
    dim = _DIMENSIONS[dimension]
    match = _QUANTITY.match(value)
    if match is None:
        raise UnitError("", f"cannot read {value!r} as a number with a unit")
    number = float(match.group(1))
    unit = match.group(2).replace(" ", "")
    if not unit:
        if number == 0:
            return 0.0
        raise UnitError("", _needs_unit(dim, match.group(1)))
    if unit not in dim.units:
        raise UnitError("", _unknown_unit(dim, unit))
    if unit == "dBm":
        return 1e-3 * 10 ** (number / 10)
    return number * dim.units[unit][0]


def _needs_unit(dim: _Dimension, number: object) -> str:
    return (f'{dim.label} needs a unit, such as "{number} {dim.common[0]}"; '
            f"use one of {', '.join(dim.common)}")


def _unknown_unit(dim: _Dimension, unit: str) -> str:
    """Why ``unit`` is refused, naming what was probably meant."""
    candidates = dim.lowercase.get(unit.lower(), [])
    if len(candidates) == 1:
        meant = candidates[0]
        return (f'unknown unit "{unit}" for {dim.label} (units are case-sensitive); '
                f'"{meant}" ({dim.units[meant][1]}) was probably meant')
    if candidates:
        options = " or ".join(f'"{c}" ({dim.units[c][1]})' for c in candidates)
        return (f'ambiguous unit "{unit}" for {dim.label} (units are case-sensitive); '
                f"write {options}")
    measures = next((f' ("{unit}" is {other.label})'
                     for other in _DIMENSIONS.values()
                     if other is not dim and unit in other.units), "")
    return f'unknown unit "{unit}" for {dim.label}{measures}; use one of {", ".join(dim.common)}'


def format_quantity(value: float, dimension: str) -> str:
    """Write a base-unit value of ``dimension`` so that :func:`parse_quantity` reads it back.

    The number is Python's shortest exact representation, so the round trip is exact.

    Examples:
        >>> format_quantity(0.25, "length_km")
        '0.25 km'
        >>> parse_quantity(format_quantity(1e-9, "time_s"), "time_s")
        1e-09
    """
    base = {"length_km": "km", "time_s": "s", "frequency_hz": "Hz",
            "attenuation_db_per_km": "dB/km", "loss_db": "dB", "power_w": "W",
            "wavelength_m": "m", "angle_rad": "rad"}[dimension]
    return f"{float(value)!r} {base}"


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
