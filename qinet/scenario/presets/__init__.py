"""Built-in scenarios, shipped as YAML files beside this module."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from qinet.errors import ConfigError

DEFAULT_PRESET = "metro-link"


def preset_names() -> list[str]:
    """Names of the built-in scenarios, sorted.

    Examples:
        >>> "metro-link" in preset_names()
        True
    """
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def preset_path(name: str) -> Path:
    """The file of the built-in scenario ``name``.

    Raises:
        ConfigError: no preset has that name.
    """
    if name not in preset_names():
        raise ConfigError("", f"no preset named {name!r}; presets are {', '.join(preset_names())}")
    return Path(str(resources.files(__name__).joinpath(f"{name}.yaml")))
