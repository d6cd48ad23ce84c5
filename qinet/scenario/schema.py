"""The scenario file: strict pydantic models with units, read once at the boundary.

Every quantity is a string with its unit (``"25 km"``, ``"50 ns"``, ``"10 Hz"``), read by
:func:`qinet.units.parse_quantity` with the SI's case rules; a bare number other than
``0`` is refused. Dumped models write quantities back as unit strings in the field's
base unit, so ``Scenario.model_validate(s.model_dump())`` gives ``s`` again. Unknown
fields are errors. Variants are discriminated on ``kind`` (hardware, demands),
``scheme`` (links) and, within ``kind: qkd`` demands, ``protocol``: each protocol's model
holds only the fields that reach its run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    model_validator,
)

from qinet.errors import UnitError
from qinet.physical.fibre import DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM, TELECOM_WAVELENGTH_M
from qinet.units import format_quantity, parse_quantity


@dataclass(frozen=True, slots=True)
class Quantity:
    """Marks a field written with a unit: its dimension and the unit it is held in.

    It sits in the field's ``Annotated`` metadata next to the validators, so the field
    reference (:mod:`qinet.scenario.reference`) reads the unit without parsing anything.

    Attributes:
        dimension: the dimension's name in :mod:`qinet.units` (``"length_km"``).
        unit: the base unit the parsed value is held in (``"km"``).
        label: what it measures, for readers (``"length"``).
    """

    dimension: str
    unit: str
    label: str


@dataclass(frozen=True, slots=True)
class Bounds:
    """Marks the range a number must lie in; :meth:`check` enforces it.

    Attributes:
        low: the smallest value allowed (``None``: no lower limit).
        high: the largest value allowed (``None``: no upper limit).
        low_open: ``low`` itself is refused.
        high_open: ``high`` itself is refused.
        infinite: ``inf`` is allowed (a lifetime that never ends).
        in_degrees: the value is an angle in rad that messages show in degrees (a
            latitude or an elevation the user wrote in `deg`).
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    infinite: bool = False
    in_degrees: bool = False

    def _show(self, value: float) -> str:
        return f"{math.degrees(value):.6g} deg" if self.in_degrees else f"{value:g}"

    def check(self, value: float) -> float:
        """``value`` if it lies in the range, else a ValueError saying why."""
        low, high = self.low, self.high
        if math.isnan(value):
            raise ValueError("must be a number, got nan")
        if math.isinf(value) and not (self.infinite and value > 0):
            raise ValueError(f"must be finite, got {value:g}")
        if low is not None and (value < low or (self.low_open and value == low)):
            word = ("positive" if (low == 0 and self.low_open)
                    else f"at least {self._show(low)}")
            if low == 0 and not self.low_open:
                word = "non-negative"
            raise ValueError(f"must be {word}, got {self._show(value)}")
        if high is not None and (value > high or (self.high_open and value == high)):
            word = "below" if self.high_open else "at most"
            raise ValueError(f"must be {word} {self._show(high)}, got {self._show(value)}")
        return value


_LABELS = {"length_km": ("km", "length"), "time_s": ("s", "time"),
           "frequency_hz": ("Hz", "frequency"),
           "attenuation_db_per_km": ("dB/km", "attenuation"), "power_w": ("W", "power"),
           "wavelength_m": ("m", "wavelength"), "angle_rad": ("rad", "angle")}


def _quantity(dimension: str) -> tuple[Quantity, BeforeValidator, PlainSerializer]:
    """Read a unit string of ``dimension``; write it back as one (exact round trip)."""

    def parse(value: object) -> float:
        try:
            if not isinstance(value, str | float | int):
                raise ValueError(f"must be a quantity with its unit, got {value!r}")
            return parse_quantity(value, dimension)
        except UnitError as exc:
            raise ValueError(f"{exc.reason}, got {value!r}") from None

    unit, label = _LABELS[dimension]
    return Quantity(dimension, unit, label), BeforeValidator(parse), PlainSerializer(
        lambda value: format_quantity(value, dimension), return_type=str)


def _bounded(*, low: float | None = None, high: float | None = None, low_open: bool = False,
             high_open: bool = False, infinite: bool = False,
             in_degrees: bool = False) -> tuple[Bounds, AfterValidator]:
    bounds = Bounds(low, high, low_open, high_open, infinite, in_degrees)
    return bounds, AfterValidator(bounds.check)


# The clock counts integer picoseconds: a run is at least one tick long, and short enough
# that every time on it (with the waits sampled beyond the end) fits in 64 bits.
MIN_DURATION_S = 1e-12
MAX_DURATION_S = 1e6


def _duration(value: float) -> float:
    if value < MIN_DURATION_S:
        raise ValueError(f"must be at least 1 ps (the resolution of the simulation clock), "
                         f"got {value:g} s")
    if value > MAX_DURATION_S:
        raise ValueError(f"must be at most {MAX_DURATION_S:g} s (about 11.6 days, the span "
                         f"of the picosecond clock with margin), got {value:g} s")
    return value


MAX_LENGTH_KM = 1e5  # two and a half times round the Earth


LengthKm = Annotated[float, *_quantity("length_km"), *_bounded(low=0, high=MAX_LENGTH_KM)]
PositiveLengthKm = Annotated[float, *_quantity("length_km"),
                             *_bounded(low=0, low_open=True, high=MAX_LENGTH_KM)]
# times on the clock (periods, windows, cutoffs) are bounded like the run itself
TimeS = Annotated[float, *_quantity("time_s"), *_bounded(low=0, high=MAX_DURATION_S)]
PositiveTimeS = Annotated[float, *_quantity("time_s"),
                          *_bounded(low=0, low_open=True, high=MAX_DURATION_S)]
LifetimeS = Annotated[float, *_quantity("time_s"),
                      *_bounded(low=0, low_open=True, infinite=True)]
# the last Bounds is the one a reader sees: _duration refines the first
DurationS = Annotated[float, *_quantity("time_s"), *_bounded(low=0, low_open=True),
                      AfterValidator(_duration), Bounds(MIN_DURATION_S, MAX_DURATION_S)]
FrequencyHz = Annotated[float, *_quantity("frequency_hz"), *_bounded(low=0)]
PositiveFrequencyHz = Annotated[float, *_quantity("frequency_hz"),
                                *_bounded(low=0, low_open=True)]
AttenuationDbPerKm = Annotated[float, *_quantity("attenuation_db_per_km"), *_bounded(low=0)]
PowerW = Annotated[float, *_quantity("power_w"), *_bounded(low=0)]
PositiveWavelengthM = Annotated[float, *_quantity("wavelength_m"),
                                *_bounded(low=0, low_open=True)]
Probability = Annotated[float, *_bounded(low=0, high=1)]
OpenProbability = Annotated[float, *_bounded(low=0, high=1, low_open=True, high_open=True)]
Efficiency = Annotated[float, *_bounded(low=0, high=1, low_open=True)]
RamanCoefficient = Annotated[float, *_bounded(low=0, high=1e-6)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ground stations, satellites and their links live in their own module, which uses the
# helpers above (imported here, after them, so that the cycle resolves)
from qinet.scenario.schema_space import (  # noqa: E402
    DownlinkLink,
    DualDownlinkLink,
    Orbit,
    SpaceRun,
    StationSite,
    UplinkLink,
)

# ---------------------------------------------------------------- hardware


class MemoryHardware(_Strict):
    """A quantum memory type (defaults: an NV-centre-like spin memory)."""

    kind: Literal["memory"] = Field(description="memory: a quantum memory type")
    t1: LifetimeS = Field(math.inf, description="relaxation time T1 (default: none, \"inf s\")")
    t2: LifetimeS = Field(1.0, description="coherence time T2 (default 1 s)")
    efficiency: Efficiency = Field(
        0.9, description="emission x collection (emitters) or write efficiency (absorbers)")
    raw_fidelity: Annotated[float, *_bounded(low=0.25, high=1)] = Field(
        1.0, description="fidelity of the freshly made spin-photon state")


class DetectorHardware(_Strict):
    """A single-photon detector type (defaults: a superconducting nanowire detector)."""

    kind: Literal["detector"] = Field(description="detector: a single-photon detector type")
    efficiency: Efficiency = Field(0.9, description="system detection efficiency")
    dark_count_rate: FrequencyHz = Field(10.0, description="dark counts per second (Hz)")
    dead_time: TimeS = Field(50e-9, description="recovery time after a click (s)")
    jitter: TimeS = Field(30e-12, description="timing jitter, FWHM (s)")


class FibreHardware(_Strict):
    """A fibre type (defaults: standard single-mode fibre at 1550 nm)."""

    kind: Literal["fibre"] = Field(description="fibre: a fibre type")
    attenuation: AttenuationDbPerKm = Field(0.2, description="loss in dB/km")
    group_index: Annotated[float, *_bounded(low=1)] = Field(1.4682, description="group index")


class SourceHardware(_Strict):
    """An SPDC pair source."""

    kind: Literal["spdc"] = Field(description="spdc: a pair source type")
    mean_pairs: Annotated[float, *_bounded(low=0)] = Field(
        0.01, description="mean pairs per mode (pump pulse)")
    rate: PositiveFrequencyHz = Field(1e6, description="pump repetition rate (Hz)")
    statistics: Literal["thermal", "poisson"] = Field(
        "thermal", description="thermal (single mode) or poisson (many modes)")


class GatedApdHardware(_Strict):
    """A gated InGaAs/InP avalanche photodiode with hold-off and afterpulsing, for the
    receivers of `bb84` and `bb84-decoy` demands (defaults: a GHz-gated diode as in Yuan
    et al., Appl. Phys. Lett. 91, 041114 (2007)). Its renewal steady state
    (qinet/physical/gated_detectors.py) sets the share of gates armed and the
    afterpulse clicks, which land on a random bit: half of them are errors."""

    kind: Literal["gated_apd"] = Field(description="gated_apd: a gated avalanche photodiode")
    gate_frequency: PositiveFrequencyHz = Field(
        1e9, description="gate repetition frequency (Hz); at least the demand's source_rate")
    efficiency: Efficiency = Field(0.2, description="detection efficiency in a gate")
    dark_probability: Annotated[float, *_bounded(low=0, high=1, high_open=True)] = Field(
        1e-6, description="dark-count probability per gate")
    afterpulse_probability: Annotated[float, *_bounded(low=0, high=1, high_open=True)] = Field(
        0.04, description="total afterpulse probability after a click, at this hold-off")
    trap_lifetime: PositiveTimeS = Field(
        100e-9, description="lifetime of the carrier traps (single-exponential release)")
    hold_off: TimeS = Field(
        10e-9, description="time the diode is held below breakdown after a click (s), "
                           "rounded to whole gates")


Hardware = Annotated[
    MemoryHardware | DetectorHardware | FibreHardware | SourceHardware | GatedApdHardware,
    Field(discriminator="kind"),
]

# ---------------------------------------------------------------- network


class Node(_Strict):
    """A node with quantum memories; as a repeater it swaps and purifies."""

    name: Annotated[str, Field(min_length=1)] = Field(
        description="the node's name, unique in the file; links and demands use it")
    memories: Annotated[int, Field(ge=1)] = Field(10, description="number of memory slots")
    memory: str | None = Field(None, description="name of a memory in `hardware`")
    swap_success: Probability = Field(
        1.0, description="Bell-state measurement success probability (1/2 for linear optics)")
    gate_error: Probability = Field(
        0.0, description="two-qubit depolarising probability of its gates")
    measurement_error: Probability = Field(0.0, description="flip probability of a measured bit")
    trusted: bool = Field(
        False, description="relays keys between its QKD links (and sees them in the clear)")
    saes: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="secure application entities served by this node's key manager (KME)")
    station: StationSite | None = Field(
        None, description="a ground station: its site and telescope (see docs/free-space.md)")
    orbit: Orbit | None = Field(
        None, description="a satellite: its orbit (see docs/free-space.md)")


class _FibreSpan(_Strict):
    between: tuple[str, str] = Field(description="the two end nodes")
    length: PositiveLengthKm = Field(description="fibre length between the nodes (km)")
    station_position: Annotated[float, *_bounded(low=0, high=1)] = Field(
        0.5, description="where the station sits, as a fraction of the length from the first node")
    fibre: str | None = Field(None, description="name of a fibre in `hardware`")
    detector: str | None = Field(None, description="name of a detector in `hardware`")
    detection_window: PositiveTimeS = Field(1e-9, description="detection window (s)")


class _LinkBase(_FibreSpan):
    visibility: Probability = Field(1.0, description="two-photon interference visibility")
    attempt_period: PositiveTimeS | None = Field(
        None, description="time between attempts (default: the shortest the scheme allows)")
    reset_time: TimeS = Field(1e-6, description="memory re-initialisation between attempts (s)")
    modes: Annotated[int, Field(ge=1)] = Field(1, description="modes per attempt (multiplexing)")
    memories: Annotated[int, Field(ge=1)] | None = Field(
        None, description="memory pairs given to this link (default: a fair share of each node)")


class SingleClickLink(_LinkBase):
    """Single-click heralding with bright-state parameter alpha."""

    scheme: Literal["single-click"] = Field(
        description="single-click (optional: a link without one gets the scheme its "
                    "demands and nodes imply)")
    bright_state: Annotated[float, *_bounded(low=0, high=1, low_open=True)] = Field(
        0.1, description="alpha, the bright-state population")


class DoubleClickLink(_LinkBase):
    """Double-click (Barrett-Kok) heralding."""

    scheme: Literal["double-click"] = Field(
        description="double-click (optional: a link without one gets the scheme its "
                    "demands and nodes imply)")
    round_gap: TimeS = Field(1e-6, description="time between the two rounds (s)")


class MidpointSourceLink(_LinkBase):
    """An SPDC source at the station, absorptive memories at both ends."""

    scheme: Literal["midpoint-source"] = Field(
        description="midpoint-source (optional: a link without one gets the scheme its "
                    "demands and nodes imply)")
    source: str | None = Field(None, description="name of an spdc source in `hardware`")


class ClassicalChannel(_Strict):
    """A classical signal sharing a QKD link's fibre; its spontaneous Raman scattering
    reaches the quantum receiver as noise (Eraerds et al., New J. Phys. 12, 063027
    (2010))."""

    power: PowerW = Field(description="launch power of the classical signal (W; e.g. `1 mW`, "
                                      "`-3 dBm`)")
    direction: Literal["co", "counter"] = Field(
        "co", description="`co`: travels with the quantum photons (forward Raman "
                          "scattering); `counter`: against them (backward scattering)")
    wavelength: PositiveWavelengthM | None = Field(
        None, description="wavelength of the classical signal (m; e.g. `1530 nm`); with the "
                          "link's `quantum_wavelength`, a quantum channel to its blue (anti-Stokes "
                          "side) gets `raman_coefficient` times exp(-h dv / k T) at 300 K "
                          "(default: not given, the coefficient as it stands)")
    raman_coefficient: RamanCoefficient | None = Field(
        None, description="effective Raman coefficient of this channel on the Stokes side, per "
                          "km per nm of filter (default: the link's)")


class QkdLink(_FibreSpan):
    """A fibre for prepare-and-measure QKD: Alice's transmitter at the first node, Bob's
    receiver at the second (for MDI and twin-field, the measuring station at
    ``station_position``)."""

    scheme: Literal["qkd"] = Field(
        description="qkd (optional: a link without one gets the scheme its demands and "
                    "nodes imply)")
    classical_channels: list[ClassicalChannel] = Field(
        default_factory=list,
        description="classical signals sharing this fibre, each `{power, direction}`. Their "
                    "Raman photons (Eraerds et al. 2010) add to the dark counts of the "
                    "receiver's detectors, split evenly over them (the noise is unpolarised); "
                    "for MDI and twin-field every channel runs on both arms, `co` meaning "
                    "towards the station")
    raman_filter: PositiveWavelengthM | None = Field(
        None, description="width of the receiver's filter that lets Raman noise through "
                          "(m; e.g. `0.6 nm`; default 0.8 nm)")
    raman_coefficient: RamanCoefficient = Field(
        DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM,
        description="effective spontaneous-Raman coefficient rho of the fibre at the channels' "
                    "detuning, Stokes side, per km per nm of filter (Eraerds et al. 2010; "
                    "measured values 1e-9 to 5e-9 in the C band)")
    quantum_wavelength: PositiveWavelengthM = Field(
        TELECOM_WAVELENGTH_M,
        description="wavelength of the quantum channel (m): the energy of a Raman photon, and "
                    "the side of each classical channel that has a `wavelength`")


Link = Annotated[
    SingleClickLink | DoubleClickLink | MidpointSourceLink | QkdLink | DownlinkLink
    | UplinkLink | DualDownlinkLink,
    Field(discriminator="scheme"),
]

# ---------------------------------------------------------------- demands


class _PairDemand(_Strict):
    between: tuple[str, str] = Field(description="the two end nodes")
    min_fidelity: Annotated[float, *_bounded(low=0, high=1)] = Field(
        0.5, description="pairs below this fidelity do not count as served")
    rate: FrequencyHz | None = Field(
        None, description="target rate (Hz); a window below it is an outage")
    window: PositiveTimeS = Field(0.1, description="window of the outage statistics (s)")
    pairs: Annotated[int, Field(ge=1)] | None = Field(
        None, description="stop once this many pairs are delivered (default: serve all run)")


class EntanglementDemand(_PairDemand):
    """Bell pairs wanted between two nodes."""

    kind: Literal["entanglement"] = Field(description="entanglement: Bell pairs")


ENTANGLEMENT_PROTOCOLS = ("bbm92", "e91")
PREPARE_MEASURE_PROTOCOLS = ("bb84", "bb84-decoy", "mdi", "tf", "sns", "bb84-one-decoy",
                             "four-phase")
Epsilon = OpenProbability


class Attack(_Strict):
    """An eavesdropper on a prepare-and-measure link."""

    kind: Literal["intercept-resend", "pns", "beam-splitting"] = Field(
        description="intercept-resend, photon-number splitting, or beam splitting")
    fraction: Probability | None = Field(
        None, description="intercept-resend: share of pulses attacked (default 1); "
                          "pns: share of single photons blocked (default: what keeps the "
                          "signal gain honest); beam-splitting: share of light tapped "
                          "(default: the fibre's loss)")


# The fields of a qkd demand, in groups; each protocol's model takes the groups that
# apply to it and nothing else, so a field of another protocol is refused by name.


class _KeyOptions(_Strict):
    """What every qkd demand sets: its ends, the security of the key, post-processing."""

    kind: Literal["qkd"] = Field(description="qkd: a secret key over one link or path")
    between: tuple[str, str] = Field(description="the two end nodes")
    epsilon_sec: Epsilon = Field(1e-10, description="secrecy parameter of the key")
    epsilon_cor: Epsilon = Field(1e-15, description="correctness parameter of the key")
    block_size: Annotated[int, Field(ge=1000)] = Field(
        1_000_000, description="sifted bits per post-processing block")
    reconciliation: Literal["cascade", "ldpc"] = Field(
        "cascade", description="error correction: interactive Cascade or LDPC syndromes")
    sample_fraction: OpenProbability = Field(
        0.1, description="share of each block's sifted bits disclosed to estimate the QBER "
                         "(they leave the key)")


class _KeyBasis(_Strict):
    z_basis_probability: OpenProbability = Field(
        0.5, description="probability that an end chooses the key basis Z (X the rest)")


class _Pulses(_Strict):
    """A transmitter, a fibre and detectors: the optics of a prepare-and-measure protocol.

    Such a demand delivers no pairs, so it has no pair targets (``min_fidelity``,
    ``window``, ``rate``): a file that sets them is refused.
    """

    source_rate: PositiveFrequencyHz = Field(
        1e8, description="pulse repetition rate of the transmitter(s) (Hz)")
    misalignment: Annotated[float, *_bounded(low=0, high=0.5)] = Field(
        0.01, description="optical error: a photon ends in the wrong detector")
    detector: str | None = Field(
        None, description="name of a detector in `hardware` (default: the link's)")


class _Intensities(_Strict):
    intensities: list[Annotated[float, *_bounded(low=0)]] | None = Field(
        None, description="mean photon numbers per class, signal first (default: bb84-decoy "
                          "chooses those of the best finite-key rate on its link; mdi "
                          "0.4, 0.1, 0; tf 0.1, 0.02, 0)")
    intensity_probabilities: list[Probability] | None = Field(
        None, description="probability of each intensity class (default: bb84-decoy chooses "
                          "them with the intensities; mdi 0.4, 0.4, 0.2; tf 0.8, 0.1, 0.1; "
                          "equal shares when only intensities are given)")


class BBM92Demand(_KeyBasis, _KeyOptions, _PairDemand):
    """A key distilled from the Bell pairs the network delivers, each end measuring in Z
    or X (Bennett, Brassard and Mermin 1992)."""

    protocol: Literal["bbm92"] = Field(
        "bbm92", description="bbm92 (the protocol of a qkd demand that names none)")


class E91Demand(_KeyOptions, _PairDemand):
    """A key from the Bell pairs the network delivers, measured at Ekert's angles with a
    CHSH test (device-independent bound)."""

    protocol: Literal["e91"] = Field(description="e91")


class BB84Demand(_KeyBasis, _Pulses, _KeyOptions):
    """BB84 with a single-photon source over the ``scheme: qkd`` link between the two
    nodes (GLLP key length, multi-photon pulses tagged)."""

    protocol: Literal["bb84"] = Field(description="bb84")
    photon_efficiency: Efficiency = Field(
        1.0, description="mean photons per trigger of the single-photon source")
    g2: Annotated[float, *_bounded(low=0)] = Field(
        0.0, description="second-order correlation g2(0) of the single-photon source")
    attack: Attack | None = Field(None, description="an eavesdropper on the link")


class DecoyBB84Demand(_KeyBasis, _Intensities, _Pulses, _KeyOptions):
    """Decoy-state BB84 with weak coherent pulses (signal, weak decoy, vacuum) over the
    ``scheme: qkd`` link between the two nodes (Lim et al. 2014 finite key)."""

    protocol: Literal["bb84-decoy"] = Field(description="bb84-decoy")
    attack: Attack | None = Field(None, description="an eavesdropper on the link")


class MdiDemand(_KeyBasis, _Intensities, _Pulses, _KeyOptions):
    """Measurement-device-independent QKD: both nodes send weak pulses to a Bell-state
    measurement at the link's ``station_position``."""

    protocol: Literal["mdi"] = Field(description="mdi")


class TwinFieldDemand(_Intensities, _Pulses, _KeyOptions):
    """Phase-matching twin-field QKD: both nodes send phase-encoded pulses to a beam
    splitter at the link's ``station_position`` (Ma, Zeng and Zhou 2018)."""

    protocol: Literal["tf"] = Field(description="tf (twin-field)")
    phase_slices: Annotated[int, Field(ge=2, multiple_of=2)] = Field(
        16, description="phase slices announced for matching (even)")
    phase_noise: Annotated[float, *_bounded(low=0)] = Field(
        0.0, description="residual phase drift between the arms, standard deviation (rad)")


class SnsDemand(_KeyBasis, _Pulses, _KeyOptions):
    """Sending-or-not-sending twin-field QKD: in Z windows each node sends a pulse or
    nothing, in X windows decoys, to a beam splitter at the link's ``station_position``
    (Wang, Yu and Hu 2018), with actively odd-parity pairing of the raw key (Xu et al.
    2020) unless ``aopp`` is false."""

    protocol: Literal["sns"] = Field(description="sns (sending-or-not-sending twin field)")
    z_basis_probability: OpenProbability = Field(
        0.8, description="probability that an end opens a Z (key) window, an X (decoy) "
                         "window the rest")
    z_intensity: Annotated[float, *_bounded(low=0, low_open=True)] = Field(
        0.4, description="mean photon number of a pulse sent in a Z window")
    send_probability: OpenProbability = Field(
        0.25, description="probability that an end sends in a Z window")
    decoy_intensities: Annotated[list[Annotated[float, *_bounded(low=0, low_open=True)]],
                                 Field(min_length=2, max_length=2)] = Field(
        [0.1, 0.4], description="the two X-window decoys' mean photon numbers: weak, then "
                                "strong")
    decoy_probabilities: Annotated[list[Probability], Field(min_length=3, max_length=3)] = Field(
        [0.4, 0.4, 0.2], description="the three X-window probabilities: vacuum, weak decoy, "
                                     "strong decoy")
    phase_window: Annotated[float, *_bounded(low=0, high=math.pi, low_open=True)] = Field(
        0.3, description="weak-decoy pairs whose phases agree within half of this (rad), "
                         "modulo pi, bound the phase error")
    aopp: bool = Field(True, description="pair the raw key by odd parity before error "
                                         "correction")


class OneDecoyBB84Demand(_KeyBasis, _Pulses, _KeyOptions):
    """BB84 with a signal and one decoy, no vacuum class, over the ``scheme: qkd`` link
    between the two nodes (Rusca et al. 2018 finite key), the protocol of the 421 km
    record (Boaron et al. 2018)."""

    protocol: Literal["bb84-one-decoy"] = Field(description="bb84-one-decoy")
    intensities: Annotated[list[Annotated[float, *_bounded(low=0, low_open=True)]],
                           Field(min_length=2, max_length=2)] = Field(
        [0.5, 0.15], description="the two mean photon numbers: signal, then decoy (smaller)")
    intensity_probabilities: Annotated[list[Probability],
                                       Field(min_length=2, max_length=2)] = Field(
        [0.7, 0.3], description="the probabilities of signal and decoy")


class FourPhaseDemand(_Pulses, _KeyOptions):
    """Twin-field QKD without phase post-selection: in code rounds each node sends its bit
    as the phase (0 or pi) of an unrandomised pulse, in decoy rounds phase-randomised
    decoys, to a beam splitter at the link's ``station_position`` (Curty, Azuma and Lo
    2019; the protocol of the 830 km record, Wang et al. 2022); the phase error is bounded
    from the decoys by linear programs."""

    protocol: Literal["four-phase"] = Field(
        description="four-phase (twin field without phase post-selection)")
    code_probability: OpenProbability = Field(
        0.8, description="probability that a node sends a code (key) round, a decoy round "
                         "the rest")
    code_intensity: Annotated[float, *_bounded(low=0, high=1, low_open=True, high_open=True)] = (
        Field(0.02, description="mean photon number of a code pulse"))
    decoy_intensities: Annotated[list[Annotated[float, *_bounded(low=0, high=1)]],
                                 Field(min_length=2, max_length=6)] = Field(
        [0.0, 0.01, 0.05, 0.15, 0.4], description="the decoy rounds' mean photon numbers, "
                                                  "increasing (vacuum first)")
    decoy_probabilities: Annotated[list[Probability], Field(min_length=2, max_length=6)] | None = (
        Field(None, description="probability of each decoy intensity in a decoy round "
                                "(default: equal shares)"))


PairQkdDemand = BBM92Demand | E91Demand
PulseQkdDemand = (BB84Demand | DecoyBB84Demand | MdiDemand | TwinFieldDemand | SnsDemand
                  | OneDecoyBB84Demand | FourPhaseDemand)
QKDDemand = PairQkdDemand | PulseQkdDemand
QKD_DEMANDS: dict[str, type[QKDDemand]] = {
    "bbm92": BBM92Demand, "e91": E91Demand, "bb84": BB84Demand,
    "bb84-decoy": DecoyBB84Demand, "mdi": MdiDemand, "tf": TwinFieldDemand,
    "sns": SnsDemand, "bb84-one-decoy": OneDecoyBB84Demand, "four-phase": FourPhaseDemand}
DEFAULT_QKD_PROTOCOL = "bbm92"


def _tag(field: str, default: str) -> Callable[[Any], Any]:
    """The discriminator that reads ``field`` (``default`` when a mapping leaves it out);
    named after the field, which pydantic's messages quote."""

    def read(value: Any) -> Any:
        if isinstance(value, dict):
            return value.get(field, default)
        return getattr(value, field, None)

    read.__name__ = read.__qualname__ = field
    return read


class KeyDemand(_Strict):
    """Keys between two nodes, relayed hop by hop through trusted nodes over QKD links."""

    kind: Literal["key"] = Field(
        description="key: keys relayed through trusted nodes")
    between: tuple[str, str] = Field(description="the two end nodes")
    key_size: Annotated[int, Field(ge=8)] = Field(256, description="bits per key")
    rate: FrequencyHz | None = Field(
        None, description="keys requested per second (default: as many as the pools allow)")


# `kind: qkd` is one branch of the demands, itself a union discriminated on `protocol`
QkdDemandField = Annotated[
    Annotated[BBM92Demand, Tag("bbm92")] | Annotated[E91Demand, Tag("e91")]
    | Annotated[BB84Demand, Tag("bb84")] | Annotated[DecoyBB84Demand, Tag("bb84-decoy")]
    | Annotated[MdiDemand, Tag("mdi")] | Annotated[TwinFieldDemand, Tag("tf")]
    | Annotated[SnsDemand, Tag("sns")] | Annotated[OneDecoyBB84Demand, Tag("bb84-one-decoy")]
    | Annotated[FourPhaseDemand, Tag("four-phase")],
    Discriminator(_tag("protocol", DEFAULT_QKD_PROTOCOL)),
]
# application demands (`kind: app`) live in their own module, which uses the models above
from qinet.scenario.schema_apps import AppDemand  # noqa: E402

Demand = Annotated[EntanglementDemand | QkdDemandField | KeyDemand | AppDemand,
                   Field(discriminator="kind")]


class Purification(_Strict):
    """Entanglement purification of link pairs before they are swapped."""

    scheme: Literal["bbpssw", "dejmps"] = Field(description="the recurrence protocol")
    rounds: Annotated[int, Field(ge=1)] = Field(1, description="rounds per link pair")
    pumping: bool = Field(False, description="pump with fresh pairs instead of pairing equals")


class Policy(_Strict):
    """How the network serves demands."""

    swapping: Literal["asap", "nested"] = Field(
        "asap", description="swap as soon as possible, or in nested (doubling) order")
    routing: Literal["shortest", "hops", "fidelity", "rate", "k-shortest"] = Field(
        "shortest", description="path choice: fibre length, hops, link fidelity, link rate")
    k_paths: Annotated[int, Field(ge=1)] = Field(3, description="candidates for k-shortest")
    cutoff: PositiveTimeS | None = Field(
        None, description="qubits stored longer than this are discarded (default: never)")
    purification: Purification | None = Field(None, description="purify link pairs")

# multi-user pair sources and the costs section (prices checked against the cost
# catalogue) live in their own modules, which use the models above
from qinet.scenario.schema_costs import Costs  # noqa: E402
from qinet.scenario.schema_sources import PairSource  # noqa: E402

# ---------------------------------------------------------------- scenario


class Scenario(_Strict):
    """A whole simulation: hardware, nodes, links, demands, and how to run them."""

    name: str = Field("scenario", description="a name for reports")
    description: str = Field("", description="free text")
    seed: Annotated[int, Field(ge=0)] = Field(1, description="root of every random stream")
    duration: DurationS = Field(
        1.0, description="simulated time (s), from 1 ps (the clock's resolution) to 1e6 s")
    mode: Literal["fast-forward", "detailed"] = Field(
        "fast-forward", description="sample the successful attempt, or play every attempt")
    backend: Literal["bell-diagonal", "density-matrix"] = Field(
        "bell-diagonal", description="formalism for the pair states")
    hardware: dict[str, Hardware] = Field(
        default_factory=dict, description="named hardware types (memories, detectors, fibres, "
                                          "sources) that nodes and links refer to")
    nodes: Annotated[list[Node], Field(min_length=2)] = Field(
        description="the network's nodes (at least two)")
    links: list[Link] = Field(
        default_factory=list,
        description="fibre links between nodes (at least one, unless `pair_sources` has one)")
    demands: list[Demand] = Field(
        default_factory=list, description="what the network is asked to deliver")
    policy: Policy = Field(default_factory=Policy,
                           description="how the network serves the demands")
    pair_sources: list[PairSource] = Field(
        default_factory=list,
        description="broadband entangled-pair sources shared by many users through "
                    "wavelength channels; each channel pair gives two users BBM92 keys")

    @model_validator(mode="after")
    def _something_to_run(self) -> Scenario:
        if not self.links and not self.pair_sources:
            raise ValueError("links: at least one link (or a source in `pair_sources`)")
        return self
    space: SpaceRun | None = Field(
        None, description="for satellites: the calendar time the run starts at")
    costs: Costs | None = Field(
        None, description="how the capital cost is counted: fibre bought or leased, and "
                          "catalogue prices replaced (default: the catalogue's prices, "
                          "dark fibre)")
