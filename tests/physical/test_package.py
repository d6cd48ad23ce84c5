"""The physical layer's contract: a flat public API and no imports from layers above."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import qinet.physical as physical

PACKAGE_DIR = Path(physical.__file__).parent
ALLOWED_QINET_IMPORTS = ("qinet.errors", "qinet.units", "qinet.physical")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_physical_imports_nothing_above_errors_and_units(path):
    for name in imported_modules(path):
        if name == "qinet" or name.startswith("qinet."):
            assert name.startswith(ALLOWED_QINET_IMPORTS), f"{path.name} imports {name}"


def test_all_names_exist_once():
    for name in physical.__all__:
        assert hasattr(physical, name), name
    assert len(set(physical.__all__)) == len(physical.__all__)


@pytest.mark.parametrize(
    "name", [n for n in physical.__all__ if callable(getattr(physical, n))]
)
def test_public_callables_have_a_runnable_example(name):
    doc = inspect.getdoc(getattr(physical, name)) or ""
    assert "Examples:" in doc, name
    assert ">>>" in doc, name


@pytest.mark.parametrize(
    "name", [n for n in physical.__all__ if inspect.isclass(getattr(physical, n))]
)
def test_parameter_classes_are_frozen_and_slotted(name):
    cls = getattr(physical, name)
    assert cls.__dataclass_params__.frozen, name
    assert hasattr(cls, "__slots__"), name
