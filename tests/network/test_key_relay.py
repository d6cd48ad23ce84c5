"""Trusted-node relay: one-time-pad correctness, secrecy of the announcements, no partial spend."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinet.errors import ConfigError, ResourceUnavailable
from qinet.network.key_relay import KeyPool, KeyRelay


def _chain(n_trusted: int, bits: int, rng: np.random.Generator) -> tuple[KeyRelay, list[str]]:
    names = ["a", *[f"t{i}" for i in range(n_trusted)], "b"]
    relay = KeyRelay({n: n.startswith("t") for n in names})
    for u, v in itertools.pairwise(names):
        relay.add_pool(u, v)
        relay.deposit(u, v, rng.integers(0, 2, bits, dtype=np.uint8))
    return relay, names


@given(st.integers(0, 6), st.integers(1, 300), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_destination_recovers_the_source_key_over_any_chain(n_trusted, bits, seed):
    relay, names = _chain(n_trusted, bits, np.random.default_rng(seed))
    out = relay.relay("a", "b", bits)
    assert out.path == tuple(names)
    np.testing.assert_array_equal(out.key_source, out.key_destination)
    assert out.exposed_to == tuple(names[1:-1])
    assert all(relay.pool(u, v).level == 0 for u, v in itertools.pairwise(names))


def test_announcements_are_uniform_and_independent_of_the_key():
    # A one-time-padded announcement is uniform whatever the key: its bit mean is 1/2 and
    # it is uncorrelated with the key (5 sigma of n = 200,000 bits).
    n = 200_000
    relay, _ = _chain(1, n, np.random.default_rng(3))
    out = relay.relay("a", "b", n)
    (announced,) = out.announcements
    sigma = 0.5 / np.sqrt(n)
    assert abs(announced.mean() - 0.5) < 5 * sigma
    agreement = np.mean(announced == out.key_source)
    assert abs(agreement - 0.5) < 5 * sigma


def test_short_pool_spends_nothing():
    relay, names = _chain(2, 100, np.random.default_rng(1))
    relay.pool("t0", "t1").take(50)
    with pytest.raises(ResourceUnavailable, match="holds"):
        relay.relay("a", "b", 80)
    assert [relay.pool(u, v).level for u, v in itertools.pairwise(names)] == [100, 50,
                                                                                          100]


def test_untrusted_nodes_do_not_relay():
    relay = KeyRelay({"a": False, "m": False, "b": False})
    relay.add_pool("a", "m")
    relay.add_pool("m", "b")
    with pytest.raises(ConfigError, match="trusted"):
        relay.routes("a", "b")


def test_route_prefers_the_fuller_of_equal_paths():
    relay = KeyRelay({"a": False, "t1": True, "t2": True, "b": False})
    for u, v in [("a", "t1"), ("t1", "b"), ("a", "t2"), ("t2", "b")]:
        relay.add_pool(u, v)
    relay.deposit("a", "t1", np.ones(10, np.uint8))
    relay.deposit("t1", "b", np.ones(10, np.uint8))
    relay.deposit("a", "t2", np.ones(30, np.uint8))
    relay.deposit("t2", "b", np.ones(20, np.uint8))
    assert relay.best_route("a", "b", 15) == ("a", "t2", "b")
    assert relay.best_route("a", "b", 25) is None


def test_pool_is_first_in_first_out_across_deposits():
    pool = KeyPool(("a", "b"))
    pool.deposit(np.array([1, 1, 0], np.uint8))
    pool.deposit(np.array([0, 1], np.uint8))
    assert pool.take(2).tolist() == [1, 1]
    assert pool.take(3).tolist() == [0, 0, 1]
    assert (pool.level, pool.deposited, pool.spent) == (0, 5, 5)
