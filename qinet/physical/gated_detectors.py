"""Gated InGaAs/InP single-photon avalanche diodes: hold-off and afterpulsing.

A gated avalanche photodiode is armed only during short gates at ``gate_frequency_hz``.
In each armed gate it avalanches with a *primary* probability ``p`` from light and dark
counts. After a click the bias is held below breakdown for ``h`` gates (the hold-off,
i.e. the dead time ``h / f``), and carriers trapped by the avalanche are released
later; a release in an armed gate starts a spurious avalanche, an *afterpulse*
(Itzler et al., J. Mod. Opt. 58, 174 (2011)).

Model (single-exponential trap, renewal approximation):

* An avalanche leaves a trapped carrier with probability ``P_trap``; the carrier is
  released in gate ``j >= 1`` after the click with probability ``(1 - r) r**(j - 1)``,
  ``r = exp(-1 / (f tau))`` for a trap lifetime ``tau``: the single-exponential
  detrapping law, the one-family case of the sum of exponentials over trap families
  (Itzler et al. 2011). A release during the hold-off finds the diode below breakdown
  and is lost, so the *afterpulse probability* measured at hold-off ``h`` is
  ``p_ap = P_trap r**h``. That total is the parameter used throughout, as datasheets
  quote it and as Humer et al., J. Lightwave Technol. 33, 3098 (2015), estimate it.
* At most one carrier per avalanche is trapped, and every click resets the trap: the
  click sequence is then a renewal process. This first-order model suits a
  ``p_ap`` of a few per cent; carriers surviving from earlier avalanches are neglected.

The renewal equation then has a closed solution. With ``m`` counting armed gates after
the hold-off, the next click comes later than ``m`` with probability
``S_m = (1 - p)**m (1 - p_ap + p_ap r**m)``, so the mean interval between clicks is
``h + sum_m S_m = h + (1 - p_ap)/p + p_ap / (1 - (1 - p) r)`` gates, and by the renewal
theorem the steady-state click probability per gate is its inverse:

    ``P_click = p / (1 - p_ap + p h + p_ap p / (1 - (1 - p) r))``.

``p_ap = 0`` gives the discrete non-paralyzable ``p / (1 + p h)``; ``h = 0`` as well
gives ``p``; saturation ``p -> 1`` gives ``1 / (1 + h)``; and without light ``p = p_d``
gives ``p_d / (1 - p_ap)`` to first order, the dark counts and their afterpulse cascade.

Defaults are of the order of a GHz-gated InGaAs/InP detector as used in fibre QKD
(Yuan et al., Appl. Phys. Lett. 91, 041114 (2007); Itzler et al. 2011).

Examples:
    >>> apd = GatedDetector()  # 20 %, 1e-6 dark per gate, 10 gates hold-off, 4 % afterpulses
    >>> round(apd.click_probability(0.1), 6)  # hold-off alone: p / (1 + p h) = 0.016529
    0.016713
    >>> f"{apd.afterpulse_error_probability(0.1):.3e}"
    '1.103e-04'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.physical.detectors import Detector, click_probability_coherent


def afterpulse_decay_per_gate(
    trap_lifetime_s: ArrayLike, gate_frequency_hz: ArrayLike
) -> float | FloatArray:
    """Ratio ``r = exp(-1 / (f tau))`` of the trap-release probability in successive gates.

    A trap of lifetime ``tau`` empties at rate ``1 / tau``; gates ``1 / f`` apart see
    its release probability fall by ``r`` from one gate to the next (Itzler et al.,
    J. Mod. Opt. 58, 174 (2011)).

    Args:
        trap_lifetime_s: trap (detrapping) lifetime tau in s (> 0).
        gate_frequency_hz: gate repetition frequency f in Hz (> 0).

    Returns:
        ``r`` in [0, 1).

    Examples:
        >>> round(afterpulse_decay_per_gate(10e-9, 1e9), 6)
        0.904837
    """
    tau = chk.positive("trap_lifetime_s", trap_lifetime_s)
    f = chk.positive("gate_frequency_hz", gate_frequency_hz)
    return chk.out(np.exp(-1.0 / (f * tau)))


def _renewal_terms(
    avalanche_probability: ArrayLike,
    afterpulse_probability: ArrayLike,
    hold_off_gates: ArrayLike,
    decay_per_gate: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Checked, broadcast ``p, p_ap, h, r`` and the click probability per gate."""
    p = chk.probability("avalanche_probability", avalanche_probability)
    p_ap = chk.checked("afterpulse_probability", afterpulse_probability,
                       low=0.0, high=1.0, high_open=True)
    h = chk.counts("hold_off_gates", hold_off_gates).astype(np.float64)
    r = chk.checked("decay_per_gate", decay_per_gate, low=0.0, high=1.0, high_open=True)
    p, p_ap, h, r = np.broadcast_arrays(p, p_ap, h, r)
    # 1 - (1 - p) r >= 1 - r > 0, and 1 - p_ap > 0: the denominator never vanishes, and
    # p = 0 (no light, no dark counts) gives no clicks at all rather than 0 / 0.
    ap_term = p_ap * p / (1.0 - (1.0 - p) * r)
    click = p / (1.0 - p_ap + p * h + ap_term)
    return p, p_ap, r, ap_term, click


def gated_click_probability(
    avalanche_probability: ArrayLike,
    afterpulse_probability: ArrayLike,
    hold_off_gates: ArrayLike,
    decay_per_gate: ArrayLike,
) -> float | FloatArray:
    """Steady-state click probability per gate of a gated APD with hold-off and afterpulses.

    ``P = p / (1 - p_ap + p h + p_ap p / (1 - (1 - p) r))``, the inverse of the mean
    renewal interval (module docstring; Itzler et al. 2011, Humer et al. 2015).

    Args:
        avalanche_probability: primary avalanche probability p per armed gate, from
            light and dark counts, in [0, 1] (for a coherent pulse
            ``1 - (1 - p_d) exp(-eta mu)``).
        afterpulse_probability: total afterpulse probability p_ap after one click at
            this hold-off, in [0, 1).
        hold_off_gates: gates h held off after each click (non-negative integers).
        decay_per_gate: trap-release ratio r between successive gates, in [0, 1)
            (:func:`afterpulse_decay_per_gate`).

    Returns:
        Click probability per gate, between ``p / (1 + p h)`` and ``1 / (1 + h)``.

    Examples:
        >>> gated_click_probability(0.5, 0.0, [0, 1, 3], 0.5)
        array([0.5       , 0.33333333, 0.2       ])
        >>> f"{gated_click_probability(1e-6, 0.05, 10, 0.9):.6e}"  # ~ p_d / (1 - p_ap)
        '1.052620e-06'
    """
    return chk.out(_renewal_terms(avalanche_probability, afterpulse_probability,
                                  hold_off_gates, decay_per_gate)[4])


def afterpulse_click_probability(
    avalanche_probability: ArrayLike,
    afterpulse_probability: ArrayLike,
    hold_off_gates: ArrayLike,
    decay_per_gate: ArrayLike,
) -> float | FloatArray:
    """Probability per gate of a click caused by an afterpulse alone.

    A click is followed, before any other click, by an afterpulse in a gate without a
    primary avalanche with probability ``phi = p_ap (1 - r)(1 - p) / (1 - (1 - p) r)``
    (sum over armed gates ``m`` of ``p_ap (1 - r) r**(m-1) (1 - p)**m``), so such clicks
    come at ``phi P_click`` per gate. An afterpulse that coincides with a primary
    avalanche is not counted: that click carries the signal.

    Args:
        avalanche_probability: primary avalanche probability p per armed gate, in [0, 1].
        afterpulse_probability: total afterpulse probability p_ap at this hold-off, in
            [0, 1).
        hold_off_gates: gates h held off after each click (non-negative integers).
        decay_per_gate: trap-release ratio r between successive gates, in [0, 1).

    Returns:
        Afterpulse-only click probability per gate; ``p_ap P_click`` as ``p -> 0``.

    Examples:
        >>> afterpulse_click_probability(0.5, 0.0, 2, 0.5)
        0.0
        >>> round(afterpulse_click_probability(0.1, 0.2, 0, 0.5), 6)
        0.019565
    """
    p, p_ap, r, _, click = _renewal_terms(avalanche_probability, afterpulse_probability,
                                          hold_off_gates, decay_per_gate)
    phi = p_ap * (1.0 - r) * (1.0 - p) / (1.0 - (1.0 - p) * r)
    return chk.out(phi * click)


def afterpulse_error_probability(
    avalanche_probability: ArrayLike,
    afterpulse_probability: ArrayLike,
    hold_off_gates: ArrayLike,
    decay_per_gate: ArrayLike,
) -> float | FloatArray:
    """Extra error-click probability per gate that afterpulses add to a QKD receiver.

    An afterpulse is uncorrelated with the bit sent, so it lands on the wrong bit value
    with probability 1/2: half of :func:`afterpulse_click_probability`. Added to the
    error clicks of signal and dark counts and divided by the click probability, it
    gives the quantum bit error rate (Yuan et al., Appl. Phys. Lett. 91, 041114 (2007)).

    Args:
        avalanche_probability: primary avalanche probability p per armed gate, in [0, 1].
        afterpulse_probability: total afterpulse probability p_ap at this hold-off, in
            [0, 1).
        hold_off_gates: gates h held off after each click (non-negative integers).
        decay_per_gate: trap-release ratio r between successive gates, in [0, 1).

    Returns:
        Error-click probability per gate due to afterpulses.

    Examples:
        >>> round(afterpulse_error_probability(0.1, 0.2, 0, 0.5), 6)
        0.009783
    """
    return chk.out(0.5 * np.asarray(afterpulse_click_probability(
        avalanche_probability, afterpulse_probability, hold_off_gates, decay_per_gate)))


@dataclass(frozen=True, slots=True)
class GatedSteadyState:
    """A gated APD's steady state when every gate's primary probability averages ``p``.

    In the renewal model the gates' primary probabilities enter only through their mean
    when they are independent from gate to gate (random bits, bases and intensity
    classes): the chance of no click over ``m`` armed gates is still ``(1 - p)**m``. A
    gate is *armed* (out of hold-off) with a probability ``A`` that does not depend on
    the light in that gate, so its primary avalanche registers with probability
    ``A p_i``, and a release of a trapped carrier clicks it, when no primary avalanche
    did, with probability ``b (1 - p_i)``. Averaged, ``A p + b (1 - p)`` is the renewal
    click probability and ``b (1 - p)`` its afterpulse-only part, which fixes both:

        ``A = (P_click - P_ap) / p``,  ``b = P_ap / (1 - p)``.

    Attributes:
        primary_probability: mean primary avalanche probability ``p`` per gate.
        click_probability: :func:`gated_click_probability` at ``p``.
        afterpulse_click_probability: :func:`afterpulse_click_probability` at ``p``.

    Examples:
        >>> state = GatedDetector(hold_off_gates=0, afterpulse_probability=0.0).steady_state(1e-3)
        >>> state.armed_probability, state.afterpulse_per_quiet_gate
        (1.0, 0.0)
    """

    primary_probability: float
    click_probability: float
    afterpulse_click_probability: float

    @property
    def armed_probability(self) -> float:
        """``A``: probability that a gate is armed, so that a primary avalanche registers
        (1 in the limit of no light and no dark counts)."""
        p = self.primary_probability
        if p <= 0.0:
            return 1.0
        return (self.click_probability - self.afterpulse_click_probability) / p

    @property
    def afterpulse_per_quiet_gate(self) -> float:
        """``b``: probability that a gate without a primary avalanche clicks by afterpulse."""
        p = self.primary_probability
        return self.afterpulse_click_probability / (1.0 - p) if p < 1.0 else 0.0


@dataclass(frozen=True, slots=True)
class GatedDetector:
    """A gated InGaAs/InP single-photon avalanche diode.

    Attributes:
        gate_frequency_hz: gate repetition frequency in Hz (> 0).
        efficiency: detection efficiency per gate in (0, 1].
        dark_probability_per_gate: dark-count probability per armed gate in [0, 1).
        hold_off_gates: gates held off after each click (a non-negative integer).
        afterpulse_probability: total afterpulse probability after a click at this
            hold-off, in [0, 1).
        trap_lifetime_s: trap lifetime of the single-exponential afterpulse law in s (> 0).

    Raises:
        ConfigError: a field out of range, naming the field.

    Examples:
        >>> GatedDetector(afterpulse_probability=1.0)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: afterpulse_probability: must be less than 1, got 1
        >>> GatedDetector(hold_off_gates=10).dead_time_s
        1e-08
    """

    gate_frequency_hz: float = 1.0e9
    efficiency: float = 0.2
    dark_probability_per_gate: float = 1.0e-6
    hold_off_gates: int = 10
    afterpulse_probability: float = 0.04
    trap_lifetime_s: float = 100e-9

    def __post_init__(self) -> None:
        chk.set_field(self, "gate_frequency_hz", low=0.0, low_open=True)
        chk.set_field(self, "efficiency", low=0.0, low_open=True, high=1.0)
        chk.set_field(self, "dark_probability_per_gate", low=0.0, high=1.0, high_open=True)
        object.__setattr__(self, "hold_off_gates",
                           chk.sample_size("hold_off_gates", self.hold_off_gates))
        chk.set_field(self, "afterpulse_probability", low=0.0, high=1.0, high_open=True)
        chk.set_field(self, "trap_lifetime_s", low=0.0, low_open=True)

    @property
    def dead_time_s(self) -> float:
        """Hold-off as a time: ``hold_off_gates / gate_frequency_hz``."""
        return self.hold_off_gates / self.gate_frequency_hz

    @property
    def decay_per_gate(self) -> float:
        """Trap-release ratio between successive gates (:func:`afterpulse_decay_per_gate`)."""
        return math.exp(-1.0 / (self.gate_frequency_hz * self.trap_lifetime_s))

    def avalanche_probability(self, mean_photons: ArrayLike) -> float | FloatArray:
        """Primary avalanche probability of an armed gate holding a coherent pulse."""
        return click_probability_coherent(mean_photons, self.efficiency,
                                          self.dark_probability_per_gate)

    def click_probability(self, mean_photons: ArrayLike) -> float | FloatArray:
        """Steady-state click probability per gate, every gate holding ``mean_photons``.

        Examples:
            >>> apd = GatedDetector(efficiency=1.0, afterpulse_probability=0.0,
            ...                     hold_off_gates=4)
            >>> round(apd.click_probability(50.0), 6)  # saturated: one gate in 1 + 4
            0.2
        """
        return gated_click_probability(self.avalanche_probability(mean_photons),
                                       self.afterpulse_probability, self.hold_off_gates,
                                       self.decay_per_gate)

    def click_probability_from_primary(self, avalanche_probability: ArrayLike
                                       ) -> float | FloatArray:
        """:func:`gated_click_probability` of this diode at a primary avalanche
        probability per gate (light, dark counts and any other noise already in it).

        Examples:
            >>> GatedDetector(hold_off_gates=1, afterpulse_probability=0.0
            ...               ).click_probability_from_primary(0.5)
            0.3333333333333333
        """
        return gated_click_probability(avalanche_probability, self.afterpulse_probability,
                                       self.hold_off_gates, self.decay_per_gate)

    def count_rate_hz(self, mean_photons: ArrayLike) -> float | FloatArray:
        """Registered click rate in Hz: ``gate_frequency_hz`` times the click probability.

        Examples:
            >>> GatedDetector(efficiency=1.0, afterpulse_probability=0.0,
            ...               hold_off_gates=0).count_rate_hz(50.0)
            1000000000.0
        """
        return chk.out(self.gate_frequency_hz * np.asarray(self.click_probability(mean_photons)))

    def afterpulse_error_probability(self, mean_photons: ArrayLike) -> float | FloatArray:
        """Error-click probability per gate from afterpulses (:func:`afterpulse_error_probability`).

        Examples:
            >>> GatedDetector(afterpulse_probability=0.0).afterpulse_error_probability(0.1)
            0.0
        """
        return afterpulse_error_probability(self.avalanche_probability(mean_photons),
                                            self.afterpulse_probability, self.hold_off_gates,
                                            self.decay_per_gate)

    def steady_state(self, mean_primary_probability: float) -> GatedSteadyState:
        """The renewal steady state at a mean primary probability per gate (see
        :class:`GatedSteadyState`).

        Examples:
            >>> s = GatedDetector().steady_state(1e-3)
            >>> round(s.armed_probability, 4), f"{s.afterpulse_per_quiet_gate:.3e}"
            (0.9897, '3.736e-05')
        """
        p = chk.scalar("mean_primary_probability", mean_primary_probability)
        chk.probability("mean_primary_probability", p)
        args = (p, self.afterpulse_probability, self.hold_off_gates, self.decay_per_gate)
        return GatedSteadyState(p, float(gated_click_probability(*args)),
                                float(afterpulse_click_probability(*args)))

    def equivalent_detector(self, mean_primary_probability: float,
                            window_s: float) -> Detector:
        """A threshold :class:`~qinet.physical.detectors.Detector` that clicks like this
        diode in its steady state, for a receiver model of independent gates.

        With ``A`` and ``b`` of :class:`GatedSteadyState`, a gate of primary probability
        ``p_i = 1 - (1 - p_d)(1 - eta q)**m`` clicks with ``A p_i + b (1 - p_i)``. A
        detector of efficiency ``eta'`` and dark probability ``p_d'`` clicks with
        ``1 - (1 - p_d')(1 - eta' q)**m``; the two agree for ``m = 0`` and ``m = 1``
        (so exactly for single photons, and to first order in the photons per gate for
        weak pulses) when

            ``p_d' = b + (A - b) p_d``,  ``eta' = eta (A - b)(1 - p_d) / (1 - p_d')``.

        Dark counts and afterpulses both land on a random bit, which is how a QKD
        receiver's error model counts them: half of the afterpulse clicks are errors.
        The hold-off becomes the dead time; the timing jitter is inside the gate and
        left out (``jitter_fwhm_s = 0``).

        Args:
            mean_primary_probability: mean primary avalanche probability per gate of
                this diode over the run's gates (light, dark counts and any noise).
            window_s: the gate (detection window) width in s, over which the dark
                probability is expressed as a rate.

        Returns:
            The equivalent detector; with no afterpulses and no hold-off it is this
            diode's efficiency and dark probability exactly.

        Examples:
            >>> d = GatedDetector(hold_off_gates=0, afterpulse_probability=0.0)
            >>> eq = d.equivalent_detector(1e-3, 1e-9)
            >>> eq.efficiency, round(float(eq.dark_probability(1e-9)), 12)
            (0.2, 1e-06)
        """
        window = chk.scalar("window_s", window_s)
        chk.positive("window_s", window)
        state = self.steady_state(mean_primary_probability)
        a, b = state.armed_probability, state.afterpulse_per_quiet_gate
        p_d = self.dark_probability_per_gate
        p_dark = b + (a - b) * p_d
        efficiency = self.efficiency * (a - b) * (1.0 - p_d) / (1.0 - p_dark)
        return Detector(efficiency=min(efficiency, 1.0),
                        dark_count_rate_hz=-math.log1p(-p_dark) / window,
                        dead_time_s=self.dead_time_s, jitter_fwhm_s=0.0)
