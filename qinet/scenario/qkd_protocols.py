"""From a prepare-and-measure ``kind: qkd`` demand to a runnable protocol.

A runner is ``runner(pulses, rng, block_size) -> QkdRunResult``; the optics (source,
fibre, detector) are built once here, with every parameter error named after the
demand's field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import SinglePhotonSource, WeakCoherentSource
from qinet.qkd import attacks
from qinet.qkd.decoy_choice import DecoyChoice, choose_decoy_parameters
from qinet.qkd.protocols.bb84 import BB84Link, run_bb84
from qinet.qkd.protocols.bb84_decoy import run_decoy_bb84
from qinet.qkd.protocols.mdi import MdiLink, run_mdi
from qinet.qkd.protocols.result import QkdRunResult
from qinet.qkd.protocols.twin_field import TwinFieldLink, run_twin_field
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.hardware import detector_of, fibre_of

Runner = Callable[[int, RngTree, int], QkdRunResult]

# Per protocol: (intensities, probabilities) when the demand gives none. Decoy BB84
# gives neither: both are chosen for its link (decoy_choice); these intensities serve
# only a demand that gives the probabilities alone (Ma et al. 2005's signal, weak decoy
# and vacuum); MDI: signal near the optimum of Xu et
# al. 2013 for metropolitan distances, with much decoy (its finite-size bounds rest on
# decoy-decoy pairs); twin-field (phase matching): the signal near the
# optimum of Ma, Zeng and Zhou 2018 at a few hundred km.
DEFAULT_INTENSITIES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "bb84-decoy": ((0.5, 0.1, 0.0), (0.8, 0.1, 0.1)),
    "mdi": ((0.4, 0.1, 0.0), (0.4, 0.4, 0.2)),
    "tf": ((0.1, 0.02, 0.0), (0.8, 0.1, 0.1)),
}

# demand field -> the name physical/ and qkd/ give it, to name errors after the file
_FIELD_NAMES = {"intensities": "intensities", "probabilities": "intensity_probabilities",
                "source.intensities": "intensities",
                "source.probabilities": "intensity_probabilities",
                "alice_source.intensities": "intensities",
                "bob_source.intensities": "intensities",
                "rate_hz": "source_rate", "misalignment": "misalignment",
                "z_basis_probability": "z_basis_probability", "fraction": "attack.fraction",
                "blocked_single_fraction": "attack.fraction", "tap_fraction": "attack.fraction",
                "efficiency": "photon_efficiency", "g2": "g2", "phase_slices": "phase_slices",
                "phase_noise_rad": "phase_noise"}


def make_runner(scenario: schema.Scenario, link: schema.QkdLink, demand: schema.QKDDemand,
                where: str) -> Runner:
    """The runner of ``demand``'s protocol over ``link``.

    Raises:
        ConfigError: a parameter the protocol refuses, named as ``<where>.<field>``.
    """
    try:
        runner = _BUILDERS[demand.protocol](scenario, link, demand)
        # tried once on (almost) no pulses: what a protocol refuses only when it runs
        # (decoy classes out of order, a class never sent) is refused now, at build time,
        # so `qinet validate` and `qinet run` give the same message
        runner(0 if demand.protocol in ("bb84", "bb84-decoy") else 1, RngTree(0),
               demand.block_size)
        return runner
    except ConfigError as exc:
        name = _FIELD_NAMES.get(exc.field, exc.field)
        raise ConfigError(f"{where}.{name}" if name else where, exc.reason) from None


def _options(demand: schema.QKDDemand) -> dict[str, Any]:
    return {"epsilon_sec": demand.epsilon_sec, "epsilon_cor": demand.epsilon_cor,
            "distill_options": {"reconciliation": demand.reconciliation}}


def _fibre(scenario: schema.Scenario, link: schema.QkdLink, length_km: float) -> Fibre:
    spec = fibre_of(scenario, link.fibre)
    return Fibre(length_km, spec.attenuation, spec.group_index)


def _detector(scenario: schema.Scenario, link: schema.QkdLink,
              demand: schema.QKDDemand) -> Detector:
    name = demand.detector or link.detector
    spec = detector_of(scenario, name)
    return Detector(spec.efficiency, spec.dark_count_rate, spec.dead_time, spec.jitter)


def decoy_choice(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: schema.QKDDemand) -> DecoyChoice | None:
    """The intensities and class probabilities chosen for a ``bb84-decoy`` demand that
    gives neither (those of the best expected finite-key rate on ``link``, see
    :mod:`qinet.qkd.decoy_choice`); ``None`` when the demand gives them or runs
    another protocol. Cached per link parameters."""
    if demand.protocol != "bb84-decoy" or not (
            demand.intensities is None and demand.intensity_probabilities is None):
        return None
    return choose_decoy_parameters(
        _fibre(scenario, link, link.length), _detector(scenario, link, demand),
        detection_window_s=link.detection_window, misalignment=demand.misalignment,
        z_basis_probability=demand.z_basis_probability, block_size=demand.block_size,
        epsilon_sec=demand.epsilon_sec, epsilon_cor=demand.epsilon_cor)


def decoy_notes(scenario: schema.Scenario) -> list[str]:
    """One line per ``scheme: qkd`` link whose decoy intensities were chosen for it.

    A link runs the prepare-and-measure demand between its ends, or decoy-state BB84
    with its defaults when none is.

    Examples:
        >>> from qinet.scenario import load_scenario
        >>> s = load_scenario('''
        ... nodes: [{name: a}, {name: b}]
        ... links: [{between: [a, b], length: 50 km, scheme: qkd}]
        ... demands: [{kind: qkd, protocol: bb84-decoy, between: [a, b], misalignment: 0.03}]
        ... ''')
        >>> print(decoy_notes(s)[0])  # doctest: +ELLIPSIS
        demands[0] bb84-decoy a-b: no intensities given; chose signal 0.401, decoy 0.195, ...
    """
    on_link = {frozenset(d.between): (i, d) for i, d in enumerate(scenario.demands)
               if d.kind == "qkd" and d.protocol in schema.PREPARE_MEASURE_PROTOCOLS}
    notes = []
    for index, link in enumerate(scenario.links):
        if link.scheme != "qkd":
            continue
        found = on_link.get(frozenset(link.between))
        if found is None:
            where = f"links[{index}] {'-'.join(link.between)} (no qkd demand: bb84-decoy)"
            demand = schema.QKDDemand(kind="qkd", protocol="bb84-decoy", between=link.between)
        else:
            where = f"demands[{found[0]}] {found[1].protocol} {'-'.join(link.between)}"
            demand = found[1]
        choice = decoy_choice(scenario, link, demand)
        if choice is None:
            continue
        mus, probs = choice.intensities, choice.probabilities
        rate = choice.key_bits_per_pulse * demand.source_rate
        notes.append(
            f"{where}: no intensities given; chose signal {mus[0]:g}, decoy {mus[1]:g}, "
            f"vacuum {mus[2]:g} photons per pulse, sent with probabilities "
            f"{probs[0]:g}, {probs[1]:g}, {probs[2]:g} (expected finite-key rate "
            f"{_si(rate, 'bit/s')} at {_si(demand.source_rate, 'Hz')}, blocks of "
            f"{demand.block_size:,} bits)")
    return notes


def _si(value: float, unit: str) -> str:
    """``value`` with an SI prefix, 3 significant figures: ``_si(1e8, "Hz")`` is 100 MHz."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _weak_source(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: schema.QKDDemand) -> WeakCoherentSource:
    chosen = decoy_choice(scenario, link, demand)
    if chosen is not None:
        return WeakCoherentSource(rate_hz=demand.source_rate, intensities=chosen.intensities,
                                  probabilities=chosen.probabilities)
    mus, probs = DEFAULT_INTENSITIES[demand.protocol]
    if demand.intensities is not None:
        mus = tuple(demand.intensities)
        if demand.intensity_probabilities is None:
            probs = tuple([1.0 / len(mus)] * len(mus))
    if demand.intensity_probabilities is not None:
        probs = tuple(demand.intensity_probabilities)
    return WeakCoherentSource(rate_hz=demand.source_rate, intensities=mus, probabilities=probs)


def _attack(demand: schema.QKDDemand) -> Any:
    spec = demand.attack
    if spec is None:
        return None
    match spec.kind:
        case "intercept-resend":
            return attacks.InterceptResend(fraction=1.0 if spec.fraction is None
                                           else spec.fraction)
        case "pns":
            return attacks.PhotonNumberSplitting(blocked_single_fraction=spec.fraction)
        case _:
            return attacks.BeamSplitting(tap_fraction=spec.fraction)


def _prepare_measure(scenario: schema.Scenario, link: schema.QkdLink,
                     demand: schema.QKDDemand) -> Runner:
    """BB84 with single photons or decoy-state weak pulses, Alice at the link's first node."""
    if demand.protocol == "bb84":
        for name in ("intensities", "intensity_probabilities"):
            if getattr(demand, name) is not None:
                raise ConfigError(name, "bb84 sends single photons, one class; use "
                                        "protocol bb84-decoy for intensity classes")
        source: Any = SinglePhotonSource(efficiency=demand.photon_efficiency, g2=demand.g2,
                                         rate_hz=demand.source_rate)
        protocol = run_bb84
    else:
        source, protocol = _weak_source(scenario, link, demand), run_decoy_bb84
    optics = BB84Link(source, _fibre(scenario, link, link.length),
                                _detector(scenario, link, demand),
                                detection_window_s=link.detection_window,
                                misalignment=demand.misalignment,
                                z_basis_probability=demand.z_basis_probability)
    attack = _attack(demand)
    options = _options(demand)

    def run(pulses: int, rng: RngTree, block_size: int) -> QkdRunResult:
        return protocol(optics, pulses, rng=rng, block_size=block_size, attack=attack,
                        **options)

    return run


def _two_senders(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: schema.QKDDemand) -> Runner:
    """MDI or twin-field: both ends send to a station at ``station_position``."""
    source = _weak_source(scenario, link, demand)
    arm_a = link.length * link.station_position
    fibres = (_fibre(scenario, link, arm_a), _fibre(scenario, link, link.length - arm_a))
    detector = _detector(scenario, link, demand)
    if demand.protocol == "mdi":
        optics: Any = MdiLink(source, source, *fibres, detector,
                              detection_window_s=link.detection_window,
                              misalignment=demand.misalignment,
                              z_basis_probability=demand.z_basis_probability)
        protocol: Callable[..., QkdRunResult] = run_mdi
    else:
        optics = TwinFieldLink(source, source, *fibres, detector,
                               detection_window_s=link.detection_window,
                               misalignment=demand.misalignment,
                               phase_slices=demand.phase_slices,
                               phase_noise_rad=demand.phase_noise)
        protocol = run_twin_field
    options = _options(demand)

    def run(pulses: int, rng: RngTree, block_size: int) -> QkdRunResult:
        return protocol(optics, pulses, rng=rng, block_size=block_size, **options)

    return run


_BUILDERS: dict[str, Callable[[schema.Scenario, schema.QkdLink, schema.QKDDemand], Runner]] = {
    "bb84": _prepare_measure,
    "bb84-decoy": _prepare_measure,
    "mdi": _two_senders,
    "tf": _two_senders,
}
