"""``qinet presets``: list the built-in scenarios, or print one as YAML."""

from __future__ import annotations

import sys
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from qinet.analysis.reproductions import for_preset
from qinet.cli._common import json_document, stdout_console
from qinet.scenario import load_scenario, preset_names, preset_path


def preset_info(name: str) -> dict[str, Any]:
    """What ``qinet presets --json`` says about one preset.

    Examples:
        >>> info = preset_info("metro-link")
        >>> info["nodes"], info["links"], info["duration_s"]
        (2, 1, 5.0)
    """
    path = preset_path(name)
    scenario = load_scenario(path)
    return {"name": name, "description": scenario.description,
            "nodes": len(scenario.nodes), "links": len(scenario.links),
            "demands": len(scenario.demands), "duration_s": scenario.duration,
            "path": str(path), "reproduces": [r.name for r in for_preset(name)]}


def presets(*, name: str | None = None, as_json: bool = False) -> None:
    """Print the preset table (or JSON), or the YAML text of preset ``name``.

    Raises:
        ConfigError: no preset is called ``name``.
    """
    if name is not None:
        path = preset_path(name)
        text = path.read_text(encoding="utf-8")
        if as_json:
            print(json_document({**preset_info(name), "yaml": text}))
        else:
            sys.stdout.write(text)  # verbatim, so `qinet presets NAME > my.yaml` works
        return
    infos = [preset_info(n) for n in preset_names()]
    if as_json:
        print(json_document(infos))
        return
    table = Table(title=Text("built-in scenarios", style="bold"), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("preset", style="cyan", no_wrap=True)
    for column in ("nodes", "links"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("description", ratio=1)
    for info in infos:
        description = Text(info["description"])
        if info["reproduces"]:  # a preset behind published figures says which
            description.append(f" Reproduces: {', '.join(info['reproduces'])}.", style="green")
        table.add_row(Text(info["name"]), str(info["nodes"]), str(info["links"]),
                      description)
    console = stdout_console()
    console.print(table)
    console.print(Text("run one with `qinet run NAME`; print its YAML with "
                       "`qinet presets NAME`; compare the reproductions with the papers "
                       "with `qinet reproduce`", style="dim"))
