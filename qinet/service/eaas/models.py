"""The JSON bodies of the entanglement service, as pydantic models (OpenAPI from them)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_MAX_PAIRS = 10**9
MIN_PRIORITY, MAX_PRIORITY = 1, 9


class PairRequest(BaseModel):
    """``POST /v1/requests``: pairs between two nodes.

    Give ``rate_hz`` (pairs a second, with an optional ``count`` and ``deadline_s``), or
    ``count`` with ``deadline_s`` (that many pairs by then).
    """

    model_config = ConfigDict(extra="forbid")

    between: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]],
                       Field(min_length=2, max_length=2, description="the two end nodes")]
    min_fidelity: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False,
                                         description="fidelity to Φ+ every pair should reach")]
    # at least one pair in some 12 days: a slower clock's period overflows picoseconds
    rate_hz: Annotated[float | None, Field(ge=1e-6, le=1e9, allow_inf_nan=False,
                                           description="pairs per second")] = None
    count: Annotated[int | None, Field(ge=1, le=_MAX_PAIRS,
                                       description="pairs in all")] = None
    deadline_s: Annotated[float | None, Field(gt=0.0, le=1e9, allow_inf_nan=False,
                                              description="the request ends this long "
                                                          "after admission (s)")] = None
    priority: Annotated[int, Field(ge=MIN_PRIORITY, le=MAX_PRIORITY, description=(
        "1 (the default, lowest) to 9: the request's weight when requests share a link, "
        "and at admission it may take rate from requests of lower priority"))] = 1

    @model_validator(mode="after")
    def _rate_or_count(self) -> PairRequest:
        if self.rate_hz is None and self.count is None:
            raise ValueError("give rate_hz, or count with deadline_s")
        if self.rate_hz is None and self.deadline_s is None:
            raise ValueError("count without rate_hz needs deadline_s")
        return self


class Estimate(BaseModel):
    """What the network layer's estimator expects of the path."""

    rate_hz: float
    fidelity: float
    latency_s: float
    path: list[str]
    bottleneck: str


class Accepted(BaseModel):
    """The answer to an admitted request."""

    id: str
    state: str
    rate_hz: float
    estimate: Estimate


class ErrorBody(BaseModel):
    """Every refusal: a message naming the field or limit, and details."""

    message: str
    details: list[dict[str, Any]] = []
