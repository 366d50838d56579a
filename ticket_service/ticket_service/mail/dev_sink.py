"""A development mail sink: `make run` hands every e-mail update to it, and it keeps each as a file.

`python -m ticket_service.mail.dev_sink [--host 127.0.0.1] [--port 1025] [--folder var/mail]`
accepts any message (it never relays one) and writes it to `<folder>/<time>-<n>.eml`, which any
mail program opens. Development only: the image never starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger("ticket_service.mail.dev_sink")


class FolderHandler:
    """aiosmtpd handler: every message accepted is one `.eml` file, written before the 250 answer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        path = self.folder / f"{stamp}-{next(self._numbers)}.eml"
        await asyncio.to_thread(_write, path, content)
        logger.info("mail sink: %s (%d bytes)", path, len(content))
        return "250 Message accepted for delivery"


def _write(path: Path, content: bytes) -> None:
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(path)  # a mail program never sees half a message


async def serve(host: str, port: int, folder: Path) -> None:
    handler = FolderHandler(folder)
    loop = asyncio.get_running_loop()

    def protocol() -> Any:
        return SMTP(handler, enable_SMTPUTF8=True, hostname="campusdesk-dev-sink")

    server = await loop.create_server(protocol, host, port)
    logger.info("development mail sink on %s:%d, messages in %s", host, port, folder)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ticket_service.mail.dev_sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--folder", type=Path, default=Path("var") / "mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line-by-line session log
    folder = args.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C under honcho stops it quietly
        asyncio.run(serve(args.host, args.port, folder))


if __name__ == "__main__":
    main()
