"""``python -m qinet.service``: serve an existing key store, with no simulation feeding it.

For keys loaded ahead of time (or left by an earlier ``qinet serve``); ``qinet serve``
is the command that runs a scenario. KMEs are given as ``NAME=SAE,SAE``::

    python -m qinet.service --certs certs --data data --kme alice=alice-app --kme bob=bob-app
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass

from qinet.errors import ConfigError
from qinet.service.runner import run_key_service


@dataclass(frozen=True, slots=True)
class _Kme:
    name: str
    saes: tuple[str, ...]


def _kme(text: str) -> _Kme:
    name, sep, saes = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=SAE[,SAE...], got {text!r}")
    return _Kme(name, tuple(s for s in saes.split(",") if s))


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, serve until SIGINT or SIGTERM, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m qinet.service", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certs", required=True, help="the PKI folder (qinet certs init)")
    parser.add_argument("--data", required=True, help="the key store folder")
    parser.add_argument("--kme", type=_kme, action="append", required=True,
                        metavar="NAME=SAE,SAE", help="a KME and its SAEs (repeat)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443,
                        help="first KME's port, the others follow (0: ephemeral)")
    parser.add_argument("--seed", type=int, default=0,
                        help="root of the service's random streams (key_ID random parts)")
    parser.add_argument("--ready-file", help="write the KME URLs here as JSON once listening")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        run_key_service(args.kme, None, certs=args.certs, data=args.data, host=args.host,
                        port=args.port, seed=args.seed, ready_file=args.ready_file)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
