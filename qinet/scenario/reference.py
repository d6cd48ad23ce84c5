"""The scenario file's field reference (``docs/scenario.md``), generated from the schema.

Every field of every model in :mod:`qinet.scenario.schema` is listed, section by section,
with its unit (from the :class:`~qinet.scenario.schema.Quantity` marker of a quantity),
its default, the range it must lie in (from the :class:`~qinet.scenario.schema.Bounds`
marker and pydantic's own constraints) and its description. Regenerate the file with::

    python -m qinet.scenario.reference docs/scenario.md

A test fails when the file and this text differ.
"""

from __future__ import annotations

import math
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from qinet.scenario import schema, schema_apps, schema_costs, schema_sources
from qinet.scenario.schema_space import (
    DownlinkLink,
    DualDownlinkLink,
    Orbit,
    SpaceRun,
    StationSite,
    UplinkLink,
)
from qinet.units import unit_factor

# (title, lead paragraph, models, example YAML)
SECTIONS: tuple[tuple[str, str, tuple[type[BaseModel], ...], str], ...] = (
    ("Top level", "The file is one mapping with these fields.", (schema.Scenario,), """\
name: metro-chain
seed: 7
duration: 10 s
mode: fast-forward
hardware: {}
nodes: [{name: alice}, {name: bob}]
links: [{between: [alice, bob], length: 25 km}]
"""),
    ("Hardware kinds", "Entries of `hardware`, each a name mapped to one kind; nodes and "
     "links name them. A node or link that names none gets the kind's defaults.",
     (schema.MemoryHardware, schema.DetectorHardware, schema.FibreHardware,
      schema.SourceHardware, schema.GatedApdHardware), """\
hardware:
  nv: {kind: memory, t2: 1 s, efficiency: 0.9}
  snspd: {kind: detector, efficiency: 0.9, dark_count_rate: 10 Hz, dead_time: 50 ns}
  smf28: {kind: fibre, attenuation: 0.18 dB/km}
  pump: {kind: spdc, mean_pairs: 0.02, rate: 80 MHz}
  ingaas: {kind: gated_apd, gate_frequency: 1 GHz, efficiency: 0.2, afterpulse_probability: 0.04}
"""),
    ("Nodes", "Entries of `nodes`.", (schema.Node,), """\
nodes:
  - {name: alice, memories: 10, memory: nv}
  - {name: r1, memories: 20, memory: nv, swap_success: 0.5}
  - {name: relay, trusted: true}
  - {name: bob, saes: [bob-app]}
"""),
    ("Links by scheme", "Entries of `links`, one model per `scheme`. A link without a "
     "`scheme` gets the one its demands and nodes imply (`qkd` when prepare-and-measure "
     "QKD or relayed keys use it, `double-click` for entanglement between memories), and "
     "`qinet run` and `qinet validate` say which they chose.",
     (schema.SingleClickLink, schema.DoubleClickLink, schema.MidpointSourceLink,
      schema.QkdLink, schema.ClassicalChannel), """\
links:
  - {between: [alice, r1], length: 25 km, scheme: double-click, detector: snspd}
  - {between: [r1, bob], length: 20 km, scheme: single-click, bright_state: 0.05}
  - {between: [alice, relay], length: 50 km, scheme: qkd, fibre: smf28}
"""),
    ("Ground stations, satellites and their links", "A node with a `station` is a ground "
     "station, a node with an `orbit` a satellite. A `scheme: downlink` link sends decoy "
     "BB84 from a satellite to a station (`between: [satellite, station]`), a `scheme: "
     "uplink` link the reverse; its loss follows the satellite's passes above "
     "`min_elevation` (docs/free-space.md). A `scheme: dual-downlink` link joins two "
     "stations through a pair source on a `satellite` (BBM92). A file with such links "
     "places its run in time with `space`.",
     (StationSite, Orbit, SpaceRun, DownlinkLink, UplinkLink, DualDownlinkLink), """\
space: {epoch: "2017-01-01T12:00:00Z", start: next-pass, lead: 30 s}
nodes:
  - {name: micius, orbit: {altitude: 500 km, inclination: 97.4 deg}, trusted: true}
  - {name: xinglong, station: {latitude: 40.3959 deg, longitude: 117.5775 deg,
                               altitude: 890 m, aperture: 1 m}}
links:
  - {between: [micius, xinglong], scheme: downlink, divergence: 5 urad,
     pointing_jitter: 0.5 urad, night_only: true, background_night: 50 Hz}
"""),
    ("Demands by kind and protocol", "Entries of `demands`, one model per `kind`, and for "
     "`kind: qkd` one model per `protocol` (`bbm92` when none is given); an `attack` is a "
     "mapping of its own. A demand takes only the fields of its protocol: a `bbm92` "
     "demand given `misalignment` is refused, naming the protocols that take it. "
     "`bbm92` and `e91` distil a key from the Bell pairs the network delivers; `bb84`, "
     "`bb84-decoy`, `bb84-one-decoy`, `mdi`, `tf`, `sns` and `four-phase` send pulses over "
     "the "
     "`scheme: qkd` link that "
     "joins the two nodes. A `bb84-decoy` demand without `intensities` and "
     "`intensity_probabilities` gets those that maximise the finite-key rate of its "
     "link, and `qinet run` and `qinet validate` report them.",
     (schema.EntanglementDemand, schema.BBM92Demand, schema.E91Demand, schema.BB84Demand,
      schema.DecoyBB84Demand, schema.MdiDemand, schema.TwinFieldDemand, schema.SnsDemand,
      schema.OneDecoyBB84Demand, schema.FourPhaseDemand,
      schema.Attack,
      schema.KeyDemand), """\
demands:
  - {kind: entanglement, between: [alice, bob], min_fidelity: 0.8, rate: 5 Hz}
  - {kind: qkd, protocol: bbm92, between: [alice, bob], z_basis_probability: 0.8}
  - {kind: qkd, protocol: bb84-decoy, between: [alice, relay], misalignment: 0.03}
  - {kind: key, between: [alice, relay], key_size: 256, rate: 1 Hz}
"""),
    ("Application demands", "Entries of `demands` with `kind: app`, one model per `app`: "
     "node programs run over the pairs the network delivers (docs/apps.md). `teleport` "
     "sends `count` single-qubit states from the first node to the second; `cnot` and "
     "`cz` make `count` non-local gates by gate teleportation, the control at the first "
     "node. `grover` runs Grover's search with one qubit at each node (two teleported "
     "CZs, two pairs a search) and `ghz-modules` a GHZ state over both nodes' qubits "
     "(one teleported CNOT). Each asks the network for its pairs, and replaces those "
     "below `min_fidelity`. Reported under `apps` in the run's JSON (docs/metrics.md).",
     (schema_apps.TeleportAppDemand, schema_apps.GateAppDemand,
      schema_apps.GroverAppDemand, schema_apps.GhzModulesAppDemand,
      schema_apps.OperationTimesSpec), """\
demands:
  - {kind: app, app: teleport, between: [alice, bob], count: 1000, input: haar}
  - {kind: app, app: cnot, between: [alice, bob], count: 200, inputs: choi,
     operation_times: {alice: {two_qubit_gate: 100 us, measurement: 300 us}}}
"""),
    ("Applications on delivered pairs", "Entries of `demands` with `kind: app` computed "
     "from the pairs the network delivers, at the run's end (docs/apps.md). "
     "`chsh-randomness` runs one CHSH round on each of `count` pairs between its two nodes; "
     "`ghz` and `secret-sharing` fuse, `count` times, one pair from `centre` to each of "
     "`participants` into a GHZ state; `circuit` runs an OpenQASM circuit `count` times, "
     "its qubits at the nodes `qubits` names, one pair per non-local gate; "
     "`authentication` and `blind` use pairs between their two nodes, `signatures`, "
     "`phase-sensing` and `clock-sync` pairs from `centre` to each participant. Reported "
     "under `apps` in the run's JSON (docs/metrics.md).",
     (schema_apps.ChshAppDemand, schema_apps.GhzAppDemand,
      schema_apps.SecretSharingAppDemand, schema_apps.CircuitAppDemand,
      schema_apps.AuthenticationAppDemand, schema_apps.BlindAppDemand,
      schema_apps.SignaturesAppDemand, schema_apps.PhaseSensingAppDemand,
      schema_apps.ClockSyncAppDemand), """\
demands:
  - {kind: app, app: chsh-randomness, between: [alice, bob], count: 10000}
  - kind: app
    app: circuit
    qasm: |                  # or the path of a .qasm file beside the scenario
      OPENQASM 2.0;
      include "qelib1.inc";
      qreg q[2];
      h q[0];
      cx q[0], q[1];
    qubits:                  # block style: q[0] is not a key inside {...}
      q[0]: alice
      q[1]: bob
    count: 1000
  # on a network with a hub linked to alice, bob and carol:
  # - {kind: app, app: ghz, centre: hub, participants: [alice, bob, carol], count: 1000}
  # - {kind: app, app: secret-sharing, centre: hub, participants: [alice, bob]}
  # - {kind: app, app: authentication, between: [alice, bob], rounds: 20}
  # - {kind: app, app: blind, between: [alice, bob], angles: [0, 90, 45], traps: 2}
  # - {kind: app, app: signatures, centre: hub, participants: [alice, bob], length: 1000}
  # - {kind: app, app: phase-sensing, centre: hub, participants: [alice, bob],
  #    phases: [0.01, 0.0, -0.02]}
  # - {kind: app, app: clock-sync, centre: hub, participants: [alice, bob],
  #    offsets: [0 fs, 0.1 fs, -0.1 fs], qubit_frequency: 429 THz}
"""),
    ("Policy", "The mapping `policy`, and its `purification`.",
     (schema.Policy, schema.Purification), """\
policy:
  swapping: asap
  routing: k-shortest
  k_paths: 3
  cutoff: 100 ms
  purification: {scheme: dejmps, rounds: 1}
"""),
    ("Pair sources", "Entries of `pair_sources`: one broadband entangled-pair source shared "
     "by many users through wavelength demultiplexing (Joshi et al., Sci. Adv. 6, eaba0959 "
     "(2020)). Each entry of `channels` is a conjugate pair of wavelength channels routed "
     "to two users, who distil BBM92 keys from its coincidences; a user on several "
     "channel pairs receives them all on one receiver. Users are nodes of the file. "
     "Reported per user pair under `pair_sources` in the run's JSON (docs/metrics.md).",
     (schema_sources.PairSource, schema_sources.SourceUser, schema_sources.PairChannel), """\
pair_sources:
  - name: hub
    pair_rate: 1 MHz
    users: [{node: alice, length: 5 km, insertion_loss: 4}, {node: bob, length: 8 km}]
    channels: [{users: [alice, bob]}]
"""),
    ("Costs", "The mapping `costs`: how the run's capital cost (euros) is counted from the "
     "cost catalogue (docs/planning.md lists every entry with its source and date). "
     "Reported under `cost` in the run's JSON.",
     (schema_costs.Costs,), """\
costs:
  fibre: leased
  prices_eur: {snspd_channel_eur: 40000, fibre_lease_years: 5}
"""),
)

_LINK_MODELS = (schema.SingleClickLink, schema.DoubleClickLink, schema.MidpointSourceLink,
                schema.QkdLink)  # whose `scheme` the loader implies when it is left out

# the units a default is shown in, largest first
_SHOWN_UNITS = {"angle_rad": ("rad", "mrad", "µrad"),
                "time_s": ("s", "ms", "µs", "ns", "ps"),
                "frequency_hz": ("GHz", "MHz", "kHz", "Hz"),
                "length_km": ("km", "m"), "attenuation_db_per_km": ("dB/km",),
                "wavelength_m": ("nm",)}


def reference_text() -> str:
    """The whole of ``docs/scenario.md``."""
    out = ["# Scenario file reference", "",
           "<!-- generated by `python -m qinet.scenario.reference docs/scenario.md`; "
           "do not edit -->", "",
           "Every field of a scenario file, section by section. Quantities are written with "
           "their unit (`25 km`, `50 ns`, `10 Hz`; units are case-sensitive), a bare number "
           "other than `0` is refused; the *unit* column gives the unit the value is held "
           "in. Unknown fields are errors. Numbers without a unit are plain numbers "
           "(probabilities, counts).", ""]
    for title, lead, models, example in SECTIONS:
        out += [f"## {title}", "", lead, ""]
        for model in models:
            out += _model_table(model, several=len(models) > 1)
        out += ["Example:", "", "```yaml", example.rstrip("\n"), "```", ""]
    return "\n".join(out)


def _model_table(model: type[BaseModel], *, several: bool) -> list[str]:
    lines = []
    if several:
        lines += [f"### {_heading(model)}", ""]
    doc = " ".join((model.__doc__ or "").split()).replace("``", "`")
    if doc:
        lines += [doc, ""]
    lines += ["| field | unit | default | allowed | description |",
              "|---|---|---|---|---|"]
    # the discriminators first: they choose the model
    fields = sorted(model.model_fields.items(), key=lambda item: item[0] not in _TAGS)
    for name, info in fields:
        unit, allowed = _unit_and_range(info)
        implied = name == "scheme" and model in _LINK_MODELS
        cells = (f"`{name}`", unit, "implied (see above)" if implied else _default(info), allowed,
                 _escape(info.description or ""))
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


_TAGS = ("kind", "scheme", "protocol")


def _heading(model: type[BaseModel]) -> str:
    tags = []
    for tag in _TAGS:
        field = model.model_fields.get(tag)
        if field is not None and typing.get_origin(field.annotation) is typing.Literal:
            values = typing.get_args(field.annotation)
            if len(values) == 1:
                tags.append(f"{tag}: {values[0]}")
    return ", ".join(tags) or model.__name__


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _metadata(annotation: Any) -> Iterator[Any]:
    """The metadata of ``annotation`` and of the Annotated types inside it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from annotation.__metadata__
        yield from _metadata(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType, list, tuple, dict):
        for arg in typing.get_args(annotation):
            yield from _metadata(arg)


def _own_metadata(annotation: Any) -> list[Any]:
    """The metadata of the Annotated layers around ``annotation`` (not of its items)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return [*annotation.__metadata__, *_own_metadata(typing.get_args(annotation)[0])]
    return []


def _leaf(annotation: Any) -> Any:
    """The type under Annotated and ``| None``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaf(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _leaf(args[0]) if len(args) == 1 else annotation
    return annotation


def _unit_and_range(info: FieldInfo) -> tuple[str, str]:
    items = _flat([*info.metadata, *_metadata(info.annotation)])
    quantity = next((m for m in items if isinstance(m, schema.Quantity)), None)
    unit = f"{quantity.unit} ({quantity.label})" if quantity else "—"
    leaf = _leaf(info.annotation)
    origin = typing.get_origin(leaf)
    if origin is list:
        inner = _allowed(typing.get_args(leaf)[0], quantity)
        parts = [f"a list; each {inner}" if inner else "a list"]
        own = _flat([*info.metadata, *_own_metadata(info.annotation)])
        parts += [f"at least {m.min_length} {'entry' if m.min_length == 1 else 'entries'}"
                  for m in own if isinstance(m, annotated_types.MinLen)]
    elif origin is tuple:
        members = [_leaf(a) for a in typing.get_args(leaf)]
        what = ("node names" if all(m is str for m in members)
                else "integers" if all(m is int for m in members) else "values")
        parts = [f"{len(members)} {what}"]
    elif origin is dict:
        value = _leaf(typing.get_args(leaf)[1])
        if value in (float, int):
            parts = ["names mapped to numbers"]
        elif value is str:
            parts = ["names mapped to names"]
        elif isinstance(value, type) and issubclass(value, BaseModel):
            parts = [f"names mapped to {value.__name__} entries"]
        else:
            parts = ["names mapped to hardware kinds"]
    else:
        parts = [_allowed(info.annotation, quantity, items)]
    if typing.get_origin(info.annotation) in (typing.Union, types.UnionType) and (
            type(None) in typing.get_args(info.annotation)):
        parts.append("or unset")
    return unit, "; ".join(p for p in parts if p) or "—"


def _flat(items: list[Any]) -> list[Any]:
    """Metadata with the constraints of nested ``Field(...)`` calls spelt out."""
    out = []
    for item in items:
        out += _flat(item.metadata) if isinstance(item, FieldInfo) else [item]
    return out


def _allowed(annotation: Any, quantity: schema.Quantity | None,
             items: list[Any] | None = None) -> str:
    """What one value of ``annotation`` may be."""
    items = _flat(list(_metadata(annotation))) if items is None else items
    leaf = _leaf(annotation)
    parts = []
    if typing.get_origin(leaf) is typing.Literal:
        parts.append(", ".join(f"`{v}`" for v in typing.get_args(leaf)))
    elif leaf is bool:
        parts.append("`true`, `false`")
    elif leaf is str:
        parts.append("text")
    elif isinstance(leaf, type) and issubclass(leaf, BaseModel):
        parts.append(f"a mapping of the fields of {_heading(leaf)}")
    bounds = [m for m in items if isinstance(m, schema.Bounds)]
    if bounds:
        parts.append(_bounds_text(bounds[-1], quantity))
    for item in items:
        if isinstance(item, annotated_types.Ge):
            parts.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.MultipleOf):
            parts.append(f"a multiple of {item.multiple_of}")
        elif isinstance(item, annotated_types.MinLen) and leaf is str:
            parts.append("not empty")
    return ", ".join(parts)


def _bounds_text(bounds: schema.Bounds, quantity: schema.Quantity | None) -> str:
    def show(value: float) -> str:
        return _number(value, quantity)

    low, high = bounds.low, bounds.high
    if low is not None and high is not None:
        left = "(" if bounds.low_open else "["
        right = ")" if bounds.high_open else "]"
        return f"{left}{show(low)}, {show(high)}{right}"
    if low is not None:
        sign = ">" if bounds.low_open else "≥"
        text = f"{sign} {show(low)}"
        return f"{text}, or inf" if bounds.infinite else text
    if high is not None:
        return f"{'<' if bounds.high_open else '≤'} {show(high)}"
    return "—"


def _number(value: float, quantity: schema.Quantity | None) -> str:
    """``value`` in a readable unit of ``quantity`` (a plain number without one)."""
    if quantity is None:
        return f"{value:g}"
    if value == 0 or math.isinf(value):
        return f"{value:g} {quantity.unit}"
    if quantity.dimension == "angle_rad" and abs(value) >= 0.5:
        return f"{math.degrees(value):.6g} deg"  # latitudes, elevations: nobody thinks in rad
    for unit in _SHOWN_UNITS[quantity.dimension]:
        scaled = value / unit_factor(unit, quantity.dimension)
        if abs(scaled) >= 1:
            return f"{float(f'{scaled:.6g}'):.6g} {unit}"
    return f"{value:g} {quantity.unit}"


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.get_default(call_default_factory=True)
        if isinstance(value, BaseModel):
            return "its fields' defaults"
        return "none" if not value else repr(value)
    default = info.default
    if default is PydanticUndefined:
        return "required"
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, str):
        return f"`{default}`" if default else '`""`'
    if isinstance(default, int):
        return str(default)
    if isinstance(default, float):
        items = _flat([*info.metadata, *_metadata(info.annotation)])
        quantity = next((m for m in items if isinstance(m, schema.Quantity)), None)
        return _number(default, quantity)
    return f"`{default}`"


def main(argv: list[str] | None = None) -> int:
    """Print the reference, or write it to the file named by the one argument."""
    args = sys.argv[1:] if argv is None else argv
    text = reference_text()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
