"""From a ``kind: qkd`` demand to a runnable protocol, with every field it sets.

A prepare-and-measure demand (``bb84``, ``bb84-decoy``, ``mdi``, ``tf``) becomes a
:class:`PulseRun`, called as ``run(pulses, rng, block_size) -> QkdRunResult``: the optics
(source, fibre, detector) are built once here, with every parameter error named after the
demand's field. An entanglement-based one (``bbm92``, ``e91``) becomes a :class:`PairRun`,
which measures the pairs the network delivers as they come (:meth:`PairRun.start`) or
in one batch. Each holds what its protocol is given, so two
demands that differ in a field give runs that differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import DEFAULT_FILTER_BANDWIDTH_NM, Fibre, raman_side_factor
from qinet.physical.sources import SinglePhotonSource, WeakCoherentSource
from qinet.qkd import attacks
from qinet.qkd.decoy_choice import DecoyChoice, choose_decoy_parameters
from qinet.qkd.protocols.bb84 import BB84Link, run_bb84
from qinet.qkd.protocols.bb84_decoy import run_decoy_bb84
from qinet.qkd.protocols.bbm92 import Bbm92Stream
from qinet.qkd.protocols.e91 import E91Stream
from qinet.qkd.protocols.four_phase_tf import FourPhaseLink, run_four_phase
from qinet.qkd.protocols.mdi import MdiLink, run_mdi
from qinet.qkd.protocols.one_decoy_bb84 import run_one_decoy_bb84
from qinet.qkd.protocols.result import QkdRunResult
from qinet.qkd.protocols.sns_tf import SnsLink, run_sns
from qinet.qkd.protocols.twin_field import TwinFieldLink, run_twin_field
from qinet.quantum.backend import QuantumBackend
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.gated_receiver import receiver_detector
from qinet.scenario.hardware import detector_of, fibre_of

Runner = Callable[[int, RngTree, int], QkdRunResult]
PulseDemand = schema.PulseQkdDemand
WeakPulseDemand = schema.DecoyBB84Demand | schema.MdiDemand | schema.TwinFieldDemand


@dataclass(frozen=True, slots=True)
class PulseRun:
    """A prepare-and-measure protocol and everything it is given but the pulses.

    Attributes:
        protocol: the runner (``run_bb84``, ``run_decoy_bb84``, ``run_mdi``,
            ``run_twin_field``).
        optics: its link: source(s), fibre(s), detector, window, misalignment and the
            protocol's own settings.
        options: its keyword arguments (epsilons, ``distill_options``, an ``attack``).
    """

    protocol: Callable[..., QkdRunResult]
    optics: Any
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, pulses: int, rng: RngTree, block_size: int) -> QkdRunResult:
        """Send ``pulses`` and distil the key in blocks of ``block_size`` sifted bits."""
        return self.protocol(self.optics, pulses, rng=rng, block_size=block_size,
                             **self.options)


class PairKeyStream(Protocol):
    """An entanglement-based protocol measuring pairs batch by batch (``Bbm92Stream``,
    ``E91Stream``)."""

    def add(self, states: Any, backend: QuantumBackend) -> None:
        """Measure a batch of delivered pairs."""
        ...

    def result(self) -> QkdRunResult:
        """Distil the key of every pair measured so far."""
        ...


@dataclass(frozen=True, slots=True)
class PairRun:
    """An entanglement-based protocol and everything it is given but the pairs.

    Attributes:
        stream: ``Bbm92Stream`` or ``E91Stream``.
        options: its keyword arguments (block size, epsilons, ``distill_options``, and
            for BBM92 ``z_probability``).
    """

    stream: Callable[..., PairKeyStream]
    options: dict[str, Any] = field(default_factory=dict)

    def start(self, rng: RngTree) -> PairKeyStream:
        """A measurement that takes the delivered pairs batch by batch."""
        return self.stream(rng=rng, **self.options)

    def __call__(self, states: Any, backend: QuantumBackend, *, rng: RngTree) -> QkdRunResult:
        """Measure the delivered ``states`` (held in ``backend``) and distil the key."""
        stream = self.start(rng)
        stream.add(states, backend)
        return stream.result()


def pair_run(demand: schema.PairQkdDemand) -> PairRun:
    """The run of an entanglement-based demand: every field of it the protocol takes.

    Examples:
        >>> from qinet.scenario.schema import BBM92Demand
        >>> run = pair_run(BBM92Demand(kind="qkd", between=("a", "b"),
        ...                            z_basis_probability=0.8))
        >>> run.stream.__name__, run.options["z_probability"]
        ('Bbm92Stream', 0.8)
    """
    options = {"block_size": demand.block_size, **_options(demand)}
    if isinstance(demand, schema.BBM92Demand):
        return PairRun(Bbm92Stream, {**options, "z_probability": demand.z_basis_probability})
    return PairRun(E91Stream, options)

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

# the name physical/ and qkd/ give a parameter -> the demand's field, to name errors
# after the file
_FIELD_NAMES = {"intensities": "intensities", "probabilities": "intensity_probabilities",
                "source.intensities": "intensities",
                "source.probabilities": "intensity_probabilities",
                "alice_source.intensities": "intensities",
                "bob_source.intensities": "intensities",
                "rate_hz": "source_rate", "fraction": "attack.fraction",
                "blocked_single_fraction": "attack.fraction", "tap_fraction": "attack.fraction",
                "efficiency": "photon_efficiency", "phase_noise_rad": "phase_noise",
                "z_window_probability": "z_basis_probability",
                "phase_window_rad": "phase_window"}


def make_runner(scenario: schema.Scenario, link: schema.QkdLink, demand: PulseDemand,
                where: str) -> PulseRun:
    """The runner of ``demand``'s protocol over ``link``.

    Raises:
        ConfigError: a parameter the protocol refuses, named as ``<where>.<field>``.
    """
    try:
        runner = _build(scenario, link, demand)
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
            "distill_options": {"reconciliation": demand.reconciliation,
                                "sample_fraction": demand.sample_fraction}}


def _fibre(scenario: schema.Scenario, link: schema.QkdLink, length_km: float) -> Fibre:
    spec = fibre_of(scenario, link.fibre)
    return Fibre(length_km, spec.attenuation, spec.group_index)


# Detectors at the receiver: Bob's two (one per bit value, after the basis choice), the
# MDI station's four (two beam-splitter outputs, two polarisations), twin-field's two.
RECEIVER_DETECTORS = {"bb84": 2, "bb84-decoy": 2, "mdi": 4, "tf": 2, "sns": 2,
                      "bb84-one-decoy": 2, "four-phase": 2}


def _spans(link: schema.QkdLink, demand: PulseDemand) -> tuple[float, ...]:
    """The fibre lengths (km) that carry photons to the receiver: the whole link, or
    for MDI and twin-field each end's arm to the station."""
    if isinstance(demand, schema.MdiDemand | schema.TwinFieldDemand | schema.SnsDemand
                  | schema.FourPhaseDemand):
        arm_a = link.length * link.station_position
        return arm_a, link.length - arm_a
    return (link.length,)


def raman_rate_hz(scenario: schema.Scenario, link: schema.QkdLink,
                  demand: PulseDemand) -> float:
    """Raman photons per second in the receiver's filter from ``link``'s classical channels.

    Each channel scatters along every span of :func:`_spans` with that span's length and
    the link's fibre loss (Eraerds et al., New J. Phys. 12, 063027 (2010), see
    :func:`qinet.physical.fibre.raman_noise_rate_hz`). With a station, a line between
    the ends would be forward on one arm and backward on the other; the link gives one
    list for both, so each channel is taken on both arms, ``co`` meaning towards the
    station.
    """
    band_nm = (DEFAULT_FILTER_BANDWIDTH_NM if link.raman_filter is None
               else link.raman_filter * 1e9)
    return sum(float(_fibre(scenario, link, length).raman_noise_rate_hz(
        channel.power, filter_bandwidth_nm=band_nm,
        raman_coefficient_per_km_per_nm=channel_raman_coefficient(link, channel),
        co_propagating=channel.direction == "co", wavelength_m=link.quantum_wavelength))
        for length in _spans(link, demand) for channel in link.classical_channels)


def channel_raman_coefficient(link: schema.QkdLink, channel: schema.ClassicalChannel) -> float:
    """The Raman coefficient (1/(km nm)) that ``channel`` scatters into ``link``'s quantum
    channel: the channel's own or the link's, times
    :func:`qinet.physical.fibre.raman_side_factor` when the channel gives its wavelength
    (a quantum channel to the blue of it sees the weaker anti-Stokes light)."""
    rho = (link.raman_coefficient if channel.raman_coefficient is None
           else channel.raman_coefficient)
    if channel.wavelength is None:
        return rho
    return rho * float(raman_side_factor(link.quantum_wavelength, channel.wavelength))


def _detector(scenario: schema.Scenario, link: schema.QkdLink, demand: PulseDemand,
              source: SinglePhotonSource | WeakCoherentSource | None = None) -> Detector:
    """The receiver's detector, its dark counts raised by the link's Raman noise.

    Raman light is continuous and unpolarised, so it clicks a detector like dark counts
    do, and it spreads evenly over the receiver's detectors: each sees its
    ``1 / RECEIVER_DETECTORS`` share, times its efficiency. A ``gated_apd`` becomes the
    equivalent detector of its steady state under ``source``'s pulses
    (:mod:`qinet.scenario.gated_receiver`; without a source, decoy BB84's default
    intensities, as when the intensities are being chosen).
    """
    name = demand.detector or link.detector
    gated = scenario.hardware.get(name) if name is not None else None
    if isinstance(gated, schema.GatedApdHardware):
        if source is None:
            mus, probs = DEFAULT_INTENSITIES["bb84-decoy"]
            source = WeakCoherentSource(rate_hz=demand.source_rate, intensities=mus,
                                        probabilities=probs)
        raman_hz = (raman_rate_hz(scenario, link, demand)
                    / RECEIVER_DETECTORS[demand.protocol]) if link.classical_channels else 0.0
        return receiver_detector(gated, protocol=demand.protocol, source=source,
                                 transmittance=_fibre(scenario, link, link.length).transmittance,
                                 window_s=link.detection_window, raman_hz=raman_hz)
    spec = detector_of(scenario, name)
    raman_hz = (raman_rate_hz(scenario, link, demand) * spec.efficiency
                / RECEIVER_DETECTORS[demand.protocol]) if link.classical_channels else 0.0
    return Detector(spec.efficiency, spec.dark_count_rate + raman_hz, spec.dead_time,
                    spec.jitter)


def decoy_choice(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: PulseDemand) -> DecoyChoice | None:
    """The intensities and class probabilities chosen for a ``bb84-decoy`` demand that
    gives neither (those of the best expected finite-key rate on ``link``, see
    :mod:`qinet.qkd.decoy_choice`); ``None`` when the demand gives them or runs
    another protocol. Cached per link parameters."""
    if not isinstance(demand, schema.DecoyBB84Demand) or not (
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
               if isinstance(d, schema.PulseQkdDemand)}
    notes = []
    for index, link in enumerate(scenario.links):
        if link.scheme != "qkd":
            continue
        found = on_link.get(frozenset(link.between))
        if found is None:
            where = f"links[{index}] {'-'.join(link.between)} (no qkd demand: bb84-decoy)"
            demand: PulseDemand = default_link_demand(link)
        else:
            where = f"demands[{found[0]}] {found[1].protocol} {'-'.join(link.between)}"
            demand = found[1]
        choice = decoy_choice(scenario, link, demand)
        if choice is None:
            continue
        if not _usable(choice):
            mus, probs = DEFAULT_INTENSITIES["bb84-decoy"]
            notes.append(f"{where}: no intensities give a key on this link; sent signal "
                         f"{mus[0]:g}, decoy {mus[1]:g}, vacuum {mus[2]:g} photons per pulse, "
                         f"with probabilities {probs[0]:g}, {probs[1]:g}, {probs[2]:g}")
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


def default_link_demand(link: schema.QkdLink) -> schema.DecoyBB84Demand:
    """What a ``scheme: qkd`` link without a demand runs: decoy BB84, every default."""
    return schema.DecoyBB84Demand(kind="qkd", protocol="bb84-decoy", between=link.between)


def _weak_source(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: WeakPulseDemand) -> WeakCoherentSource:
    chosen = decoy_choice(scenario, link, demand)
    if chosen is not None and _usable(chosen):
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


def _usable(choice: DecoyChoice) -> bool:
    """Whether the chosen intensities give a key. On a link too lossy or noisy for any
    key the search ends wherever it drifted; such a link runs the protocol's default
    intensities instead, which a reader recognises."""
    return choice.key_bits_per_pulse > 0


def _attack(demand: schema.BB84Demand | schema.DecoyBB84Demand) -> Any:
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


def _build(scenario: schema.Scenario, link: schema.QkdLink, demand: PulseDemand) -> PulseRun:
    """The run of ``demand`` over ``link``: BB84 (single photons or decoy-state weak pulses,
    Alice at the link's first node), or MDI and twin-field (both ends send to a station at
    ``station_position``)."""
    match demand:
        case schema.BB84Demand():
            photons = SinglePhotonSource(efficiency=demand.photon_efficiency, g2=demand.g2,
                                         rate_hz=demand.source_rate)
            return PulseRun(run_bb84, _bb84_optics(scenario, link, demand, photons),
                            {**_options(demand), "attack": _attack(demand)})
        case schema.DecoyBB84Demand():
            pulses = _weak_source(scenario, link, demand)
            return PulseRun(run_decoy_bb84, _bb84_optics(scenario, link, demand, pulses),
                            {**_options(demand), "attack": _attack(demand)})
        case schema.OneDecoyBB84Demand():
            two = WeakCoherentSource(rate_hz=demand.source_rate,
                                     intensities=tuple(demand.intensities),
                                     probabilities=tuple(demand.intensity_probabilities))
            return PulseRun(run_one_decoy_bb84, _bb84_optics(scenario, link, demand, two),
                            _options(demand))
        case schema.MdiDemand():
            return PulseRun(run_mdi, MdiLink(
                *_relay_parts(scenario, link, demand), detection_window_s=link.detection_window,
                misalignment=demand.misalignment,
                z_basis_probability=demand.z_basis_probability), _options(demand))
        case schema.TwinFieldDemand():
            return PulseRun(run_twin_field, TwinFieldLink(
                *_relay_parts(scenario, link, demand), detection_window_s=link.detection_window,
                misalignment=demand.misalignment, phase_slices=demand.phase_slices,
                phase_noise_rad=demand.phase_noise), _options(demand))
        case schema.SnsDemand():
            arm_a, arm_b = _spans(link, demand)
            return PulseRun(run_sns, SnsLink(
                _fibre(scenario, link, arm_a), _fibre(scenario, link, arm_b),
                _detector(scenario, link, demand), detection_window_s=link.detection_window,
                misalignment=demand.misalignment, z_intensity=demand.z_intensity,
                send_probability=demand.send_probability,
                z_window_probability=demand.z_basis_probability,
                decoy_intensities=(demand.decoy_intensities[0], demand.decoy_intensities[1]),
                decoy_probabilities=(demand.decoy_probabilities[0],
                                     demand.decoy_probabilities[1],
                                     demand.decoy_probabilities[2]),
                phase_window_rad=demand.phase_window, aopp=demand.aopp), _options(demand))
        case schema.FourPhaseDemand():
            arm_a, arm_b = _spans(link, demand)
            decoys = tuple(demand.decoy_intensities)
            return PulseRun(run_four_phase, FourPhaseLink(
                _fibre(scenario, link, arm_a), _fibre(scenario, link, arm_b),
                _detector(scenario, link, demand), detection_window_s=link.detection_window,
                misalignment=demand.misalignment, code_intensity=demand.code_intensity,
                code_probability=demand.code_probability, decoy_intensities=decoys,
                decoy_probabilities=(tuple(demand.decoy_probabilities)
                                     if demand.decoy_probabilities is not None
                                     else (1.0 / len(decoys),) * len(decoys))),
                _options(demand))


def _bb84_optics(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: schema.BB84Demand | schema.DecoyBB84Demand
                 | schema.OneDecoyBB84Demand,
                 source: SinglePhotonSource | WeakCoherentSource) -> BB84Link:
    return BB84Link(source, _fibre(scenario, link, link.length),
                    _detector(scenario, link, demand, source),
                    detection_window_s=link.detection_window,
                    misalignment=demand.misalignment,
                    z_basis_probability=demand.z_basis_probability)


def _relay_parts(scenario: schema.Scenario, link: schema.QkdLink,
                 demand: schema.MdiDemand | schema.TwinFieldDemand
                 ) -> tuple[WeakCoherentSource, WeakCoherentSource, Fibre, Fibre, Detector]:
    """Both ends' sources, the fibres from each end to the station, its detector."""
    source = _weak_source(scenario, link, demand)
    arm_a, arm_b = _spans(link, demand)
    return (source, source, _fibre(scenario, link, arm_a), _fibre(scenario, link, arm_b),
            _detector(scenario, link, demand))
