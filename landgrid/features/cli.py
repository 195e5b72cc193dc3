"""``landgrid load-vector``: load a vector file into PostGIS and register it as a product.

The lead wires it into ``landgrid.cli`` with ``main.add_command(load_vector)``.
"""

from __future__ import annotations

from pathlib import Path

import click

from landgrid.db import engine
from landgrid.features.loader import ensure_unaccent, load_layer, product_definition
from landgrid.features.product import write_vector_product
from landgrid.settings import Settings


@click.command("load-vector")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--layer", help="layer of a multi-layer source (GeoPackage)")
@click.option("--id", "product_id", required=True, help="collection id")
@click.option("--table", help="PostGIS table (default: the id with _ for -)")
@click.option("--title", help="collection title (default: the id)")
@click.option("--description", default="")
@click.option("--time-column", help="temporal property (instant or interval start)")
@click.option("--time-end-column", help="end of the temporal interval")
@click.option("--editable/--read-only", default=False, help="allow Part 4 transactions")
def load_vector(
    source: Path,
    layer: str | None,
    product_id: str,
    table: str | None,
    title: str | None,
    description: str,
    time_column: str | None,
    time_end_column: str | None,
    editable: bool,
) -> None:
    """Load SOURCE (GeoPackage, Shapefile, GeoJSON...) and serve it as a collection."""
    from landgrid.cli import console, say
    from landgrid.progress import progress_bar

    settings = Settings()
    db = engine(settings.db_url())
    table = table or product_id.replace("-", "_").replace(".", "_").lower()
    with progress_bar(f"load {source.name} into {table}", console) as progress:
        result = load_layer(db, source, table, layer=layer, progress=progress)
    ensure_unaccent(db)
    product = product_definition(
        result,
        product_id,
        title or product_id,
        description,
        time_column=time_column,
        time_end_column=time_end_column,
        editable=editable,
    )
    path = write_vector_product(product, settings.data_dir / "vector-products")
    say(
        f"{result.count} features in {table} ({result.geometry_type}, EPSG:{result.srid}); "
        f"definition {path}; restart the server to serve {product_id}"
    )
