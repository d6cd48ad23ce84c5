"""Demands' logs finished together: the same statistics as each finished alone."""

import numpy as np
import pytest

from qinet.network.demand import finish_together
from qinet.scenario import Simulation, load_scenario

from .conftest import chain_scenario


def _ran(backend: str) -> Simulation:
    demands = [{"kind": "entanglement", "between": [a, b], "min_fidelity": 0.0}
               for a, b in (("n0", "n5"), ("n1", "n4"), ("n0", "n3"))]
    data = chain_scenario(5, memories=4, efficiency=0.7, t2="5 ms", duration="20 ms",
                          demands=demands)
    data["backend"] = backend
    sim = Simulation(load_scenario(data))
    sim.start()
    sim.timeline.run(until_ps=sim.end_ps)
    return sim


@pytest.mark.parametrize("backend", ["bell-diagonal", "density-matrix"])
def test_logs_finished_together_match_logs_finished_one_by_one(backend):
    together, alone = _ran(backend), _ran(backend)
    logs = [route.log for route in together.network.demands]
    assert all(log._states for log in logs)  # every demand has pairs still to resolve
    finish_together(logs, together.network.backend)
    for route in alone.network.demands:
        route.log.finish(alone.network.backend)
    for a, b in zip(together.network.demands, alone.network.demands, strict=True):
        joint = a.log.arrays(together.network.backend)
        single = b.log.arrays(alone.network.backend)
        assert joint["fidelity"].size > 10
        for key in ("delivered_ps", "latency_ps", "fidelity"):
            np.testing.assert_array_equal(joint[key], single[key])
