"""Whatever the flags, the command line answers with a status and at most one error line,
never a traceback: random and extreme values for the options of ``run`` and ``keyrate``."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinet.cli.main import main

# durations that are refused, or short enough to run in a moment
DURATIONS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0.5 ps", "-1 s", "1e9 s", "nan s", "inf s", "1 KM", "5 mHz", "1 S",
                     "10 us", "1 ms", "0", "", " ", "1e-300 s", "1e308 s", "1 s s"]),
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).map(lambda x: f"{x} us"),
)
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["-1", "0", "1.5", "nan", "inf", "1e400", "x", ""]))
QUANTITIES = st.one_of(st.text(max_size=10), st.sampled_from(
    ["200 km", "-5 km", "0 km", "1e9 km", "10 KM", "0.2 dB/km", "1 GHz", "nan km", "5 s"]))
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def answers(argv: list[str], capsys) -> int:
    """Run the command line; it must return a status, not raise."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert status in (0, 1, 2), (argv, status, err)
    if status:
        assert err.strip(), "a refusal says why"
    return status


@FUZZ
@given(duration=DURATIONS, seed=st.one_of(st.integers(-(2**70), 2**70), st.just(7)),
       mode=st.sampled_from(["fast-forward", "detailed", "sideways"]))
def test_run_flags(capsys, duration, seed, mode):
    answers(["run", "metro-link", "-d", duration, "--seed", str(seed), "--mode", mode,
             "--json"], capsys)


@FUZZ
@given(max_distance=QUANTITIES, step=QUANTITIES, efficiency=NUMBERS, mu=NUMBERS,
       protocols=st.sampled_from(["decoy-asymptotic", "bb84-no-decoy,mdi", "tf", "bogus", ""]))
def test_keyrate_flags(capsys, max_distance, step, efficiency, mu, protocols):
    status = answers(["keyrate", "--max-distance", max_distance, "--step", step,
                      "--detector-efficiency", efficiency, "--mu", mu,
                      "--protocols", protocols, "--json"], capsys)
    if status == 0:
        assert not math.isnan(float(efficiency))
