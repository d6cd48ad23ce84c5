"""The ready file: where a service, once listening, tells scripts its URLs as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_ready_file(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    """Write ``document`` as JSON to ``path`` in one step: a reader that polls for the
    file never sees half of it (written beside it, then renamed over it).

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> write_ready_file(folder / "ready.json", {"url": "http://127.0.0.1:8080"})
        >>> (folder / "ready.json").read_text()
        '{"url": "http://127.0.0.1:8080"}'
    """
    temporary = Path(f"{os.fspath(path)}.tmp")
    temporary.write_text(json.dumps(document))
    temporary.replace(path)
