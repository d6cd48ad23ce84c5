"""Settings for the whole test suite.

Property tests explore new examples on every run of a developer's machine; under CI
(the environment sets ``CI``) they draw the same examples every time, so a red run is
the code's fault and can be repeated, never the luck of the draw.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
