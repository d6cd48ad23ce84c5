"""Circuits from OpenQASM 2 or 3 text or a Qiskit ``QuantumCircuit`` (the optional
``circuits`` extra: ``pip install 'qinet[circuits]'``).

OpenQASM 2 is read by Qiskit's parser (``qiskit.qasm2.loads``), OpenQASM 3 by its
importer (``qiskit.qasm3.loads``, which needs the ``qiskit-qasm3-import`` package). A gate
outside :mod:`qinet.quantum.circuit`'s set (``ccx``, ``rzz``, custom gates, ...) is first
decomposed by Qiskit's transpiler into that set. Barriers are dropped; measurements keep
their qubit (the classical register is not needed: outcomes are reported per qubit).

Examples:
    >>> c = as_circuit('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];')
    >>> [(op.name, op.qubits) for op in c]
    [('h', (0,)), ('cx', (0, 1))]
"""

from __future__ import annotations

import importlib
from typing import Any

from qinet.errors import ConfigError
from qinet.quantum.circuit import ONE_QUBIT_GATES, TWO_QUBIT_GATES, Circuit

_EXTRA = ("OpenQASM and Qiskit input need the optional extra 'circuits': "
          "pip install 'qinet[circuits]'")
_BASIS = sorted({*ONE_QUBIT_GATES, *TWO_QUBIT_GATES} - {"i"} | {"id"})
# Qiskit names that are ours under another name (same angles).
_RENAMED = {"id": "i", "u3": "u", "u1": "p", "cnot": "cx", "measure": "m"}


def _qiskit() -> Any:
    try:
        import qiskit
    except ImportError:
        raise ConfigError("circuit", _EXTRA) from None
    return qiskit


def from_qasm(text: str) -> Circuit:
    """A circuit from OpenQASM 2 or 3 source (the version line decides).

    Raises:
        ConfigError: qiskit is not installed, or the text does not parse (field
            ``circuit``).
    """
    _qiskit()
    version3 = text.lstrip().upper().startswith("OPENQASM 3")
    try:
        if version3:
            qc = importlib.import_module("qiskit.qasm3").loads(text)
        else:
            qasm2 = importlib.import_module("qiskit.qasm2")
            # the legacy set also defines qelib1.inc's later gates (rzz, rxx, ...)
            qc = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except ImportError as exc:
        raise ConfigError("circuit", f"OpenQASM 3 needs qiskit-qasm3-import ({exc}); "
                          f"{_EXTRA}") from None
    except Exception as exc:  # the parsers raise their own error types
        raise ConfigError("circuit", f"not valid OpenQASM {3 if version3 else 2}: {exc}"
                          ) from None
    return from_qiskit(qc)


def from_qiskit(qc: Any) -> Circuit:
    """A circuit from a Qiskit ``QuantumCircuit`` (gates outside our set transpiled).

    Raises:
        ConfigError: qiskit is not installed, a classically conditioned operation, or
            an unbound parameter (field ``circuit``).
    """
    qiskit = _qiskit()
    if not isinstance(qc, qiskit.QuantumCircuit):
        raise ConfigError("circuit", f"need a qiskit QuantumCircuit, got {type(qc).__name__}")
    if any(ins.operation.name not in (*_BASIS, *_RENAMED, "barrier")
           for ins in qc.data):
        qc = qiskit.transpile(qc, basis_gates=_BASIS, optimization_level=0)
    out = Circuit(max(qc.num_qubits, 1))
    for ins in qc.data:
        op = ins.operation
        if getattr(op, "condition", None) is not None:
            raise ConfigError("circuit", f"{op.name}: classically conditioned operations are "
                              f"not supported")
        name = _RENAMED.get(op.name, op.name)
        if name == "barrier":
            continue
        try:
            params = tuple(float(p) for p in op.params)
        except TypeError:
            raise ConfigError("circuit", f"{op.name}: unbound parameters {op.params}") from None
        qubits = [qc.find_bit(q).index for q in ins.qubits]
        out.append(name, *qubits, params=params)
    return out


def as_circuit(source: object) -> Circuit:
    """``source`` as a :class:`Circuit`: a Circuit as is, text as OpenQASM, otherwise a
    Qiskit ``QuantumCircuit``."""
    if isinstance(source, Circuit):
        return source
    if isinstance(source, str):
        return from_qasm(source)
    return from_qiskit(source)
