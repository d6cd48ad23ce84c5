"""Files only their owner may read: the key store and the private keys of the PKI.

Key material at rest is as secret as key material in flight. The service makes its
folders ``0700`` and its files ``0600`` whatever the umask, and refuses to start on a
file or folder that other users could read, saying how to fix it (as ssh does with a
private key that others can read).

Examples:
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = make_private_dir(pathlib.Path(tmp) / "store")
    ...     oct(folder.stat().st_mode & 0o777)
    '0o700'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from qinet.errors import ConfigError

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def check_private(path: Path, what: str) -> None:
    """Refuse a file or folder that users other than its owner may read or write.

    Raises:
        ConfigError: the mode lets group or others in; the message gives the fix.
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        fix = PRIVATE_DIR if path.is_dir() else PRIVATE_FILE
        raise ConfigError(str(path), f"{what} is open to other users (mode {mode:04o}); "
                                     f"make it private with `chmod {fix:o} {path}`")


def make_private_dir(path: Path) -> Path:
    """Make the folder ``path`` (and missing parents) with mode 0700 if it is missing."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is cut by the umask
    return path


def create_private_file(path: Path) -> None:
    """Make ``path`` empty with mode 0600 if it does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)  # the umask may have cut the mode os.open asked for
    finally:
        os.close(fd)
