"""Memory banks: the qubit slots of a node, who holds them and since when."""

from __future__ import annotations

import numpy as np

from qinet.errors import ConfigError, ResourceUnavailable
from qinet.physical.memories import QuantumMemory


class MemoryBank:
    """A node's quantum memories: ``size`` slots of one memory type.

    A slot is free or held by one owner (a link, a protocol). The bank keeps the time a
    slot was taken and adds up busy time, for utilisation. States themselves live in the
    quantum backend; decoherence is applied from the slot's storage time when a state is
    read, never by ticking events.

    Args:
        node: the node's name.
        size: number of slots (> 0).
        memory: the physics of every slot.

    Attributes:
        occupied_since: per slot, since when it holds a qubit (``None``: no qubit). The
            link that owns a slot writes it directly, as :meth:`occupy` and :meth:`vacate`
            do (adding to ``occupied_ps`` on vacating), once per heralded pair and per
            freed qubit, without a call in between.
        occupied_ps: slot-time of the qubits that have left their slots.

    Examples:
        >>> bank = MemoryBank("alice", 2, QuantumMemory())
        >>> bank.acquire("link", now_ps=0), bank.acquire("link", now_ps=5)
        (0, 1)
        >>> bank.free_count
        0
        >>> bank.release(0, now_ps=10); bank.busy_ps
        10
    """

    __slots__ = ("_owner", "_since_ps", "busy_ps", "memory", "node", "occupied_ps",
                 "occupied_since", "size")

    def __init__(self, node: str, size: int, memory: QuantumMemory) -> None:
        if size < 1:
            raise ConfigError(f"nodes[{node}].memories", f"must be at least 1, got {size}")
        self.node = node
        self.size = size
        self.memory = memory
        self._owner: list[str | None] = [None] * size
        self._since_ps = np.zeros(size, dtype=np.int64)
        self.busy_ps = 0
        self.occupied_since: list[int | None] = [None] * size
        self.occupied_ps = 0

    @property
    def free_count(self) -> int:
        """Slots that nobody holds."""
        return self._owner.count(None)

    def owner(self, slot: int) -> str | None:
        """Who holds ``slot`` (``None`` when free)."""
        return self._owner[slot]

    def acquire(self, owner: str, *, now_ps: int) -> int:
        """Take the first free slot for ``owner``; returns its index.

        Raises:
            ResourceUnavailable: every slot is held.
        """
        try:
            slot = self._owner.index(None)
        except ValueError:
            raise ResourceUnavailable(
                f"node {self.node}: all {self.size} memories are in use"
            ) from None
        self._owner[slot] = owner
        self._since_ps[slot] = now_ps
        return slot

    def release(self, slot: int, *, now_ps: int) -> None:
        """Free ``slot``; releasing a free slot is a protocol bug and raises."""
        if self._owner[slot] is None:
            raise ResourceUnavailable(f"node {self.node}: memory {slot} released twice")
        self._owner[slot] = None
        self.busy_ps += now_ps - int(self._since_ps[slot])

    def occupy(self, slot: int, *, since_ps: int) -> None:
        """Mark ``slot`` as holding a qubit since ``since_ps``.

        Raises:
            ResourceUnavailable: the slot already holds a qubit (a protocol bug).
        """
        if self.occupied_since[slot] is not None:
            raise ResourceUnavailable(f"node {self.node}: memory {slot} would hold two qubits")
        self.occupied_since[slot] = since_ps

    def vacate(self, slot: int, *, now_ps: int) -> None:
        """The qubit in ``slot`` is gone (measured, used or discarded)."""
        since = self.occupied_since[slot]
        if since is not None:
            self.occupied_ps += now_ps - since
            self.occupied_since[slot] = None

    def occupancy(self, elapsed_ps: int, *, now_ps: int) -> float:
        """Fraction of slot-time that held a qubit over ``elapsed_ps``.

        Examples:
            >>> bank = MemoryBank("n", 2, QuantumMemory())
            >>> bank.occupy(0, since_ps=0); bank.vacate(0, now_ps=50)
            >>> bank.occupy(1, since_ps=60)
            >>> bank.occupancy(100, now_ps=100)
            0.45
        """
        live = sum(now_ps - s for s in self.occupied_since if s is not None)
        return (self.occupied_ps + live) / (elapsed_ps * self.size) if elapsed_ps > 0 else 0.0

    def utilisation(self, elapsed_ps: int, *, now_ps: int) -> float:
        """Fraction of slot-time held over ``elapsed_ps``, slots still held counted to now."""
        held = sum(now_ps - int(self._since_ps[s]) for s, o in enumerate(self._owner) if o)
        return (self.busy_ps + held) / (elapsed_ps * self.size) if elapsed_ps > 0 else 0.0
