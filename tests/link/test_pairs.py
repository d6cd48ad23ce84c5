"""The positions of LinkPair's fields that per-pair code reads by index."""

from qinet.link import pairs
from qinet.link.pairs import LinkPair


def test_field_positions_match_the_named_fields():
    pair = LinkPair("ab", 3, 5, 7, 11, 13, 17, 19, 23)
    named = {"LINK": "link", "MEMORY_PAIR": "memory_pair", "SLOT_A": "slot_a",
             "SLOT_B": "slot_b", "REQUESTED_PS": "requested_ps",
             "STORED_A_PS": "stored_a_ps", "STORED_B_PS": "stored_b_ps"}
    for constant, field in named.items():
        assert pair[getattr(pairs, constant)] == getattr(pair, field), constant
