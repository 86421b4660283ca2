"""Routes for landmines (see issue 5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["landmines"])
