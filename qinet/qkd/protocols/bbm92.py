"""BBM92: a key from shared Bell pairs, measured in Z or X at both ends.

Each end measures its qubit of every pair in Z or X at random (Bennett, Brassard and
Mermin, PRL 68, 557 (1992)). For Φ+ both Z and X outcomes agree, so after sifting the
Z-basis outcomes are the raw key and the X-basis error rate bounds Eve's information on
it (the phase error of Shor and Preskill, PRL 85, 441 (2000)): the secret fraction is
``1 - f H2(e_Z) - H2(e_X)``. Pairs come from any quantum backend, so the same code takes
pairs delivered by a link, a repeater chain or a midpoint source.

Finite key: the phase error of the key is bounded by the Clopper–Pearson upper bound
of the X-basis error rate at confidence ``1 - ε_sec`` (all X-sifted pairs of the run are
disclosed), and each block of Z-sifted bits is compressed to
``n (1 - H2(e_X^upper)) - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)`` bits (Tomamichel,
Lim, Gisin and Renner, Nat. Commun. 3, 634 (2012), eq. 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.qkd._checks import check_open_probability
from qinet.qkd.bounds import bbm92_key_fraction
from qinet.qkd.postprocessing.estimation import qber_upper_bound
from qinet.qkd.protocols._blocks import (
    check_run_options,
    distill_in_blocks,
    phase_error_key_length,
)
from qinet.qkd.protocols.result import QkdRunResult
from qinet.quantum.backend import QuantumBackend
from qinet.rng import RngTree


def run_bbm92(states: Any, backend: QuantumBackend, *, rng: RngTree,
              z_probability: float = 0.5, block_size: int = 1_000_000,
              epsilon_sec: float = 1e-10, epsilon_cor: float = 1e-15,
              distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Measure a batch of shared pairs in Z or X at each end and distil a key, block by block.

    Reports ``qber["Z"]`` and ``qber["X"]`` (error rates of all sifted pairs of each
    basis, which error correction and the disclosed X pairs reveal), the estimate
    ``phase_error_upper``, and as asymptotic rate the Shor–Preskill fraction on the
    measured error rates times the Z-sifted share of the pairs,
    ``(n_Z/N) [1 - H2(e_Z) - H2(e_X)]`` (error correction at the Shannon limit, f = 1).

    Args:
        states: the backend's batch of pairs (qubit 0 at Alice, qubit 1 at Bob).
        backend: the formalism the pairs are held in.
        rng: the run's random tree (each end's basis choices, the measurement and each
            block's post-processing take their own named streams).
        z_probability: probability that an end measures in Z.
        block_size: Z-sifted bits per post-processing block.
        epsilon_sec: secrecy parameter (also the failure probability of the phase-error
            bound).
        epsilon_cor: correctness parameter.
        distill_options: further keyword arguments of ``distill``, forwarded untouched.

    Returns:
        The run's statistics, estimates and keys (protocol ``"bbm92"``).

    Raises:
        ConfigError: ``z_probability`` outside (0, 1), a bad ``block_size``, epsilon or
            ``distill_options``.

    Examples:
        >>> from qinet.quantum import make_backend, werner_weights
        >>> backend = make_backend("bell-diagonal")
        >>> pairs = backend.from_bell_weights(np.tile(werner_weights(0.99), (40_000, 1)))
        >>> result = run_bbm92(pairs, backend, rng=RngTree(1))
        >>> result.keys_equal, result.key_bits > 0, result.blocks_aborted
        (True, True, 0)
    """
    stream = Bbm92Stream(rng=rng, z_probability=z_probability, block_size=block_size,
                         epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
                         distill_options=distill_options)
    stream.add(states, backend)
    return stream.result()


class Bbm92Stream:
    """BBM92 over pairs that arrive in batches: each batch is measured as it comes, and
    only what the key needs is kept (the Z-sifted outcomes, a byte per end and pair, and
    the X-basis counts), so a long run holds no pair states. The key is distilled from
    all of them at :meth:`result`, as :func:`run_bbm92` does for one batch; the basis
    choices continue one stream per end across batches.

    Args: as :func:`run_bbm92`.

    Raises:
        ConfigError: as :func:`run_bbm92`.
    """

    def __init__(self, *, rng: RngTree, z_probability: float = 0.5,
                 block_size: int = 1_000_000, epsilon_sec: float = 1e-10,
                 epsilon_cor: float = 1e-15,
                 distill_options: Mapping[str, Any] | None = None) -> None:
        check_open_probability("z_probability", z_probability)
        self._options = check_run_options(block_size, epsilon_sec, epsilon_cor,
                                          distill_options)
        self._rng = rng
        self._z_probability = z_probability
        self._block_size = block_size
        self._epsilon_sec, self._epsilon_cor = epsilon_sec, epsilon_cor
        # Z = 0, X = 1 in the backend's basis labels; each end chooses on its own stream
        self._alice_basis = rng.generator("bbm92/alice-basis")
        self._bob_basis = rng.generator("bbm92/bob-basis")
        self._measurement = rng.generator("bbm92/measurement")
        self._alice_z: list[NDArray[np.uint8]] = []
        self._bob_z: list[NDArray[np.uint8]] = []
        self.pairs = self.n_z = self.errors_z = self.n_x = self.errors_x = 0

    def add(self, states: Any, backend: QuantumBackend) -> None:
        """Measure a batch of pairs (qubit 0 at Alice, qubit 1 at Bob)."""
        n = backend.count(states)
        if not n:
            return
        p = self._z_probability
        alice_basis = (self._alice_basis.random(n) >= p).astype(int)
        bob_basis = (self._bob_basis.random(n) >= p).astype(int)
        outcomes = backend.measure(states, np.stack([alice_basis, bob_basis], axis=1),
                                   rng=self._measurement)
        alice, bob = outcomes[:, 0].astype(np.uint8), outcomes[:, 1].astype(np.uint8)
        in_z = (alice_basis == 0) & (bob_basis == 0)
        in_x = (alice_basis == 1) & (bob_basis == 1)
        self._alice_z.append(alice[in_z])
        self._bob_z.append(bob[in_z])
        self.pairs += n
        self.n_z += int(in_z.sum())
        self.errors_z += int(np.count_nonzero(alice[in_z] != bob[in_z]))
        self.n_x += int(in_x.sum())
        self.errors_x += int(np.count_nonzero(alice[in_x] != bob[in_x]))

    def result(self) -> QkdRunResult:
        """Sift, bound the phase error and distil the key of every pair measured so far."""
        n, n_z, n_x = self.pairs, self.n_z, self.n_x
        eps_sec, eps_cor = self._epsilon_sec, self._epsilon_cor
        qber_z = self.errors_z / n_z if n_z else 0.0
        qber_x = self.errors_x / n_x if n_x else 0.0
        # Without X pairs nothing bounds the phase error; H2 is symmetric, so cap at 1/2.
        phase_error = (min(qber_upper_bound(self.errors_x, n_x, epsilon=eps_sec), 0.5)
                       if n_x else 0.5)
        # Shor-Preskill: privacy amplification removes the X-basis (phase) errors
        key_length = phase_error_key_length(phase_error, epsilon_sec=eps_sec,
                                            epsilon_cor=eps_cor)
        alice = np.concatenate([_NO_BITS, *self._alice_z])
        bob = np.concatenate([_NO_BITS, *self._bob_z])
        self._alice_z, self._bob_z = [alice], [bob]
        tally = distill_in_blocks(alice, bob, rng=self._rng, stream="bbm92",
                                  block_size=self._block_size, epsilon_sec=eps_sec,
                                  epsilon_cor=eps_cor, key_length=key_length,
                                  distill_options=self._options)
        asymptotic = (n_z / n * float(bbm92_key_fraction(qber_z, qber_x))
                      if n and n_x else 0.0)
        return QkdRunResult(
            protocol="bbm92", pulses=n, detections=n, sifted_bits=n_z,
            qber={"Z": qber_z, "X": qber_x}, estimates={"phase_error_upper": phase_error},
            asymptotic_bits_per_pulse=asymptotic, **tally.result_fields())


_NO_BITS = np.zeros(0, dtype=np.uint8)
