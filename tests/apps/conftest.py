import pytest

from qinet.scenario import Simulation, load_scenario

from ..network.conftest import chain_scenario


def chain_network(n_links: int = 1, **options):
    """A built chain n0 - ... - n{n_links} with no demands yet (see chain_scenario)."""
    options.setdefault("length_km", 1.0)
    return Simulation(load_scenario(chain_scenario(n_links, demands=[], **options)))


@pytest.fixture
def network():
    return chain_network
