"""What a node program is made of: its type, its Clifford mark, its qubits, its events.

A program (:data:`Program`) is a generator function ``program(ctx, **options)`` that
yields :class:`Event` objects and resumes with their values; :func:`clifford` declares
one fit for the stabilizer backend. :class:`EventQueue` hands out arrivals (pair halves,
messages) to the events that wait for them, oldest first. The runtime that plays them
is :class:`~qinet.apps.runtime.AppRuntime`; :mod:`qinet.apps.sdk` is the overview.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from qinet.errors import ProtocolError

Program = Callable[..., Generator["Event", Any, Any]]
"""A node program: a generator function of ``(ctx, **options)`` yielding events."""

_CLIFFORD_MARK = "__qinet_clifford__"


def clifford(program: Program) -> Program:
    """Declare ``program`` Clifford: it applies only Clifford gates (H, S, CNOT, CZ,
    Paulis, quarter-turn rotations) and makes only stabilizer states, so ``"auto"`` may
    run it on the stabilizer backend. Returns ``program`` itself, marked.

    Examples:
        >>> @clifford
        ... def bell_check(ctx):
        ...     yield from ()
        >>> is_clifford(bell_check), is_clifford(lambda ctx: iter(()))
        (True, False)
    """
    setattr(program, _CLIFFORD_MARK, True)  # an attribute mypy cannot see on a Callable
    return program


def is_clifford(program: Program) -> bool:
    """Whether ``program`` was declared with :func:`clifford`."""
    return bool(getattr(program, _CLIFFORD_MARK, False))


@dataclass(frozen=True, slots=True)
class Qubit:
    """A qubit held at ``node``.

    Attributes:
        id: its id in the runtime's register.
        node: the node that holds it (only that node's program may act on it).
        pair: index of the entangled pair it came with on its socket (-1: made locally).
        delivered_ps: when that pair was delivered (-1: made locally).
    """

    id: int
    node: str
    pair: int = -1
    delivered_ps: int = -1


class Event:
    """Something a program waits for; it carries a value once it has happened."""

    __slots__ = ("_callbacks", "done", "value")

    def __init__(self) -> None:
        self.done = False
        self.value: Any = None
        self._callbacks: list[Callable[[Any], None]] = []

    def succeed(self, value: Any = None) -> None:
        """The event happens now with ``value``; waiting programs resume."""
        if self.done:
            raise ProtocolError("an event happened twice")
        self.done, self.value = True, value
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(value)

    def subscribe(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(value)`` when the event happens (now, if it has)."""
        if self.done:
            callback(self.value)
        else:
            self._callbacks.append(callback)


class EventQueue:
    """Items that arrive over time, taken in order by events: a socket's pair halves at
    one node, or the messages of one sender at one receiver."""

    __slots__ = ("items", "waiters")

    def __init__(self) -> None:
        self.items: deque[Any] = deque()
        self.waiters: deque[Event] = deque()

    def put(self, item: Any) -> None:
        """An item arrives: the oldest waiting event gets it, or it waits for a taker."""
        if self.waiters:
            self.waiters.popleft().succeed(item)
        else:
            self.items.append(item)

    def get(self) -> Event:
        """An event whose value is the next item (at once, if one is waiting)."""
        event = Event()
        if self.items:
            event.succeed(self.items.popleft())
        else:
            self.waiters.append(event)
        return event

