"""From a scenario's ``pair_sources`` to each user pair's rates and keys.

Per user ``i``: the probability that it detects its photon of a pair is
``eta_i = 10**(-(a L_i + IL_i) / 10) eta_det`` (fibre loss, insertion loss, detector);
its singles rate is ``S_i = sum_k B_k eta_i`` over its channel pairs, plus the dark
counts of its four detectors (passive basis choice, two outputs per basis) and the
Raman photons of the classical channels on its fibre in each of its wavelength channels
(:func:`qinet.physical.fibre.raman_noise_rate_hz` with the channel's width as the
filter, times ``eta_det``; the insertion loss is not applied to them, which errs on the
side of more noise). The user pairs then follow
:func:`qinet.physical.wdm_source.user_pair_rates` and
:func:`qinet.qkd.multi_user.sample_user_pair`.
"""

from __future__ import annotations

from qinet.errors import ConfigError
from qinet.physical.fibre import Fibre, raman_side_factor
from qinet.physical.wdm_source import UserPairRates, user_pair_rates
from qinet.qkd.multi_user import UserPairResult, sample_user_pair
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.hardware import detector_of, fibre_of
from qinet.scenario.schema_sources import PairSource
from qinet.units import SPEED_OF_LIGHT_M_PER_S

RECEIVER_DETECTORS = 4
"""Detectors of a user's receiver: a passive basis choice, two outputs per basis."""


def check_pair_sources(scenario: schema.Scenario) -> list[ConfigError]:
    """Users that are not nodes, and detectors or fibres that are not defined."""
    nodes = {n.name for n in scenario.nodes}
    problems = []
    for s, source in enumerate(scenario.pair_sources):
        where = f"pair_sources[{s}]"
        if source.fibre is not None and not isinstance(
                scenario.hardware.get(source.fibre), schema.FibreHardware):
            problems.append(ConfigError(f"{where}.fibre", f"{source.fibre!r} is not a fibre "
                                                          f"in `hardware`"))
        for u, user in enumerate(source.users):
            if user.node not in nodes:
                problems.append(ConfigError(f"{where}.users[{u}].node", f"unknown node "
                                            f"{user.node!r}; nodes are {', '.join(nodes)}"))
            if user.detector is not None and not isinstance(
                    scenario.hardware.get(user.detector), schema.DetectorHardware):
                problems.append(ConfigError(f"{where}.users[{u}].detector", f"{user.detector!r} "
                                            f"is not a detector in `hardware`"))
    return problems


def user_pair_theory(scenario: schema.Scenario,
                     source: PairSource) -> list[tuple[tuple[str, str], float,
                                                              UserPairRates]]:
    """``(users, pair_rate_hz, rates)`` of every channel pair of ``source``."""
    fibre = fibre_of(scenario, source.fibre)
    lam = source.centre_wavelength
    channel_nm = lam * lam * source.channel_spacing / SPEED_OF_LIGHT_M_PER_S * 1e9
    rate = {k: (ch.pair_rate or source.pair_rate) for k, ch in enumerate(source.channels)}
    efficiency, singles = {}, {}
    for user in source.users:
        det = detector_of(scenario, user.detector)
        span = Fibre(user.length, fibre.attenuation, fibre.group_index)
        eta = span.transmittance * 10 ** (-user.insertion_loss / 10) * det.efficiency
        mine = [k for k, ch in enumerate(source.channels) if user.node in ch.users]
        raman_hz = sum(float(span.raman_noise_rate_hz(
            ch.power, filter_bandwidth_nm=channel_nm, co_propagating=ch.direction == "co",
            raman_coefficient_per_km_per_nm=_coefficient(source, ch), wavelength_m=lam))
            for ch in user.classical_channels)
        efficiency[user.node] = eta
        singles[user.node] = (sum(rate[k] for k in mine) * eta
                              + RECEIVER_DETECTORS * det.dark_count_rate
                              + len(mine) * raman_hz * det.efficiency)
    out = []
    for k, ch in enumerate(source.channels):
        a, b = ch.users
        out.append((ch.users, rate[k], user_pair_rates(
            rate[k], efficiency[a], efficiency[b], singles[a], singles[b],
            source.coincidence_window, source.visibility)))
    return out


def _coefficient(source: PairSource, channel: schema.ClassicalChannel) -> float:
    rho = (source.raman_coefficient if channel.raman_coefficient is None
           else channel.raman_coefficient)
    if channel.wavelength is None:
        return rho
    return rho * float(raman_side_factor(source.centre_wavelength, channel.wavelength))


def run_pair_sources(scenario: schema.Scenario, duration_s: float) -> list[UserPairResult]:
    """Every user pair of every pair source over ``duration_s`` seconds, each on its own
    random stream (``pair-source/<name>/<user>-<user>``)."""
    tree = RngTree(scenario.seed)
    results = []
    for source in scenario.pair_sources:
        for users, pair_rate, rates in user_pair_theory(scenario, source):
            rng = tree.generator(f"pair-source/{source.name}/{users[0]}-{users[1]}")
            results.append(sample_user_pair(
                source.name, users, pair_rate, rates, duration_s=duration_s,
                f_ec=source.error_correction_efficiency, rng=rng))
    return results
