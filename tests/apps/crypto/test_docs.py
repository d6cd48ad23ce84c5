"""The Python examples of docs/apps-crypto.md run and print what the page shows."""

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "apps-crypto.md"


def _examples() -> list[tuple[str, str]]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```\n\nprints\n\n```text\n(.*?)^```", text,
                      flags=re.MULTILINE | re.DOTALL)


def test_every_protocol_has_an_example():
    assert len(_examples()) == 5


@pytest.mark.parametrize("index", range(5))
def test_example_prints_what_the_page_shows(index):
    code, expected = _examples()[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(PAGE), "exec"), {"__name__": "__docs__"})
    assert out.getvalue() == expected


def test_the_package_exports_what_it_lists():
    import qinet.apps.crypto as crypto

    assert all(hasattr(crypto, name) for name in crypto.__all__)
    # every run function of the package is documented on the page
    text = PAGE.read_text(encoding="utf-8")
    assert all(name in text for name in crypto.__all__ if name.startswith("run_"))
