"""Measuring both qubits of shared pairs along any direction of the X–Z plane.

The quantum backends measure in Z, X or Y only; E91 and CHSH tests need the directions
in between. A measurement along angle θ measures ``σ(θ) = cos θ Z + sin θ X`` (θ = 0 is
Z, θ = π/2 is X), with outcome 0 for eigenvalue +1 and 1 for -1, as the backends do.
Its projectors are ``Π_a(θ) = (I + (-1)^a σ(θ))/2``, so the joint outcome probabilities
of angles α at Alice (qubit 0) and β at Bob (qubit 1) are

    ``P(a, b) = [1 + (-1)^a <σ(α) ⊗ I> + (-1)^b <I ⊗ σ(β)> + (-1)^(a+b) <σ(α) ⊗ σ(β)>]/4``

(Nielsen and Chuang, *Quantum Computation and Quantum Information*, 2000, section 2.2.5),
which needs eight Pauli expectations of each pair: ``<Z⊗I>, <X⊗I>, <I⊗Z>, <I⊗X>`` and
``<ZZ>, <ZX>, <XZ>, <XX>``. Density matrices give them as traces. A Bell-diagonal
state ``Σ_k w_k |B_k><B_k|`` has no local terms and no ``ZX``/``XZ`` terms, and
``<ZZ> = w_Φ+ - w_Ψ+ - w_Ψ- + w_Φ-``, ``<XX> = w_Φ+ + w_Ψ+ - w_Ψ- - w_Φ-``, so that
``<σ(α) ⊗ σ(β)> = cos α cos β <ZZ> + sin α sin β <XX>``; for a Werner state
(``<ZZ> = <XX> = V = (4F - 1)/3``) this is ``V cos(α - β)``.

Outcomes for a whole batch are then drawn in one pass, one uniform per pair.

Examples:
    >>> import numpy as np
    >>> from qinet.quantum import make_backend
    >>> backend = make_backend("bell-diagonal")
    >>> phi_plus = backend.from_bell_weights([1.0, 0, 0, 0])
    >>> float(correlation(phi_plus, backend, 0.0, np.pi / 3)[0])  # cos(π/3)
    0.5000000000000001
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError
from qinet.quantum.backend import QuantumBackend
from qinet.quantum.density_matrix import DensityMatrixBackend
from qinet.quantum.states import BELL_CORRELATORS, PAULI_MATRICES, sample_categorical

FloatArray = NDArray[np.float64]

_I, _X, _Z = PAULI_MATRICES[0], PAULI_MATRICES[1], PAULI_MATRICES[3]
# Local and joint observables in the order of the XZMoments fields.
_OBSERVABLES = np.stack([np.kron(a, b) for a, b in (
    (_Z, _I), (_X, _I), (_I, _Z), (_I, _X), (_Z, _Z), (_Z, _X), (_X, _Z), (_X, _X))])


class XZMoments(NamedTuple):
    """Pauli expectations of each pair in the X–Z plane, each a float or shape ``(N,)``.

    ``alice_z = <Z⊗I>``, ``bob_x = <I⊗X>``, ``zx = <Z⊗X>`` and so on; a value that is
    the same for every pair (zero for Bell-diagonal states) may be a plain float.
    """

    alice_z: Any
    alice_x: Any
    bob_z: Any
    bob_x: Any
    zz: Any
    zx: Any
    xz: Any
    xx: Any


def xz_moments(states: Any, backend: QuantumBackend) -> XZMoments:
    """The eight X–Z-plane Pauli expectations of every pair of a batch.

    Density matrices give exact traces ``tr(ρ P)``; any other backend is read through
    its Bell weights (exact for the Bell-diagonal backend, which holds nothing else).

    Examples:
        >>> from qinet.quantum import make_backend
        >>> b = make_backend("density-matrix")
        >>> m = xz_moments(b.from_density_matrix(np.diag([0, 0, 1.0, 0]), 1), b)  # |10>
        >>> float(m.alice_z[0]), float(m.bob_z[0]), float(m.zz[0])
        (-1.0, 1.0, -1.0)
    """
    backend.count(states)  # the backend's own shape check
    if isinstance(backend, DensityMatrixBackend):
        rho = np.asarray(states, dtype=np.complex128)
        # tr(ρ P) = Σ_ab ρ_ab P_ba
        values = np.einsum("nab,kba->kn", rho, _OBSERVABLES, optimize=True).real
        return XZMoments(*values)
    weights = backend.bell_weights(states)
    zz = weights @ BELL_CORRELATORS[:, 0]
    xx = weights @ BELL_CORRELATORS[:, 1]
    return XZMoments(0.0, 0.0, 0.0, 0.0, zz, 0.0, 0.0, xx)


def _angles(name: str, value: ArrayLike, n: int) -> FloatArray:
    angle = np.asarray(value, dtype=np.float64)
    if angle.ndim > 1 or (angle.ndim == 1 and angle.shape[0] != n):
        raise ConfigError(name, f"must be one angle or one per pair ({n}), got shape "
                                f"{angle.shape}")
    if not np.isfinite(angle).all():
        raise ConfigError(name, "must be finite angles in radians")
    return angle


def _terms(states: Any, backend: QuantumBackend, alice_angle: ArrayLike, bob_angle: ArrayLike
           ) -> tuple[int, Any, Any, Any]:
    """Pairs in the batch, and ``<σ(α)⊗I>``, ``<I⊗σ(β)>`` and ``<σ(α)⊗σ(β)>`` of each."""
    n = backend.count(states)
    alpha, beta = _angles("alice_angle", alice_angle, n), _angles("bob_angle", bob_angle, n)
    ca, sa, cb, sb = np.cos(alpha), np.sin(alpha), np.cos(beta), np.sin(beta)
    m = xz_moments(states, backend)
    alice = ca * m.alice_z + sa * m.alice_x
    bob = cb * m.bob_z + sb * m.bob_x
    joint = ca * cb * m.zz + ca * sb * m.zx + sa * cb * m.xz + sa * sb * m.xx
    return n, alice, bob, joint


def correlation(states: Any, backend: QuantumBackend, alice_angle: ArrayLike,
                bob_angle: ArrayLike) -> FloatArray:
    """``E(α, β) = <σ(α) ⊗ σ(β)>`` of each pair, shape ``(N,)``: the mean of the product
    of the two ±1 outcomes.

    Args:
        states: the backend's batch of pairs (qubit 0 at Alice, qubit 1 at Bob).
        backend: the formalism the pairs are held in.
        alice_angle: α in radians, one value or one per pair.
        bob_angle: β in radians, one value or one per pair.

    Raises:
        ConfigError: an angle that is not finite, or an angle array of the wrong length.

    Examples:
        >>> from qinet.quantum import make_backend, werner_weights
        >>> b = make_backend("bell-diagonal")
        >>> werner = b.from_bell_weights(werner_weights([0.85, 0.85]))  # V = 0.8
        >>> correlation(werner, b, np.pi / 4, [np.pi / 4, 3 * np.pi / 4]).round(12).tolist()
        [0.8, 0.0]
    """
    n, _, _, joint = _terms(states, backend, alice_angle, bob_angle)
    return np.broadcast_to(np.asarray(joint, dtype=np.float64), (n,)).copy()


def outcome_probabilities(states: Any, backend: QuantumBackend, alice_angle: ArrayLike,
                          bob_angle: ArrayLike) -> FloatArray:
    """Joint outcome probabilities ``(N, 4)`` for outcomes ``(a, b)`` at index ``2a + b``.

    Takes the arguments of :func:`correlation` and raises what it raises.

    Examples:
        >>> from qinet.quantum import make_backend
        >>> b = make_backend("bell-diagonal")
        >>> phi_plus = b.from_bell_weights([1.0, 0, 0, 0])
        >>> outcome_probabilities(phi_plus, b, 0.0, np.pi / 2).round(12).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """
    n, alice, bob, joint = _terms(states, backend, alice_angle, bob_angle)
    probs = np.empty((n, 4))
    for index in range(4):
        sa, sb = 1 - 2 * (index >> 1), 1 - 2 * (index & 1)  # (-1)^a, (-1)^b
        probs[:, index] = (1.0 + sa * alice + sb * bob + sa * sb * joint) / 4.0
    # rounding can leave a zero probability a hair below zero
    return np.clip(probs, 0.0, None)


def measure_xz(states: Any, backend: QuantumBackend, alice_angle: ArrayLike,
               bob_angle: ArrayLike, *, rng: np.random.Generator) -> NDArray[np.int8]:
    """Measure qubit 0 along α and qubit 1 along β, pair by pair, in one pass.

    Args:
        states: the backend's batch of pairs.
        backend: the formalism the pairs are held in.
        alice_angle: α in radians, one value or one per pair.
        bob_angle: β in radians, one value or one per pair.
        rng: draws one uniform per pair.

    Returns:
        Outcomes ``(N, 2)`` as int8, 0 for eigenvalue +1 and 1 for -1.

    Examples:
        >>> from qinet.quantum import make_backend
        >>> b = make_backend("bell-diagonal")
        >>> pairs = b.from_bell_weights(np.tile([1.0, 0, 0, 0], (5, 1)))
        >>> out = measure_xz(pairs, b, np.pi / 4, np.pi / 4, rng=np.random.default_rng(3))
        >>> bool((out[:, 0] == out[:, 1]).all())  # Φ+ agrees along every common angle
        True
    """
    index = sample_categorical(outcome_probabilities(states, backend, alice_angle, bob_angle),
                               rng)
    return np.stack([index >> 1, index & 1], axis=1).astype(np.int8)
