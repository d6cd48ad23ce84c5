"""Quantum cryptography over delivered entanglement.

Each protocol takes the states the network delivers (Bell pairs as Bell-diagonal
weights, GHZ states as a fidelity) and a ``numpy.random.Generator``, samples every
round as one numpy batch, and returns a frozen report whose numbers carry their units
in their names. Every protocol module also gives the closed forms its runs are tested
against:

* :mod:`~qinet.apps.crypto.randomness`: device-independent randomness certified by a
  CHSH test (Pironio et al. 2010);
* :mod:`~qinet.apps.crypto.secret_sharing`: quantum secret sharing on GHZ states
  (Hillery, Bužek, Berthiaume 1999);
* :mod:`~qinet.apps.crypto.blind`: universal blind quantum computation with trap
  qubits (Broadbent, Fitzsimons, Kashefi 2009; Fitzsimons, Kashefi 2017);
* :mod:`~qinet.apps.crypto.signatures`: quantum digital signatures (Amiri, Wallden,
  Kent, Andersson 2016);
* :mod:`~qinet.apps.crypto.authentication`: entity authentication by a
  challenge-response on pre-shared pairs.
"""

from qinet.apps.crypto.authentication import AuthenticationReport, rounds_needed, run_authentication
from qinet.apps.crypto.blind import BlindRunReport, run_blind_computation
from qinet.apps.crypto.randomness import ChshRandomnessReport, run_chsh_randomness
from qinet.apps.crypto.secret_sharing import GhzNoise, SecretSharingReport, run_secret_sharing
from qinet.apps.crypto.signatures import (
    SignatureParameters,
    SignatureRunReport,
    run_signatures,
    signature_parameters,
)

__all__ = [
    "AuthenticationReport",
    "BlindRunReport",
    "ChshRandomnessReport",
    "GhzNoise",
    "SecretSharingReport",
    "SignatureParameters",
    "SignatureRunReport",
    "rounds_needed",
    "run_authentication",
    "run_blind_computation",
    "run_chsh_randomness",
    "run_secret_sharing",
    "run_signatures",
    "signature_parameters",
]
