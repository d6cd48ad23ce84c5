from itertools import pairwise

import pytest


def chain_scenario(
    n_links: int,
    *,
    length_km: float = 0.001,
    memories: int = 1,
    t2: float | str = "1 s",
    raw_fidelity: float = 1.0,
    efficiency: float = 1.0,
    attempt_period: str | None = "10 us",
    duration: str = "200 ms",
    seed: int = 1,
    policy: dict | None = None,
    node_ops: dict | None = None,
    transmittance_db: float = 0.2,
    demands: list | None = None,
) -> dict:
    """A linear chain n0 - n1 - ... of double-click links with lossless perfect parts.

    With efficiency e, detector efficiency 1 and no dark counts, a link succeeds with
    p = (e * t)^2 / 2 per attempt (t the arm transmittance), heralding Phi+ exactly.
    """
    names = [f"n{i}" for i in range(n_links + 1)]
    ends = 1 if n_links == 1 else 2
    link = {"length": f"{length_km} km", "scheme": "double-click", "detector": "det",
            "fibre": "fib", "reset_time": 0, "round_gap": 0, "memories": memories}
    if attempt_period:
        link["attempt_period"] = attempt_period
    return {
        "name": f"chain-{n_links}",
        "seed": seed,
        "duration": duration,
        "hardware": {
            "mem": {"kind": "memory", "t2": t2 if isinstance(t2, str) else f"{t2} s",
                    "efficiency": efficiency,
                    "raw_fidelity": raw_fidelity},
            "det": {"kind": "detector", "efficiency": 1.0, "dark_count_rate": 0, "jitter": 0},
            "fib": {"kind": "fibre", "attenuation": f"{transmittance_db} dB/km"},
        },
        "nodes": [{"name": v, "memories": memories * (ends if 0 < i < n_links else 1),
                   "memory": "mem", **(node_ops or {})} for i, v in enumerate(names)],
        "links": [{**link, "between": [a, b]} for a, b in pairwise(names)],
        "demands": demands if demands is not None else
        [{"kind": "entanglement", "between": [names[0], names[-1]], "min_fidelity": 0.0}],
        "policy": policy or {},
    }


@pytest.fixture
def chain():
    return chain_scenario
