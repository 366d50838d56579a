"""One log format for every service: timestamp, level, service, message."""

from __future__ import annotations

import logging
import sys


def configure_logging(service: str, level: str = "info") -> None:
    """Send the service's logs to stderr in a grep-friendly single-line format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO: one line per upstream call is noise and costs time under load.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
