"""BBM92: a key from shared Bell pairs, measured in Z or X at both ends.

Each end measures its qubit of every pair in Z or X at random (Bennett, Brassard and
Mermin, PRL 68, 557 (1992)). For Φ+ both Z and X outcomes agree, so after sifting the
Z-basis outcomes are the raw key and the X-basis error rate bounds Eve's information on
it (the phase error of Shor and Preskill, PRL 85, 441 (2000)): the secret fraction is
``1 - f H2(e_Z) - H2(e_X)``. Pairs come from any quantum backend, so the same code takes
pairs delivered by a link, a repeater chain or a midpoint source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.qkd.postprocessing.estimation import qber_upper_bound
from qinet.qkd.postprocessing.pipeline import distill
from qinet.qkd.postprocessing.privacy_amplification import final_key_length
from qinet.quantum.backend import QuantumBackend
from qinet.rng import RngTree


@dataclass(frozen=True, slots=True)
class BBM92Result:
    """One block of BBM92.

    Attributes:
        pairs: pairs measured.
        sifted_z: pairs both measured in Z (the raw key).
        qber_z: error rate of the Z-basis key (estimated on a disclosed sample).
        qber_x: error rate of the X-basis pairs (all disclosed).
        key_alice: Alice's final key.
        key_bob: Bob's final key (equal to Alice's, or both empty on abort).
        aborted: whether post-processing stopped; ``reason`` says why.
        reason: why it aborted.
    """

    pairs: int
    sifted_z: int
    qber_z: float
    qber_x: float
    key_alice: NDArray[np.uint8]
    key_bob: NDArray[np.uint8]
    aborted: bool
    reason: str = ""


def run_bbm92(states: Any, backend: QuantumBackend, *, rng: RngTree,
              z_probability: float = 0.5, epsilon_sec: float = 1e-10,
              epsilon_cor: float = 1e-15) -> BBM92Result:
    """Measure a batch of shared pairs and distil a key from them.

    Args:
        states: the backend's batch of pairs (qubit 0 at Alice, qubit 1 at Bob).
        backend: the formalism the pairs are held in.
        rng: the run's random tree (each end's basis choices, the measurement and the
            post-processing take their own named streams).
        z_probability: probability that an end measures in Z.
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.

    Returns:
        The sifted statistics and the two keys.

    Raises:
        ConfigError: ``z_probability`` outside (0, 1).
    """
    if not 0.0 < z_probability < 1.0:
        raise ConfigError("z_probability", f"must lie in (0, 1), got {z_probability}")
    n = backend.count(states)
    # Z = 0, X = 1 in the backend's basis labels; each end chooses on its own stream
    alice_basis = (rng.generator("bbm92/alice-basis").random(n) >= z_probability).astype(int)
    bob_basis = (rng.generator("bbm92/bob-basis").random(n) >= z_probability).astype(int)
    outcomes = backend.measure(states, np.stack([alice_basis, bob_basis], axis=1),
                               rng=rng.generator("bbm92/measurement"))
    alice, bob = outcomes[:, 0].astype(np.uint8), outcomes[:, 1].astype(np.uint8)
    in_z = (alice_basis == 0) & (bob_basis == 0)
    in_x = (alice_basis == 1) & (bob_basis == 1)
    n_x = int(in_x.sum())
    errors_x = int(np.sum(alice[in_x] != bob[in_x]))
    qber_x = errors_x / n_x if n_x else 0.5
    phase_error = (qber_upper_bound(errors_x, n_x, epsilon=epsilon_sec) if n_x else 0.5)

    def key_length(size: int, _qber_upper: float, leaked: int) -> int:
        # Shor-Preskill: privacy amplification removes the X-basis (phase) errors
        return final_key_length(size, qber_upper=min(phase_error, 0.5), leaked_ec=leaked,
                                epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)

    result = distill(alice[in_z], bob[in_z], rng_shared=rng.generator("bbm92/shared"),
                     rng_alice=rng.generator("bbm92/alice"), epsilon_sec=epsilon_sec,
                     epsilon_cor=epsilon_cor, key_length=key_length)
    return BBM92Result(pairs=n, sifted_z=int(in_z.sum()), qber_z=result.qber, qber_x=qber_x,
                       key_alice=result.key_alice, key_bob=result.key_bob,
                       aborted=result.aborted, reason=result.reason)
