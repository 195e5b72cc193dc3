"""Synthetic land cover: deterministic, seamless across tiles, coherent, slowly changing."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landgrid.ops.generator import (
    CROP,
    GRASS,
    SEALED,
    WATER,
    LandCoverGenerator,
    generate_year,
    write_geotiff,
)
from landgrid.raster.product import RasterProduct

SEED = 2018


@pytest.fixture(scope="module")
def maps() -> dict[int, np.ndarray]:
    return {year: generate_year(year, SEED, 1200, 1000) for year in (2018, 2019, 2021)}


def _same_neighbours(a: np.ndarray) -> float:
    equal = (a[:, 1:] == a[:, :-1]).sum() + (a[1:] == a[:-1]).sum()
    return equal / (a[:, 1:].size + a[1:].size)


def test_same_seed_same_map_other_seed_other_map(maps: dict[int, np.ndarray]) -> None:
    assert np.array_equal(generate_year(2018, SEED, 1200, 1000), maps[2018])
    assert (generate_year(2018, SEED + 1, 1200, 1000) != maps[2018]).mean() > 0.3


def test_tiles_generated_apart_equal_the_whole(maps: dict[int, np.ndarray]) -> None:
    generator = LandCoverGenerator(SEED)
    whole = maps[2021]
    cuts_r, cuts_c = [0, 333, 1000], [0, 517, 900, 1200]
    for r0, r1 in pairwise(cuts_r):
        for c0, c1 in pairwise(cuts_c):
            tile = generator.window(2021, r0, c0, r1 - r0, c1 - c0)
            assert np.array_equal(tile, whole[r0:r1, c0:c1]), (r0, c0)


def test_patches_not_noise(maps: dict[int, np.ndarray]) -> None:
    assert _same_neighbours(maps[2018]) > 0.9


def test_classes_and_proportions(maps: dict[int, np.ndarray], backbone: RasterProduct) -> None:
    a = maps[2018]
    codes, counts = np.unique(a, return_counts=True)
    assert set(codes.tolist()) <= set(backbone.class_codes)
    share = dict(zip(codes.tolist(), (counts / a.size).tolist(), strict=True))
    for code in (SEALED, 2, 3, GRASS, CROP, WATER):
        assert share.get(code, 0) > 0.003, code
    woody = sum(share.get(c, 0) for c in (2, 3, 4, 5))
    herbaceous = share.get(GRASS, 0) + share.get(CROP, 0)
    assert woody + herbaceous > 0.6
    assert share[SEALED] < 0.3 and share[WATER] < 0.1


def test_change_is_small_local_and_grows_with_time(maps: dict[int, np.ndarray]) -> None:
    three_years = (maps[2018] != maps[2021]).mean()
    one_year = (maps[2018] != maps[2019]).mean()
    assert 0.01 < three_years < 0.15
    assert 0 < one_year < three_years
    sealed_before, sealed_after = maps[2018] == SEALED, maps[2021] == SEALED
    assert not (sealed_before & ~sealed_after).any()  # sealing is not undone
    assert sealed_after.sum() > sealed_before.sum()
    changed = maps[2018] != maps[2021]
    assert _same_neighbours(changed.astype(np.uint8)) > 0.95  # change comes in patches


def test_bad_window() -> None:
    with pytest.raises(ValueError, match="offsets"):
        LandCoverGenerator(1).window(2018, -1, 0, 10, 10)


def test_write_geotiff(tmp_path: Path, backbone: RasterProduct) -> None:
    calls: list[tuple[int, int]] = []
    path = write_geotiff(
        tmp_path / "demo.tif",
        backbone,
        2021,
        SEED,
        700,
        600,
        progress=lambda d, t: calls.append((d, t)),
        block=256,
        workers=2,
    )
    with rasterio.open(path) as src:
        assert (src.width, src.height) == (700, 600)
        assert src.crs.to_epsg() == 3035
        assert src.transform == backbone.transform
        assert src.profile["tiled"] and src.block_shapes == [(512, 512)]
        assert src.compression.value.lower() == "deflate"
        assert src.nodata == 255
        assert src.colormap(1)[1] == backbone.colormap[1]
        assert src.tags()["year"] == "2021"
        data = src.read(1)
    assert np.array_equal(data, generate_year(2021, SEED, 700, 600))
    assert calls[-1] == (9, 9) and len(calls) == 9
