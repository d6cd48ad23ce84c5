"""The JSON objects of ETSI GS QKD 014 V1.1.1 (2019), section 6, and the service limits.

Requests are parsed strictly (integers must be JSON integers, unknown fields are
refused) so that a malformed request is a 400 naming the field. Python attribute names
are snake case; the wire names (``key_ID``, ``source_KME_ID``...) are the aliases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from qinet.errors import ConfigError, PrescribedRefusal

# the messages ETSI GS QKD 014 V1.1.1 fixes word for word (clause 6.2)
SIZE_NOT_WHOLE_BYTES = "size shall be a multiple of 8"
MANDATORY_NOT_SUPPORTED = "not all extension_mandatory parameters are supported"
MANDATORY_NOT_MET = "not all extension_mandatory request options could be met"
OPTIONAL_NOT_HANDLED = "not all extension_optional request options handled"

StrictInt = Annotated[int, Field(strict=True)]
StrictStr = Annotated[str, Field(strict=True)]
Extension = dict[str, Any]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class KeyRequest(_Wire):
    """Key request (``POST enc_keys``): how many keys, how long, for which extra slaves."""

    number: StrictInt = Field(1, description="keys wanted (default 1)")
    size: StrictInt | None = Field(None, description="bits per key (default: key_size)")
    additional_slave_sae_ids: list[StrictStr] = Field(
        default_factory=list, alias="additional_slave_SAE_IDs",
        description="more slave SAEs that may fetch the same keys")
    extension_mandatory: list[Extension] = Field(
        default_factory=list, description="extensions the KME must support, or refuse")
    extension_optional: list[Extension] = Field(
        default_factory=list, description="extensions the KME may ignore")


class KeyIdEntry(_Wire):
    """One entry of Key IDs."""

    key_id: StrictStr = Field(alias="key_ID")
    key_id_extension: Extension | None = Field(None, alias="key_ID_extension")


class KeyIds(_Wire):
    """Key IDs (``POST dec_keys``): the keys a slave SAE asks for."""

    key_ids: list[KeyIdEntry] = Field(alias="key_IDs", min_length=1)
    key_ids_extension: Extension | None = Field(None, alias="key_IDs_extension")


class KeyEntry(_Wire):
    """One key of a Key container: its UUID and its bytes in base64 (RFC 4648)."""

    key_id: str = Field(alias="key_ID")
    key: str


class KeyContainer(_Wire):
    """Key container: the answer of ``enc_keys`` and ``dec_keys``."""

    keys: list[KeyEntry]


class Status(_Wire):
    """Status: the link between the caller's KME and the slave SAE's KME."""

    source_kme_id: str = Field(alias="source_KME_ID")
    target_kme_id: str = Field(alias="target_KME_ID")
    master_sae_id: str = Field(alias="master_SAE_ID")
    slave_sae_id: str = Field(alias="slave_SAE_ID")
    key_size: int = Field(description="default key size (bits)")
    stored_key_count: int = Field(description="keys of key_size the pool can give now")
    max_key_count: int = Field(description="keys of key_size the pool can hold")
    max_key_per_request: int
    max_key_size: int = Field(description="bits")
    min_key_size: int = Field(description="bits")
    max_sae_id_count: int = Field(alias="max_SAE_ID_count",
                                  description="most additional slave SAEs per request")


class ErrorBody(_Wire):
    """Error: every non-200 answer."""

    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KmsLimits:
    """What each KME advertises in Status and enforces on every request.

    Attributes:
        key_size: default key size in bits.
        min_key_size: smallest key in bits (a multiple of 8).
        max_key_size: largest key in bits (a multiple of 8).
        max_key_per_request: most keys in one request (enc_keys or dec_keys).
        max_sae_id_count: most additional slave SAEs in one key request.

    Examples:
        >>> KmsLimits().check_request(number=10, size_bits=256)
        >>> KmsLimits().check_request(number=1, size_bits=250)
        Traceback (most recent call last):
        ...
        qinet.errors.PrescribedRefusal: size shall be a multiple of 8
    """

    key_size: int = 256
    min_key_size: int = 64
    max_key_size: int = 8192
    max_key_per_request: int = 128
    max_sae_id_count: int = 8

    def __post_init__(self) -> None:
        for name in ("key_size", "min_key_size", "max_key_size"):
            value = getattr(self, name)
            if value <= 0 or value % 8:
                raise ConfigError(name, f"must be a positive multiple of 8 bits, got {value}")
        if not self.min_key_size <= self.key_size <= self.max_key_size:
            raise ConfigError("key_size", f"must lie in [{self.min_key_size}, "
                                          f"{self.max_key_size}], got {self.key_size}")
        if self.max_key_per_request < 1 or self.max_sae_id_count < 0:
            raise ConfigError("max_key_per_request", "must be >= 1 (and max_sae_id_count >= 0)")

    def check_request(self, *, number: int, size_bits: int) -> None:
        """Refuse a key request outside the advertised bounds.

        Raises:
            PrescribedRefusal: size not whole bytes (ETSI GS QKD 014, 6.2).
            ConfigError: ``number`` or ``size_bits`` out of bounds.
        """
        if not 1 <= number <= self.max_key_per_request:
            raise ConfigError("number", f"must lie in [1, {self.max_key_per_request}], "
                                        f"got {number}")
        if size_bits % 8:
            raise PrescribedRefusal(SIZE_NOT_WHOLE_BYTES, [
                {"field": "size", "reason": f"got {size_bits} bits"}])
        if not self.min_key_size <= size_bits <= self.max_key_size:
            raise ConfigError("size", f"must lie in [{self.min_key_size}, "
                                      f"{self.max_key_size}] bits, got {size_bits}")
