"""ASGI middleware every service installs."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campusdesk_common.problems import problem_response


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with a 413 problem.

    The body is read (at most `max_bytes` + one chunk) before the app sees it,
    so a 10 MB upload never reaches a handler or the JSON parser, whether it
    declares a Content-Length or streams chunks.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        buffered: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return buffered
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413, f"The request body is larger than the {self.max_bytes // 1024} KiB this service accepts."
        )
        await response(scope, receive, send)
