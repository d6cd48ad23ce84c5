"""Sweep axes from ``--set`` texts, and the grid of scenario points they span.

An axis is ``PATH=VALUES``:

- ``PATH`` is a field of the scenario, dotted, with list indices: ``duration``,
  ``links[0].length``, ``links[*].length`` (every link), ``nodes[r*].memories`` (every
  node whose ``name`` matches the glob ``r*``), ``hardware.snspd.efficiency``.
- ``VALUES`` is a linear range ``10km..200km:20`` (20 points, both ends included, in
  the unit written), a log-spaced one ``log:1Hz..1MHz:7``, an integer range ``1..5``
  (step 1, both ends), a comma list ``snspd,ingaas`` or ``0.9,0.95`` (each item read as
  a YAML scalar), or one value.

Values with a unit are written back as text (``"10 km"``) and read by the scenario
schema's own unit parsing, so a range is checked exactly as a scenario file would be.

Examples:
    >>> axis = parse_set("links[*].length=10km..30km:3")
    >>> axis.values
    ('10 km', '20 km', '30 km')
    >>> parse_set("seed=1..3").values
    (1, 2, 3)
    >>> parse_set("links[0].detector=snspd,ingaas").values
    ('snspd', 'ingaas')
    >>> [p["seed"] for p in grid([parse_set("seed=1..2"), parse_set("mode=detailed")])]
    [1, 2]

Zipped axes (``--zip``) are taken together, index by index, as one axis of the product:

    >>> pair = [parse_set("links[0].length=10 km,50 km", option="--zip"),
    ...         parse_set("links[1].length=10 km,50 km", option="--zip")]
    >>> [tuple(p.values()) for p in grid([parse_set("seed=1..2")], zip_axes=pair)]
    [('10 km', '10 km', 1), ('10 km', '10 km', 2), ('50 km', '50 km', 1), ('50 km', '50 km', 2)]
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from qinet.errors import ConfigError
from qinet.units import dimensions, unit_factor, units_of

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(\S*?)\s*$")
_RANGE = re.compile(r"^(?P<log>log:)?(?P<start>[^.:][^:]*?)\.\.(?P<stop>[^:]+?)"
                    r"(?::(?P<count>.+))?$")
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)|\[([^\]]*)\]|\.")
MAX_POINTS = 1_000_000  # a sweep larger than this is almost surely a typo in a count


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept field.

    Attributes:
        text: the ``--set`` text as given (used to name the axis in errors).
        path: the field's path, the parameter's column name in the results.
        values: the values the field takes, as a scenario file would write them.
        option: the option that gave it (``--set`` or ``--zip``), to name it in errors.
    """

    text: str
    path: str
    values: tuple[Any, ...]
    option: str = "--set"

    @property
    def where(self) -> str:
        """The axis as errors name it: ``--set 'seed=1..3'``."""
        return f"{self.option} {self.text!r}"


def parse_set(text: str, *, option: str = "--set") -> Axis:
    """Read one ``--set PATH=VALUES`` (or ``--zip PATH=VALUES``) text (grammar in the
    module docstring).

    Raises:
        ConfigError: naming ``option`` and the text: no ``=``, a malformed path, a
            range whose ends are not numbers or differ in unit, or a bad count.
    """
    where = f"{option} {text!r}"
    path, sep, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not sep or not path or not spec:
        raise ConfigError(where, "write PATH=VALUES, e.g. links[*].length=10km..200km:20")
    steps(path, where)  # refuse a malformed path before any scenario is read
    return Axis(text, path, _values(spec, where), option)


def _values(spec: str, where: str) -> tuple[Any, ...]:
    match = _RANGE.match(spec)
    if match is None:
        return tuple(_scalar(item.strip()) for item in spec.split(","))
    start, start_unit = _quantity(match["start"], where)
    stop, stop_unit = _quantity(match["stop"], where)
    if start_unit != stop_unit:
        stop *= _ratio(stop_unit, start_unit, where)
    log = match["log"] is not None
    count_text = match["count"]
    if count_text is None:
        written = match["start"] + match["stop"]
        if log or start_unit or any(c in written for c in ".eE"):
            raise ConfigError(where, "give the number of points after a colon, e.g. 1..2:5")
        if stop < start:
            raise ConfigError(where, f"an integer range runs upwards, got {spec!r}")
        numbers: list[float] = [float(v) for v in range(int(start), int(stop) + 1)]
        integers = True
    else:
        try:
            count = int(count_text)
        except ValueError:
            raise ConfigError(where, f"the number of points is a whole number, "
                                     f"got {count_text!r}") from None
        if count < 1:
            raise ConfigError(where, f"the number of points must be at least 1, got {count}")
        if log and (start <= 0 or stop <= 0):
            raise ConfigError(where, "a log range needs both ends above zero")
        ends = (math.log10(start), math.log10(stop)) if log else (start, stop)
        grid_ = np.linspace(ends[0], ends[1], count) if count > 1 else np.array([ends[0]])
        numbers = [float(10.0**v) if log else float(v) for v in grid_]
        integers = False
    if len(numbers) > MAX_POINTS:
        raise ConfigError(where, f"{len(numbers):,} points; the limit is {MAX_POINTS:,}")
    if start_unit:
        return tuple(f"{v:.12g} {start_unit}" for v in numbers)
    return tuple(int(v) if integers else v for v in numbers)


def _ratio(unit: str, to: str, where: str) -> float:
    """How many ``to`` make one ``unit`` (``MHz`` to ``Hz``: 1e6), by the units of
    :mod:`qinet.units`; the range's values are then written in the start's unit."""
    for dimension in dimensions():
        known = units_of(dimension)
        if unit in known and to in known:
            ratio = unit_factor(unit, dimension) / unit_factor(to, dimension)
            if math.isfinite(ratio):  # dBm is no multiple of W
                return ratio
    raise ConfigError(where, f"both ends of a range take units of one kind, got "
                             f"{to or 'none'!r} and {unit or 'none'!r}")


def _quantity(text: str, where: str) -> tuple[float, str]:
    match = _QUANTITY.match(text)
    if match is None:
        raise ConfigError(where, f"a range's ends are numbers with an optional unit, "
                                 f"got {text.strip()!r}")
    return float(match[1]), match[2]


def _scalar(item: str) -> Any:
    if not item:
        return item
    try:
        value = yaml.safe_load(item)
    except yaml.YAMLError:
        return item
    # a YAML scalar (number, bool, text); anything structured stays the text written
    return value if isinstance(value, str | int | float | bool) else item


def steps(path: str, where: str) -> list[str | int]:
    """The steps of a field path: keys, list indices, ``"*"`` or name globs (``"[r*]"``).

    Examples:
        >>> steps("links[*].length", "--set")
        ['links', '*', 'length']
        >>> steps("nodes[r*].memories", "--set")
        ['nodes', '[r*]', 'memories']
    """
    out: list[str | int] = []
    pos = 0
    expect_key = True
    while pos < len(path):
        match = _STEP.match(path, pos)
        if match is None or match.end() == pos:
            raise ConfigError(where, f"cannot read the field path {path!r} at "
                                     f"character {pos + 1}")
        if match[0] == ".":
            expect_key = True
        elif match[1] is not None:
            if not expect_key:
                raise ConfigError(where, f"put a dot between field names in {path!r}")
            out.append(match[1])
            expect_key = False
        else:
            index = match[2].strip()
            if not out or not index:
                raise ConfigError(where, f"an index follows a field name, in {path!r}")
            out.append(int(index) if index.lstrip("-").isdigit()
                       else "*" if index == "*" else f"[{index}]")
            expect_key = False
        pos = match.end()
    if not out or expect_key:
        raise ConfigError(where, f"cannot read the field path {path!r}")
    return out


def apply(data: dict[str, Any], axis: Axis, value: Any) -> list[str]:
    """Set ``axis.path`` to ``value`` in ``data`` (in place); returns the concrete paths set
    (``links[0].length``, ``links[1].length`` for ``links[*].length``).

    Raises:
        ConfigError: naming the ``--set``: a step through a field the scenario lacks, an
            index past a list's end, or a ``[*]`` that matches nothing.
    """
    where = axis.where
    parts = steps(axis.path, where)
    targets: list[tuple[Any, str]] = [(data, "")]
    for depth, step in enumerate(parts):
        last = depth == len(parts) - 1
        following: list[tuple[Any, str]] = []
        for node, name in targets:
            following += _step(node, name, step, last, value, where)
        if not following:
            raise ConfigError(where, f"{axis.path!r} matches no field of the scenario")
        targets = following
    return [name for _, name in targets]


def _step(node: Any, name: str, step: str | int, last: bool, value: Any,
          where: str) -> list[tuple[Any, str]]:
    if isinstance(step, str) and not step.startswith("[") and step != "*":
        if not isinstance(node, dict):
            raise ConfigError(where, f"{name or 'the scenario'} is not a mapping of fields")
        here = f"{name}.{step}" if name else step
        if last:
            node[step] = copy.deepcopy(value)
            return [(None, here)]
        if step not in node:
            raise ConfigError(where, f"the scenario has no field {here!r}")
        return [(node[step], here)]
    if not isinstance(node, list):
        raise ConfigError(where, f"{name} is not a list, so it takes no index")
    if isinstance(step, int):
        if not -len(node) <= step < len(node):
            raise ConfigError(where, f"{name} has {len(node)} items; index {step} is past "
                                     f"its end")
        indices = [step % len(node)]
    elif step == "*":
        indices = list(range(len(node)))
    else:
        pattern = step[1:-1]
        indices = [i for i, item in enumerate(node)
                   if isinstance(item, dict) and fnmatch.fnmatchcase(str(item.get("name")),
                                                                     pattern)]
    out: list[tuple[Any, str]] = []
    for i in indices:
        if last:
            node[i] = copy.deepcopy(value)
        out.append((node[i], f"{name}[{i}]"))
    return out


def grid(axes: Sequence[Axis], *, zipped: bool = False,
         zip_axes: Sequence[Axis] = ()) -> list[dict[str, Any]]:
    """Every point of the sweep: a dict from axis path to value, in a fixed order.

    The axes span their product (the last axis varies fastest). ``zip_axes`` are taken
    together, index by index, as one more axis of that product, its first (slowest)
    one; with ``zipped`` every axis is taken so (all axes then have one length).

    Raises:
        ConfigError: two axes on one path; zipped axes of different lengths; more
            than :data:`MAX_POINTS` points.
    """
    if zipped:
        axes, zip_axes = [], [*zip_axes, *axes]
    paths = [a.path for a in (*zip_axes, *axes)]
    for axis in (*zip_axes, *axes):
        if paths.count(axis.path) > 1:
            raise ConfigError(axis.where, f"{axis.path!r} is swept twice; give it one "
                                          f"--set or --zip")
    lengths = {a.where: len(a.values) for a in zip_axes}
    if len(set(lengths.values())) > 1:
        raise ConfigError("--zip", "zipped axes take the same number of values, got "
                          + ", ".join(f"{n} for {w}" for w, n in lengths.items()))
    # the zipped group is one axis whose values are tuples
    group: list[tuple[Any, ...]] = list(zip(*(a.values for a in zip_axes), strict=True))
    factors: list[Sequence[tuple[Any, ...]]] = [group] if zip_axes else []
    factors += [[(v,) for v in a.values] for a in axes]
    total = math.prod(len(f) for f in factors)
    if total > MAX_POINTS:
        raise ConfigError("--set", f"the product of the axes is {total:,} points; the "
                                   f"limit is {MAX_POINTS:,}")
    rows = [tuple(v for part in parts for v in part) for parts in itertools.product(*factors)]
    return [dict(zip(paths, row, strict=True)) for row in rows] if paths else [{}]
