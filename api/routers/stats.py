"""Routes for stats (see issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["stats"])
