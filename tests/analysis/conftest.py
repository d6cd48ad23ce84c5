"""A short run of the default preset, shared by the report and plot tests."""

import pytest

import qinet


@pytest.fixture(scope="module")
def short_run():
    return qinet.simulate(qinet.preset_path("metro-link"), duration="20 ms")
