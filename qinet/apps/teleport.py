"""Quantum teleportation of single-qubit states over network-delivered pairs.

Bennett et al., Phys. Rev. Lett. 70, 1895 (1993). For each state, Alice waits for a
pair half ``a`` shared with Bob, prepares the input ``|ψ>`` in a fresh qubit ``q``,
makes the Bell measurement (``CNOT(q, a)``, ``H(q)``, measure both: bits ``m1``,
``m2``) and sends ``(m1, m2)``. Bob, holding the other half ``b``, waits for the bits
and applies ``X^{m2}`` then ``Z^{m1}``: ``b`` is then ``|ψ>``. His half decoheres in
memory while the bits fly.

With a Bell-diagonal resource of Φ+ weight ``F`` the protocol is a Pauli channel whose
identity weight is ``F`` (each other Bell state becomes the matching Pauli error), so
the average fidelity over Haar-random inputs is ``(2F + 1)/3`` (Horodecki et al., Phys.
Rev. A 60, 1888 (1999): ``f = (F d + 1)/(d + 1)`` for ``d = 2``). A Werner pair is a
depolarising channel, whose fidelity is ``(2F + 1)/3`` for every input.

Two fidelities are reported: the simulator's reading ``<ψ|ρ|ψ>`` after the correction
(:meth:`~qinet.apps.sdk.NodeContext.fidelity`), and a physical estimate: Bob undoes
the preparation (``U†`` with ``U|0> = |ψ>``) and measures Z; outcome 0 has probability
equal to the fidelity, so the fraction of zeros estimates it with binomial error.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.apps.sdk import AppRuntime, EprSocket, Event, NodeContext
from qinet.errors import ConfigError, ProtocolError
from qinet.network.manager import EntanglementNetwork
from qinet.rng import RngTree

ComplexArray = NDArray[np.complex128]

_S2 = 1.0 / np.sqrt(2.0)


def haar_states(count: int, rng: np.random.Generator) -> ComplexArray:
    """``count`` Haar-random single-qubit pure states, shape ``(count, 2)``.

    A complex Gaussian vector, normalised, is uniform on the unit sphere of C^2, which
    is the Haar measure on pure states (Mezzadri, Notices AMS 54, 592 (2007)).

    Examples:
        >>> states = haar_states(3, np.random.default_rng(0))
        >>> states.shape, bool(np.allclose(np.linalg.norm(states, axis=1), 1))
        ((3, 2), True)
    """
    z = rng.normal(size=(count, 2)) + 1j * rng.normal(size=(count, 2))
    states: ComplexArray = z / np.linalg.norm(z, axis=1, keepdims=True)
    return states


NAMED_STATES: dict[str, tuple[complex, complex]] = {
    "zero": (1, 0), "one": (0, 1),
    "plus": (_S2, _S2), "minus": (_S2, -_S2),
    "plus-i": (_S2, 1j * _S2), "minus-i": (_S2, -1j * _S2),
}
"""The six eigenstates of Z, X and Y by name (``|0>``, ``|1>``, ``|±>``, ``|±i>``)."""


def input_states(kind: str, count: int, rng: np.random.Generator) -> ComplexArray:
    """``count`` inputs: Haar-random (``"haar"``) or one of :data:`NAMED_STATES`.

    Raises:
        ConfigError: an unknown kind (field ``input``).
    """
    if kind == "haar":
        return haar_states(count, rng)
    if kind not in NAMED_STATES:
        raise ConfigError("input", f"must be haar or one of {sorted(NAMED_STATES)}, "
                                   f"got {kind!r}")
    return np.tile(np.array(NAMED_STATES[kind], dtype=np.complex128), (count, 1))


def preparation(psi: NDArray[Any]) -> ComplexArray:
    """The unitary ``U = [[a, -b*], [b, a*]]`` with ``U|0> = |ψ> = (a, b)``."""
    a, b = np.asarray(psi, dtype=np.complex128) / np.linalg.norm(psi)
    return np.array([[a, -np.conj(b)], [b, np.conj(a)]], dtype=np.complex128)


def teleport_sender(ctx: NodeContext, *, peer: str,
                    states: NDArray[Any]) -> Generator[Event, Any, int]:
    """Alice's program: teleport each of ``states`` to ``peer``, one pair each.

    Records ``ready_ps`` (when the input and its pair were ready, the Bell measurement
    made and the bits sent). Returns the number sent.
    """
    for psi in states:
        half = yield ctx.pair(peer)
        q = ctx.new_qubit(psi)
        ctx.apply("cnot", q, half)
        ctx.apply("h", q)
        m1, m2 = ctx.measure(q), ctx.measure(half)
        ctx.send(peer, (half.pair, m1, m2))
        ctx.record("ready_ps", ctx.now_ps)
    return len(states)


def teleport_receiver(ctx: NodeContext, *, peer: str,
                      states: NDArray[Any]) -> Generator[Event, Any, int]:
    """Bob's program: receive each of ``states`` from ``peer`` and check it.

    ``states`` are the inputs, known to the checker only (Bob's corrections do not use
    them). Records ``done_ps`` (correction applied), ``fidelity`` (the simulator's
    reading) and ``success`` (1 when the check measurement finds the input). Returns
    the number received.
    """
    for psi in states:
        half = yield ctx.pair(peer)
        index, m1, m2 = yield ctx.recv(peer)
        if index != half.pair:
            raise ProtocolError(f"bits for pair {index} met pair {half.pair}")
        if m2:
            ctx.apply("x", half)
        if m1:
            ctx.apply("z", half)
        ctx.record("done_ps", ctx.now_ps)
        ctx.record("fidelity", ctx.fidelity(half, psi))
        ctx.apply(preparation(psi).conj().T, half)
        ctx.record("success", 1 - ctx.measure(half))
    return len(states)


@dataclass(frozen=True, slots=True)
class TeleportResult:
    """Teleportations between two nodes.

    Attributes:
        between: (sender, receiver).
        teleports: states teleported (corrections applied) by the end of the run.
        fidelity_mean: mean of ``<ψ|ρ|ψ>`` after the correction (NaN: none).
        fidelity_std: their standard deviation (0 for one).
        fidelity_estimate: fraction of check measurements that found the input.
        fidelity_estimate_error: its binomial standard error ``sqrt(f(1-f)/n)``.
        pair_fidelity_mean: mean fidelity to Φ+ of the pairs used, at delivery.
        teleports_per_s: teleports over the time the last correction was applied.
        latency_mean_s: mean time from the Bell measurement to Bob's correction (the
            bits' flight).
        elapsed_s: simulated time until the last correction.
        pairs_used: pairs consumed at the receiver.
        pairs_discarded: pairs the socket threw away below its minimum fidelity (each
            replaced by a further pair).
    """

    between: tuple[str, str]
    teleports: int
    fidelity_mean: float
    fidelity_std: float
    fidelity_estimate: float
    fidelity_estimate_error: float
    pair_fidelity_mean: float
    teleports_per_s: float
    latency_mean_s: float
    elapsed_s: float
    pairs_used: int
    pairs_discarded: int = 0


def teleport_result(socket: EprSocket, sender: NodeContext,
                    receiver: NodeContext) -> TeleportResult:
    """The teleportations' statistics from the two programs' records."""
    rec = receiver.records
    fid = np.array(rec.get("fidelity", ()), dtype=float)
    done = np.array(rec.get("done_ps", ()), dtype=np.int64)
    ready = np.array(sender.records.get("ready_ps", ()), dtype=np.int64)[:len(done)]
    success = np.array(rec.get("success", ()), dtype=float)
    n = fid.size
    nan = float("nan")
    estimate = float(success.mean()) if n else nan
    elapsed_s = float(done[-1]) * 1e-12 if n else sender.now_s
    record = socket.record()
    return TeleportResult(
        between=(sender.node, receiver.node), teleports=n,
        fidelity_mean=float(fid.mean()) if n else nan,
        fidelity_std=float(fid.std(ddof=1)) if n > 1 else 0.0 if n else nan,
        fidelity_estimate=estimate,
        fidelity_estimate_error=float(np.sqrt(estimate * (1 - estimate) / n)) if n else nan,
        pair_fidelity_mean=record.fidelity_mean,
        teleports_per_s=n / elapsed_s if n and elapsed_s > 0 else nan,
        latency_mean_s=float((done - ready).mean()) * 1e-12 if n else nan,
        elapsed_s=elapsed_s, pairs_used=receiver.pairs_used,
        pairs_discarded=record.discarded)


@dataclass(frozen=True, slots=True)
class TeleportSession:
    """Teleportations set up on a runtime: read :meth:`result` after the run."""

    runtime: AppRuntime
    socket: EprSocket
    sender: NodeContext
    receiver: NodeContext

    def result(self) -> TeleportResult:
        """The statistics so far."""
        return teleport_result(self.socket, self.sender, self.receiver)


def setup_teleportation(runtime: AppRuntime, sender: str, receiver: str, *,
                        states: NDArray[Any], min_fidelity: float = 0.0) -> TeleportSession:
    """Open the socket and add both programs to ``runtime``.

    Raises:
        ConfigError: ``states`` is not an ``(n, 2)`` array with n >= 1.
    """
    inputs = np.asarray(states, dtype=np.complex128)
    if inputs.ndim != 2 or inputs.shape[1] != 2 or inputs.shape[0] < 1:
        raise ConfigError("states", f"need an (n, 2) array of states, got {inputs.shape}")
    socket = runtime.connect(sender, receiver, pairs=len(inputs), min_fidelity=min_fidelity)
    port = f"teleport/{len(runtime.sockets) - 1}"
    return TeleportSession(
        runtime, socket,
        runtime.program(sender, teleport_sender, sockets=(socket,), port=port, peer=receiver,
                        states=inputs),
        runtime.program(receiver, teleport_receiver, sockets=(socket,), port=port,
                        peer=sender, states=inputs))


def run_teleportation(network: EntanglementNetwork, sender: str, receiver: str, *,
                      rng: RngTree, count: int | None = None,
                      states: NDArray[Any] | None = None,
                      min_fidelity: float = 0.0,
                      until_s: float | None = None) -> TeleportResult:
    """Teleport ``states`` (or ``count`` Haar-random ones) from ``sender`` to ``receiver``.

    Args:
        network: an entanglement network that has not started.
        sender: Alice's node.
        receiver: Bob's node.
        rng: the random tree (inputs, measurements).
        count: how many Haar-random states, when ``states`` is not given.
        states: the inputs, shape ``(n, 2)``.
        min_fidelity: the socket's minimum pair fidelity.
        until_s: stop the run there (``None``: when both programs are done).

    Raises:
        ConfigError: neither or both of ``count`` and ``states``.
    """
    if (count is None) == (states is None):
        raise ConfigError("count", "give either count or states")
    if states is None:
        states = haar_states(int(count or 0), rng.generator("apps/teleport/inputs"))
    runtime = AppRuntime(network, rng=rng)
    session = setup_teleportation(runtime, sender, receiver, states=states,
                                  min_fidelity=min_fidelity)
    runtime.run(until_s=until_s)
    return session.result()
