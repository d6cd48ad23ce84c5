"""The pair-source keys of ``qinet run --json`` are documented key for key."""

import dataclasses

from qinet.qkd.multi_user import UserPairResult
from tests.analysis.test_metrics import _documented


def test_docs_list_every_pair_source_key_once():
    keys = _documented("pair_sources")
    assert sorted(keys) == sorted(f.name for f in dataclasses.fields(UserPairResult))
    assert len(set(keys)) == len(keys)
