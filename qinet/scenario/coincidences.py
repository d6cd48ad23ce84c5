"""The coincidence-to-accidental ratio (CAR) of an entanglement link's pair source, as
its end detectors see it (:mod:`qinet.physical.coincidences`).

A ``midpoint-source`` link's SPDC source sends one photon of each pair to each end,
where the memory absorbs it and a detector heralds it: the end's efficiency is memory x
arm x detection (the link's own ``photon_efficiencies``), its noise the herald
detector's dark probability per window, and the pair statistics the source's (thermal
or Poisson, ``mean_pairs`` per mode). Coincidences between the two heralds in the same
mode over those in different modes give the CAR. Other schemes have no pair source and
no CAR.
"""

from __future__ import annotations

from qinet.link.hardware import LinkHardware
from qinet.physical.coincidences import coincidence_to_accidental_ratio
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.memories import QuantumMemory
from qinet.scenario import schema
from qinet.scenario.hardware import detector_of, fibre_of, memory_of, source_of


def link_car(scenario: schema.Scenario, spec: object) -> float | None:
    """CAR of the pair source of link ``spec``; ``None`` for a link without one.

    Examples:
        >>> from qinet.scenario import load_scenario
        >>> s = load_scenario('''
        ... hardware: {src: {kind: spdc, mean_pairs: 0.01, statistics: poisson}}
        ... nodes: [{name: a}, {name: b}]
        ... links: [{between: [a, b], length: 1 km, scheme: midpoint-source, source: src}]
        ... ''')
        >>> round(link_car(s, s.links[0]), 1)  # 1 + 1/mu at low efficiency; here 0.8
        100.5
    """
    if not isinstance(spec, schema.MidpointSourceLink):
        return None
    memory = {n.name: memory_of(scenario, n.memory) for n in scenario.nodes
              if n.name in spec.between}
    fibre = fibre_of(scenario, spec.fibre)
    detector = detector_of(scenario, spec.detector)
    arm_a_km = spec.length * spec.station_position
    hw = LinkHardware(
        memory_a=QuantumMemory(efficiency=memory[spec.between[0]].efficiency),
        memory_b=QuantumMemory(efficiency=memory[spec.between[1]].efficiency),
        arm_a=Fibre(arm_a_km, fibre.attenuation, fibre.group_index),
        arm_b=Fibre(spec.length - arm_a_km, fibre.attenuation, fibre.group_index),
        detector=Detector(detector.efficiency, detector.dark_count_rate, detector.dead_time,
                          detector.jitter),
        detection_window_s=spec.detection_window, visibility=spec.visibility)
    source = source_of(scenario, spec.source)
    eta_a, eta_b = hw.photon_efficiencies
    return float(coincidence_to_accidental_ratio(
        source.mean_pairs, eta_a, eta_b, hw.p_dark, hw.p_dark,
        thermal=source.statistics == "thermal"))
