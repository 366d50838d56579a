"""HTTP routes of analytics_category_service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["analytics"])
