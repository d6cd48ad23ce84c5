"""docs/apps.md: its Python example runs as written and prints what the page shows."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "apps.md"


def test_the_two_node_example_prints_what_the_page_shows():
    text = DOC.read_text(encoding="utf-8")
    (code,) = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    shown = re.search(r"It prints:\n\n```text\n(.*?)^```", text,
                      flags=re.MULTILINE | re.DOTALL)
    assert shown is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "__docs__"})
    assert out.getvalue() == shown.group(1)
