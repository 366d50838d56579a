"""HTTP routes of analytics_open_service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["analytics"])
