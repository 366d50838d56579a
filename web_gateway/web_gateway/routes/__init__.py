"""The gateway's pages."""

from __future__ import annotations

from fastapi import FastAPI


def include_routes(app: FastAPI) -> None:
    """Attach every page router to `app`."""
