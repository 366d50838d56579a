"""How large a request body may be, per route: text forms stay small, forms with photos or a CSV may be large.

The same numbers are in front of the gateway (deploy/nginx/site.conf, the Kubernetes Ingress).
Only a multipart body to a route that takes files gets more than `FORM_BYTES`; any other body
is refused at `FORM_BYTES` before the larger limit is even considered.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from campusdesk_common.contracts.places import MAX_PHOTO_BYTES, MAX_PHOTOS
from campusdesk_common.middleware import BodySizeLimit

# A description of 5,000 multi-byte characters is ~60 KB once form-encoded.
FORM_BYTES = 256 * 1024
# Three photos of 10 MiB each, plus the text fields and multipart framing.
PHOTO_FORM_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024
# A campus directory CSV (the ticket service takes up to 2,000,000 characters), uploaded or sent
# back from the preview in a form field (percent-encoding can triple non-ASCII text).
DIRECTORY_FORM_BYTES = 8 * 1024 * 1024
LARGEST_BODY_BYTES = max(PHOTO_FORM_BYTES, DIRECTORY_FORM_BYTES)

PHOTO_ROUTES = re.compile(r"/tickets(/[0-9]+/messages)?|/t/[A-Za-z0-9_-]+/messages")
DIRECTORY_ROUTES = re.compile(r"/places(/preview)?")


def body_limit(path: str, content_type: bytes) -> int:
    """The most bytes a POST to `path` with this Content-Type may carry."""
    if PHOTO_ROUTES.fullmatch(path) and content_type.startswith(b"multipart/form-data"):
        return PHOTO_FORM_BYTES
    if DIRECTORY_ROUTES.fullmatch(path):
        return DIRECTORY_FORM_BYTES
    return FORM_BYTES


class RouteBodyLimits:
    """`BodySizeLimit` with the limit of the request's route (outside the service-wide, largest limit)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        limits = {FORM_BYTES, PHOTO_FORM_BYTES, DIRECTORY_FORM_BYTES}
        self.limits = {limit: BodySizeLimit(app, limit) for limit in limits}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = b""
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                content_type = bytes(value).lower()
        await self.limits[body_limit(scope.get("path", ""), content_type)](scope, receive, send)
