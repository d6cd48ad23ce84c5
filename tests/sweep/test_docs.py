"""docs/sweeps.md: its Python example runs as written, and its error line is the real one."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from qinet.errors import ConfigError
from qinet.sweep import resolve

DOC = Path(__file__).resolve().parents[2] / "docs" / "sweeps.md"


def _run_block(index: int) -> list[str]:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"),
                        flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[index], str(DOC), "exec"), {"__name__": "__doc_example__"})
    return out.getvalue().splitlines()


def test_the_python_example_runs_and_prints_its_table() -> None:
    lines = _run_block(0)
    assert lines[0].split() == ["links[*].length", "seed", "demands[0].rate_hz"]
    assert len(lines) == 1 + 6  # 3 lengths x 2 seeds
    assert [float(line.split()[0]) for line in lines[1:]] == [10, 10, 30, 30, 50, 50]


def test_the_error_shown_is_the_one_given() -> None:
    shown = re.search(r"^error: (.*)$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert shown is not None
    with pytest.raises(ConfigError) as info:
        resolve("metro-link", ["links[0].length=-5km,10km"])
    assert str(info.value) == shown[1]


def test_the_plot_example_prints_means_below_the_plob_bound() -> None:
    lines = _run_block(1)
    assert len(lines) == 3  # 10, 50 and 90 km
    pattern = re.compile(r"^ *(\d+) km +(\d+) ± +(\d+) pairs/s, PLOB +(\d+) ebit/s$")
    rows = [pattern.match(line) for line in lines]
    assert all(rows), lines
    assert [int(r[1]) for r in rows if r] == [10, 50, 90]
    for r in rows:
        assert r is not None
        assert 0 < int(r[2]) < int(r[4])  # no run beats the repeaterless bound
