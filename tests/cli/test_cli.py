"""The command line, driven in-process through ``main([...])`` (sinter's pattern).

Runs are 20-50 ms of simulated time on the default preset, so the file stays fast.
"""

import json
import subprocess
import sys
import typing

import pytest
import yaml

from qinet.cli import run as run_module
from qinet.cli.main import Backend, Mode, main
from qinet.scenario import preset_path
from qinet.scenario.schema import Scenario

DEMAND_KEYS = {"pairs", "rate_hz", "fidelity_mean", "fidelity_std", "latency_p50_s",
               "latency_p99_s", "outage_probability"}

GOOD = """\
name: tiny
nodes: [{name: a}, {name: b}]
links: [{between: [a, b], length: 20 km, scheme: double-click}]
demands: [{kind: entanglement, between: [a, b]}]
"""


def run_json(capsys, *args):
    """``qinet run --json ARGS``: the exit status and the parsed document (stdout only)."""
    status = main(["run", "--json", "--duration", "50 ms", *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out, json.loads(captured.out)


def write(tmp_path, text, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- run --json


def test_run_json_prints_only_the_document_with_the_design_keys(capsys):
    text, doc = run_json(capsys)
    assert doc["scenario"] == "metro-link"
    assert doc["duration_s"] == pytest.approx(0.05)
    assert [d["kind"] for d in doc["demands"]] == ["entanglement", "qkd"]
    assert doc["demands"][1]["key"].keys() >= {"qber", "secret_key_rate_bps", "key_bits"}
    demand = doc["demands"][0]
    assert demand.keys() >= DEMAND_KEYS
    assert demand["pairs"] > 0
    assert demand["rate_hz"] == pytest.approx(demand["pairs"] / 0.05)
    assert 0.5 < demand["fidelity_mean"] <= 1
    assert demand["latency_p50_s"] <= demand["latency_p99_s"]
    assert text == json.dumps(doc, indent=2) + "\n"  # nothing else on stdout


def test_run_json_never_contains_the_wall_time(capsys):
    text, _ = run_json(capsys)
    assert "wall" not in text


def test_same_seed_gives_identical_json_and_another_seed_differs(capsys):
    first, _ = run_json(capsys, "--seed", "11")
    again, _ = run_json(capsys, "--seed", "11")
    _, other = run_json(capsys, "--seed", "12")
    assert first == again
    mine = json.loads(first)["demands"][0]
    theirs = other["demands"][0]
    assert (mine["pairs"], mine["latency_p50_s"], mine["latency_p99_s"]) != (
        theirs["pairs"], theirs["latency_p50_s"], theirs["latency_p99_s"])


def test_run_options_override_the_scenario(capsys):
    _, doc = run_json(capsys, "--seed", "3", "--mode", "detailed", "--backend",
                      "density-matrix", "--duration", "20 ms")
    assert (doc["seed"], doc["mode"], doc["backend"]) == (3, "detailed", "density-matrix")
    assert doc["duration_s"] == pytest.approx(0.02)


def test_run_accepts_a_file_and_a_preset_name(capsys, tmp_path):
    _, doc = run_json(capsys, write(tmp_path, GOOD))
    assert doc["scenario"] == "tiny"
    _, doc = run_json(capsys, "single-click-metro")
    assert doc["scenario"] == "single-click-metro"


def test_run_out_writes_the_same_document(capsys, tmp_path):
    out = tmp_path / "result.json"
    text, _ = run_json(capsys, "--out", str(out))
    assert out.read_text(encoding="utf-8") == text


def test_run_plot_writes_a_png(capsys, tmp_path):
    plot = tmp_path / "run.png"
    assert main(["run", "--quiet", "--duration", "20 ms", "--plot", str(plot)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert plot.stat().st_size > 1000
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# ---------------------------------------------------------------- run, for people


def test_run_prints_tables_with_units_and_the_wall_time(capsys):
    assert main(["run", "--duration", "20 ms"]) == 0
    out = capsys.readouterr().out
    for text in ("metro-link", "pairs/s", "km", "Hz", "PLOB", "attempts", "wall time",
                 "events/s", "fidelity"):
        assert text in out
    assert "{" not in out  # tables, not JSON


def test_quiet_prints_nothing(capsys):
    assert main(["run", "--quiet", "--duration", "20 ms"]) == 0
    assert capsys.readouterr() == ("", "")


def test_progress_bar_only_after_one_second_of_wall_time():
    from qinet.analysis.api import RunStatus

    early = RunStatus(0.5, 2.0, events=1000, wall_s=0.5)
    late = RunStatus(1.0, 2.0, events=4000, wall_s=2.0)
    with run_module.ProgressDisplay(enabled=True) as display:
        display.update(early)
        assert display._progress is None
        display.update(late)
        (task,) = display._progress.tasks
        assert (task.completed, task.total) == (1.0, 2.0)
        assert task.fields["events_per_s"] == "2,000 events/s"
    with run_module.ProgressDisplay(enabled=False) as display:
        display.update(late)
        assert display._progress is None


def test_the_bar_says_building_until_the_first_slice_then_simulating_and_summarising():
    import time

    from qinet.analysis.api import RunStatus

    with run_module.ProgressDisplay(enabled=True, after_s=0.05) as display:
        deadline = time.monotonic() + 10.0
        while display.phase is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the timer's thread draws it
        assert display.phase == "building"
        display.update(RunStatus(0.5, 2.0, events=1000, wall_s=0.5))
        assert display.phase == "simulating"
        (task,) = display._progress.tasks
        assert (task.completed, task.total) == (0.5, 2.0)
        display.update(RunStatus(2.0, 2.0, events=4000, wall_s=1.0))
        assert display.phase == "summarising"


def test_no_bar_once_the_display_is_closed():
    import time

    with run_module.ProgressDisplay(enabled=True, after_s=0.05) as display:
        pass
    time.sleep(0.2)  # past the building timer's delay
    assert display.phase is None
    with run_module.ProgressDisplay(enabled=False, after_s=0.0) as display:
        time.sleep(0.1)
        assert display.phase is None


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("link", "field", "words"),
    [
        ("{between: [a, b], length: -3 km, scheme: double-click}", "links[0].length",
         "positive"),
        ("{between: [a, b], length: 3 km, scheme: double-click, colour: red}",
         "links[0].colour", "unknown field"),
        ("{between: [a, c], length: 3 km, scheme: double-click}", "links[0].between[1]",
         "'c'"),
        ("{between: [a, b], length: 20 kg, scheme: double-click}", "links[0].length",
         "kg"),
    ],
)
def test_bad_scenario_is_one_line_naming_the_field(capsys, tmp_path, link, field, words):
    path = write(tmp_path, f"nodes: [{{name: a}}, {{name: b}}]\nlinks: [{link}]\n")
    assert main(["run", path, "--duration", "20 ms"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {field}: ")
    assert words in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "missing.yaml"], "cannot read scenario file 'missing.yaml'"),
        (["run", "no-such-preset"], "metro-link"),
        (["run", "--duration", "3 kg"], "duration: "),
        (["run", "--seed", "-1"], "seed: "),
        (["run", "--plot", "figure.jpg"], "--plot: "),
        (["run", "--out", "no/such/folder/x.json"], "--out: "),
        (["presets", "no-such-preset"], "no preset named 'no-such-preset'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, args, words):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert words in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["run", "--no-such-option"], ["run", "--mode", "slow"],
                                  ["validate"], ["no-such-command"]])
def test_usage_errors_exit_2(capsys, args):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Usage" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- presets, validate


def test_presets_lists_the_built_in_scenarios(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "metro-link" in out
    assert "single-click-metro" in out


def test_presets_json(capsys):
    assert main(["presets", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["metro-link"]["nodes"] == 2
    assert listed["metro-link"]["links"] == 1
    assert listed["metro-link"]["description"]


def test_presets_name_prints_the_yaml_verbatim(capsys):
    assert main(["presets", "metro-link"]) == 0
    out = capsys.readouterr().out
    assert out == preset_path("metro-link").read_text(encoding="utf-8")
    assert yaml.safe_load(out)["name"] == "metro-link"


def test_validate_ok(capsys, tmp_path):
    assert main(["validate", write(tmp_path, GOOD)]) == 0
    assert capsys.readouterr().out == "ok: tiny (2 nodes, 1 link, 1 demand)\n"


def test_validate_counts_read_with_thousands_separators():
    from qinet.cli.validate import _count

    assert [_count(n, "node") for n in (1, 2, 10_000)] == ["1 node", "2 nodes", "10,000 nodes"]


def test_validate_failing(capsys, tmp_path):
    path = write(tmp_path, GOOD.replace("20 km", "-3 km"))
    assert main(["validate", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: links[0].length: must be positive")


# ---------------------------------------------------------------- help


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], ["run", "presets", "validate", "--version"]),
        (["--help"], ["run", "presets", "validate", "Examples"]),
        (["run", "--help"], ["--seed", "--duration", "--mode", "--backend", "--json", "--out",
                             "--plot", "--quiet", "Examples"]),
        (["presets", "--help"], ["--json", "NAME"]),
        (["validate", "--help"], ["FILE"]),
    ],
)
def test_help(capsys, args, words):
    assert main(args) == 0
    out = capsys.readouterr().out
    for word in words:
        assert word in out


def test_version(capsys):
    from qinet import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"qinet {__version__}\n"


def test_choices_match_the_scenario_schema():
    assert {m.value for m in Mode} == set(typing.get_args(Scenario.model_fields["mode"].annotation))
    assert {b.value for b in Backend} == set(
        typing.get_args(Scenario.model_fields["backend"].annotation))


# ---------------------------------------------------------------- strict JSON


def _strict(text):
    """Parse as RFC 8259 JSON: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_every_json_output_is_strict_json(capsys, tmp_path):
    out = tmp_path / "result.json"
    # 50 us: no attempt of the 20 km link is known by the end, so the success
    # probability is undefined (null), never NaN
    assert main(["run", "--json", "--duration", "50 us", "--out", str(out)]) == 0
    doc = _strict(capsys.readouterr().out)
    assert _strict(out.read_text(encoding="utf-8")) == doc
    link = doc["links"][0]
    assert (link["attempts"], link["successes"], link["success_probability"]) == (0, 0, None)
    assert main(["presets", "--json"]) == 0
    _strict(capsys.readouterr().out)
    assert main(["presets", "--json", "metro-link"]) == 0
    _strict(capsys.readouterr().out)


def test_json_document_maps_non_finite_numbers_to_null():
    import numpy as np

    from qinet.cli._common import json_document

    data = {"a": float("inf"), "b": [float("-inf"), np.float64("nan"), np.int64(3)],
            "c": np.array([1.5, np.inf]), "d": (0.25, "x", None, True)}
    assert _strict(json_document(data)) == {"a": None, "b": [None, None, 3],
                                            "c": [1.5, None], "d": [0.25, "x", None, True]}


def test_run_counts_only_the_attempts_that_fit_in_the_run(capsys):
    _, doc = run_json(capsys, "--duration", "2 ms")
    link = doc["links"][0]
    period, pairs = link["attempt_period_s"], link["memory_pairs"]
    assert 0 < link["attempts"] <= pairs * (int(2e-3 / period) + 1)


def test_the_default_run_imports_no_library_it_does_not_use():
    # numba (Cascade's small keys search with numpy), scipy.optimize and scipy.stats:
    # 0.2-0.3 s each at every start of a process that would not use them
    code = ("import sys\nfrom qinet.cli.main import app\n"
            "try:\n    app(['run', '--json'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numba', 'scipy.optimize', 'scipy.stats') "
            "if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    assert json.loads(done.stdout)["demands"]  # the run happened
    assert done.stderr.strip().splitlines()[-1] == "[]"
