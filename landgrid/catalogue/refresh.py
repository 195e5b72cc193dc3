"""The catalogue kept current: products at each look, results when jobs publish them.

Products change by files (definitions, stores, COGs), which every process sees through the
product catalog's folder stamps: a search first compares the catalog's current view (and
the COG files' stamps) with the one it last wrote, and rewrites the changed rows when they
differ, so a product ingested by the CLI is found by the next search. Results change by
jobs: the job's runner puts its record when it succeeds, dismissal deletes it, and the
reconciler's pass repairs any that were missed (``refresh_results``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from landgrid.catalog import Catalog, Products
from landgrid.catalogue.cogs import CogFile, cog_file
from landgrid.catalogue.entries import PUBLISHERS, product_entries, result_entry
from landgrid.catalogue.store import CatalogueStore
from landgrid.coverage import reader
from landgrid.db import engine
from landgrid.features.settings import FeatureSettings
from landgrid.jobs.model import Job
from landgrid.raster import cogs
from landgrid.settings import Settings

LOGGER = logging.getLogger(__name__)
CogPath = Callable[[Path, int], Path]


class Catalogue:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        features: FeatureSettings | None = None,
        cog_path: CogPath = cogs.cog_path,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.store = CatalogueStore(settings.db_url(), features or FeatureSettings())
        self.cog_path = cog_path
        self._written: tuple[Products, tuple] | None = None
        self._lock = threading.Lock()

    # products ---------------------------------------------------------------------------
    def current(self) -> None:
        """Rewrite the product rows if products, years or COG files changed since the last
        look of this process (a few ``stat`` calls when nothing did)."""
        products = self.catalog.products()
        stamp = (products, self._cog_stamps(products))
        if (
            self._written is not None
            and self._written[0] is products
            and self._written[1] == stamp[1]
        ):
            return
        with self._lock:
            if self._written == stamp:
                return
            entries = product_entries(products, self._years, self._cog)
            self.store.replace("product", entries)
            self._written = stamp

    def _years(self, product_id: str) -> list[int]:
        return reader.years(self.catalog.store(product_id))

    def _cog(self, product_id: str, year: int) -> CogFile | None:
        """The year's COG while it is current (not older than the store)."""
        store = self.catalog.store(product_id)
        if not cogs.is_current(store, year):
            return None
        return cog_file(product_id, year, self.cog_path(store, year))

    def _cog_stamps(self, products: Products) -> tuple:
        stamps = []
        for pid in products.raster:
            folder = self.cog_path(self.catalog.store(pid), 0).parent
            try:
                stamps.append((pid, folder.stat().st_mtime_ns))
            except OSError:
                stamps.append((pid, None))
        return tuple(stamps)

    # results ----------------------------------------------------------------------------
    def publish(self, job: Job) -> None:
        """The record of a job that just succeeded (nothing for one that published none).
        Never fails the job: a missed record is repaired by ``refresh_results``."""
        try:
            entry = result_entry(job, self.catalog.products())
            if entry is not None:
                self.store.put(entry)
        except (SQLAlchemyError, OSError, ValueError) as exc:
            LOGGER.warning("catalogue record of job %s not written: %s", job.id, exc)

    def withdraw(self, job_id: str) -> None:
        try:
            self.store.delete(f"job-{job_id}")
        except SQLAlchemyError as exc:
            LOGGER.warning("catalogue record of job %s not removed: %s", job_id, exc)

    def refresh_results(self) -> int:
        """Make the result rows exactly the successful publishing jobs; only missing
        records are built. Returns how many rows changed."""
        query = sa.select(Job).where(Job.status == "successful", Job.process_id.in_(PUBLISHERS))
        with engine(self.settings.db_url()).connect() as conn:
            ids = {
                row[0]
                for row in conn.execute(
                    sa.select(Job.id).where(
                        Job.status == "successful", Job.process_id.in_(PUBLISHERS)
                    )
                )
            }
        have = self.store.stamps("result")
        wanted = {f"job-{i}" for i in ids}
        changes = 0
        for gone in set(have) - wanted:
            self.store.delete(gone)
            changes += 1
        missing = [i for i in ids if f"job-{i}" not in have]
        if missing:
            products = self.catalog.products()
            with Session(engine(self.settings.db_url())) as session:
                for job in session.scalars(query.where(Job.id.in_(missing))):
                    entry = result_entry(job, products)
                    if entry is not None:
                        self.store.put(entry)
                        changes += 1
        return changes
