"""Request body limits per route: 64 KiB for JSON, more only where a route needs it (photos, the directory)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from campusdesk_common.contracts.places import MAX_PHOTO_BYTES
from campusdesk_common.middleware import BodySizeLimit

# A directory CSV may hold 2,000,000 characters; JSON escapes make its body larger.
MAX_DIRECTORY_BODY_BYTES = 4 * 1024 * 1024
LARGER_BODIES: Mapping[tuple[str, str], int] = {
    ("POST", "/photos"): MAX_PHOTO_BYTES,
    ("POST", "/places/preview"): MAX_DIRECTORY_BODY_BYTES,
    ("PUT", "/places"): MAX_DIRECTORY_BODY_BYTES,
}
LARGEST_BODY_BYTES = max(LARGER_BODIES.values())


class RouteBodyLimits:
    """Outermost middleware: each route's own limit, the default for every other route.

    The app's own `BodySizeLimit` (set to `LARGEST_BODY_BYTES`) stays behind it as a backstop.
    """

    def __init__(self, app: ASGIApp, default_bytes: int) -> None:
        self.default = BodySizeLimit(app, default_bytes)
        self.larger = {route: BodySizeLimit(app, limit) for route, limit in LARGER_BODIES.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.default.app(scope, receive, send)
            return
        limiter = self.larger.get((scope["method"], scope["path"]), self.default)
        await limiter(scope, receive, send)
