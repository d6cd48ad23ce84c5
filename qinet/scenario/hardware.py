"""The scenario's named hardware, of the kind the caller needs, or the default of that kind.

``scenario.hardware`` maps names to any kind of hardware; a link's ``detector:`` must
name a detector, a node's ``memory:`` a memory. The loader checks every reference
before anything is built, so here a wrong kind is a clear error rather than an
attribute missing deep inside the physics.

Examples:
    >>> from qinet.scenario import load_scenario
    >>> s = load_scenario("nodes: [{name: a}, {name: b}]\\n"
    ...                   "hardware: {cold: {kind: memory, t2: 2 s}}\\n"
    ...                   "links: [{between: [a, b], length: 1 km, scheme: double-click}]\\n")
    >>> memory_of(s, "cold").t2, detector_of(s, None).efficiency
    (2.0, 0.9)
"""

from __future__ import annotations

from typing import TypeVar

from qinet.errors import ConfigError
from qinet.scenario import schema

_H = TypeVar("_H", schema.MemoryHardware, schema.DetectorHardware, schema.FibreHardware,
             schema.SourceHardware)


_DEFAULTS: dict[str, object] = {}


def _default(kind: type[_H], kind_name: str) -> _H:
    """The default hardware of ``kind``, validated once (each link of a 10,000-node
    network asks for its fibre and its detector; the models are frozen)."""
    made = _DEFAULTS.get(kind_name)
    if type(made) is not kind:  # isinstance goes through the models' ABC machinery
        made = _DEFAULTS[kind_name] = kind(kind=kind_name)
    return made


def _named(scenario: schema.Scenario, name: str | None, kind: type[_H], kind_name: str) -> _H:
    if name is None:
        return _default(kind, kind_name)
    spec = scenario.hardware[name]
    if not isinstance(spec, kind):
        wanted = kind_name
        raise ConfigError(f"hardware.{name}", f"must be a {wanted} to be used as one, but it "
                                              f"is of kind {spec.kind!r}")
    return spec


def memory_of(scenario: schema.Scenario, name: str | None) -> schema.MemoryHardware:
    """The memory called ``name``, or the default memory when ``name`` is ``None``."""
    return _named(scenario, name, schema.MemoryHardware, "memory")


def detector_of(scenario: schema.Scenario, name: str | None) -> schema.DetectorHardware:
    """The detector called ``name``, or the default detector when ``name`` is ``None``."""
    return _named(scenario, name, schema.DetectorHardware, "detector")


def fibre_of(scenario: schema.Scenario, name: str | None) -> schema.FibreHardware:
    """The fibre called ``name``, or the default fibre when ``name`` is ``None``."""
    return _named(scenario, name, schema.FibreHardware, "fibre")


def source_of(scenario: schema.Scenario, name: str | None) -> schema.SourceHardware:
    """The SPDC source called ``name``, or the default source when ``name`` is ``None``."""
    return _named(scenario, name, schema.SourceHardware, "spdc")
