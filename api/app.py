"""The FastAPI application factory: settings in, a configured app out.

The engine is created here, once per app, and closed on shutdown; routers reach it through
``request.app.state`` so tests can hand in an engine bound to their own database. Tiles read
through an asyncio psycopg pool on the same database, made with the tile service by the
app's lifespan: serve the app with lifespan events (uvicorn's default) and, in tests, enter
``TestClient`` as a context manager.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from api.errors import install_problem_handlers
from api.fasttiles import FastTiles
from api.ratelimit import RateLimitMiddleware
from api.routers import (
    audit,
    control,
    gazetteer,
    health,
    incidents,
    landmines,
    ogc,
    personal,
    stats,
    tiles,
    webmap,
)
from db.engine import database_url, make_engine, make_session_factory, make_tile_pool
from db.settings import Settings


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_engine = engine is None
    if engine is None:
        engine = make_engine(
            database_url(settings),
            application_name="athar-api",
            statement_timeout_ms=settings.statement_timeout_ms,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Tiles come by the hundred per map view, each one short read: they go through their
        # own asyncio pool of autocommit connections on the same database (make_tile_pool).
        # It belongs to the event loop serving the app, so each lifespan makes its own.
        tile_pool = make_tile_pool(
            engine.url,
            application_name="athar-tiles",
            statement_timeout_ms=settings.statement_timeout_ms,
            max_size=settings.tile_pool_size,
        )
        await tile_pool.open()
        try:
            tiles.start_tile_service(app.state, tile_pool)
            yield
        finally:
            app.state.tile_service = None
            await tile_pool.close()
            if owns_engine:
                app.state.engine.dispose()

    app = FastAPI(
        title="athar",
        version=version("athar"),
        description=(
            "Geospatial incident database and tile API for documenting civilian harm in Syria. "
            "Errors are application/problem+json."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.tile_service = None  # started by the lifespan
    app.state.sessions = make_session_factory(engine)
    install_problem_handlers(app)
    # Added first, so innermost: plain tile requests still pass CORS and the rate limits.
    app.add_middleware(FastTiles)
    if settings.rate_limit_anonymous_per_minute > 0 and settings.rate_limit_key_per_minute > 0:
        app.add_middleware(
            RateLimitMiddleware,
            anonymous_per_minute=settings.rate_limit_anonymous_per_minute,
            key_per_minute=settings.rate_limit_key_per_minute,
            burst=settings.rate_limit_burst,
        )
    # Added last, so outermost: even a 429 carries CORS headers. The data is public and
    # keys travel in a header, never in cookies, so any origin may call.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Range", "If-None-Match", "X-API-Key", "Authorization", "Content-Type"],
        expose_headers=["Content-Range", "Accept-Ranges", "ETag", "Content-Length", "Retry-After"],
        max_age=3600,
    )
    # Tiles first: a map asks for them by the hundred, and routes are matched in order.
    app.include_router(tiles.router)
    app.include_router(health.router)
    app.include_router(control.router)
    app.include_router(landmines.router)
    app.include_router(incidents.router)
    app.include_router(personal.router)
    app.include_router(stats.router)
    app.include_router(ogc.router)
    app.include_router(gazetteer.router)
    app.include_router(audit.router)
    app.include_router(webmap.router)

    @app.get("/", include_in_schema=False)
    def landing() -> dict[str, object]:
        return {
            "name": "athar",
            "links": [
                {"rel": "service-doc", "href": "/docs"},
                {"rel": "service-desc", "href": "/openapi.json"},
                {"rel": "health", "href": "/health"},
                {"rel": "map", "href": "/map"},
                {"rel": "ogc-api-features", "href": "/ogc"},
            ],
        }

    return app
