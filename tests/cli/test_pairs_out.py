"""``qinet run --pairs-out``: every delivered pair in a Parquet file."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from qinet.cli.main import main


def test_pairs_out_writes_one_row_per_delivered_pair(tmp_path, capsys):
    path = tmp_path / "pairs.parquet"
    status = main(["run", "metro-link", "--json", "--duration", "20 ms",
                   "--pairs-out", str(path)])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0
    table = pq.read_table(path).to_pydict()
    assert list(table) == ["demand", "delivered_ps", "latency_ps", "fidelity"]
    demand = np.array(table["demand"])
    for i, entry in enumerate(doc["demands"]):
        assert int(np.sum(demand == i)) == entry["pairs"]
    first = demand == 0
    latency = np.array(table["latency_ps"])[first] * 1e-12
    assert np.mean(latency) == pytest.approx(doc["demands"][0]["latency_mean_s"], rel=1e-12)
    fidelity = np.array(table["fidelity"])[first]
    assert np.mean(fidelity) == pytest.approx(doc["demands"][0]["fidelity_mean"], rel=1e-12)


def test_pairs_out_refuses_a_missing_folder(tmp_path, capsys):
    status = main(["run", "metro-link", "--duration", "1 ms",
                   "--pairs-out", str(tmp_path / "nowhere" / "pairs.parquet")])
    assert status != 0
    assert "--pairs-out" in capsys.readouterr().err


def test_pairs_out_names_its_format(tmp_path, capsys):
    assert main(["run", "metro-link", "-d", "10 ms", "--quiet", "--pairs-out",
                 str(tmp_path / "pairs.csv")]) == 2
    assert "--pairs-out: writes Parquet" in capsys.readouterr().err
    assert not (tmp_path / "pairs.csv").exists()
