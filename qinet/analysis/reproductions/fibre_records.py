"""The fibre distance records of QKD: what each published, and what qinet's models bound.

Four experiments set the fibre distance record in turn: MDI-QKD over 404 km (Yin et al.
2016), three-state one-decoy BB84 over 421 km (Boaron et al. 2018), four-phase twin-field
QKD over 833.8 km (Wang et al. 2022) and sending-or-not-sending twin-field QKD with
odd-parity pairing over 1002 km (Liu et al. 2023). :data:`RECORDS` holds, for each, the
figures that could be read with their source, and qinet's protocol for it.

None is a registry entry yet (this module is not in ``FAMILIES``, and it has no
``ENTRIES``): a record's rate depends on its detectors' efficiency and dark counts, its
basis and intensity probabilities and its finite-key analysis, and those could not be
read from the sources at hand (docs/experiments.md lists what is missing per record).
Entering the rates with tolerances wide enough to cover guessed hardware would hide the
gap, which the registry's rule forbids. What qinet can say with the figures that were
read is two-sided and hardware-free, and :func:`bounds` computes it:

* the repeaterless (PLOB) bound of the record's channel, ``-log2(1 - η)`` per pulse:
  a prepare-and-measure or MDI record must lie below it, a twin-field record may lie
  above;
* the record protocol's rate with *ideal* hardware at the record's channel loss (unit
  detection efficiency, no dark counts, no optical error, error correction at the
  Shannon limit, every intensity and probability optimised over a grid): no
  implementation of that protocol over that fibre can beat it, so the published rate
  must lie below it.

``tests/analysis/test_fibre_records.py`` checks both sides for every record with a
published rate and loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qinet.analysis.reproductions import Paper
from qinet.errors import ConfigError
from qinet.physical.bounds import plob_bound
from qinet.qkd.four_phase_tf_bounds import four_phase_key_rate_asymptotic
from qinet.qkd.mdi_tf_bounds import mdi_key_rate_asymptotic
from qinet.qkd.one_decoy import one_decoy_key_rate_asymptotic
from qinet.qkd.sns_tf_bounds import sns_aopp_key_rate_asymptotic


@dataclass(frozen=True, slots=True)
class FibreRecord:
    """One record experiment and the figures of it that could be read.

    Attributes:
        name: ``<first-author><year>-<length>``.
        paper: where it was published.
        protocol: qinet's name for its protocol (``one-decoy``, ``mdi``, ``four-phase``,
            ``sns-aopp``).
        length_km: fibre length of the record.
        loss_db: total channel loss Alice to Bob in dB, ``None`` where not found.
        key_rate: the published secret-key rate, ``None`` where not found.
        key_rate_unit: ``bit/s`` or ``bit/pulse``.
        pulse_rate_hz: the source's repetition rate, ``None`` where not found.
        source: where each figure was read, and how sure it is.
    """

    name: str
    paper: Paper
    protocol: str
    length_km: float
    loss_db: float | None
    key_rate: float | None
    key_rate_unit: str
    pulse_rate_hz: float | None
    source: str


RECORDS: tuple[FibreRecord, ...] = (
    FibreRecord(
        name="yin2016-404km",
        paper=Paper("H.-L. Yin, T.-Y. Chen, Z.-W. Yu et al.", "Phys. Rev. Lett. 117, 190501",
                    2016, doi="10.1103/PhysRevLett.117.190501"),
        protocol="mdi", length_km=404.0, loss_db=None, key_rate=None,
        key_rate_unit="bit/s", pulse_rate_hz=None,
        source="404 km of ultralow-loss fibre and a four-intensity decoy method: abstract "
               "(arXiv:1606.06821); loss and key rate not found"),
    FibreRecord(
        name="boaron2018-421km",
        paper=Paper("A. Boaron, G. Boso, D. Rusca et al.", "Phys. Rev. Lett. 121, 190502",
                    2018,
                    doi="10.1103/PhysRevLett.121.190502"),
        protocol="one-decoy", length_km=421.1, loss_db=71.9, key_rate=0.25,
        key_rate_unit="bit/s", pulse_rate_hz=2.5e9,
        source="length, loss and rate: Table I as transcribed in a public repository, "
               "with the three-state protocol and its one decoy; the 2.5 GHz clock and "
               "the 421 km: coverage of the paper; the same table gives 404.9 km, "
               "69.3 dB, 6.5 bit/s"),
    FibreRecord(
        name="wang2022-834km",
        paper=Paper("S. Wang, Z.-Q. Yin, D.-Y. He et al.", "Nat. Photon. 16, 154", 2022,
                    doi="10.1038/s41566-021-00928-2"),
        protocol="four-phase", length_km=833.8, loss_db=None, key_rate=None,
        key_rate_unit="bit/s", pulse_rate_hz=None,
        source="833.8 km, a channel loss 'beyond 140 dB' and the four-phase protocol: "
               "abstract; the exact loss and the key rate not found"),
    FibreRecord(
        name="liu2023-1002km",
        paper=Paper("Y. Liu, W.-J. Zhang, C. Jiang et al.", "Phys. Rev. Lett. 130, 210801",
                    2023, doi="10.1103/PhysRevLett.130.210801"),
        protocol="sns-aopp", length_km=1002.0, loss_db=156.5, key_rate=9.53e-12,
        key_rate_unit="bit/pulse", pulse_rate_hz=None,
        source="rate (asymptotic; 8.75e-12 per pulse finite-size at 952 km), the "
               "three-intensity SNS protocol with AOPP and ~0.02 Hz system noise: "
               "abstract (arXiv:2303.15795); 156.5 dB total (below 0.157 dB/km) as quoted "
               "in a public repository's summary of the paper"),
)
"""The records, in the order they were set."""


@dataclass(frozen=True, slots=True)
class RecordBounds:
    """qinet's two yardsticks for a record, in bits per pulse.

    Attributes:
        plob_bits_per_pulse: the repeaterless bound of the record's channel.
        ideal_bits_per_pulse: the record protocol with ideal hardware at that loss.
    """

    plob_bits_per_pulse: float
    ideal_bits_per_pulse: float


_MU = np.linspace(0.02, 0.8, 40)
_SMALL_MU = np.geomspace(1e-3, 0.3, 40)
_PROB = np.linspace(0.02, 0.5, 25)


def ideal_rate_bits_per_pulse(protocol: str, transmittance: float) -> float:
    """The protocol's best rate over an ideal channel of total ``transmittance``.

    Detectors are perfect and noiseless, there is no optical error and error correction
    leaks ``H2(E)`` (f = 1); twin-field and MDI put the station in the middle (each arm
    ``√η``). The free parameters are maximised on a grid, so the result is within the
    grid's resolution of the supremum, from below.

    Examples:
        >>> r = ideal_rate_bits_per_pulse("sns-aopp", 1e-6)
        >>> 0 < r < 1e-3 * 1.44  # above PLOB (1.44e-6) but below √η
        True
    """
    arm = math.sqrt(transmittance)
    if protocol == "one-decoy":
        # the bases as lopsided as the grid allows: the test basis costs the key nothing
        # in the limit, where the bound is the sup over these choices
        return max(one_decoy_key_rate_asymptotic(
            transmittance, intensities=(float(m), float(m) * r), probabilities=(0.9, 0.1),
            alice_z_probability=0.99, bob_z_probability=0.99, dark_count_probability=0.0,
            error_z=0.0, error_x=0.0, f_ec=1.0) for m in _MU for r in (0.05, 0.2, 0.4))
    if protocol == "mdi":
        return max(float(mdi_key_rate_asymptotic(arm, arm, mu=float(m),
                                                 dark_count_probability=0.0,
                                                 misalignment=0.0, f_ec=1.0)) for m in _MU)
    if protocol == "four-phase":
        return max(float(four_phase_key_rate_asymptotic(arm, arm, mu=float(m),
                                                        dark_count_probability=0.0,
                                                        misalignment=0.0, f_ec=1.0))
                   for m in _SMALL_MU)
    if protocol == "sns-aopp":
        return max(float(sns_aopp_key_rate_asymptotic(arm, arm, mu=float(m),
                                                      send_probability=float(e),
                                                      dark_count_probability=0.0,
                                                      misalignment=0.0, f_ec=1.0))
                   for m in _MU for e in _PROB)
    raise ConfigError("protocol", f"unknown {protocol!r}; use one-decoy, mdi, four-phase or "
                                  f"sns-aopp")


def bounds(record: FibreRecord) -> RecordBounds:
    """PLOB and the ideal-hardware rate of ``record``'s protocol at its loss.

    Raises:
        ConfigError: the record's loss was not found.
    """
    if record.loss_db is None:
        raise ConfigError(record.name, "its loss was not found")
    eta = 10.0 ** (-record.loss_db / 10.0)
    return RecordBounds(plob_bits_per_pulse=float(plob_bound(eta)),
                        ideal_bits_per_pulse=ideal_rate_bits_per_pulse(record.protocol, eta))


def published_bits_per_pulse(record: FibreRecord) -> float:
    """The published rate per pulse (bit/s over the pulse rate where given in bit/s).

    Raises:
        ConfigError: the record's rate, or its pulse rate for a rate in bit/s, was not
            found.
    """
    if record.key_rate is None:
        raise ConfigError(record.name, "its key rate was not found")
    if record.key_rate_unit == "bit/pulse":
        return record.key_rate
    if record.pulse_rate_hz is None:
        raise ConfigError(record.name, "its pulse rate was not found")
    return record.key_rate / record.pulse_rate_hz
