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
``single_pair_fraction_lower``, ``s11_lower`` (single-photon pairs in the key) and the
point values ``y11_z`` and ``e11_x`` behind the asymptotic rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.qkd._checks import check_open_probability, check_whole_number
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.mdi_tf_bounds import mdi_decoy_coefficients
from qinet.qkd.protocols._blocks import phase_error_key_length
from qinet.qkd.protocols._two_senders import (
    CLASSES,
    RelayEvents,
    RelayLink,
    RelaySecurity,
    bounded_combination,
    count_bounds,
    run_relay,
)
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

BASES = ("Z", "X")
# Jones vectors of (basis, bit): Z -> H, V; X -> D, A
_JONES = np.array([[[1.0, 0.0], [0.0, 1.0]],
                   [[math.sqrt(0.5), math.sqrt(0.5)], [math.sqrt(0.5), -math.sqrt(0.5)]]])


@dataclass(frozen=True, slots=True)
class MdiLink(RelayLink):
    """Alice and Bob send to Charlie's Bell-state measurement over two fibres.

    Attributes:
        misalignment: e_d, probability that Bob's polarisation arrives flipped, in [0, 1/2].
        z_basis_probability: probability that an end prepares in Z, in (0, 1).

    The other fields are those of :class:`~qinet.qkd.protocols._two_senders.RelayLink`;
    ``detector`` is each of Charlie's four detectors.

    Examples:
        >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
        >>> MdiLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0), Fibre(10.0),
        ...         Detector(), misalignment=0.6)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: misalignment: must lie in [0, 0.5], got 0.6
    """

    misalignment: float = 0.015
    z_basis_probability: float = 0.5

    def __post_init__(self) -> None:
        RelayLink.__post_init__(self)
        check_open_probability("z_basis_probability", self.z_basis_probability)


@dataclass(frozen=True, slots=True)
class MdiHeralds(RelayEvents):
    """Every Bell-state herald of a run, and the pulse pairs sent per configuration.

    The fields of :class:`~qinet.qkd.protocols._two_senders.RelayEvents` (``pulses_sent``
    per Alice class, Bob class, Alice basis and Bob basis, shape (3, 3, 2, 2); Bob's bit
    after the flip the announcement prescribes), and:

    Attributes:
        alice_basis: Alice's basis per herald, 0 = Z, 1 = X.
        bob_basis: Bob's.
        psi_plus: True for Ψ+, False for Ψ−.
    """

    alice_basis: NDArray[np.uint8]
    bob_basis: NDArray[np.uint8]
    psi_plus: NDArray[np.bool_]

    def table(self, basis: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """``(pulse pairs, heralds, errors)`` per class pair, both ends in ``basis``."""
        both = (self.alice_basis == basis) & (self.bob_basis == basis)
        cell = self.alice_class[both].astype(np.int64) * 3 + self.bob_class[both]
        wrong = self.alice_bit[both] != self.bob_bit[both]
        heralds = np.bincount(cell, minlength=9).reshape(3, 3)
        errors = np.bincount(cell[wrong], minlength=9).reshape(3, 3)
        return self.pulses_sent[:, :, basis, basis], heralds, errors


_PHASE_NODES = 64  # quadrature nodes over the relative phase (periodic: the error is ~ x^64)


def _herald_probabilities(amp_a: NDArray[np.float64], amp_b: NDArray[np.float64],
                          p_d: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """P(Ψ−) and P(Ψ+) per configuration, averaged over the random relative phase.

    With the phase θ fixed, the four detectors (3H, 3V, 4H, 4V) click independently with
    ``1 - (1 - p_d) exp(-m_k(θ))``, ``m`` the mean photon number the 50:50 beam
    splitter sends them; a Ψ− is exactly one click at 3H and 4V (or 3V and 4H), a Ψ+ one
    at 3H and 3V (or 4H and 4V). Phase randomisation makes θ uniform: the mean over θ
    is taken by the midpoint rule, exact to machine precision for these analytic
    periodic integrands (Trefethen and Weideman, SIAM Rev. 56, 385 (2014)).
    """
    theta = (np.arange(_PHASE_NODES) + 0.5) * (2.0 * math.pi / _PHASE_NODES)
    cross = (amp_a * amp_b)[:, None, :] * np.cos(theta)[None, :, None]  # (C, T, pol)
    base = ((amp_a**2 + amp_b**2) / 2.0)[:, None, :]
    mean = np.concatenate([base + cross, base - cross], axis=2)  # 3H, 3V, 4H, 4V
    log_miss = math.log1p(-p_d) - mean
    miss = np.exp(log_miss)
    click = -np.expm1(log_miss)  # exact for the tiny click probabilities of long fibres

    def exactly(i: int, j: int) -> NDArray[np.float64]:
        others = [k for k in range(4) if k not in (i, j)]
        return click[..., i] * click[..., j] * miss[..., others[0]] * miss[..., others[1]]

    minus = (exactly(0, 3) + exactly(1, 2)).mean(axis=1)
    plus = (exactly(0, 1) + exactly(2, 3)).mean(axis=1)
    return minus, plus


def simulate_mdi(link: MdiLink, pulses: int, *, rng: np.random.Generator) -> MdiHeralds:
    """Send ``pulses`` pulse pairs and return Charlie's Ψ± heralds with both ends' data.

    Examples:
        >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
        >>> link = MdiLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0),
        ...                Fibre(10.0), Detector())
        >>> h = simulate_mdi(link, 10**5, rng=np.random.default_rng(1))
        >>> h.pulses, h.pulses_sent.shape  # per class pair and pair of bases
        (100000, (3, 3, 2, 2))
        >>> bool(h.psi_plus.size <= h.clicked)
        True
    """
    check_whole_number("pulses", pulses, least=0)
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
    # heralds among the pulse pairs that clicked, per configuration: no draw per pulse
    minus, plus = _herald_probabilities(amp_a, amp_b, p_d)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.stack([minus, plus], axis=1) / any_click[:, None]
    share = np.nan_to_num(share)
    share = np.column_stack([share, np.clip(1.0 - share.sum(axis=1), 0.0, 1.0)])
    counts = rng.multinomial(clicked, share / share.sum(axis=1, keepdims=True))
    # per configuration its Ψ− heralds, then its Ψ+ ones
    cells = np.repeat(np.arange(clicked.size), counts[:, 0] + counts[:, 1])
    flags = np.repeat(np.tile([False, True], clicked.size), counts[:, :2].ravel())
    # the heralds come out grouped by configuration: put them back in time order
    order = rng.permutation(cells.size)
    c, psi_plus = cells[order], flags[order]
    alice_basis, bob_basis = ba[c].astype(np.uint8), bb[c].astype(np.uint8)
    # Bob flips, except for Ψ+ in the X basis (LCQ 2012)
    flip = ~((bob_basis == 1) & psi_plus)
    return MdiHeralds(pulses_sent=sent.sum(axis=(4, 5, 6)).astype(np.int64),
                      clicked=int(clicked.sum()), alice_class=ia[c].astype(np.int8),
                      bob_class=ib[c].astype(np.int8), alice_basis=alice_basis,
                      bob_basis=bob_basis, alice_bit=xa[c].astype(np.uint8),
                      bob_bit=(xb[c] ^ flip).astype(np.uint8), psi_plus=psi_plus)


def mdi_security(link: MdiLink, heralds: MdiHeralds, *, epsilon_sec: float,
                 epsilon_cor: float) -> RelaySecurity:
    """Decoy bounds on the run's heralds, the key (Z signal/signal) and its block length.

    The analysis of :func:`run_mdi`: gains and error rates per basis and class pair,
    ``Y11`` and ``e11`` bounded in the conservative direction, the single-photon share of
    the key, and LCQ 2012, eq. 1, on the measured statistics per pulse pair sent.
    """
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
            gains[key] = float(hits[i, j]) / max(int(sent[i, j]), 1)
            qber[key] = float(errs[i, j]) / max(int(hits[i, j]), 1)
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
    # LCQ 2012, eq. 1, on the measured statistics, per pulse pair sent
    share_key = sent_z[0, 0] / heralds.pulses
    q11 = single * point["y11_Z"]
    e11_point = e11(point)
    asymptotic = share_key * max(
        q11 * (1.0 - float(binary_entropy(e11_point)))
        - gains["Z/signal/signal"] * F_EC * float(binary_entropy(qber["Z"])), 0.0)
    estimates = {"y11_z_lower": worst["y11_Z"], "y11_x_lower": worst["y11_X"],
                 "e11_x_upper": e11_upper, "phase_error_upper": e11_upper,
                 "single_pair_fraction_lower": fraction, "s11_lower": fraction * n_key,
                 "y11_z": point["y11_Z"], "e11_x": e11_point}
    return RelaySecurity(
        qber=qber, gains=gains, estimates=estimates, asymptotic_bits_per_pulse=asymptotic,
        key=((heralds.alice_basis == 0) & (heralds.bob_basis == 0)
             & (heralds.alice_class == 0) & (heralds.bob_class == 0)),
        # the secrecy rests on the single-photon pairs of the key and their X error
        key_length=phase_error_key_length(e11_upper, epsilon_sec=epsilon_sec,
                                          epsilon_cor=epsilon_cor, secret_share=fraction))


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
        link: sources, fibres and Charlie's four detectors.
        pulses: pulse pairs to send.
        rng: the run's random tree (streams ``mdi/channel`` and the blocks' ``mdi/...``).
        block_size: Z-basis signal/signal heralds per post-processing block.
        epsilon_sec: secrecy parameter (a 64th of it for each decoy count bound).
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.

    Returns:
        The run record, ``protocol="mdi"``, with ``gains`` and ``qber`` per basis and pair
        of classes, keyed as the module's docstring says.

    Raises:
        ConfigError: a bad argument, named.
    """
    return run_relay(link, pulses, protocol="mdi", simulate=simulate_mdi, security=mdi_security,
                     rng=rng, block_size=block_size, epsilon_sec=epsilon_sec,
                     epsilon_cor=epsilon_cor, distill_options=distill_options)
