"""``landgrid`` command line: serve the embedded stack, load data, manage the schema.

Every error is one line on stderr (``error: ...``), never a traceback: ours, the command
line's own (exit code 2), an unreachable database, a file that cannot be read; anything
unexpected too, its traceback then written to ``<data_dir>/logs/cli.log``.
"""

from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from landgrid.errors import LandgridError
from landgrid.ops.progress import progress_bar
from landgrid.settings import Settings

console = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    style = "bold yellow" if message.startswith("WARNING") else "default"
    console.print(f"[bold cyan]landgrid[/] [{style}]{escape(message)}[/]")


def error(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}")
    sys.exit(code)


class LandgridGroup(click.Group):
    """Show every error as one line, not a traceback."""

    def main(self, *args, **kwargs):
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            error("aborted")
        except click.ClickException as exc:
            error(exc.format_message(), exc.exit_code)
        except LandgridError as exc:
            error(str(exc))
        except OperationalError as exc:
            error(f"database unreachable: {exc.orig or exc}")
        except OSError as exc:
            error(str(exc))
        except Exception as exc:  # a bug: one line here, the traceback in the log
            error(f"{type(exc).__name__}: {exc} (traceback in {log_traceback()})")


def log_traceback() -> Path | str:
    try:
        path = Settings().data_dir / "logs" / "cli.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n")
            log.write(traceback.format_exc())
        return path
    except Exception:  # nowhere to write it: say so, still in one line
        return "no log: the data folder is not writable"


@click.group(cls=LandgridGroup)
def main() -> None:
    """Landgrid: an OGC API geoserver for land-monitoring products."""


def auth_line(settings: Settings) -> str:
    if settings.auth_mode == "open":
        return "[bold yellow]OFF: everyone is the local admin (LANDGRID_AUTH_MODE=open)[/]"
    return f"OpenID Connect, issuer {escape(settings.oidc_issuer or '')}"


@main.command()
def serve() -> None:
    """Run PostgreSQL, Prefect server + worker and the web app until Ctrl-C."""
    from landgrid.ops.stack import Stack

    settings = Settings()
    stack = Stack(settings, say)
    try:
        stack.up(bar=lambda text: progress_bar(text, console))
        console.print(
            f"\n[bold green]Landgrid is up[/]\n"
            f"  OGC API      {settings.url}/\n"
            f"  collections  {settings.url}/collections\n"
            f"  processes    {settings.url}/processes\n"
            f"  health       {settings.url}/health\n"
            f"  Prefect UI   http://localhost:{settings.prefect_port}\n"
            f"  auth         {auth_line(settings)}\n"
            f"  logs         {settings.data_dir / 'logs'}\n"
            f"Ctrl-C stops everything.\n"
        )
        stack.wait()
    except KeyboardInterrupt:
        say("stopping")
    finally:
        stack.stop()
        say("stopped")


@main.command()
def migrate() -> None:
    """Apply the database migrations."""
    from landgrid.ops.migrate import upgrade

    settings = Settings()
    upgrade(settings.db_url(), settings.oidc_issuer)
    say("schema up to date")


@main.command()
@click.argument("service", type=click.Choice(["worker", "reconciler"]))
@click.option("--within", default=30.0, show_default=True, help="seconds")
def alive(service: str, within: float) -> None:
    """Exit 0 when a SERVICE process of this host beat recently (container health checks)."""
    import socket

    from landgrid.jobs.store import JobStore

    store = JobStore(Settings().db_url())
    here = socket.gethostname() + ":"
    beats = store.services(service, datetime.now(UTC) - timedelta(seconds=within))
    if not any(s.runner.startswith(here) for s in beats):
        error(f"no {service} of this host beat in the last {within:.0f} s")


@main.command()
@click.argument("product_id")
@click.argument("year", type=int)
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="replace the year if the product has it")
def ingest(product_id: str, year: int, source: str, replace: bool) -> None:
    """Add YEAR of PRODUCT_ID from SOURCE (GeoTIFF or netCDF, any CRS and grid).

    The same validated ingestion as the ``ingest`` process: CRS, extent and legend classes
    are checked first, and a bad file changes nothing; a year the product has is refused
    unless ``--replace``. The product is swapped in whole at the end: an ingestion that
    fails or is killed midway leaves it as it was. A running server serves the year at once.
    """
    from landgrid.catalog import store_path
    from landgrid.raster.product import load_products
    from landgrid.raster.store import YearExists, create_store, ingest_year

    settings = Settings()
    products = load_products(settings.products_dir)
    if product_id not in products:
        raise click.BadParameter(f"unknown product; known: {', '.join(products)}")
    product = products[product_id]
    store = store_path(settings, product.id)
    if not store.exists():
        create_store(product, store)
    with progress_bar(f"ingest {product.id} {year}", console) as progress:
        try:
            report = ingest_year(product, store, source, year, progress, replace=replace)
        except YearExists as exc:
            raise click.UsageError(f"{product.id}: {exc} (pass --replace)") from exc
    say(f"{product.id} {year}: ingested from {source} into {store} ({report.seconds:.1f} s)")


@main.command("build-cogs")
@click.argument("product_ids", nargs=-1)
def build_cogs_command(product_ids: tuple[str, ...]) -> None:
    """Bring the per-year COGs (tiles, maps, downloads) of PRODUCT_IDS up to date.

    Without ids, every raster product with a store. Only missing or stale COGs are built
    (ingestion keeps them current; this is for stores made before, or after a crash).
    """
    from landgrid.catalog import Catalog
    from landgrid.raster.cogs import build_cogs

    catalog = Catalog(Settings())
    rasters = catalog.products().raster
    unknown = sorted(set(product_ids) - set(rasters))
    if unknown:
        raise click.BadParameter(f"no raster store for {unknown}; known: {', '.join(rasters)}")
    for pid in product_ids or rasters:
        with progress_bar(f"COGs of {pid}", console) as progress:
            built = build_cogs(rasters[pid], catalog.store(pid), progress=progress)
        say(f"{pid}: {len(built)} COG(s) built, the others were current")


@main.command("load-vector")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--layer", help="layer of a multi-layer source (GeoPackage)")
@click.option("--id", "product_id", required=True, help="collection id")
@click.option("--table", help="PostGIS table (default: the id with _ for -)")
@click.option("--title", help="collection title (default: the id)")
@click.option("--description", default="")
@click.option("--time-column", help="temporal property (instant or interval start)")
@click.option("--time-end-column", help="end of the temporal interval")
@click.option("--editable/--read-only", default=False, help="allow Part 4 transactions")
@click.option("--replace", is_flag=True, help="replace the collection (or table) if it exists")
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
    replace: bool,
) -> None:
    """Load SOURCE (GeoPackage, Shapefile, GeoJSON...) and serve it as a collection.

    A collection id (or table) in use is refused unless ``--replace``; replacing loads the
    new table aside and swaps it in one transaction: readers never see half a table, and a
    load that fails or is killed leaves the collection as it was."""
    from landgrid.catalog import Catalog
    from landgrid.db import engine
    from landgrid.features.loader import (
        ensure_unaccent,
        load_layer,
        product_definition,
        time_interval,
    )
    from landgrid.features.product import write_vector_product

    settings = Settings()
    products = Catalog(settings).products()
    if product_id in {**products.raster, **products.vector} and not replace:
        raise click.UsageError(
            f"collection {product_id!r} already exists: pass --replace to replace it"
        )
    db = engine(settings.db_url())
    table = table or product_id.replace("-", "_").replace(".", "_").lower()
    with progress_bar(f"load {source.name} into {table}", console) as progress:
        result = load_layer(db, source, table, layer=layer, progress=progress, replace=replace)
    ensure_unaccent(db)
    interval = time_interval(db, table, time_column, time_end_column) if time_column else None
    product = product_definition(
        result,
        product_id,
        title or product_id,
        description,
        time_column=time_column,
        time_end_column=time_end_column,
        editable=editable,
        interval=interval,
    )
    path = write_vector_product(product, settings.vector_products_dir)
    say(
        f"{result.count} features in {table} ({result.geometry_type}, EPSG:{result.srid}); "
        f"definition {path}; served as {product_id} from now on"
    )
