"""The vendored schemas resolve offline and judge the standards' own examples as they should.

A network guard runs around every test here: a schema library falling back to fetching a
``$ref`` would show as a recorded connection attempt, not as a slow or flaky test.
"""

from __future__ import annotations

import copy
import json
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import jsonschema
import pyproj
import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from referencing.exceptions import NoSuchResource, Unresolvable

from tests.schemas import (
    ROOT,
    SchemaValidationError,
    load,
    resolver,
    validate,
    validate_openapi,
    validator_class,
)

EXAMPLES = ROOT / "examples"
PROCESSES = "schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/"
FEATURES = "schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/"
CQL2 = "schemas.opengis.net/cql2/1.0/cql2.json"
TILES = "schemas.opengis.net/ogcapi/tiles/part1/1.0/openapi/"
TMS = "schemas.opengis.net/tms/2.0/json/"
TILEJSON = "raw.githubusercontent.com/mapbox/tilejson-spec/master/3.0.0/schema.json"
MAPS = "schemas.opengis.net/ogcapi/maps/part1/1.0/openapi/schemas/maps-core/projections.yaml"
RECORDS = "schemas.opengis.net/ogcapi/records/part1/1.0/openapi/"
COVERAGES = "raw.githubusercontent.com/opengeospatial/ogcapi-coverages/master/standard/openapi/"
ITEM = "schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"
EXT = "stac-extensions.github.io/"
ITEM_COLLECTION = (
    "api.stacspec.org/v1.0.0/fragments/itemcollection/openapi.yaml"
    "#/components/schemas/itemCollection"
)
PROJJSON = "proj.org/schemas/v0.7/projjson.schema.json"
SCHEMA_FILES = sorted(
    path.relative_to(ROOT).as_posix()
    for path in ROOT.rglob("*")
    if path.suffix in {".json", ".yaml"} and path.relative_to(ROOT).parts[0] != "examples"
)


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Refuse, and record, every connection and name lookup the test makes."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise ConnectionRefusedError("network access in an offline schema test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert not attempts, f"the test reached for the network: {attempts}"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_guard_refuses_the_network(network_guard: list[tuple[Any, ...]]) -> None:
    with pytest.raises(OSError):
        urllib.request.urlopen("https://schemas.opengis.net/", timeout=1)
    assert network_guard, "the guard did not see the attempt"
    network_guard.clear()


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_ref_resolves_offline(name: str) -> None:
    contents = load(ROOT / name)
    if name.endswith(".json"):  # JSON Schema documents must be valid against their dialect
        validator_class(name).check_schema(contents)
    base = resolver(name)
    for ref in sorted(set(_refs(contents))):
        base.lookup(ref)  # raises if the file or the pointer is missing


@pytest.mark.parametrize(
    ("schema", "dialect"),
    [
        (PROCESSES + "schemas/statusInfo.yaml", OAS30Validator),
        (CQL2, jsonschema.Draft202012Validator),
        (TMS + "tileSet.json", jsonschema.Draft201909Validator),
        (ITEM, jsonschema.Draft7Validator),
        (TILEJSON, jsonschema.Draft202012Validator),  # no $schema
    ],
)
def test_the_dialect_is_chosen_per_file(schema: str, dialect: type) -> None:
    assert validator_class(schema) is dialect


def test_an_unvendored_url_fails_without_fetching() -> None:
    with pytest.raises(NoSuchResource):
        validate({}, "https://schemas.example.org/nothing.json")
    with pytest.raises(Unresolvable):
        resolver(FEATURES + "link.yaml").lookup("https://schemas.example.org/nothing.yaml")


VALID = [
    ("ogcapi-processes/ConfClasses.json", PROCESSES + "schemas/confClasses.yaml"),
    ("ogcapi-processes/LandingPage.json", PROCESSES + "schemas/landingPage.yaml"),
    ("ogcapi-processes/ProcessList.json", PROCESSES + "schemas/processList.yaml"),
    (
        "ogcapi-processes/ProcessList.json",
        PROCESSES + "responses/ProcessList.yaml#/content/application~1json/schema",
    ),
    ("ogcapi-processes/Result.json", PROCESSES + "schemas/results.yaml"),
    ("ogcapi-features/LandingPage.json", FEATURES + "landingPage.yaml"),
    ("ogcapi-features/Collections.json", FEATURES + "collections.yaml"),
    ("geojson/featurecollection-basic.json", FEATURES + "featureCollectionGeoJSON.yaml"),
    *[(f"cql2/{name}.json", CQL2) for name in ("clause6_01", "clause7_07", "clause7_15")],
    *[(f"cql2/{name}.json", CQL2) for name in ("example01", "example17", "example32")],
    ("tms/tilematrixset/WebMercatorQuad.json", TILES + "schemas/tms/tileMatrixSet.yaml"),
    ("tms/tilematrixset/WorldCRS84Quad.json", TILES + "schemas/tms/tileMatrixSet.yaml"),
    ("tms/tilematrixset/WebMercatorQuad.json", TMS + "tileMatrixSet.json"),
    ("tms/tilematrixset/WorldCRS84Quad.json", TMS + "tileMatrixSet.json"),
    ("tms/tilematrixset/EuropeanETRS89_LAEAQuad.json", TMS + "tileMatrixSet.json"),
    ("tilejson/osm.json", TILEJSON),
    ("ogcapi-records/record.json", RECORDS + "schemas/recordGeoJSON.yaml"),
    ("stac/simple-item.json", ITEM),
    ("stac/core-item.json", ITEM),
    ("stac/proj-example.json", ITEM),
    ("stac/proj-example.json", EXT + "projection/v2.0.0/schema.json"),
    (
        "stac/collection.json",
        "schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json",
    ),
    ("stac/catalog.json", "schemas.stacspec.org/v1.1.0/catalog-spec/json-schema/catalog.json"),
    ("stac-extensions/raster-item-sentinel2.json", ITEM),
    ("stac-extensions/raster-item-sentinel2.json", EXT + "raster/v2.0.0/schema.json"),
    ("stac-extensions/raster-item-sentinel2.json", EXT + "projection/v2.0.0/schema.json"),
    ("stac-extensions/projection-item.json", EXT + "projection/v2.0.0/schema.json"),
    ("stac-extensions/file-item.json", EXT + "file/v2.1.0/schema.json"),
    ("stac-api/itemcollection-sample-full.json", ITEM_COLLECTION),
    ("stac-api/itemcollection-sample-minimal.json", ITEM_COLLECTION),
    ("geojson/featurecollection-basic.json", "geojson.org/schema/FeatureCollection.json"),
]


@pytest.mark.parametrize(("name", "schema"), VALID)
def test_the_standards_examples_are_valid(name: str, schema: str) -> None:
    validate(example(name), schema)


def test_a_schema_can_be_named_by_its_url() -> None:
    validate(
        example("ogcapi-processes/ConfClasses.json"),
        "https://" + PROCESSES + "schemas/confClasses.yaml",
    )


# What the official files say about their own examples, unchanged upstream (see README.md).
UPSTREAM_DEFECTS = [
    (
        "ogcapi-processes/StatusInfo.json",
        PROCESSES + "schemas/statusInfo.yaml",
        "$: 'type' is a required property",
    ),
    (
        "ogcapi-processes/JobList.json",
        PROCESSES + "schemas/jobList.yaml",
        "$.jobs[0]: 'type' is a required property",
    ),
    (
        "ogcapi-processes/Execute.json",
        PROCESSES + "schemas/execute.yaml",
        "$.inputs.geometryInput: ",
    ),
    (
        "ogcapi-processes/ProcessDescription.json",
        PROCESSES + "schemas/process.yaml",
        "is valid under each of {'$ref': 'reference.yaml'}, {'$ref': 'schema.yaml'}",
    ),
    (
        "tms/tileset/tiles.WebMercatorQuad.json",
        TMS + "tileSet.json",
        "$.layers[0].geometryDimension: '2' is not of type 'integer'",
    ),
    (
        "tms/tileset/tiles.WebMercatorQuad.json",
        TILES + "schemas/tms/tileSet.yaml",
        "$.layers[0].geometryDimension: '2'",
    ),
    (
        "ogcapi-records/catalog.json",
        RECORDS + "schemas/catalog.yaml",
        "$.language: 'en-CA' is not of type 'object'",
    ),
    (
        "geojson/invalid-feature-no-geometry.json",
        "geojson.org/schema/Feature.json",
        "$: 'geometry' is a required property",
    ),
]


@pytest.mark.parametrize(("name", "schema", "expected"), UPSTREAM_DEFECTS)
def test_examples_the_official_schemas_reject(name: str, schema: str, expected: str) -> None:
    with pytest.raises(SchemaValidationError) as failure:
        validate(example(name), schema)
    assert expected in str(failure.value)


def _broken(name: str, path: list[str | int], value: Any) -> Any:
    """An example with one value replaced (``...`` removes it)."""
    instance = copy.deepcopy(example(name))
    parent = instance
    for key in path[:-1]:
        parent = parent[key]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return instance


BROKEN = [
    (
        _broken("ogcapi-processes/ProcessList.json", ["processes", 0, "version"], ...),
        PROCESSES + "schemas/processList.yaml",
        "$.processes[0]: 'version' is a required property",
    ),
    (
        {"type": "process", "jobID": "1", "status": "finished"},
        PROCESSES + "schemas/statusInfo.yaml",
        "$.status: 'finished' is not one of",
    ),
    (
        {"type": "process", "jobID": "1", "status": "running", "created": "yesterday"},
        PROCESSES + "schemas/statusInfo.yaml",
        "$.created: 'yesterday' is not a 'date-time'",
    ),
    (
        _broken("ogcapi-features/Collections.json", ["collections", 0, "links", 0, "href"], ...),
        FEATURES + "collections.yaml",
        "$.collections[0].links[0]: 'href' is a required property",
    ),
    (
        {
            "op": "s_intersects",
            "args": [{"property": "geom"}, {"type": "Point", "coordinates": "x"}],
        },
        CQL2,
        "$.args[1].coordinates: 'x' is not of type 'array'",
    ),
    (
        _broken("tms/tilematrixset/WebMercatorQuad.json", ["tileMatrices"], ...),
        TILES + "schemas/tms/tileMatrixSet.yaml",
        "$: 'tileMatrices' is a required property",
    ),
    (
        _broken("tms/tilematrixset/WebMercatorQuad.json", ["tileMatrices", 0, "matrixWidth"], 0),
        TMS + "tileMatrixSet.json",
        "$.tileMatrices[0].matrixWidth: 0 is less than the minimum of 1",
    ),
    (_broken("tilejson/osm.json", ["tiles"], "x"), TILEJSON, "$.tiles: 'x' is not of type 'array'"),
    (
        _broken("ogcapi-records/record.json", ["time"], {"interval": ["2020"]}),
        RECORDS + "schemas/recordGeoJSON.yaml",
        "$.time.interval[0]: '2020' does not match",
    ),
    (
        _broken("stac/simple-item.json", ["stac_version"], "1.0.0"),
        ITEM,
        "$.stac_version: '1.1.0' was expected",
    ),
    (
        _broken("stac/simple-item.json", ["properties", "datetime"], ...),
        ITEM,
        "$.properties: 'datetime' is a required property",
    ),
    (
        _broken("stac-extensions/projection-item.json", ["properties", "proj:code"], 32659),
        EXT + "projection/v2.0.0/schema.json",
        "$.properties['proj:code']: 32659 is not of type",
    ),
    (
        _broken("stac-extensions/file-item.json", ["assets", "noises", "file:size"], -1),
        EXT + "file/v2.1.0/schema.json",
        "file:size",
    ),
    (
        _broken("stac-api/itemcollection-sample-minimal.json", ["type"], "Feature"),
        ITEM_COLLECTION,
        "$.type: 'Feature' is not one of ['FeatureCollection']",
    ),
    (
        {"type": "FeatureCollection"},
        "geojson.org/schema/FeatureCollection.json",
        "$: 'features' is a required property",
    ),
]


@pytest.mark.parametrize(("instance", "schema", "expected"), BROKEN)
def test_a_broken_instance_fails_naming_its_path(instance: Any, schema: str, expected: str) -> None:
    with pytest.raises(SchemaValidationError) as failure:
        validate(instance, schema)
    assert expected in str(failure.value)


def test_nullable_admits_null_only_where_declared() -> None:
    status = {"type": "process", "jobID": "1", "status": "running"}
    interval = {
        "spatial": {"bbox": [[-180, -90, 180, 90]]},
        "temporal": {"interval": [["2011-11-11T12:22:11Z", None]]},
    }
    validate(interval, FEATURES + "extent.yaml")
    with pytest.raises(SchemaValidationError, match=r"\$\.progress: None"):
        validate(status | {"progress": None}, PROCESSES + "schemas/statusInfo.yaml")


def test_null_geometry_and_null_time_are_rejected_upstream() -> None:
    """Features 1.0 does not make ``geometry`` nullable; Records 1.0 admits ``time: null``
    in both branches of a ``oneOf``, so rejects it."""
    feature = {"type": "Feature", "geometry": None, "properties": {}}
    with pytest.raises(SchemaValidationError, match=r"\$\.geometry: None is not valid"):
        validate(feature, FEATURES + "featureGeoJSON.yaml")
    record = example("ogcapi-records/record.json") | {"time": None}
    with pytest.raises(SchemaValidationError, match=r"\$\.time: None is valid under each of"):
        validate(record, RECORDS + "schemas/recordGeoJSON.yaml")


def test_maps_custom_projections() -> None:
    projections = {
        "methods": {"EPSG:9820": {"title": "Lambert Azimuthal Equal Area", "parameters": {}}},
        "datums": {"EPSG:6258": {"title": "ETRS89", "ellipsoid": "EPSG:7019"}},
    }
    validate(projections, MAPS)
    with pytest.raises(
        SchemaValidationError, match=r"\$\.datums\['EPSG:6258'\]: 'ellipsoid' is a required"
    ):
        validate(_without(projections, "datums", "EPSG:6258", "ellipsoid"), MAPS)


def _without(instance: dict[str, Any], *path: str) -> dict[str, Any]:
    copied = copy.deepcopy(instance)
    parent = copied
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return copied


AXES = [
    {"type": "RegularAxis", "axisLabel": "E", "lowerBound": "4000000", "upperBound": "4100000"},
    {"type": "RegularAxis", "axisLabel": "N", "lowerBound": "2500000", "upperBound": "2600000"},
]
DOMAIN_SET = {
    "type": "DomainSet",
    "generalGrid": {
        "type": "GeneralGridCoverage",
        "srsName": "http://www.opengis.net/def/crs/EPSG/0/3035",
        "axisLabels": ["E", "N"],
        "axis": [axis | {"uomLabel": "m", "resolution": 10} for axis in AXES],
    },
}
EXTENT = {
    "spatial": {
        "bbox": [[5.9, 45.8, 10.5, 47.8]],
        "grid": [{"cellsCount": 460, "resolution": 0.01}, {"cellsCount": 200, "resolution": 0.01}],
    },
    "temporal": {"interval": [["2018-01-01T00:00:00Z", "2018-12-31T23:59:59Z"]]},
}


def test_coverages_extent_with_a_grid_domain_set_and_range_type() -> None:
    range_type = {
        "type": "DataRecord",
        "field": [
            {"type": "Quantity", "name": "class", "uom": {"type": "UnitReference", "code": "1"}}
        ],
    }
    validate(EXTENT, COVERAGES + "schemas/common-geodata/extent.yaml")
    validate(DOMAIN_SET, COVERAGES + "schemas/cis/domainSet.yaml")
    validate(range_type, COVERAGES + "schemas/cis/rangeType.yaml")
    broken = copy.deepcopy(EXTENT)
    broken["spatial"]["grid"][0]["cellsCount"] = "many"
    with pytest.raises(SchemaValidationError, match=r"\$\.spatial\.grid\[0\]\.cellsCount: 'many'"):
        validate(broken, COVERAGES + "schemas/common-geodata/extent.yaml")


def test_coverages_draft_defects() -> None:
    """The draft's collection description takes ``spatial`` for an additional dimension, and
    its CIS domain set (converted from CIS 1.1 JSON) wants axis bounds as strings."""
    collection = {"id": "c", "links": [], "extent": EXTENT}
    with pytest.raises(
        SchemaValidationError, match=r"\$\.extent\.spatial: 'interval' is a required"
    ):
        validate(collection, COVERAGES + "schemas/common-geodata/collectionDesc.yaml")
    numeric = copy.deepcopy(DOMAIN_SET)
    numeric["generalGrid"]["axis"][0]["lowerBound"] = 4000000
    with pytest.raises(SchemaValidationError, match="4000000 is not of type 'string'"):
        validate(numeric, COVERAGES + "schemas/cis/domainSet.yaml")


def test_classification_extension() -> None:
    schema = EXT + "classification/v2.0.0/schema.json"
    item = example("stac/simple-item.json")
    item["stac_extensions"] = ["https://" + schema]
    item["assets"]["visual"]["classification:classes"] = [
        {
            "value": 111,
            "name": "continuous-urban-fabric",
            "description": "Continuous urban fabric",
            "color_hint": "E6004D",
        }
    ]
    validate(item, ITEM)
    validate(item, schema)
    item["assets"]["visual"]["classification:classes"][0]["color_hint"] = "#E6004D"
    with pytest.raises(SchemaValidationError, match="color_hint"):
        validate(item, schema)


def test_projjson_written_by_proj() -> None:
    crs = pyproj.CRS.from_epsg(3035).to_json_dict()
    validate(crs, PROJJSON)
    with pytest.raises(SchemaValidationError):
        validate(_without(crs, "name"), PROJJSON)


@pytest.mark.parametrize(
    "name", [TILES + "ogcapi-tiles-1.yaml", "api.stacspec.org/v1.0.0/item-search/openapi.yaml"]
)
def test_official_openapi_documents_are_valid(name: str) -> None:
    validate_openapi(load(ROOT / name), base_uri=name)


def test_openapi_with_remote_refs_is_validated_offline() -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "jobs", "version": "1"},
        "paths": {
            "/processes": {
                "get": {
                    "responses": {
                        "200": {"$ref": "https://" + PROCESSES + "responses/ProcessList.yaml"}
                    }
                }
            }
        },
    }
    validate_openapi(document)
    broken = document | {"info": {"title": "jobs"}}
    # quoted as openapi-spec-validator's backend quotes: jsonschema, or jsonschema-rs
    # (its "auto" choice once installed, as schemathesis installs it)
    with pytest.raises(SchemaValidationError, match=r"""['"]version['"] is a required property"""):
        validate_openapi(broken)


def test_openapi_refs_beyond_the_copies_fail_offline() -> None:
    document = yaml.safe_load(
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /x:
            get:
              responses:
                '200': {$ref: 'https://schemas.example.org/missing.yaml'}
        """
    )
    with pytest.raises(Unresolvable, match=r"missing\.yaml"):
        validate_openapi(document)
