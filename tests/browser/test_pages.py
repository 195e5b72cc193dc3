"""Every page in a real browser against the real stack: no console error, nothing from
another origin; the maps draw the legend's colours from our tiles, name the class under the
cursor and compare two years; the CQL2 box filters the map and the items; a user runs
``landcover-statistics`` from its form and reads the table; a job page follows a job to its
end without a reload; the form shows the server's own message for bad input.

``LANDGRID_UPDATE_SCREENSHOT=1`` also writes the README's picture of the viewer
(``docs/viewer.png``) from the viewer test.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest
import requests
from playwright.sync_api import Page, expect
from rasterio.io import MemoryFile
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from landgrid.raster.product import load_products
from landgrid.settings import PROJECT_ROOT
from tests.browser.conftest import assert_clean, page_log

pytestmark = pytest.mark.services
RASTER = "clcplus-backbone"
VECTOR = "clcplus-backbone-polygons"
SCREENSHOT = PROJECT_ROOT / "docs" / "viewer.png"
# Pixels of a canvas: a sample grid of [r, g, b, a] (every `step` px), read in the page.
CANVAS_PIXELS = """([selector, step]) => {
  const canvas = document.querySelector(selector);
  if (!canvas) return null;
  const {width, height} = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const out = [];
  for (let y = 0; y < height; y += step) for (let x = 0; x < width; x += step) {
    const i = (y * width + x) * 4;
    out.push([x, y, data[i], data[i + 1], data[i + 2], data[i + 3]]);
  }
  return {width, height, clientWidth: canvas.clientWidth, pixels: out};
}"""


@dataclass(frozen=True)
class Demo:
    base: str
    legend: dict[tuple[int, int, int], int]  # RGB -> code
    labels: dict[int, str]
    data_bbox: tuple[float, float, float, float]  # CRS84: where the demo has pixels
    zone: dict  # the largest demo polygon, as a GeoJSON feature (CRS84)
    zone_code: int

    def hash(self) -> str:
        return "#bbox=" + ",".join(f"{v:.5f}" for v in self.data_bbox)


@pytest.fixture(scope="module")
def demo(base_url: str) -> Demo:
    legend, labels = {}, {}
    for c in load_products(PROJECT_ROOT / "config" / "products")[RASTER].legend:
        legend[c.rgb] = c.code
        labels[c.code] = c.label
    items = requests.get(
        f"{base_url}/collections/{VECTOR}/items", params={"limit": 1000}, timeout=30
    ).json()["features"]
    shapes = [shape(f["geometry"]) for f in items]
    largest = max(range(len(items)), key=lambda i: shapes[i].area)
    zone = {
        "type": "Feature",
        "id": "largest",
        "properties": {"name": "largest polygon"},
        "geometry": mapping(shapes[largest]),
    }
    return Demo(
        base_url,
        legend,
        labels,
        tuple(unary_union(shapes).bounds),
        zone,
        items[largest]["properties"]["code"],
    )


def finished_job(base: str, process: str, inputs: dict, timeout: float = 120) -> str:
    r = requests.post(
        f"{base}/processes/{process}/execution",
        json={"inputs": inputs, "response": "document"},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    job = r.headers["Location"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(job, timeout=10).json()["status"]
        if status in ("successful", "failed"):
            assert status == "successful", requests.get(job, timeout=10).text
            return job.rsplit("/", 1)[-1]
        time.sleep(0.5)
    raise AssertionError(f"{process} job {job} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def jobs(demo: Demo) -> dict[str, str]:
    """A finished job of each land-cover process, inside the demo's pixels."""
    w, s, e, n = demo.data_bbox
    aoi = {"bbox": [w, s, w + (e - w) / 2, s + (n - s) / 2]}
    zones = {"type": "FeatureCollection", "features": [demo.zone]}
    return {
        "statistics": finished_job(
            demo.base,
            "landcover-statistics",
            {"product": RASTER, "year": [2018, 2021], "zones": zones},
        ),
        "change": finished_job(
            demo.base,
            "change-detection",
            {"product": RASTER, "yearA": 2018, "yearB": 2021, "aoi": aoi},
        ),
        "extract": finished_job(
            demo.base, "extract", {"product": RASTER, "year": [2021], "aoi": aoi}
        ),
        "vectorize": finished_job(
            demo.base, "vectorize", {"product": RASTER, "year": 2021, "aoi": aoi}
        ),
    }


def open_page(page: Page, url: str) -> None:
    page.goto(url, wait_until="networkidle")


def canvas(page: Page, selector: str, step: int = 4) -> dict:
    found = page.evaluate(CANVAS_PIXELS, [selector, step])
    assert found is not None, f"no canvas {selector!r}: nothing was drawn"
    return found


# ---- every page --------------------------------------------------------------------------

PAGES = [
    "/",
    "/conformance",
    "/collections",
    f"/collections/{RASTER}",
    f"/collections/{RASTER}/schema",
    f"/collections/{RASTER}/coverage",
    f"/collections/{RASTER}/tiles",
    f"/collections/{RASTER}/map/tiles",
    f"/collections/{RASTER}/map/tiles/EuropeanETRS89_LAEAQuad",
    f"/collections/{VECTOR}/tiles/WebMercatorQuad",
    f"/collections/{VECTOR}",
    f"/collections/{VECTOR}/items",
    f"/collections/{VECTOR}/items/1",
    f"/collections/{VECTOR}/queryables",
    "/processes",
    "/processes/landcover-statistics",
    "/processes/change-detection",
    "/processes/extract",
    "/processes/vectorize",
    "/processes/echo",
    "/jobs",
    "/openapi",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_clean(page: Page, demo: Demo, path: str) -> None:
    open_page(page, f"{demo.base}{path}?f=html")
    expect(page.locator("main > h1")).to_be_visible()
    assert page.title().endswith("- Landgrid")
    assert_clean(page, [demo.base])


@pytest.mark.parametrize("which", ["statistics", "change", "extract", "vectorize"])
def test_job_and_results_pages_load_clean(page: Page, demo: Demo, jobs: dict, which: str) -> None:
    for path in (f"/jobs/{jobs[which]}", f"/jobs/{jobs[which]}/results"):
        open_page(page, f"{demo.base}{path}?f=html")
        expect(page.locator(".output").first).to_be_visible()
        for target in page.locator(".result-map").all():  # GeoTIFFs and collections drawn
            expect(target.locator("canvas").first).to_be_attached(timeout=20000)
    assert_clean(page, [demo.base])


def test_pages_fit_a_phone(browser, demo: Demo, jobs: dict) -> None:
    """390 px wide: nothing wider than the screen but what scrolls in its own box."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for path in (
        f"/collections/{RASTER}",
        "/processes/landcover-statistics",
        f"/jobs/{jobs['change']}",
    ):
        page.goto(f"{demo.base}{path}?f=html", wait_until="networkidle")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
    context.close()


# ---- the maps ----------------------------------------------------------------------------


def test_raster_map_draws_legend_colours_and_names_the_class(page: Page, demo: Demo) -> None:
    open_page(page, f"{demo.base}/collections/{RASTER}?f=html{demo.hash()}")
    drawn = canvas(page, ".year-main canvas")
    opaque = [p for p in drawn["pixels"] if p[5] == 255]
    assert len(opaque) > 1000, "the map tiles drew (almost) nothing"
    colours = [tuple(p[2:5]) for p in opaque]
    outside = [c for c in colours if c not in demo.legend]
    assert not outside, f"{len(outside)} of {len(colours)} pixels not in the legend: {outside[:5]}"
    assert len({demo.legend[c] for c in colours}) >= 3

    # point at a pixel: the probe names its class (a point query of the coverage), and the
    # legend marks the row
    x, y, *rgb, _ = opaque[len(opaque) // 2]
    code = demo.legend[tuple(rgb)]
    scale = drawn["width"] / drawn["clientWidth"]
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + x / scale, box["y"] + y / scale)
    expect(page.locator("#probe")).to_contain_text(f"2021: {demo.labels[code]} (code {code})")
    expect(page.locator(f'#legend tr[data-code="{code}"]')).to_have_class("active")
    assert_clean(page, [demo.base])


def test_swipe_compares_two_years(page: Page, demo: Demo) -> None:
    open_page(page, f"{demo.base}/collections/{RASTER}?f=html{demo.hash()}")
    page.check("#compare")
    expect(page.locator("#swipe")).to_be_enabled()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    main, other = canvas(page, ".year-main canvas"), canvas(page, ".year-compare canvas")
    line = other["width"] * 0.5
    left = [p for p in other["pixels"] if p[0] < line - 2]
    right = [p for p in other["pixels"] if p[0] > line + 2]
    assert any(p[5] == 255 for p in left), "the compared year is not drawn left of the line"
    assert all(p[5] == 0 for p in right), "the compared year shows right of the line"
    # left of the line, the map shows 2018, which differs from 2021 (the demo changes)
    changed = [
        a for a, b in zip(main["pixels"], other["pixels"], strict=True)
        if a[0] < line - 2 and a[5] == b[5] == 255 and a[2:5] != b[2:5]
    ]  # fmt: skip
    assert changed, "2018 and 2021 look the same left of the swipe line"
    # the probe names both years' classes
    x, y = changed[0][:2]
    scale = other["width"] / other["clientWidth"]
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + x / scale, box["y"] + y / scale)
    expect(page.locator("#probe [data-year]")).to_have_count(2)
    assert_clean(page, [demo.base])


def test_keyboard_asks_the_class_at_the_centre(page: Page, demo: Demo) -> None:
    open_page(page, f"{demo.base}/collections/{RASTER}?f=html{demo.hash()}")
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#probe [data-code]")).to_have_count(1)
    page.keyboard.press("ArrowLeft")  # the map pans by keyboard: the view changes
    page.wait_for_function("location.hash.startsWith('#bbox=')")
    assert_clean(page, [demo.base])


def test_vector_map_colours_filters_and_pops_up(page: Page, demo: Demo) -> None:
    open_page(page, f"{demo.base}/collections/{VECTOR}?f=html{demo.hash()}")

    def fills() -> list[list[int]]:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        pixels = canvas(page, "#map .ol-layer canvas", 3)["pixels"]
        return [p for p in pixels if 180 <= p[5] <= 200]  # the fill (alpha 0.75), not edges

    def class_of(pixel: list[int]) -> int | None:
        """The legend class whose colour the fill is, but for the canvas' rounding."""
        rgb = pixel[2:5]
        near = [
            c for colour, c in demo.legend.items() if max(map(abs, np.subtract(colour, rgb))) <= 6
        ]
        return near[0] if len(near) == 1 else None

    filled = fills()
    assert len(filled) > 500, "no vector tile feature was drawn"
    classes = [class_of(p) for p in filled]
    wrong = [p for p, c in zip(filled, classes, strict=True) if c is None]
    assert len(wrong) <= len(filled) * 0.05, f"fills not in the legend: {wrong[:5]}"
    assert len(set(classes) - {None}) >= 3

    page.fill("#filter-text", "code = 2")
    with page.expect_response(lambda r: "f=mvt" in r.url and "filter=" in r.url):
        page.click("#filter button[type=submit]")
    page.wait_for_function(  # the list of the filter (the unfiltered one came first)
        """() => {
          const cells = [...document.querySelectorAll('#items tbody tr td:nth-child(2)')];
          return cells.length > 0 && cells.every((c) => c.textContent.trim() === '2');
        }""",
        timeout=15000,
    )
    codes = page.locator("#items tbody tr td:nth-child(2)").all_inner_texts()
    assert codes and {c.strip() for c in codes} == {"2"}
    green = demo.legend[(0x22, 0x8B, 0x22)]
    filled = fills()
    assert filled and {class_of(p) for p in filled} <= {green, None}
    assert [class_of(p) for p in filled].count(green) > len(filled) * 0.95
    assert "filter=code+%3D+2" in page.locator("#items-link").get_attribute("href")

    # a click on a drawn feature opens its attributes
    x, y = filled[len(filled) // 2][:2]
    drawn = canvas(page, "#map .ol-layer canvas", 50)
    scale = drawn["width"] / drawn["clientWidth"]
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x / scale, box["y"] + y / scale)
    popup = page.locator("#popup")
    expect(popup).to_be_visible()
    expect(popup.locator("tr", has_text="code")).to_contain_text("2")

    # a bad filter: the server's message, the map and the list keep the last good one
    page.fill("#filter-text", "code = = 2")
    page.click("#filter button[type=submit]")
    detail = requests.get(
        f"{demo.base}/collections/{VECTOR}/items", params={"filter": "code = = 2"}, timeout=30
    ).json()["detail"]
    expect(page.locator("#filter-error")).to_have_text(detail)
    log_failures = [
        u for u in page_failures(page) if "code+%3D+%3D+2" not in u and "code%20%3D%20%3D" not in u
    ]
    assert not log_failures


def page_failures(page: Page) -> list[str]:
    log = page_log(page)
    return [*log.console_errors, *log.page_errors, *log.failed_requests]


# ---- processes and jobs --------------------------------------------------------------------


def test_user_runs_statistics_from_the_form(page: Page, demo: Demo) -> None:
    open_page(page, f"{demo.base}/processes/landcover-statistics?f=html")
    page.select_option("#input-product", RASTER)
    page.check("#input-year-2018")
    page.check("#input-year-2021")
    zones = {"type": "FeatureCollection", "features": [demo.zone]}
    page.fill("#input-zones", json.dumps(zones))
    page.locator("#input-zones").dispatch_event("change")
    page.click("#process-form button[type=submit]")
    page.wait_for_url("**/jobs/*?f=html")
    table = page.locator("table.statistics")
    expect(table).to_be_visible(timeout=60000)
    job_id = page.url.split("/jobs/")[1].split("?")[0]

    results = requests.get(f"{demo.base}/jobs/{job_id}/results?f=json", timeout=30).json()
    (zone,) = results["statistics"]["zones"]
    for year in ("2018", "2021"):
        for c in zone["years"][year]["classes"]:
            row = table.locator(f'tr[data-code="{c["code"]}"]')
            expect(row).to_contain_text(demo.labels.get(c["code"], "No data"))
            expect(row).to_contain_text(f"{c['area_ha']:,.2f}".replace(",", "\u202f"))
    # the zone is one polygon of the 2021 layer: its class covers it all that year
    top = max(zone["years"]["2021"]["classes"], key=lambda c: c["share"])
    assert top["code"] == demo.zone_code and top["share"] > 0.99
    expect(page.locator(".bars .bar")).not_to_have_count(0)
    expect(page.locator("a", has_text="Download statistics.csv")).to_be_visible()
    assert_clean(page, [demo.base])


def test_form_refuses_bad_input_with_the_servers_message(page: Page, demo: Demo) -> None:
    points = {  # valid GeoJSON, but zones must be areas: the processor says so
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": list(demo.data_bbox[:2])},
            }
        ],
    }
    inputs = {"product": RASTER, "year": [2021], "zones": points}
    answer = requests.post(
        f"{demo.base}/processes/landcover-statistics/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    assert answer.status_code == 400
    jobs_before = requests.get(f"{demo.base}/jobs?limit=1000", timeout=30).json()["jobs"]

    open_page(page, f"{demo.base}/processes/landcover-statistics?f=html")
    page.select_option("#input-product", RASTER)
    page.uncheck("#input-year-2018")
    page.check("#input-year-2021")
    page.fill("#input-zones", json.dumps(points))
    page.click("#process-form button[type=submit]")
    expect(page.locator("#form-error")).to_have_text(answer.json()["detail"])
    expect(page.locator("#input-zones")).to_have_attribute("aria-invalid", "true")
    assert "/processes/" in page.url  # still on the form

    # no year at all: the server says which input is missing
    page.uncheck("#input-year-2021")
    page.click("#process-form button[type=submit]")
    expect(page.locator("#form-error")).to_have_text("input 'year' is required")
    # nothing was recorded for either request
    jobs_after = requests.get(f"{demo.base}/jobs?limit=1000", timeout=30).json()["jobs"]
    assert len(jobs_after) == len(jobs_before)
    failures = page_failures(page)
    assert all("400" in f for f in failures), failures


def test_job_page_follows_the_job_without_a_reload(page: Page, demo: Demo) -> None:
    r = requests.post(
        f"{demo.base}/processes/sleep/execution",
        json={"inputs": {"seconds": 4, "steps": 8}},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    job = r.headers["Location"]
    open_page(page, f"{job}?f=html")
    badge = page.locator("#job-status .status")
    assert badge.inner_text() in ("accepted", "running")
    page.evaluate("window.stillThisPage = true")
    seen = set()
    deadline = time.monotonic() + 90
    while "successful" not in seen and time.monotonic() < deadline:
        seen.add(badge.inner_text())
        page.wait_for_timeout(200)
    assert "running" in seen and "successful" in seen, seen
    assert page.evaluate("window.stillThisPage") is True, "the page was reloaded"
    expect(page.locator("#job-progress")).to_have_attribute("value", "100")
    expect(page.locator("#output-steps")).to_contain_text("8")  # the results, in place
    assert_clean(page, [demo.base])


def test_failed_job_shows_its_reason(page: Page, demo: Demo) -> None:
    r = requests.post(
        f"{demo.base}/processes/sleep/execution",
        json={"inputs": {"seconds": 0.5, "steps": 1, "fail": True}},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    open_page(page, f"{r.headers['Location']}?f=html")
    expect(page.locator("#job-failure")).to_contain_text("asked to fail after 0.5 s", timeout=60000)
    expect(page.locator("#job-status .status")).to_have_text("failed")
    assert_clean(page, [demo.base])


def test_api_documentation_is_swagger_ui(page: Page, demo: Demo) -> None:
    open_page(page, f"{demo.base}/openapi?f=html")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    # Swagger UI renders a large document's operations in several passes; after the other
    # test folders the session stack serves dozens of collections (hundreds of operations)
    page.wait_for_function(
        "document.querySelectorAll('.swagger-ui .opblock').length > 20", timeout=120_000
    )
    expect(
        page.locator(".swagger-ui .opblock-summary-path", has_text="/jobs/{jobId}").first
    ).to_be_visible(timeout=60_000)
    assert_clean(page, [demo.base])


def test_viewer_screenshot(browser, demo: Demo, tmp_path) -> None:
    """The README's picture: two years of the demo product swiped, the class under the
    cursor named. Written to docs/ with LANDGRID_UPDATE_SCREENSHOT=1."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    open_page(page, f"{demo.base}/collections/{RASTER}?f=html{demo.hash()}")
    page.check("#compare")
    page.locator("#swipe").fill("40")
    page.wait_for_load_state("networkidle")
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.45)
    expect(page.locator("#probe [data-code]")).to_have_count(2)
    expect(page.locator(".swipe-label.left")).to_have_text("2018")
    page.locator(".map-layout").scroll_into_view_if_needed()
    layout, box = page.locator(".map-layout").bounding_box(), page.locator("#map").bounding_box()
    clip = {"x": layout["x"], "y": layout["y"], "width": layout["width"], "height": box["height"]}
    shot = page.screenshot(path=str(tmp_path / "viewer.png"), clip=clip)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("LANDGRID_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot)
    context.close()


def test_a_configured_basemap_is_drawn_under_the_products(
    page: Page, demo: Demo, settings, serve, new_port
) -> None:
    """Off by default (no other origin); with ``LANDGRID_BASEMAP_URL`` the maps draw it."""
    from werkzeug.serving import make_server

    from landgrid.web.app import create_app
    from tests.browser.test_assets import COLOURS as QUADRANTS
    from tests.browser.test_assets import quadrant_png

    # one picture for every tile: the handler matches the path, the query names the tile
    tiles = serve(files={"/tile.png": (quadrant_png(), "image/png")}, cors=True)
    port = new_port()
    with_basemap = settings.model_copy(
        update={
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "basemap_url": tiles + "/tile.png?z={z}&x={x}&y={y}",
            "basemap_attribution": "test tiles",
        }
    )
    server = make_server("127.0.0.1", port, create_app(with_basemap), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app = with_basemap.url
        open_page(page, f"{app}/collections/{RASTER}?f=html{demo.hash()}")
        expect(page.locator(".ol-attribution")).to_contain_text("test tiles")
        assert any(u.startswith(tiles) for u in page_log(page).requests)
        # the basemap's canvas is another origin's (tainted, unreadable): read the screen
        with MemoryFile(page.locator("#map").screenshot()) as png, png.open() as image:
            rgb = np.moveaxis(image.read()[:3], 0, -1).reshape(-1, 3).astype(int)
        for colour in QUADRANTS.values():  # every colour of the basemap tile shows somewhere
            assert (np.abs(rgb - colour).max(axis=1) <= 2).any(), f"{colour} not on the map"
        assert_clean(page, [app, tiles])
    finally:
        server.shutdown()
