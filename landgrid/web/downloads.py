"""Whole-year downloads: each product year's COG file, served for remote readers.

``send_file(conditional=True)`` answers ``Range`` requests with 206 and the asked bytes,
``If-None-Match``/``If-Modified-Since`` with 304, and always carries ``Accept-Ranges``,
``ETag`` and ``Content-Length``: what GDAL's ``/vsicurl/`` (hence rasterio and QGIS) needs to
read a COG's header and the tiles it wants without downloading the file.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_file

from landgrid.auth.access import CollectionAccess
from landgrid.catalog import Catalog
from landgrid.catalogue.records import GEOTIFF
from landgrid.errors import NotFound
from landgrid.raster.cogs import current_cog
from landgrid.web.auth import caller
from landgrid.web.http import check_params


def downloads_blueprint(catalog: Catalog, access: CollectionAccess) -> Blueprint:
    bp = Blueprint("downloads", __name__)

    @bp.get("/collections/<collection_id>/cog/<int:year>.tif")
    def cog(collection_id: str, year: int) -> Response:
        check_params([])
        if catalog.raster(collection_id) is None or not access.readable(caller(), collection_id):
            raise NotFound(f"no coverage collection {collection_id!r}")
        path = current_cog(catalog.store(collection_id), year)
        if path is None:
            raise NotFound(f"collection {collection_id!r} has no COG of {year}")
        response = send_file(
            path,
            mimetype=GEOTIFF,
            conditional=True,
            etag=True,
            max_age=3600,
            download_name=f"{collection_id}-{year}.tif",
        )
        response.headers["Accept-Ranges"] = "bytes"
        return response

    return bp
