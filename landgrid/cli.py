"""``landgrid`` command line: serve the embedded stack, load data, manage the schema."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape

from landgrid.errors import LandgridError
from landgrid.features.cli import load_vector
from landgrid.progress import progress_bar
from landgrid.settings import Settings

console = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    style = "bold yellow" if message.startswith("WARNING") else "default"
    console.print(f"[bold cyan]landgrid[/] [{style}]{escape(message)}[/]")


class LandgridGroup(click.Group):
    """Show our own errors as one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LandgridError as exc:
            console.print(f"[bold red]error:[/] {exc}")
            sys.exit(1)


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
    from landgrid.stack import Stack

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
    from landgrid.migrate import upgrade

    upgrade(Settings().db_url())
    say("schema up to date")


@main.command()
@click.argument("product_id")
@click.argument("year", type=int)
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
def ingest(product_id: str, year: int, source: str) -> None:
    """Add YEAR of PRODUCT_ID from SOURCE (GeoTIFF or netCDF, any CRS and grid).

    The same validated ingestion as the ``ingest`` process: CRS, extent and legend classes
    are checked first, and a bad file changes nothing. Restart the web app to list the year.
    """
    from landgrid.products import load_products
    from landgrid.rasterstore import create_store, ingest_year
    from landgrid.resources import product_store

    settings = Settings()
    products = load_products(settings.products_dir)
    if product_id not in products:
        raise click.BadParameter(f"unknown product; known: {', '.join(products)}")
    product = products[product_id]
    store = product_store(settings, product.id)
    if not store.exists():
        create_store(product, store)
    with progress_bar(f"ingest {product.id} {year}", console) as progress:
        report = ingest_year(product, store, source, year, progress)
    say(f"{product.id} {year}: ingested from {source} into {store} ({report.seconds:.1f} s)")


main.add_command(load_vector)
