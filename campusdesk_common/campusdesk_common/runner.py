"""Start a service's app factory under uvicorn with its own settings."""

from __future__ import annotations

import uvicorn

from campusdesk_common.settings import ServiceSettings


def serve(factory: str, settings: ServiceSettings) -> None:
    """Run `factory` ("package.main:create_app") with uvloop and httptools.

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
        http="httptools",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
