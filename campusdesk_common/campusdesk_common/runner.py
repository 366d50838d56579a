"""Start a service's app factory under uvicorn with its own settings."""

from __future__ import annotations

import uvicorn

from campusdesk_common.settings import ServiceSettings


def serve(factory: str, settings: ServiceSettings) -> None:
    """Run `factory` ("package.main:create_app") with uvloop and httptools, guarded by
    the request limits of `campusdesk_common.http_limits`.

    Settings are re-read from the environment in each worker process, so
    nothing needs to be pickled across the fork.
    """
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        loop="uvloop",
        http="campusdesk_common.http_limits:GuardedHttpToolsProtocol",
        # An idle keep-alive connection is closed after this many seconds.
        timeout_keep_alive=5,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
