"""Reading scenarios: YAML or dict in, a checked :class:`Scenario` out, or one ConfigError.

Pydantic's errors are turned into ``field.path: reason`` lines, and the cross-references
(nodes named by links and demands, hardware named by nodes and links) are checked here,
so that every mistake in a file reads the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qinet.errors import ConfigError
from qinet.scenario.schema import PREPARE_MEASURE_PROTOCOLS, QKDDemand, Scenario

_TAGS = {"memory", "detector", "fibre", "spdc", "single-click", "double-click",
         "midpoint-source", "entanglement", "qkd", "key"}


def load_scenario(source: str | Path | Mapping[str, Any], **overrides: Any) -> Scenario:
    """A validated scenario from a YAML file, a YAML string or a dict.

    Args:
        source: a path to a ``.yaml`` file, YAML text, or an already parsed mapping.
        **overrides: top-level fields to replace (``seed=3``, ``duration="2 s"``).

    Raises:
        ConfigError: the file is missing or unreadable, or a field is invalid; the
            message names the field, e.g. ``links[1].length: must be positive, got -3``.

    Examples:
        >>> s = load_scenario('''
        ... nodes: [{name: a}, {name: b}]
        ... links: [{between: [a, b], length: 20 km, scheme: double-click}]
        ... ''')
        >>> s.links[0].length, s.duration
        (20.0, 1.0)
    """
    data = _read(source)
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None
    check_references(scenario)
    return scenario


def _read(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    text: str
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".yaml", ".yml"))):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("", f"cannot read scenario file {str(path)!r}: "
                                  f"{exc.strerror or exc}") from None
    else:
        text = str(source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError("", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError("", f"a scenario must be a mapping of fields, got {type(data).__name__}")
    return data


def _first_error(exc: ValidationError) -> ConfigError:
    error = exc.errors()[0]
    path = _path(error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return ConfigError(path, "unknown field")
    if kind == "missing":
        return ConfigError(path, "required field is missing")
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("discriminator", "kind").strip("'")
        expected = error.get("ctx", {}).get("expected_tags", "")
        given = error.get("ctx", {}).get("tag")
        return ConfigError(f"{path}.{tag}" if path else tag,
                           f"unknown {tag} {given!r}; use one of {expected}")
    if kind == "union_tag_not_found":
        tag = error.get("ctx", {}).get("discriminator", "kind").strip("'")
        return ConfigError(f"{path}.{tag}" if path else tag, "required field is missing")
    message = error["msg"].removeprefix("Value error, ")
    if kind.startswith(("int_", "float_", "bool_", "string_", "literal_", "tuple_", "list_",
                        "dict_", "too_", "greater_", "less_")):
        message = f"{message[0].lower()}{message[1:]}, got {value!r}"
    return ConfigError(path, message)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS:
            continue  # the discriminator's branch, not a field the user wrote
        else:
            out += f".{part}" if out else str(part)
    return out


def check_references(scenario: Scenario) -> None:
    """Check names across the file: nodes, hardware kinds, demands on linked nodes.

    Raises:
        ConfigError: naming the first field that refers to something missing.
    """
    names = [n.name for n in scenario.nodes]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise ConfigError(f"nodes[{i}].name", f"duplicate node name {name!r}")
        seen.add(name)
    hardware = scenario.hardware
    for i, node in enumerate(scenario.nodes):
        _check_hardware(hardware, node.memory, "memory", f"nodes[{i}].memory")
    saes: dict[str, str] = {}
    for i, node in enumerate(scenario.nodes):
        for j, sae in enumerate(node.saes):
            if sae in saes:
                raise ConfigError(f"nodes[{i}].saes[{j}]",
                                  f"SAE {sae!r} is already served by {saes[sae]}")
            saes[sae] = node.name
    pairs: set[frozenset[str]] = set()  # entanglement links
    qkd_pairs: set[frozenset[str]] = set()  # prepare-and-measure QKD links
    for i, link in enumerate(scenario.links):
        for j, end in enumerate(link.between):
            if end not in seen:
                raise ConfigError(f"links[{i}].between[{j}]",
                                  f"unknown node {end!r}; nodes are {', '.join(names)}")
        if link.between[0] == link.between[1]:
            raise ConfigError(f"links[{i}].between", f"a link needs two different nodes, "
                                                     f"got {list(link.between)}")
        key = frozenset(link.between)
        family = qkd_pairs if link.scheme == "qkd" else pairs
        if key in family:
            raise ConfigError(f"links[{i}].between",
                              f"a second link between {link.between[0]} and {link.between[1]}")
        family.add(key)
        _check_hardware(hardware, link.fibre, "fibre", f"links[{i}].fibre")
        _check_hardware(hardware, link.detector, "detector", f"links[{i}].detector")
        if link.scheme == "midpoint-source":
            _check_hardware(hardware, link.source, "spdc", f"links[{i}].source")
    trusted = {n.name for n in scenario.nodes if n.trusted}
    for i, demand in enumerate(scenario.demands):
        for j, end in enumerate(demand.between):
            if end not in seen:
                raise ConfigError(f"demands[{i}].between[{j}]",
                                  f"unknown node {end!r}; nodes are {', '.join(names)}")
        a, b = demand.between
        if a == b:
            raise ConfigError(f"demands[{i}].between",
                              f"a demand needs two different nodes, got {list(demand.between)}")
        if demand.kind == "qkd" and demand.attack is not None and demand.protocol not in (
                "bb84", "bb84-decoy"):
            raise ConfigError(f"demands[{i}].attack", f"attacks are modelled on bb84 and "
                                                      f"bb84-decoy, not {demand.protocol}")
        if demand.kind == "key":
            # keys travel over QKD links and through trusted nodes only
            relay_edges = {e for e in qkd_pairs if e <= trusted | {a, b}}
            if b not in _component(relay_edges, a):
                raise ConfigError(f"demands[{i}].between",
                                  f"no chain of qkd links through trusted nodes joins {a} and {b}")
        elif demand.kind == "qkd" and demand.protocol in PREPARE_MEASURE_PROTOCOLS:
            if frozenset(demand.between) not in qkd_pairs:
                raise ConfigError(f"demands[{i}].between",
                                  f"protocol {demand.protocol} needs a `scheme: qkd` link "
                                  f"between {a} and {b}")
            _check_hardware(hardware, demand.detector, "detector", f"demands[{i}].detector")
            _check_intensities(demand, f"demands[{i}]")
        elif _component(pairs, a) != _component(pairs, b):
            raise ConfigError(f"demands[{i}].between", f"no path of entanglement links joins "
                                                       f"{a} and {b}")


def _check_intensities(demand: QKDDemand, where: str) -> None:
    mus, probs = demand.intensities, demand.intensity_probabilities
    if mus is not None and probs is not None and len(mus) != len(probs):
        raise ConfigError(f"{where}.intensity_probabilities",
                          f"{len(probs)} probabilities for {len(mus)} intensities")
    if probs is not None and abs(sum(probs) - 1.0) > 1e-9:
        raise ConfigError(f"{where}.intensity_probabilities",
                          f"must sum to 1, got {sum(probs):g}")


def _component(edges: set[frozenset[str]], start: str) -> frozenset[str]:
    """The nodes reachable from ``start`` over ``edges``."""
    neighbours: dict[str, set[str]] = {}
    for edge in edges:
        a, b = tuple(edge)
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    seen, todo = {start}, [start]
    while todo:
        for nxt in neighbours.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def _check_hardware(hardware: Mapping[str, Any], name: str | None, kind: str, field: str) -> None:
    if name is None:
        return
    if name not in hardware:
        known = ", ".join(k for k, v in hardware.items() if v.kind == kind) or "none"
        raise ConfigError(field, f"unknown {kind} {name!r}; defined: {known}")
    if hardware[name].kind != kind:
        raise ConfigError(field, f"{name!r} is a {hardware[name].kind}, not a {kind}")
