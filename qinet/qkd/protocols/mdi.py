"""Measurement-device-independent QKD, pulse by pulse in distribution, herald by herald in data.

Alice and Bob send phase-randomised weak coherent pulses polarised in Z (H/V) or X (D/A),
each with an intensity class (signal μ, weak decoy ν, vacuum) drawn per pulse. Charlie
interferes them on a 50:50 beam splitter, splits each output by polarisation onto four
threshold detectors (3H, 3V, 4H, 4V) and announces a Bell state: Ψ− for clicks in
(3H, 4V) or (3V, 4H), Ψ+ for (3H, 3V) or (4H, 4V), nothing otherwise (Lo, Curty and Qi,
PRL 108, 130503 (2012)). Bob flips his bit, except for Ψ+ in the X basis.

Only pulse pairs with at least one click become array entries. The total light reaching
the detectors, ``η_a μ_a + η_b μ_b``, does not depend on the relative phase θ of the two
pulses, so the number of pulse pairs with any click is binomial with
``1 - e^{-(η_a μ_a + η_b μ_b)} (1 - p_d)^4`` per configuration (intensities, bases, bits);
for those, θ is uniform and each detector sees a Poisson number of photons with mean
``|a_p ± b_p e^{-iθ}|²/2`` (``a_p``, ``b_p``: the amplitudes of polarisation p), and the
click pattern is drawn conditioned on at least one click. Misalignment flips Bob's
polarisation to the orthogonal state of its basis with probability ``e_d``, the model
under which the closed forms of Ma and Razavi, PRA 86, 062319 (2012) hold (a test checks
the simulated gains and error rates against them at 5σ).

Result keys: ``gains["<basis>/<alice class>/<bob class>"]`` for both ends in the same
basis (classes ``signal``, ``decoy``, ``vacuum``), ``qber`` with the same keys plus
``"Z"`` (the key: signal/signal in Z) and ``"X"`` (signal/signal in X), ``estimates``
with ``y11_z_lower``, ``y11_x_lower``, ``e11_x_upper`` (= ``phase_error_upper``),
``single_pair_fraction_lower`` and ``s11_lower`` (single-photon pairs in the key).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.mdi_tf_bounds import F_EC, mdi_decoy_coefficients
from qinet.qkd.postprocessing.estimation import qber_upper_bound
from qinet.qkd.postprocessing.privacy_amplification import final_key_length
from qinet.qkd.protocols._blocks import check_run_options, distill_in_blocks
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

CLASSES = ("signal", "decoy", "vacuum")
BASES = ("Z", "X")
# Jones vectors of (basis, bit): Z -> H, V; X -> D, A
_JONES = np.array([[[1.0, 0.0], [0.0, 1.0]],
                   [[math.sqrt(0.5), math.sqrt(0.5)], [math.sqrt(0.5), -math.sqrt(0.5)]]])


def check_decoy_sources(alice: WeakCoherentSource, bob: WeakCoherentSource) -> None:
    """Both ends need (signal, weak decoy, vacuum = 0) and the same intensities.

    Raises:
        ConfigError: naming ``alice_source.intensities`` or ``bob_source.intensities``.
    """
    mus = alice.intensities
    if len(mus) != 3 or not mus[0] > mus[1] > mus[2] == 0.0:
        raise ConfigError("alice_source.intensities",
                          f"must be (signal, weak decoy, vacuum = 0), got {mus}")
    if tuple(bob.intensities) != tuple(mus):
        raise ConfigError("bob_source.intensities",
                          f"must equal Alice's {mus}, got {bob.intensities}")


@dataclass(frozen=True, slots=True)
class MdiLink:
    """Alice and Bob send to Charlie's Bell-state measurement over two fibres.

    Attributes:
        alice_source: Alice's intensities (signal, weak decoy, vacuum), their
            probabilities and the pulse rate.
        bob_source: Bob's; the same intensities as Alice's.
        fibre_alice: fibre Alice→Charlie.
        fibre_bob: fibre Bob→Charlie.
        detector: each of Charlie's four detectors.
        detection_window_s: Charlie's gate width in s (> 0).
        misalignment: e_d, probability that Bob's polarisation arrives flipped, in [0, 1/2].
        z_basis_probability: probability that an end prepares in Z, in (0, 1).

    Examples:
        >>> MdiLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0), Fibre(10.0),
        ...         Detector(), misalignment=0.6)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: misalignment: must lie in [0, 0.5], got 0.6
    """

    alice_source: WeakCoherentSource
    bob_source: WeakCoherentSource
    fibre_alice: Fibre
    fibre_bob: Fibre
    detector: Detector
    detection_window_s: float = 1e-9
    misalignment: float = 0.015
    z_basis_probability: float = 0.5

    def __post_init__(self) -> None:
        check_decoy_sources(self.alice_source, self.bob_source)
        if not self.detection_window_s > 0.0:
            raise ConfigError("detection_window_s",
                              f"must be positive, got {self.detection_window_s}")
        if not 0.0 <= self.misalignment <= 0.5:
            raise ConfigError("misalignment", f"must lie in [0, 0.5], got {self.misalignment}")
        if not 0.0 < self.z_basis_probability < 1.0:
            raise ConfigError("z_basis_probability",
                              f"must lie in (0, 1), got {self.z_basis_probability}")

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
    """``Σ w_i x_i`` at its worst over ``lower <= x <= upper`` (min or max)."""
    pick_low = (weights > 0.0) == minimise
    return float(np.sum(weights * np.where(pick_low, lower, upper)))


def check_run_arguments(pulses: int, block_size: int, epsilon_sec: float,
                        epsilon_cor: float, distill_options: Mapping[str, Any] | None) -> None:
    """ConfigError naming the first bad runner argument."""
    if isinstance(pulses, bool) or not isinstance(pulses, int | np.integer) or pulses <= 0:
        raise ConfigError("pulses", f"must be a positive integer, got {pulses!r}")
    check_run_options(block_size, epsilon_sec, epsilon_cor, distill_options)


@dataclass(frozen=True, slots=True)
class MdiHeralds:
    """Every Bell-state herald of a run, and the pulse pairs sent per configuration.

    Attributes:
        pulses_sent: pulse pairs per (Alice class, Bob class, Alice basis, Bob basis),
            shape (3, 3, 2, 2).
        clicked: pulse pairs with at least one click at Charlie.
        alice_class, bob_class: intensity class index of each herald (0 signal, 1 decoy,
            2 vacuum).
        alice_basis, bob_basis: 0 = Z, 1 = X.
        alice_bit: Alice's bit.
        bob_bit: Bob's bit after the flip the announcement prescribes.
        psi_plus: True for Ψ+, False for Ψ−.
    """

    pulses_sent: NDArray[np.int64]
    clicked: int
    alice_class: NDArray[np.int8]
    bob_class: NDArray[np.int8]
    alice_basis: NDArray[np.uint8]
    bob_basis: NDArray[np.uint8]
    alice_bit: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]
    psi_plus: NDArray[np.bool_]

    def table(self, basis: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """``(pulse pairs, heralds, errors)`` per class pair, both ends in ``basis``."""
        both = (self.alice_basis == basis) & (self.bob_basis == basis)
        cell = self.alice_class[both].astype(np.int64) * 3 + self.bob_class[both]
        wrong = self.alice_bit[both] != self.bob_bit[both]
        heralds = np.bincount(cell, minlength=9).reshape(3, 3)
        errors = np.bincount(cell[wrong], minlength=9).reshape(3, 3)
        return self.pulses_sent[:, :, basis, basis], heralds, errors


EVENT_CHUNK = 1 << 21
"""Events processed at once: bounds the memory of a long run, not its results' law."""


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


def _bell_heralds(cell: NDArray[np.int64], amp_a: NDArray[np.float64],
                  amp_b: NDArray[np.float64], p_d: float, rng: np.random.Generator
                  ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Configurations and Ψ+ flags of the heralds among events that clicked at least once."""
    theta = rng.random(cell.size) * (2.0 * math.pi)
    a, b = amp_a[cell], amp_b[cell]
    cross = a * b * np.cos(theta)[:, None]  # per polarisation H, V
    mean = (a**2 + b**2)[:, None, :] / 2.0 + np.stack([cross, -cross], axis=1)
    # detectors in the order 3H, 3V, 4H, 4V
    pattern = clicks_given_any(-np.expm1(math.log1p(-p_d) - mean.reshape(-1, 4)), rng)
    two = pattern.sum(axis=1) == 2
    minus = two & ((pattern[:, 0] & pattern[:, 3]) | (pattern[:, 1] & pattern[:, 2]))
    plus = two & ((pattern[:, 0] & pattern[:, 1]) | (pattern[:, 2] & pattern[:, 3]))
    herald = minus | plus
    return cell[herald], plus[herald]


def simulate_mdi(link: MdiLink, pulses: int, *, rng: np.random.Generator) -> MdiHeralds:
    """Send ``pulses`` pulse pairs and return Charlie's Ψ± heralds with both ends' data.

    Examples:
        >>> link = MdiLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0),
        ...                Fibre(10.0), Detector())
        >>> h = simulate_mdi(link, 10**5, rng=np.random.default_rng(1))
        >>> int(h.pulses_sent.sum()), bool(h.psi_plus.size <= h.clicked)
        (100000, True)
    """
    if isinstance(pulses, bool) or not isinstance(pulses, int | np.integer) or pulses < 0:
        raise ConfigError("pulses", f"must be a non-negative integer, got {pulses!r}")
    mus = np.asarray(link.alice_source.intensities)
    pz, e_d = link.z_basis_probability, link.misalignment
    # configuration axes: class_a, class_b, basis_a, basis_b, bit_a, bit_b, flip
    probs = np.einsum("i,j,k,l,m,n,o->ijklmno", np.asarray(link.alice_source.probabilities),
                      np.asarray(link.bob_source.probabilities), [pz, 1 - pz], [pz, 1 - pz],
                      [0.5, 0.5], [0.5, 0.5], [1 - e_d, e_d])
    sent = rng.multinomial(pulses, probs.ravel()).reshape(probs.shape)
    ia, ib, ba, bb, xa, xb, fl = np.indices(probs.shape).reshape(7, -1)
    amp_a = math.sqrt(link.eta_alice) * np.sqrt(mus[ia])[:, None] * _JONES[ba, xa]
    amp_b = math.sqrt(link.eta_bob) * np.sqrt(mus[ib])[:, None] * _JONES[bb, xb ^ fl]
    p_d = link.dark_probability
    light = (amp_a**2).sum(axis=1) + (amp_b**2).sum(axis=1)
    any_click = -np.expm1(4.0 * math.log1p(-p_d) - light)
    clicked = rng.binomial(sent.ravel(), any_click)
    parts = [_bell_heralds(cell, amp_a, amp_b, p_d, rng) for cell in event_chunks(clicked)]
    parts.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)))
    # events come out grouped by configuration; a random permutation restores the order
    # in time, so that blocks of the key mix every configuration as the pulses did
    order = rng.permutation(sum(p[0].size for p in parts))
    c = np.concatenate([p[0] for p in parts])[order]
    psi_plus = np.concatenate([p[1] for p in parts])[order]
    alice_basis, bob_basis = ba[c].astype(np.uint8), bb[c].astype(np.uint8)
    # Bob flips, except for Ψ+ in the X basis (LCQ 2012)
    flip = ~((bob_basis == 1) & psi_plus)
    return MdiHeralds(pulses_sent=sent.sum(axis=(4, 5, 6)).astype(np.int64),
                      clicked=int(clicked.sum()), alice_class=ia[c].astype(np.int8),
                      bob_class=ib[c].astype(np.int8), alice_basis=alice_basis,
                      bob_basis=bob_basis, alice_bit=xa[c].astype(np.uint8),
                      bob_bit=(xb[c] ^ flip).astype(np.uint8), psi_plus=psi_plus)


def run_mdi(link: MdiLink, pulses: int, *, rng: RngTree, block_size: int = 1_000_000,
            epsilon_sec: float = 1e-10, epsilon_cor: float = 1e-15,
            distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Send pulses, estimate single-photon pairs with decoys and distil keys block by block.

    The key is the Z-basis signal/signal heralds. Decoy statistics of the whole run (every
    intensity and basis is announced) bound the single-photon-pair yield ``Y11`` in Z and X
    and the X error ``e11`` with :func:`~qinet.qkd.mdi_tf_bounds.mdi_decoy_coefficients`,
    each gain and error gain replaced by its one-sided Clopper–Pearson bound in the
    conservative direction, each bound failing with probability ε_sec/64. A block of n
    key bits then holds at least ``n s`` single-photon pairs, ``s = N_μμ μ² e^{-2μ} Y11^{Z,L}
    / n_μμ`` (``N_μμ`` signal/signal Z pulse pairs, ``n_μμ`` their heralds), and keeps
    ``ℓ = n s [1 - H2(e11^{X,U})] - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)`` bits
    (:func:`~qinet.qkd.postprocessing.privacy_amplification.final_key_length`).

    Args:
        link: sources, fibres and Charlie's detectors.
        pulses: pulse pairs to send.
        rng: the run's random tree (streams ``mdi/channel`` and the blocks' ``mdi/...``).
        block_size: sifted bits per post-processing block.
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.

    Returns:
        The run record, ``protocol="mdi"``.

    Raises:
        ConfigError: a bad argument, named.
    """
    check_run_arguments(pulses, block_size, epsilon_sec, epsilon_cor, distill_options)
    heralds = simulate_mdi(link, pulses, rng=rng.generator("mdi/channel"))
    mu, nu = link.alice_source.intensities[:2]
    c, d = mdi_decoy_coefficients(mu, nu)
    eps = epsilon_sec / 64.0
    gains: dict[str, float] = {}
    qber: dict[str, float] = {}
    point: dict[str, float] = {}
    worst: dict[str, float] = {}
    for basis, name in enumerate(BASES):
        sent, hits, errs = heralds.table(basis)
        for i, j in np.ndindex(3, 3):
            key = f"{name}/{CLASSES[i]}/{CLASSES[j]}"
            gains[key] = hits[i, j] / max(sent[i, j], 1)
            qber[key] = errs[i, j] / max(hits[i, j], 1)
        q_lo, q_hi = count_bounds(hits, sent, eps)
        t_lo, t_hi = count_bounds(errs, sent, eps)
        share = hits / np.maximum(sent, 1)
        point[f"y11_{name}"] = max(float(np.sum(c * share)), 0.0)
        worst[f"y11_{name}"] = max(bounded_combination(c, q_lo, q_hi, minimise=True), 0.0)
        point[f"t_{name}"] = float(np.sum(d * errs / np.maximum(sent, 1)))
        worst[f"t_{name}"] = bounded_combination(d, t_lo, t_hi, minimise=False)
    qber["Z"], qber["X"] = qber["Z/signal/signal"], qber["X/signal/signal"]

    def e11(values: dict[str, float]) -> float:
        # single-photon pairs averaged over the bits are the same state in Z and X, so
        # Y11 is one number and either basis may bound it
        y = max(values["y11_X"], values["y11_Z"])
        return float(np.clip(values["t_X"] / (nu**2 * y), 0.0, 0.5)) if y > 0 else 0.5

    sent_z, hits_z, _ = heralds.table(0)
    n_key = int(hits_z[0, 0])
    single = mu**2 * math.exp(-2.0 * mu)
    fraction = min(sent_z[0, 0] * single * worst["y11_Z"] / n_key, 1.0) if n_key else 0.0
    e11_upper = e11(worst)

    def key_length(n: int, _qber_upper: float, leaked: int) -> int:
        # the secrecy rests on the single-photon pairs of the key and their X error
        return final_key_length(n * fraction, qber_upper=e11_upper, leaked_ec=leaked,
                                epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)

    key_mask = ((heralds.alice_basis == 0) & (heralds.bob_basis == 0)
                & (heralds.alice_class == 0) & (heralds.bob_class == 0))
    keys = distill_in_blocks(heralds.alice_bit[key_mask], heralds.bob_bit[key_mask], rng=rng,
                             stream="mdi", block_size=block_size, epsilon_sec=epsilon_sec,
                             epsilon_cor=epsilon_cor, key_length=key_length,
                             distill_options=distill_options)
    # LCQ 2012, eq. 1, on the measured statistics, per pulse pair sent
    share_key = sent_z[0, 0] / pulses
    q11 = single * point["y11_Z"]
    e11_point = e11(point)
    asymptotic = share_key * max(
        q11 * (1.0 - float(binary_entropy(e11_point)))
        - gains["Z/signal/signal"] * F_EC * float(binary_entropy(qber["Z"])), 0.0)
    estimates = {"y11_z_lower": worst["y11_Z"], "y11_x_lower": worst["y11_X"],
                 "e11_x_upper": e11_upper, "phase_error_upper": e11_upper,
                 "single_pair_fraction_lower": fraction, "s11_lower": fraction * n_key,
                 "y11_z": point["y11_Z"], "e11_x": e11_point}
    return QkdRunResult(
        protocol="mdi", pulses=pulses, detections=int(heralds.psi_plus.size),
        sifted_bits=n_key, qber=qber, gains=gains, estimates=estimates,
        asymptotic_bits_per_pulse=asymptotic, finite_key_bits=keys.final_bits,
        key_alice=keys.key_reference, key_bob=keys.key_other, leaked_ec=keys.leaked_ec,
        blocks=keys.blocks, blocks_aborted=keys.aborted, discarded_bits=keys.discarded,
        abort_reasons=keys.reasons,
        transmittance=link.transmittance)
