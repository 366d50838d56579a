"""HTTP routes of analytics_resolution_service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["analytics"])
