"""docs/scenario.md is the reference generated from the schema, and it is complete."""

import typing
from pathlib import Path

import yaml
from pydantic import BaseModel

from qinet.scenario import load_scenario, schema
from qinet.scenario.reference import SECTIONS, main, reference_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario.md"


def _models(annotation, seen):
    """Every model reachable from ``annotation``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.add(annotation)
            for info in annotation.model_fields.values():
                _models(info.annotation, seen)
        return seen
    for arg in typing.get_args(annotation):
        _models(arg, seen)
    return seen


def test_docs_scenario_md_is_the_generated_reference():
    # regenerate with: python -m qinet.scenario.reference docs/scenario.md
    assert DOC.read_text(encoding="utf-8") == reference_text()


def test_main_writes_the_reference(tmp_path):
    out = tmp_path / "scenario.md"
    assert main([str(out)]) == 0
    assert out.read_text(encoding="utf-8") == reference_text()


def test_every_model_of_the_schema_has_a_section_and_every_field_a_description():
    reachable = _models(schema.Scenario, set())
    listed = {m for _, _, models, _ in SECTIONS for m in models}
    assert reachable == listed
    missing = [f"{m.__name__}.{name}" for m in reachable
               for name, info in m.model_fields.items() if not info.description]
    assert missing == []


def test_every_field_appears_in_the_reference_with_its_unit():
    text = reference_text()
    for _, _, models, _ in SECTIONS:
        for model in models:
            for name in model.model_fields:
                assert f"| `{name}` |" in text
    assert "| `length` | km (length) | required | (0 km, 100000 km] |" in text
    assert "| `dead_time` | s (time) | 50 ns | [0 s, 1e+06 s] |" in text
    assert "| `duration` | s (time) | 1 s | [1 ps, 1e+06 s] |" in text
    assert "| `phase_slices` | — | 16 | ≥ 2, a multiple of 2 |" in text


def test_quantity_fields_carry_their_unit_marker():
    hints = typing.get_type_hints(schema.DetectorHardware, include_extras=True)
    (marker,) = [m for m in hints["dead_time"].__metadata__ if isinstance(m, schema.Quantity)]
    assert marker == schema.Quantity("time_s", "s", "time")


def test_the_examples_load():
    top = SECTIONS[0][3]
    assert load_scenario(top).links[0].scheme == "double-click"
    merged: dict = {}
    for _, _, _, example in SECTIONS[1:]:
        parsed = yaml.safe_load(example)
        if "space" in parsed:  # satellites: a whole scenario of their own
            assert load_scenario(parsed).links[0].scheme == "downlink"
            continue
        if any(d.get("kind") == "app" for d in parsed.get("demands", [])):
            # applications: over the top example's network, on their own
            apps = load_scenario({**yaml.safe_load(top), **parsed}).demands
            assert [d.kind for d in apps] == ["app", "app"]
            continue
        merged.update(parsed)
    s = load_scenario(merged)
    assert [link.scheme for link in s.links] == ["double-click", "single-click", "qkd"]
    assert [d.kind for d in s.demands] == ["entanglement", "qkd", "qkd", "key"]
