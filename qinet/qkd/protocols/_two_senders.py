"""What MDI and twin-field QKD share: two senders, a relay's detectors, events that clicked.

Alice and Bob each send weak coherent pulses with decoys through a fibre to Charlie,
whose threshold detectors decide what is announced. The total light reaching Charlie
does not depend on the relative phase of the two pulses, so the pulse pairs with any
click are counted binomially per configuration; only those become array entries, their
click patterns drawn conditioned on at least one click (:func:`clicks_given_any`),
``chunk`` events at a time (:func:`event_chunks`), and put back in time order at the end
(:func:`announced_events`). The decoy statistics of the whole run are turned into bounds
with one-sided Clopper–Pearson intervals (:func:`count_bounds`), and a protocol's
analysis (:class:`RelaySecurity`) sets the key and its length for :func:`run_relay`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd._checks import check_misalignment, check_whole_number, is_signal_decoy_vacuum
from qinet.qkd.postprocessing.estimation import qber_upper_bound
from qinet.qkd.protocols._blocks import KeyLength, check_run_options, distill_in_blocks
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

CLASSES = ("signal", "decoy", "vacuum")
"""Names of the intensity classes, in the order of the sources' intensities."""

EVENT_CHUNK = 1 << 21
"""Events processed at once: bounds the memory of a long run, not its results' law."""


def check_relay_optics(detection_window_s: float, misalignment: float) -> None:
    """Charlie's gate width is positive and ``e_d`` lies in [0, 1/2]: every relay link's checks.

    Examples:
        >>> check_relay_optics(0.0, 0.01)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: detection_window_s: must be positive, got 0.0
    """
    if not detection_window_s > 0.0:
        raise ConfigError("detection_window_s", f"must be positive, got {detection_window_s}")
    check_misalignment(misalignment)


def check_class_probabilities(probabilities: Sequence[float], count: int) -> None:
    """The ``decoy_probabilities`` of a relay link: ``count`` positive numbers summing to 1.

    Examples:
        >>> check_class_probabilities((0.5, 0.6), 2)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: decoy_probabilities: must be 2 positive numbers summing \
to 1, got [0.5, 0.6]
    """
    p = tuple(probabilities)
    if len(p) != count or min(p) <= 0.0 or abs(sum(p) - 1.0) > 1e-9:
        raise ConfigError("decoy_probabilities",
                          f"must be {count} positive numbers summing to 1, got {list(p)}")


def check_decoy_sources(alice: WeakCoherentSource, bob: WeakCoherentSource) -> None:
    """Both ends need (signal, weak decoy, vacuum = 0) and the same intensities.

    Raises:
        ConfigError: naming ``alice_source.intensities`` or ``bob_source.intensities``.
    """
    mus = alice.intensities
    if not is_signal_decoy_vacuum(mus):
        raise ConfigError("alice_source.intensities",
                          f"must be (signal, weak decoy, vacuum = 0), got {mus}")
    if tuple(bob.intensities) != tuple(mus):
        raise ConfigError("bob_source.intensities",
                          f"must equal Alice's {mus}, got {bob.intensities}")


class RelayArms:
    """What two senders' pulses meet at Charlie's detectors: each arm's transmittance
    times the detector's efficiency, and the dark-count probability per window.

    Shared by the link dataclasses of the relay protocols (MDI, twin field,
    sending-or-not-sending), which hold the four fields below.
    """

    __slots__ = ()
    fibre_alice: Fibre
    fibre_bob: Fibre
    detector: Detector
    detection_window_s: float

    def _arm(self, fibre: Fibre) -> float:
        return float(fibre.transmittance * self.detector.efficiency
                     * self.detector.window_efficiency(self.detection_window_s))

    @property
    def eta_alice(self) -> float:
        """η_a: Alice→Charlie transmittance times detector efficiency."""
        return self._arm(self.fibre_alice)

    @property
    def eta_bob(self) -> float:
        """η_b: Bob→Charlie transmittance times detector efficiency."""
        return self._arm(self.fibre_bob)

    @property
    def dark_probability(self) -> float:
        """p_d of one detector in one window."""
        return float(self.detector.dark_probability(self.detection_window_s))

    @property
    def transmittance(self) -> float:
        """Fibre transmittance Alice→Bob: both halves multiplied (detectors excluded)."""
        return self.fibre_alice.transmittance * self.fibre_bob.transmittance


@dataclass(frozen=True, slots=True)
class RelayOptics(RelayArms):
    """Two fibres to Charlie, his detectors and their gate: the first fields of the links of
    the relay protocols simulated as counts (four-phase and sending-or-not-sending twin
    field), which add their own settings after these.

    Attributes:
        fibre_alice: fibre Alice→Charlie.
        fibre_bob: fibre Bob→Charlie.
        detector: each of Charlie's two detectors.
        detection_window_s: Charlie's gate in s (> 0).
        misalignment: e_d in [0, 1/2]; its optical meaning and default are the protocol's.
    """

    fibre_alice: Fibre
    fibre_bob: Fibre
    detector: Detector
    detection_window_s: float = 1e-9
    misalignment: float = 0.02

    def __post_init__(self) -> None:
        check_relay_optics(self.detection_window_s, self.misalignment)


@dataclass(frozen=True, slots=True)
class RelayLink(RelayArms):
    """Alice and Bob each send through a fibre to the detectors of Charlie, between them.

    The fields every relay protocol's link has; a protocol's link adds its own.

    Attributes:
        alice_source: Alice's intensities (signal, weak decoy, vacuum), their
            probabilities and the pulse rate.
        bob_source: Bob's; the same intensities as Alice's.
        fibre_alice: fibre Alice→Charlie.
        fibre_bob: fibre Bob→Charlie.
        detector: each of Charlie's detectors.
        detection_window_s: Charlie's gate width in s (> 0).
        misalignment: e_d in [0, 1/2]; its optical meaning is the protocol's.

    Examples:
        >>> link = RelayLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0),
        ...                  Fibre(15.0), Detector())
        >>> round(link.transmittance, 6)  # 0.2 dB/km over the whole 25 km
        0.316228
    """

    alice_source: WeakCoherentSource
    bob_source: WeakCoherentSource
    fibre_alice: Fibre
    fibre_bob: Fibre
    detector: Detector
    detection_window_s: float = 1e-9
    misalignment: float = 0.01

    def __post_init__(self) -> None:
        check_decoy_sources(self.alice_source, self.bob_source)
        check_relay_optics(self.detection_window_s, self.misalignment)


@dataclass(frozen=True, slots=True)
class RelayEvents:
    """The events Charlie announced in a run, in time order, with both ends' data.

    A protocol's record of its events adds what its announcements carry.

    Attributes:
        pulses_sent: pulse pairs sent per configuration (the protocol names the axes;
            the first two are Alice's and Bob's intensity classes).
        clicked: pulse pairs with at least one click at Charlie.
        alice_class, bob_class: intensity class index of each event (0 signal, 1 decoy,
            2 vacuum).
        alice_bit: Alice's bit.
        bob_bit: Bob's bit after the flips the announcements prescribe.
    """

    pulses_sent: NDArray[np.int64]
    clicked: int
    alice_class: NDArray[np.int8]
    bob_class: NDArray[np.int8]
    alice_bit: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]

    @property
    def pulses(self) -> int:
        """Pulse pairs sent."""
        return int(self.pulses_sent.sum())


@dataclass(frozen=True, slots=True)
class RelaySecurity:
    """What a relay protocol's analysis makes of a run's events.

    Attributes:
        qber: the result's error rates.
        gains: the result's gains.
        estimates: the bounds it derived.
        asymptotic_bits_per_pulse: its asymptotic formula on the measured statistics.
        key: which events make the sifted key.
        key_length: each block's privacy-amplified length.
    """

    qber: dict[str, float]
    gains: dict[str, float]
    estimates: dict[str, float]
    asymptotic_bits_per_pulse: float
    key: NDArray[np.bool_]
    key_length: KeyLength


def run_relay(link: RelayLink, pulses: int, *, protocol: str,
              simulate: Callable[..., RelayEvents], security: Callable[..., RelaySecurity],
              rng: RngTree, block_size: int, epsilon_sec: float, epsilon_cor: float,
              distill_options: Mapping[str, Any] | None) -> QkdRunResult:
    """Check the arguments, send ``pulses`` pulse pairs, analyse, distil the key by blocks.

    ``simulate(link, pulses, rng=...)`` gives the events and ``security(link, events,
    epsilon_sec=..., epsilon_cor=...)`` their analysis. The channel takes the random
    stream ``<protocol>/channel`` and the blocks ``<protocol>/block-<i>/...``; Alice's
    bits are the reference of every block.
    """
    check_run_arguments(pulses, block_size, epsilon_sec, epsilon_cor, distill_options)
    events = simulate(link, pulses, rng=rng.generator(f"{protocol}/channel"))
    sec = security(link, events, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    return distil_relay_key(
        events.alice_bit[sec.key], events.bob_bit[sec.key], link=link, pulses=pulses,
        protocol=protocol, rng=rng, block_size=block_size, epsilon_sec=epsilon_sec,
        epsilon_cor=epsilon_cor, key_length=sec.key_length, distill_options=distill_options,
        detections=int(events.alice_bit.size), qber=sec.qber, gains=sec.gains,
        estimates=sec.estimates, asymptotic_bits_per_pulse=sec.asymptotic_bits_per_pulse)


def distil_relay_key(alice_bit: NDArray[np.uint8], bob_bit: NDArray[np.uint8], *,
                     link: RelayArms, pulses: int, protocol: str, rng: RngTree,
                     block_size: int, epsilon_sec: float, epsilon_cor: float,
                     key_length: KeyLength, distill_options: Mapping[str, Any] | None,
                     detections: int, qber: dict[str, float], gains: dict[str, float],
                     estimates: dict[str, float], asymptotic_bits_per_pulse: float
                     ) -> QkdRunResult:
    """Distil the sifted key block by block and record the run: every relay runner's end.

    The blocks take the random streams ``<protocol>/block-<i>/...``, Alice's bits the
    reference of each; the sifted bits are the key bits handed in, the transmittance the
    link's fibres Alice→Bob.
    """
    keys = distill_in_blocks(alice_bit, bob_bit, rng=rng, stream=protocol,
                             block_size=block_size, epsilon_sec=epsilon_sec,
                             epsilon_cor=epsilon_cor, key_length=key_length,
                             distill_options=distill_options)
    return QkdRunResult(
        protocol=protocol, pulses=pulses, detections=detections,
        sifted_bits=int(alice_bit.size), qber=qber, gains=gains, estimates=estimates,
        asymptotic_bits_per_pulse=asymptotic_bits_per_pulse,
        transmittance=link.transmittance, **keys.result_fields())


def counted_key(alice_bits: NDArray[np.uint8], bob_bits: NDArray[np.uint8],
                counts: NDArray[np.int64], rng: np.random.Generator
                ) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Both ends' raw key from click counts per configuration, in a random time order.

    Configuration ``c`` gives ``counts[c]`` key bits ``(alice_bits[c], bob_bits[c])``;
    the pulses were independent, so a uniformly random permutation of the grouped bits
    is their order in time.

    Examples:
        >>> a, b = counted_key(np.array([0, 1], dtype=np.uint8),
        ...                    np.array([0, 0], dtype=np.uint8), np.array([2, 1]),
        ...                    np.random.default_rng(0))
        >>> sorted(a.tolist()), b.tolist()
        ([0, 0, 1], [0, 0, 0])
    """
    alice = np.repeat(alice_bits, counts)
    bob = np.repeat(bob_bits, counts)
    order = rng.permutation(alice.size)
    return alice[order], bob[order]


def error_rate(alice_bit: NDArray[np.uint8], bob_bit: NDArray[np.uint8]) -> float:
    """Share of positions where the two keys differ; 0 for empty keys.

    Examples:
        >>> error_rate(np.array([0, 1], dtype=np.uint8), np.array([1, 1], dtype=np.uint8))
        0.5
    """
    return float(np.mean(alice_bit != bob_bit)) if alice_bit.size else 0.0


def pair_gains(labels: Sequence[str], clicks: NDArray[np.int64], sent: NDArray[np.int64]
               ) -> dict[str, float]:
    """Clicks per pulse pair of each (Alice's class, Bob's class), keyed ``"<a>/<b>"``.

    ``clicks[i, k]`` may hold more axes (one per detector): they are summed. A class pair
    with no pulse pairs has gain 0.

    Examples:
        >>> pair_gains(("x", "y"), np.array([[1, 0], [2, 4]]), np.array([[4, 0], [8, 8]]))
        {'x/x': 0.25, 'x/y': 0.0, 'y/x': 0.25, 'y/y': 0.5}
    """
    n = len(labels)
    return {f"{labels[i]}/{labels[k]}": float(clicks[i, k].sum() / max(sent[i, k], 1))
            for i in range(n) for k in range(n)}


def check_run_arguments(pulses: int, block_size: int, epsilon_sec: float,
                        epsilon_cor: float, distill_options: Mapping[str, Any] | None) -> None:
    """ConfigError naming the first bad runner argument."""
    check_whole_number("pulses", pulses, least=1)
    check_run_options(block_size, epsilon_sec, epsilon_cor, distill_options)


def clicks_given_any(probabilities: NDArray[np.float64], rng: np.random.Generator
                     ) -> NDArray[np.bool_]:
    """Click patterns of independent detectors, conditioned on at least one click.

    Detector k clicks with ``c_k``. The first detector to click is k with probability
    ``c_k Π_{j<k}(1 - c_j) / P(any)``; detectors after it click independently. Drawn
    detector by detector: given none clicked before k, k clicks with
    ``c_k / (1 - Π_{j>=k}(1 - c_j))``.

    Args:
        probabilities: ``(n, K)`` click probabilities, each row with some ``c_k > 0``.
        rng: the caller's generator.

    Returns:
        ``(n, K)`` booleans with at least one True per row.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> clicks_given_any(np.array([[0.0, 1e-9], [0.3, 0.0]]), rng).tolist()
        [[False, True], [True, False]]
    """
    n, k = probabilities.shape
    log_miss = np.log1p(-np.minimum(probabilities, 1.0))
    # log of P(no click at j, ..., K-1), for the conditional of the first click
    tail = np.cumsum(log_miss[:, ::-1], axis=1)[:, ::-1]
    clicks = np.zeros((n, k), dtype=bool)
    seen = np.zeros(n, dtype=bool)
    u = rng.random((n, k))
    for j in range(k):
        with np.errstate(divide="ignore", invalid="ignore"):
            first = probabilities[:, j] / -np.expm1(tail[:, j])
        p = np.where(seen, probabilities[:, j], first)
        clicks[:, j] = u[:, j] < p
        seen |= clicks[:, j]
    return clicks


def event_chunks(clicked: NDArray[np.int64], chunk: int = EVENT_CHUNK
                 ) -> Iterator[NDArray[np.int64]]:
    """Configuration index of every event, ``chunk`` events at a time (in order).

    Examples:
        >>> [c.tolist() for c in event_chunks(np.array([2, 0, 3]), chunk=4)]
        [[0, 0, 2, 2], [2]]
    """
    ends = np.cumsum(clicked)
    total = int(ends[-1]) if ends.size else 0
    for start in range(0, total, chunk):
        yield np.searchsorted(ends, np.arange(start, min(start + chunk, total)), side="right")


def announced_events(clicked: NDArray[np.int64],
                     announce: Callable[[NDArray[np.int64]],
                                        tuple[NDArray[np.int64], NDArray[np.bool_]]],
                     rng: np.random.Generator, *, chunk: int = EVENT_CHUNK
                     ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Configuration and flag of every announced event, in a uniformly random order.

    ``announce`` takes the configuration index of events that clicked (``chunk`` at a
    time, :func:`event_chunks`) and returns those Charlie announces, each with a flag
    (the protocol's: Ψ+ for MDI, Bob's flip for twin field). The events come out grouped
    by configuration; a random permutation restores the order in time, so that blocks of
    the key mix every configuration as the pulses did.

    Examples:
        >>> def odd_ones(cells):
        ...     return cells[cells % 2 == 1], np.ones(np.sum(cells % 2 == 1), dtype=bool)
        >>> cells, flags = announced_events(np.array([2, 3]), odd_ones, np.random.default_rng(0))
        >>> cells.tolist(), int(flags.sum())
        ([1, 1, 1], 3)
    """
    parts = [announce(cells) for cells in event_chunks(clicked, chunk)]
    parts.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)))
    order = rng.permutation(sum(p[0].size for p in parts))
    return (np.concatenate([p[0] for p in parts])[order],
            np.concatenate([p[1] for p in parts])[order])


def count_bounds(counts: NDArray[np.int64], trials: NDArray[np.int64], epsilon: float
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One-sided Clopper–Pearson bounds ``(lower, upper)`` on ``counts / trials``, elementwise.

    Each bound fails with probability at most ``epsilon`` (Clopper and Pearson,
    Biometrika 26, 404 (1934)); cells without trials get ``(0, 1)``.

    Examples:
        >>> lo, hi = count_bounds(np.array([0, 50]), np.array([100, 100]), 1e-3)
        >>> float(lo[0]), round(float(hi[1]), 3)
        (0.0, 0.655)
    """
    c, t = np.ravel(counts).astype(int), np.ravel(trials).astype(int)
    lower, upper = np.zeros(c.size), np.ones(c.size)
    for i, (k, n) in enumerate(zip(c, t, strict=True)):
        if n > 0:
            upper[i] = qber_upper_bound(int(k), int(n), epsilon=epsilon)
            lower[i] = 1.0 - qber_upper_bound(int(n - k), int(n), epsilon=epsilon)
    return lower.reshape(np.shape(counts)), upper.reshape(np.shape(counts))


def bounded_combination(weights: NDArray[np.float64], lower: NDArray[np.float64],
                        upper: NDArray[np.float64], *, minimise: bool) -> float:
    """``Σ w_i x_i`` at its worst over ``lower <= x <= upper`` (min or max).

    Each ``x_i`` takes the end of its interval that moves the sum the wrong way: the
    bound that holds whatever the true values within their :func:`count_bounds`.

    Examples:
        >>> bounded_combination(np.array([1.0, -1.0]), np.array([0.1, 0.1]),
        ...                     np.array([0.3, 0.3]), minimise=True)
        -0.19999999999999998
    """
    pick_low = (weights > 0.0) == minimise
    return float(np.sum(weights * np.where(pick_low, lower, upper)))
