"""Bring our tables to the newest schema (Alembic), from code rather than an ini file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def upgrade(url: str, oidc_issuer: str | None = None) -> None:
    """``oidc_issuer``: the deployment's issuer, for migrations that rewrite owners."""
    config = Config()
    config.attributes["oidc_issuer"] = oidc_issuer
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
