"""The HTML pages without services: descriptions rendered for people, schemas said in words,
results shaped into tables, every process page built from its description."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from landgrid.settings import Settings
from landgrid.web.app import create_app
from landgrid.web.pages import number, prose, render
from landgrid.web.result_views import change_matrix, statistics_tables
from landgrid.web.schema_text import describe
from processes.inputs import AOI_SCHEMA, ZONES_SCHEMA
from processes.registry import ProcessRegistry

BUILT = (Path(__file__).resolve().parents[2] / "landgrid/web/static/dist/LICENSES.txt").exists()


def test_prose_escapes_and_shows_code_spans() -> None:
    html = prose("uses `zonesCrs` <b>, CRS84")
    assert str(html) == "uses <code>zonesCrs</code> &lt;b&gt;, CRS84"


def test_numbers_for_people() -> None:
    assert number(1681.25) == "1\u202f681.25"
    assert number(168125) == "168\u202f125"
    assert number(0.5, 1) == "0.5"
    assert number(True) == "True"


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "integer", "minimum": 1900, "maximum": 2100}, "integer from 1900 to 2100"),
        ({"enum": ["centre", "fraction"], "default": "centre"}, "one of: centre, fraction"),
        ({"type": "number", "minimum": 0}, "number >= 0"),
        (ZONES_SCHEMA, "GeoJSON FeatureCollection, or object {collection, filter, filter-lang}"),
        (
            AOI_SCHEMA,
            "bounding box {bbox: [minx, miny, maxx, maxy], crs}, "
            "or GeoJSON geometry (Polygon/MultiPolygon)",
        ),
        ({"type": "string", "contentEncoding": "binary", "contentMediaType": "a/b"}, "file (a/b)"),
        ({}, "any value"),
    ],
)
def test_schemas_in_words(schema: dict, words: str) -> None:
    assert describe(schema) == words


def test_statistics_as_tables_per_zone() -> None:
    stats = {
        "product": "p",
        "years": [2018, 2021],
        "zones": [
            {
                "id": "a",
                "properties": {"name": "zone a"},
                "years": {
                    "2018": {"area_ha": 3.0, "classes": [
                        {"code": 2, "label": "Forest", "area_ha": 2.0, "share": 2 / 3},
                        {"code": 1, "label": "Sealed", "area_ha": 1.0, "share": 1 / 3},
                    ]},
                    "2021": {"area_ha": 3.0, "classes": [
                        {"code": 1, "label": "Sealed", "area_ha": 3.0, "share": 1.0},
                    ]},
                },
            }
        ],
    }  # fmt: skip
    (table,) = statistics_tables(stats, {1: "#FF0000"})
    assert (table.id, table.name, table.years) == ("a", "zone a", [2018, 2021])
    assert [r.code for r in table.rows] == [1, 2]
    sealed, forest = table.rows
    assert sealed.colour == "#FF0000" and forest.colour == "#BFBFBF"  # not in the legend: grey
    assert sealed.area_ha == {2018: 1.0, 2021: 3.0} and forest.area_ha == {2018: 2.0}
    assert table.largest_ha == 3.0 and table.total_ha == {2018: 3.0, 2021: 3.0}


def test_change_matrix_with_net_change() -> None:
    def t(a: int, b: int, ha: float) -> dict:
        return {"from": a, "to": b, "from_label": f"c{a}", "to_label": f"c{b}", "area_ha": ha}

    body = {
        "yearA": 2018,
        "yearB": 2021,
        "transitions": [t(1, 1, 5.0), t(2, 1, 2.0), t(2, 2, 3.0)],
        "net_change": [],
    }
    m = change_matrix(body, {})
    assert [c[0] for c in m.classes] == [1, 2]
    assert m.area_a == {1: 5.0, 2: 5.0} and m.area_b == {1: 7.0, 2: 3.0}
    assert (m.changed_ha, m.total_ha) == (2.0, 10.0)


class Page(HTMLParser):
    """What a process page embeds (its description) and loads (scripts, stylesheets)."""

    def __init__(self) -> None:
        super().__init__()
        self.description = ""
        self.assets: list[str] = []
        self._in_description = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._in_description = tag == "script" and a.get("id") == "process-doc"
        if tag == "script" and a.get("src"):
            self.assets.append(a["src"] or "")
        elif tag == "link" and a.get("rel") in ("stylesheet", "icon"):
            self.assets.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_description = False

    def handle_data(self, data: str) -> None:
        if self._in_description:
            self.description += data


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("pages")
    settings = Settings(
        data_dir=data,
        public_url="http://localhost:5000",
        database_url="postgresql://nobody@127.0.0.1:1/landgrid",  # nothing answers
    )
    return create_app(settings).test_client()


@pytest.mark.parametrize("process_id", ProcessRegistry(Settings().pygeoapi_config).ids())
def test_process_page_is_built_from_its_description(client, process_id: str) -> None:
    r = client.get(f"/processes/{process_id}?f=html")
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = Page()
    page.feed(r.text)
    described = client.get(f"/processes/{process_id}?f=json").json
    embedded = json.loads(page.description)
    assert list(embedded["inputs"]) == list(described["inputs"])  # in the declared order
    assert embedded == described
    for name in described["inputs"]:
        assert f"<code>{name}</code>" in r.text
    assert "`" not in r.text.split('id="process-doc"')[0]  # no raw Markdown in the text
    assert all(a.startswith("http://localhost:5000/static/") for a in page.assets), page.assets
    if BUILT:  # each of them is served
        for asset in page.assets:
            assert client.get(asset.removeprefix("http://localhost:5000")).status_code == 200, asset
    assert "any value</td>" not in r.text  # every input's schema said in words


def test_collections_page_with_an_interval_but_no_years() -> None:
    """The catalogue's collection has a temporal interval and no ``values``: the page lists
    it without years (``temporal["values"]`` was the dict's method, a 500)."""
    collections = [
        {
            "id": "raster",
            "title": "R",
            "layerDataType": "Coverage",
            "links": [],
            "extent": {
                "temporal": {
                    "interval": [["2018-01-01T00:00:00Z", None]],
                    "values": ["2018-01-01T00:00:00Z", "2021-01-01T00:00:00Z"],
                }
            },
        },
        {
            "id": "catalogue",
            "title": "C",
            "links": [],
            "extent": {"temporal": {"interval": [[None, None]]}},
        },
        {"id": "vectors", "title": "V", "itemType": "feature", "links": []},
    ]
    html = render(
        "collections.html",
        base="http://x",
        title="Collections",
        doc={"collections": collections, "links": []},
    )
    assert "Years: 2018, 2021" in html and html.count("Years:") == 1


def test_catalogue_page_renders_records() -> None:
    """The page the catalogue's Records and STAC endpoints can render their documents with."""
    example = Path(__file__).resolve().parents[1] / "schemas/examples/ogcapi-records/record.json"
    record = json.loads(example.read_text())
    doc = {"type": "FeatureCollection", "features": [record], "numberMatched": 1, "links": []}
    html = render("catalogue.html", base="http://x", title="Records", doc=doc)
    assert record["properties"]["title"] in html and 'id="features-doc"' in html
    assert "1 record of 1" in html


def test_tiles_page_renders_a_tileset_and_a_list() -> None:
    tileset = {
        "title": "t",
        "dataType": "map",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
        "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/EuropeanETRS89_LAEAQuad",
        "tileMatrixSetLimits": [{"tileMatrix": "0"}, {"tileMatrix": "9"}],
        "links": [
            {
                "rel": "self",
                "href": "http://x/collections/c/map/tiles/E",
                "type": "application/json",
            },
            {
                "rel": "item",
                "href": "http://x/{tileMatrix}/{tileRow}/{tileCol}",
                "type": "image/png",
            },
        ],
    }
    one = render("tiles.html", base="http://x", title="c: map tiles", doc=tileset)
    assert "{tileMatrix}/{tileRow}/{tileCol}" in one and "0 to 9" in one
    listing = {"tilesets": [tileset], "links": tileset["links"][:1]}
    many = render("tiles.html", base="http://x", title="c: tilesets", doc=listing)
    assert 'href="http://x/collections/c/map/tiles/E"' in many
