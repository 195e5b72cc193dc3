"""Product definitions: the shipped YAML files load, and bad ones fail with clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasterio
import yaml
from rasterio.warp import transform_bounds

from landgrid.raster.product import (
    ProductDefinitionError,
    RasterProduct,
    flag_meaning,
    load_product,
    load_products,
)

from .conftest import PRODUCTS_DIR

# design.md section 1, verbatim.
BACKBONE_LEGEND = {
    1: ("Sealed", "#FF0000"),
    2: ("Woody needle leaved trees", "#228B22"),
    3: ("Woody broadleaved deciduous trees", "#80FF00"),
    4: ("Woody broadleaved evergreen trees", "#00FF08"),
    5: ("Low-growing woody plants", "#804000"),
    6: ("Permanent herbaceous", "#CCF24D"),
    7: ("Periodically herbaceous", "#FFFF80"),
    8: ("Lichens and mosses", "#FF80FF"),
    9: ("Non and sparsely vegetated", "#BFBFBF"),
    10: ("Water", "#0080FF"),
    11: ("Snow and ice", "#00FFFF"),
    253: ("Coastal seawater buffer", "#BFDFFF"),
    254: ("Outside area", "#E6E6E6"),
    255: ("No data", "#000000"),
}


def test_shipped_products_load(products: dict[str, RasterProduct]) -> None:
    assert set(products) == {"clcplus-backbone", "corine-land-cover"}
    for product in products.values():
        assert product.crs.to_epsg() == 3035
        assert product.dtype == "uint8"
        assert product.nodata == 255


def test_backbone_legend_and_grid(backbone: RasterProduct) -> None:
    assert {c.code: (c.label, c.colour) for c in backbone.legend} == BACKBONE_LEGEND
    assert backbone.class_codes == list(range(1, 12))
    assert [c.code for c in backbone.legend if c.technical] == [253, 254]
    assert [c.code for c in backbone.legend if c.nodata] == [255]
    assert backbone.years == [2018, 2021]
    assert (backbone.width, backbone.height, backbone.resolution) == (2000, 2000, 10)
    assert tuple(backbone.transform)[:6] == (10, 0, 4_300_000, 0, -10, 2_700_000)
    assert backbone.colormap[1] == (255, 0, 0, 255)
    assert backbone.colormap[255][3] == 0  # nodata transparent
    assert backbone.x_coords()[0] == 4_300_005 and backbone.y_coords()[-1] == 2_680_005


def test_corine_legend(corine: RasterProduct) -> None:
    classes = [c for c in corine.legend if c.is_class]
    assert [c.code for c in classes] == list(range(1, 45))
    by_code = {c.code: c for c in corine.legend}
    assert (by_code[1].clc_code, by_code[1].label, by_code[1].colour) == (
        111,
        "Continuous urban fabric",
        "#E6004D",
    )
    assert (by_code[41].clc_code, by_code[41].label) == (512, "Water bodies")
    assert (by_code[44].clc_code, by_code[44].colour) == (523, "#E6F2FF")
    assert by_code[48].technical and by_code[48].clc_code == 999
    assert by_code[255].nodata
    assert len({c.clc_code for c in classes}) == 44
    assert corine.years == [2006, 2012]


def test_corine_colours_match_the_source_rasters(corine: RasterProduct, lausanne: Path) -> None:
    """An independent check of the looked-up legend: the colour table shipped with the data."""
    with rasterio.open(lausanne / "ls100_06.tif") as src:
        table = src.colormap(1)
    for code in corine.class_codes:
        assert table[code][:3] == corine.colormap[code][:3], code


def test_corine_extent_covers_the_lausanne_rasters(corine: RasterProduct, lausanne: Path) -> None:
    xmin, ymin, xmax, ymax = corine.bounds
    for name in ("ls100_06.tif", "ls100_12.tif"):
        with rasterio.open(lausanne / name) as src:
            left, bottom, right, top = transform_bounds(src.crs, "EPSG:3035", *src.bounds)
        assert xmin <= left and right <= xmax and ymin <= bottom and top <= ymax
    assert (corine.width, corine.height) == (485, 344)


def test_json_round_trip(corine: RasterProduct) -> None:
    data = corine.model_dump(mode="json")
    assert data["crs"] == "EPSG:3035"
    assert RasterProduct.model_validate(data).model_dump(mode="json") == data


def test_flag_meaning_is_one_cf_word() -> None:
    assert flag_meaning(
        "Land principally occupied by agriculture, with significant areas of natural vegetation"
    ).isidentifier()
    assert flag_meaning("Beaches, dunes, sands") == "beaches_dunes_sands"


def _definition() -> dict:
    return yaml.safe_load((PRODUCTS_DIR / "clcplus-backbone.yml").read_text())


def _mutate(data: dict, change: str) -> None:
    match change:
        case "duplicate code":
            data["legend"][1]["code"] = 1
        case "bad colour":
            data["legend"][0]["colour"] = "#GG0000"
        case "partial pixel":
            data["extent"]["xmax"] += 5
        case "unknown crs":
            data["crs"] = "EPSG:999999"
        case "geographic crs":
            data["crs"] = "EPSG:4326"
        case "missing license":
            del data["license"]
        case "nodata mismatch":
            data["nodata"] = 0
        case "code out of range":
            data["legend"][0]["code"] = 300


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ("duplicate code", "(top level)", "duplicate codes [1]"),
        ("bad colour", "legend.0.colour", "pattern"),
        ("partial pixel", "(top level)", "whole number"),
        ("unknown crs", "crs", "unknown CRS"),
        ("geographic crs", "crs", "not a projected CRS"),
        ("missing license", "license", "required"),
        ("nodata mismatch", "(top level)", "nodata"),
        ("code out of range", "legend.0.code", "255"),
    ],
)
def test_bad_definitions_name_file_and_field(
    tmp_path: Path, change: str, field: str, words: str
) -> None:
    data = _definition()
    _mutate(data, change)
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProductDefinitionError) as info:
        load_products(tmp_path)
    message = str(info.value)
    assert str(path) in message and f"field '{field}'" in message and words in message


def test_invalid_yaml_and_non_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(ProductDefinitionError, match="invalid YAML"):
        load_product(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ProductDefinitionError, match="expected a mapping"):
        load_product(bad)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    text = (PRODUCTS_DIR / "clcplus-backbone.yml").read_text()
    (tmp_path / "a.yml").write_text(text)
    (tmp_path / "b.yml").write_text(text)
    with pytest.raises(ProductDefinitionError, match=r"b\.yml: field 'id'.*a\.yml"):
        load_products(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ProductDefinitionError, match="no such product folder"):
        load_products(tmp_path / "nope")
