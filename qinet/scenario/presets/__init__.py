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


def scenario_path(name: str | None) -> Path:
    """The file behind a scenario name: a YAML path, a preset name, or the default preset.

    An existing file wins over a preset of the same name; anything that looks like a
    path (``.yaml`` / ``.yml`` or a folder separator) is taken as a path, so a typo in
    a file name is reported as a missing file (when it is read) rather than as an
    unknown preset.

    Args:
        name: a file name or a preset name; ``None`` for the default preset.

    Raises:
        ConfigError: ``name`` is neither a file nor a preset.

    Examples:
        >>> scenario_path(None).name
        'metro-link.yaml'
        >>> scenario_path("chain-9").name
        'chain-9.yaml'
        >>> scenario_path("my-net.yaml")
        PosixPath('my-net.yaml')
    """
    if name is None:
        return preset_path(DEFAULT_PRESET)
    path = Path(name)
    if path.is_file() or name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name:
        return path
    if name in preset_names():
        return preset_path(name)
    raise ConfigError("", f"{name!r} is neither a scenario file nor a preset; "
                          f"presets are {', '.join(preset_names())}")
