"""Runtime settings shared by every entry point.

Settings are read once by the CLI or the API app factory and passed down as an object;
no module in the project reads the environment on its own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration from environment variables (prefix ``ATHAR_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="ATHAR_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "ATHAR_DATABASE_URL"),
        description="SQLAlchemy URL of an existing PostGIS database; replaces the embedded one.",
    )
    home: Path = Field(
        default=Path(".athar"),
        description="Project state directory: embedded cluster, caches, PMTiles archives.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8000, description="Port the API listens on.")
    pg_user: str = Field(
        default="postgres",
        description="Unprivileged OS user that owns the embedded cluster when run as root.",
    )
    statement_timeout_ms: int = Field(
        default=15000, description="PostgreSQL statement_timeout for API connections."
    )

    rate_limit_anonymous_per_minute: float = Field(
        default=3000, description="Requests per minute per address without a key (0 = off)."
    )
    rate_limit_key_per_minute: float = Field(
        default=6000, description="Requests per minute per API key (0 = off)."
    )
    rate_limit_burst: int = Field(default=300, description="Requests allowed in a burst.")
    tile_max_points: int = Field(
        default=5000,
        ge=1,
        description=(
            "Single incidents a z10-13 tile may carry; a tile owning more is drawn as grid "
            "cells with counts (also used by PMTiles exports)."
        ),
    )
    tile_pool_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description=(
            "Connections each API worker may open for tiles, beside its 15 for everything "
            "else: with --workers N the API can hold N x (this + 15) connections, which must "
            "stay under PostgreSQL's max_connections (100 in the embedded cluster)."
        ),
    )
    hotspot_max_cells: int = Field(
        default=250_000,
        description=(
            "Most cells a dbscan or hex hotspot request may span: searched area / cell area "
            "(hexagon, or eps-disc). Beyond it the API answers 413 (0 = no limit)."
        ),
    )
    cors_origins: list[str] = Field(
        default=["*"],
        description="Origins allowed to call the API from a browser (public data: any).",
    )

    @property
    def state_dir(self) -> Path:
        return self.home.resolve()
