"""``python -m qinet.service``: serve an existing key store, with no simulation feeding it.

For keys loaded ahead of time (or left by an earlier ``qinet serve``); ``qinet serve``
is the command that runs a scenario. KMEs are given as ``NAME=SAE,SAE``::

    python -m qinet.service --certs certs --data data --kme alice=alice-app --kme bob=bob-app
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from qinet.errors import ConfigError
from qinet.service.kms.connection import ConnectionLimits
from qinet.service.kms.store import DEFAULT_KEY_LIFETIME_S
from qinet.service.log_format import configure_logging
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
    parser.add_argument("--key-lifetime", type=float, default=DEFAULT_KEY_LIFETIME_S,
                        metavar="SECONDS",
                        help="issued keys no slave fetched within this are erased")
    parser.add_argument("--idle-timeout", type=float, default=ConnectionLimits().idle_timeout_s,
                        metavar="SECONDS", help="close connections idle this long")
    parser.add_argument("--request-timeout", type=float,
                        default=ConnectionLimits().request_timeout_s, metavar="SECONDS",
                        help="a request must arrive whole within this of its first byte")
    parser.add_argument("--ready-file", help="write the KME URLs here as JSON once listening")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", default="text", choices=["text", "json"],
                        help="log lines as text or as JSON objects")
    args = parser.parse_args(argv)
    try:
        configure_logging(level=args.log_level, fmt=args.log_format)
        limits = ConnectionLimits(idle_timeout_s=args.idle_timeout,
                                  request_timeout_s=args.request_timeout)
        run_key_service(args.kme, None, certs=args.certs, data=args.data, host=args.host,
                        port=args.port, key_lifetime_s=args.key_lifetime,
                        connection_limits=limits, ready_file=args.ready_file)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
