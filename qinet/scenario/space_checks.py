"""Checks across a scenario with satellites: who may send and receive on a space link.

Called by the loader's cross-reference check (:func:`qinet.scenario.loader.check_references`),
so every message names the field it is about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qinet.errors import ConfigError
from qinet.scenario.schema_space import DownlinkLink, DualDownlinkLink, UplinkLink

if TYPE_CHECKING:
    from qinet.scenario.schema import Scenario

SPACE_PROTOCOLS = ("bb84-decoy",)
"""The protocols a downlink or uplink runs (Micius' decoy BB84)."""


def space_problems(scenario: Scenario) -> list[ConfigError]:
    """Every problem with the scenario's stations, satellites and space links.

    * a node is a ground station (``station``) or a satellite (``orbit``), not both, and
      a satellite is an end of space links only (a station may also have fibre links);
    * a downlink joins ``[satellite, station]``, an uplink ``[station, satellite]``, a
      dual downlink two stations through its ``satellite``;
    * a run with a space link needs ``space`` (its calendar time);
    * a prepare-and-measure demand over a space link runs ``bb84-decoy``.

    Examples:
        >>> from qinet.scenario import load_scenario
        >>> load_scenario('''
        ... nodes: [{name: a, station: {latitude: 40 deg, longitude: 117 deg}}, {name: b}]
        ... links: [{between: [a, b], scheme: downlink, divergence: 5 urad}]
        ... ''')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigErrors: 3 problems:
          links[0].between[0]: a downlink is sent by a satellite (a node with an ...
          links[0].between[1]: a downlink is received by a ground station ...
          space: needed by the downlink links[0]: give `space.epoch`, ...
    """
    problems: list[ConfigError] = []
    kinds: dict[str, str] = {}
    for i, node in enumerate(scenario.nodes):
        if node.station is not None and node.orbit is not None:
            problems.append(ConfigError(f"nodes[{i}].orbit", "a node is a ground station "
                                        "(`station`) or a satellite (`orbit`), not both"))
        kinds[node.name] = ("satellite" if node.orbit is not None else
                            "station" if node.station is not None else "node")
    space_links = []
    for i, link in enumerate(scenario.links):
        if not isinstance(link, DownlinkLink | UplinkLink | DualDownlinkLink):
            problems += [ConfigError(f"links[{i}].between[{j}]", f"{end!r} is a satellite: "
                                     f"it joins only downlink and uplink links (and carries "
                                     f"the source of a dual-downlink), not a {link.scheme} "
                                     f"link") for j, end in enumerate(link.between)
                         if kinds.get(end) == "satellite"]
            continue
        space_links.append(i)
        if isinstance(link, DualDownlinkLink):
            problems += _dual_problems(i, link, kinds)
            continue
        wanted = (("satellite", "station") if isinstance(link, DownlinkLink)
                  else ("station", "satellite"))
        role = ("sent by", "received by")
        what = {"satellite": "a satellite (a node with an `orbit`)",
                "station": "a ground station (a node with a `station`)"}
        for j, (end, kind) in enumerate(zip(link.between, wanted, strict=True)):
            if end in kinds and kinds[end] != kind:
                problems.append(ConfigError(
                    f"links[{i}].between[{j}]", f"a {link.scheme} is {role[j]} {what[kind]}; "
                    f"{end!r} is {'a ' + kinds[end] if kinds[end] != 'node' else 'neither'}"))
    if space_links and scenario.space is None:
        first = space_links[0]
        problems.append(ConfigError("space", f"needed by the {scenario.links[first].scheme} "
                                             f"links[{first}]: give `space.epoch`, the "
                                             f"calendar time of the run's start"))
    on_space = {frozenset(scenario.links[i].between) for i in space_links}
    for k, demand in enumerate(scenario.demands):
        protocol = getattr(demand, "protocol", None)
        if (demand.kind == "qkd" and frozenset(demand.between) in on_space
                and protocol not in SPACE_PROTOCOLS):
            problems.append(ConfigError(f"demands[{k}].protocol", f"a satellite link runs "
                                        f"{', '.join(SPACE_PROTOCOLS)}, got {protocol}"))
    return problems


def _dual_problems(i: int, link: DualDownlinkLink, kinds: dict[str, str]) -> list[ConfigError]:
    problems = [ConfigError(f"links[{i}].between[{j}]", f"a dual-downlink joins two ground "
                            f"stations (nodes with a `station`); {end!r} is "
                            f"{'a satellite' if kinds[end] == 'satellite' else 'neither'}")
                for j, end in enumerate(link.between) if kinds.get(end, "station") != "station"]
    if kinds.get(link.satellite) != "satellite":
        known = [name for name, kind in kinds.items() if kind == "satellite"]
        problems.append(ConfigError(f"links[{i}].satellite", f"{link.satellite!r} is not a "
                                    f"satellite (a node with an `orbit`); satellites: "
                                    f"{', '.join(known) or 'none'}"))
    return problems
