"""The scenario's multi-user pair sources: one broadband entangled-pair source whose
wavelength channel pairs are routed to pairs of users (``pair_sources``).

These models are imported by :mod:`qinet.scenario.schema`, which puts them into the
scenario's top level; the physics is :mod:`qinet.physical.wdm_source`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from qinet.physical.fibre import DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM, TELECOM_WAVELENGTH_M
from qinet.physical.wdm_source import wavelength_channels
from qinet.qkd.bounds import F_EC
from qinet.scenario.schema import (
    ClassicalChannel,
    LengthKm,
    PositiveFrequencyHz,
    PositiveTimeS,
    PositiveWavelengthM,
    Probability,
    RamanCoefficient,
    _bounded,
    _Strict,
)


class SourceUser(_Strict):
    """A user of a pair source: its fibre from the source and its receiver."""

    node: Annotated[str, Field(min_length=1)] = Field(description="the user's node")
    length: LengthKm = Field(description="fibre from the source to the user (km)")
    insertion_loss: Annotated[float, *_bounded(low=0, high=100)] = Field(
        0.0, description="loss of demultiplexers, splitters and connectors on the way, in dB")
    detector: str | None = Field(
        None, description="name of a detector in `hardware` (default: the default detector)")
    classical_channels: list[ClassicalChannel] = Field(
        default_factory=list,
        description="classical signals sharing this user's fibre; their Raman photons in "
                    "each of the user's wavelength channels add to its singles")


class PairChannel(_Strict):
    """A conjugate pair of wavelength channels and the two users it joins."""

    users: tuple[str, str] = Field(description="the two users (their nodes)")
    pair_rate: PositiveFrequencyHz | None = Field(
        None, description="pairs per second emitted into this channel pair (default: the "
                          "source's `pair_rate`)")


class PairSource(_Strict):
    """A broadband polarisation-entangled pair source shared by many users through
    wavelength demultiplexing; every channel pair gives its two users BBM92 keys
    (passive basis choice, half the coincidences sifted)."""

    name: Annotated[str, Field(min_length=1)] = Field(description="a name for reports")
    pair_rate: PositiveFrequencyHz = Field(
        1e6, description="pairs per second emitted into one channel pair")
    visibility: Probability = Field(
        0.98, description="two-photon visibility of the source in each basis")
    bandwidth: PositiveWavelengthM = Field(
        60e-9, description="spectral width of the pairs (m), which bounds the channels")
    channel_spacing: PositiveFrequencyHz = Field(
        100e9, description="width of a wavelength channel (Hz; the ITU grid's 100 GHz)")
    centre_wavelength: PositiveWavelengthM = Field(
        TELECOM_WAVELENGTH_M, description="degenerate wavelength of the pairs (m)")
    coincidence_window: PositiveTimeS = Field(
        1e-9, description="width of the users' coincidence window (s)")
    fibre: str | None = Field(None, description="name of a fibre in `hardware`")
    raman_coefficient: RamanCoefficient = Field(
        DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM,
        description="effective Raman coefficient of the users' fibres, Stokes side, per km "
                    "per nm")
    error_correction_efficiency: Annotated[float, *_bounded(low=1, high=2)] = Field(
        F_EC, description="error-correction leakage over the Shannon limit, f")
    users: Annotated[list[SourceUser], Field(min_length=2)] = Field(
        description="the users and their fibres")
    channels: Annotated[list[PairChannel], Field(min_length=1)] = Field(
        description="channel pairs, each joining two users")

    @model_validator(mode="after")
    def _consistent(self) -> PairSource:
        names = [u.node for u in self.users]
        if len(set(names)) != len(names):
            raise ValueError(f"users: a node is listed twice, got {names}")
        for k, channel in enumerate(self.channels):
            a, b = channel.users
            if a == b:
                raise ValueError(f"channels[{k}].users: two different users, got [{a}, {b}]")
            for who in (a, b):
                if who not in names:
                    raise ValueError(f"channels[{k}].users: {who!r} is not a user; users "
                                     f"are {', '.join(names)}")
        room = int(wavelength_channels(self.bandwidth, self.channel_spacing,
                                       self.centre_wavelength)) // 2
        if len(self.channels) > room:
            raise ValueError(f"channels: {len(self.channels)} channel pairs, but the source's "
                             f"band holds {room}")
        return self
