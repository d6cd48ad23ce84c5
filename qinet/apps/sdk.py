"""Node programs: Python generators that run on the simulated network, on its clock.

A program is a generator function ``program(ctx, **options)`` run at one node. It acts
on the node's qubits through its :class:`NodeContext` (local gates and measurements take
the node's :class:`~qinet.apps.durations.OperationTimes`, none by default) and waits by
yielding an :class:`Event`:

* ``yield ctx.pair(peer)``: the next entangled pair shared with ``peer`` (an
  :class:`EprSocket` opened with :meth:`AppRuntime.connect`), as the node's
  :class:`Qubit` half; it arrives when the network delivers it (both path ends know
  it), and both ends get the pairs in the same order;
* ``yield ctx.recv(peer)``: the next classical message from ``peer``; messages sent with
  :meth:`NodeContext.send` arrive after the fibre delay of the shortest path between the
  nodes (sum of the links' one-way delays), in sending order;
* ``yield ctx.wait(seconds)``: simulated time passing.

Every qubit in the register decays with its node's memory (T1, T2, the network's
:class:`~qinet.physical.memories.QuantumMemory` of that node) from the moment it is
made or delivered; the decay is applied exactly and lazily, up to the present, before
any operation touches the qubit. So a pair's half waiting for a correction message
decoheres for the message's flight. The pair's qubits leave the network's link memories
at delivery (the network frees them) and live on in the node's application register.

Local operations take the node's durations (:mod:`qinet.apps.durations`: one at a time
per node; the program's clock :attr:`NodeContext.now_ps` moves to each one's end, its
messages leave then, and every qubit the node holds decays meanwhile). They carry the
node's noise as the network's repeaters do
(:class:`~qinet.network.policy.NodeOperations`, a scenario node's ``gate_error`` and
``measurement_error``): a two-qubit gate is followed by two-qubit depolarising of
probability ``gate_depolarizing``, and a measurement reports the wrong bit with
probability ``measurement_error`` (the state collapses on the true outcome).

The run is on the one timeline of the network, seeded from the runtime's random tree:
same network, programs and seed give the same outcomes.

State backends (``AppRuntime(..., backend=...)``, one of :data:`BACKENDS`):

* ``"density-matrix"``: the register holds exact density matrices
  (:class:`~qinet.apps.register.QubitRegister`); any gate, a few dozen qubits at once;
* ``"stabilizer"``: the register is one stabilizer state on stim
  (:class:`~qinet.quantum.tableau_register.TableauRegister`), for Clifford programs
  with Pauli noise over thousands of qubits. Each noise source enters as a sampled Pauli
  channel: a delivered pair as ``Φ+`` then the Pauli of its Bell weights (exact for the
  Bell-diagonal pairs of the network's Bell-diagonal backend; a density-matrix pair enters
  as its Bell twirl), memory decay as its Pauli twirl (exact for dephasing; amplitude
  damping loses its pull towards ``|0>``), gate depolarising as drawn Paulis. A run is
  one shot, as on hardware: statistics come from many seeded runs. A non-Clifford gate
  or state is refused (:class:`~qinet.errors.ProtocolError`), :meth:`NodeContext.state`
  is refused, and :meth:`NodeContext.fidelity` (stabilizer targets only) is the
  fidelity of the sampled trajectory, whose mean over runs is the ensemble's;
* ``"auto"`` (the default): decided before the run, from the programs alone:
  ``"stabilizer"`` when every program was declared Clifford with :func:`clifford`,
  ``"density-matrix"`` otherwise. A declared program that then applies a non-Clifford
  gate is refused, never moved to the other backend halfway.

Examples:
    Two programs, one message: ``bob`` gets ``alice``'s bit after the fibre delay.

    >>> import networkx as nx
    >>> from qinet.kernel.timeline import Timeline
    >>> from qinet.rng import RngTree
    >>> graph = nx.Graph(); graph.add_edge("alice", "bob", delay_ps=5_000_000)
    >>> runtime = AppRuntime(graph=graph, timeline=Timeline(), rng=RngTree(1))
    >>> def alice(ctx):
    ...     q = ctx.new_qubit()
    ...     ctx.apply("x", q)
    ...     ctx.send("bob", ctx.measure(q))
    ...     yield from ()
    >>> def bob(ctx):
    ...     bit = yield ctx.recv("alice")
    ...     return bit, ctx.now_ps
    >>> _ = runtime.program("alice", alice); _ = runtime.program("bob", bob)
    >>> runtime.run().programs[1].value
    (1, 5000000)
"""

from qinet.apps.context import NodeContext, ProgramResult
from qinet.apps.program import Event, Program, Qubit, clifford, is_clifford
from qinet.apps.runtime import BACKENDS, AppRunResult, AppRuntime
from qinet.apps.sockets import EprSocket, SocketRecord

__all__ = [
    "BACKENDS",
    "AppRunResult",
    "AppRuntime",
    "EprSocket",
    "Event",
    "NodeContext",
    "Program",
    "ProgramResult",
    "Qubit",
    "SocketRecord",
    "clifford",
    "is_clifford",
]
