"""Settings of the features API (env prefix ``LANDGRID_FEATURES_``), read once at the edge."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FeatureSettings(BaseSettings):
    """Paging limits, the database pool and the per-statement time budget."""

    model_config = SettingsConfigDict(env_prefix="LANDGRID_FEATURES_", extra="ignore")

    limit_default: int = Field(default=10, ge=1, description="items per page without `limit`")
    limit_max: int = Field(default=10000, ge=1, description="larger `limit`s are clamped")
    statement_timeout_ms: int = Field(default=15000, ge=100, description="per SQL statement")
    pool_size: int = Field(default=5, ge=1, description="connections per web worker")
    max_overflow: int = Field(default=5, ge=0)
    coordinate_digits: int = Field(default=9, ge=0, le=15, description="GeoJSON decimals")
    count_bound: int = Field(
        default=100_000,
        ge=0,
        description="without count=true, the unfiltered first page says numberMatched when "
        "the collection holds at most this many features (counted exactly, no more rows "
        "read); 0: never",
    )
    count_budget_ms: int = Field(
        default=20,
        ge=1,
        description="... and when that count takes at most this long (a statement timeout)",
    )
