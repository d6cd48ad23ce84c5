"""``python -m qinet``: the same as the ``qinet`` command."""

from qinet.cli.main import main

raise SystemExit(main())
