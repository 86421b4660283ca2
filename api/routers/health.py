"""``GET /health``: is the API up, and can it reach a migrated PostGIS?"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from db.migrate import head_revision

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Service and database health",
    responses={503: {"description": "The database cannot be reached"}},
)
def health(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    database: dict[str, Any] = {"reachable": False}
    try:
        with engine.connect() as conn:
            # A stopped or wedged server must not hold the probe: cap the round trip.
            conn.execute(text("SET LOCAL statement_timeout = 2000"))
            database["postgis"] = conn.execute(text("SELECT postgis_lib_version()")).scalar()
            database["revision"] = conn.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar()
            database["reachable"] = True
    except SQLAlchemyError as exc:
        database["error"] = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
    database["head"] = head_revision()
    migrated = database.get("revision") == database["head"]
    database["migrated"] = migrated
    ok = database["reachable"] and migrated
    body = {
        "status": "ok" if ok else "unavailable",
        "version": version("athar"),
        "database": database,
    }
    return JSONResponse(body, status_code=200 if ok else 503)
