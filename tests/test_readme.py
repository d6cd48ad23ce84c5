"""The README's Python examples run as written."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


def test_the_readme_has_a_python_example():
    blocks = _python_blocks()
    assert blocks
    assert any("qinet.simulate(" in block for block in blocks)


def test_the_readme_python_examples_run():
    for block in _python_blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
        printed = out.getvalue().splitlines()
        assert printed, "the example prints what it shows"
        assert all(line.strip() for line in printed)
