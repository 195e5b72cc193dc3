"""The HTML view of a coverage: PNG previews from our own endpoint and the full legend."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests

from landgrid.raster.product import load_products
from landgrid.settings import PROJECT_ROOT

pytestmark = pytest.mark.services
ID = "clcplus-backbone"


class Page(HTMLParser):
    """Image sources, download links and legend rows (code -> cell texts, swatch style)."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: dict[str, str] = {}
        self.rows: dict[int, dict] = {}
        self._row: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append(a["src"] or "")
        elif tag == "a" and a.get("type"):
            self.links[a["type"] or ""] = a["href"] or ""
        elif tag == "tr" and a.get("data-code"):
            self._row = int(a["data-code"] or "")
            self.rows[self._row] = {"texts": [], "style": None}
        elif tag == "span" and self._row is not None:
            self.rows[self._row]["style"] = a.get("style")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and data.strip():
            self.rows[self._row]["texts"].append(data.strip())


def _page(url: str, **kwargs) -> tuple[requests.Response, Page]:
    r = requests.get(url, timeout=60, **kwargs)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("text/html")
    parsed = Page()
    parsed.feed(r.text)
    return r, parsed


def test_page_previews_each_year_and_lists_the_legend(base_url):
    url = f"{base_url}/collections/{ID}/coverage"
    params = {"f": "html", "datetime": "2018/2021", "subset": "X(4301000:4303000)"}
    r, page = _page(url, params=params)
    assert len(page.images) == 2  # one PNG per selected year
    for year, src in zip((2018, 2021), page.images, strict=True):
        png = requests.get(urljoin(r.url, src), timeout=60)
        assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
        assert png.headers["Content-Datetime"].startswith(f"{year}-01-01")
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    legend = load_products(PROJECT_ROOT / "config" / "products")[ID].legend
    assert sorted(page.rows) == sorted(c.code for c in legend)
    for c in legend:
        row = page.rows[c.code]
        assert str(c.code) in row["texts"] and any(c.label in t for t in row["texts"])
        assert c.colour in row["style"]
    tif = requests.get(urljoin(r.url, page.links["image/tiff; application=geotiff"]), timeout=60)
    assert tif.status_code == 200 and tif.headers["Content-Bbox"].endswith(
        ",4301000.0,2700000.0,4303000.0"
    )


def test_browser_accept_gets_the_page_with_a_bounded_preview(base_url):
    url = f"{base_url}/collections/{ID}/coverage"
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r, page = _page(url, headers={"Accept": accept})
    (src,) = page.images
    assert "width=" in src and "f=png" in src
    assert requests.get(urljoin(r.url, src), timeout=60).status_code == 200


def test_collection_links_the_page(base_url):
    doc = requests.get(f"{base_url}/collections/{ID}", params={"f": "json"}, timeout=30).json()
    (link,) = [x for x in doc["links"] if x["rel"] == "preview"]
    assert link["type"] == "text/html" and link["href"].endswith("/coverage?f=html")


def test_bad_parameters_on_the_page_are_400(base_url):
    r = requests.get(
        f"{base_url}/collections/{ID}/coverage", params={"f": "html", "crs": "EPSG:0"}, timeout=30
    )
    assert r.status_code == 400 and r.json()["detail"].startswith("crs:")
