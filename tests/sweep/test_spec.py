"""The --set grammar and the grid it spans: products, zips, ranges with units, refusals."""

from __future__ import annotations

import math

import pytest

from qinet.errors import ConfigError
from qinet.sweep import grid, parse_set, resolve


def test_a_linear_range_keeps_its_unit_and_both_ends() -> None:
    axis = parse_set("links[*].length=10km..200km:20")
    assert axis.path == "links[*].length"
    assert len(axis.values) == 20
    assert axis.values[0] == "10 km"
    assert axis.values[-1] == "200 km"
    assert axis.values[1] == "20 km"  # (200 - 10) / 19 = 10 km apart


def test_a_log_range_is_evenly_spaced_in_the_logarithm() -> None:
    axis = parse_set("demands[0].rate=log:1Hz..1MHz:7")
    numbers = [float(v.split()[0]) for v in axis.values]
    assert numbers == pytest.approx([10.0**k for k in range(7)], rel=1e-12)
    assert all(v.endswith(" Hz") for v in axis.values)  # written in the start's unit


def test_integer_ranges_lists_and_single_values() -> None:
    assert parse_set("seed=1..5").values == (1, 2, 3, 4, 5)
    assert parse_set("links[0].detector=snspd,ingaas").values == ("snspd", "ingaas")
    assert parse_set("links[0].visibility=0.9, 0.95").values == (0.9, 0.95)
    assert parse_set("duration=50 ms").values == ("50 ms",)
    assert parse_set("x=0.5..0.9:5").values == pytest.approx((0.5, 0.6, 0.7, 0.8, 0.9))


def test_the_product_varies_the_last_axis_fastest_and_zip_pairs_them() -> None:
    a, b = parse_set("seed=1..2"), parse_set("links[0].length=10 km,20 km,30 km")
    product = grid([a, b])
    assert len(product) == 6
    assert product[:2] == [{"seed": 1, "links[0].length": "10 km"},
                           {"seed": 1, "links[0].length": "20 km"}]
    zipped = grid([parse_set("seed=1..3"), b], zipped=True)
    assert zipped == [{"seed": s, "links[0].length": f"{d} km"}
                      for s, d in zip((1, 2, 3), (10, 20, 30), strict=True)]


@pytest.mark.parametrize(("text", "words"), [
    ("seed", "PATH=VALUES"),
    ("links[*.length=1", "cannot read"),
    ("links[0].length=10km..20ms:3", "units of one kind"),
    ("links[0].length=10km..20km:x", "whole number"),
    ("links[0].length=10km..20km:0", "at least 1"),
    ("links[0].length=10km..20km", "number of points"),
    ("x=log:0..1:3", "above zero"),
])
def test_bad_specs_are_refused_naming_the_set(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        parse_set(text)
    assert info.value.field == f"--set {text!r}"


def test_zipped_axes_of_different_lengths_are_refused() -> None:
    with pytest.raises(ConfigError, match="same number of values") as info:
        grid([parse_set("seed=1..2"), parse_set("seed2=1..3")], zipped=True)
    assert info.value.field == "--zip"


def test_each_point_is_validated_by_the_schema_naming_the_set_and_field() -> None:
    with pytest.raises(ConfigError) as info:
        resolve("metro-link", ["links[0].length=-5km,10km"])
    assert info.value.field == "--set 'links[0].length=-5km,10km'"
    assert "links[0].length" in info.value.reason
    with pytest.raises(ConfigError, match="no field 'linkz'"):
        resolve("metro-link", ["linkz[0].length=1km"])
    with pytest.raises(ConfigError, match="past its end"):
        resolve("metro-link", ["links[3].length=1km"])
    with pytest.raises(ConfigError, match="hours"):
        resolve("metro-link", ["duration=5 hours"])


def test_resolved_points_carry_the_schema_values_and_glob_paths() -> None:
    points = resolve("metro-link", ["links[*].length=10km..30km:3", "nodes[a*].memories=4"])
    assert [p.params["links[*].length"] for p in points] == pytest.approx([10.0, 20.0, 30.0])
    assert all(p.params["nodes[a*].memories"] == 4 for p in points)
    alice, bob = points[0].data["nodes"]
    assert (alice["memories"], bob["memories"]) == (4, 10)
    assert len({p.task for p in points}) == 3  # distinct scenarios, distinct tasks
    again = resolve("metro-link", ["links[*].length=10km..30km:3", "nodes[a*].memories=4"])
    assert [p.task for p in again] == [p.task for p in points]
    assert not math.isnan(points[0].params["links[*].length"])


def test_zipped_axes_form_one_axis_of_the_product_and_vary_slowest() -> None:
    pair = [parse_set("links[0].length=10km,50km", option="--zip"),
            parse_set("links[1].length=10km,50km", option="--zip")]
    points = grid([parse_set("seed=1..3"), parse_set("mode=detailed,fast-forward")],
                  zip_axes=pair)
    assert len(points) == 2 * 3 * 2  # the zipped pair counts once
    assert list(points[0]) == ["links[0].length", "links[1].length", "seed", "mode"]
    assert [(p["links[0].length"], p["links[1].length"]) for p in points] == (
        [("10km", "10km")] * 6 + [("50km", "50km")] * 6)
    assert [p["seed"] for p in points[:6]] == [1, 1, 2, 2, 3, 3]
    assert [p["mode"] for p in points[:2]] == ["detailed", "fast-forward"]
    # without --set axes the zipped group alone is the grid
    assert len(grid([], zip_axes=pair)) == 2


def test_mixed_axes_are_refused_naming_the_option() -> None:
    with pytest.raises(ConfigError, match="same number of values") as info:
        grid([parse_set("seed=1..2")], zip_axes=[
            parse_set("links[0].length=1km,2km", option="--zip"),
            parse_set("links[1].length=1km", option="--zip")])
    assert info.value.field == "--zip"
    assert "2 for --zip 'links[0].length=1km,2km'" in info.value.reason
    with pytest.raises(ConfigError, match="swept twice") as info:
        grid([parse_set("seed=1..2")], zip_axes=[parse_set("seed=1,2", option="--zip")])
    assert info.value.field == "--zip 'seed=1,2'"


TWO_LINKS = {
    "name": "two-links", "duration": "10 ms",
    "nodes": [{"name": "a", "memories": 2}, {"name": "r", "memories": 4},
              {"name": "b", "memories": 2}],
    "links": [{"between": ["a", "r"], "length": "10 km"},
              {"between": ["r", "b"], "length": "10 km"}],
    "demands": [{"kind": "entanglement", "between": ["a", "b"]}]}


def test_resolve_zips_two_links_and_names_a_bad_zip_axis() -> None:
    points = resolve(TWO_LINKS, ["seed=1..2"], zip_sets=[
        "links[0].length=10km,50km", "links[1].length=20km,60km"])
    assert [(p.params["links[0].length"], p.params["links[1].length"], p.params["seed"])
            for p in points] == [(10.0, 20.0, 1), (10.0, 20.0, 2), (50.0, 60.0, 1),
                                 (50.0, 60.0, 2)]
    assert len({p.task for p in points}) == 4
    with pytest.raises(ConfigError) as info:
        resolve(TWO_LINKS, ["seed=1"], zip_sets=["links[0].length=-1km,5km",
                                                 "links[1].length=1km,5km"])
    assert info.value.field == "--zip 'links[0].length=-1km,5km'"
