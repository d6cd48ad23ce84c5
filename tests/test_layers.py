"""The layering of DESIGN.md: a package imports only from the layers below it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "qinet"
SHARED = {"errors", "units", "rng"}
# Each layer and what it may import besides itself and the shared roots.
ALLOWED: dict[str, set[str]] = {
    "kernel": set(),
    "physical": set(),
    "quantum": set(),
    "devices": {"kernel", "physical", "quantum"},
    "link": {"kernel", "physical", "quantum", "devices"},
    "network": {"kernel", "physical", "quantum", "devices", "link"},
    "qkd": {"kernel", "physical", "quantum", "devices", "link", "network"},
    "apps": {"kernel", "physical", "quantum", "devices", "link", "network"},
    "scenario": {"kernel", "physical", "quantum", "devices", "link", "network", "qkd", "apps"},
}
UPPER = {"analysis", "sweep", "service", "cli"}
for upper in UPPER:
    ALLOWED[upper] = set(ALLOWED["scenario"]) | {"scenario"} | (
        {"analysis"} if upper != "analysis" else set())
ALLOWED["cli"] |= {"sweep", "service"}  # the command line fronts every face of qinet


def _qinet_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "qinet" and len(parts) > 1:
                found.add(parts[1])
    return found


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if len(rel.parts) > 1:
            yield rel.parts[0], path


@pytest.mark.parametrize(("layer", "path"), list(_modules()),
                         ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v)
def test_module_imports_only_lower_layers(layer, path):
    if layer not in ALLOWED:
        pytest.fail(f"package qinet.{layer} has no place in the layer table of this test")
    bad = _qinet_imports(path) - ALLOWED[layer] - SHARED - {layer}
    assert not bad, f"{path.relative_to(ROOT)} imports higher or sibling layers: {sorted(bad)}"


def test_qkd_and_apps_do_not_import_each_other():
    assert "apps" not in ALLOWED["qkd"]
    assert "qkd" not in ALLOWED["apps"]


def test_shared_roots_import_no_layer():
    for name in SHARED:
        bad = _qinet_imports(ROOT / f"{name}.py") - SHARED
        assert not bad, f"qinet/{name}.py imports {sorted(bad)}"


def test_public_api_is_curated_and_documented():
    import qinet

    assert sorted(qinet.__all__) == sorted(set(qinet.__all__))
    for name in qinet.__all__:
        assert getattr(qinet, name) is not None
    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    for name in ("simulate", "preset_path"):
        assert f"qinet.{name}" in readme
