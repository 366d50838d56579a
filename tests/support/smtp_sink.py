"""A real SMTP server (aiosmtpd) for the e-mail tests: it records what it accepted, and can refuse or stall.

It runs in its own thread (aiosmtpd's Controller), so it answers whether the code under test runs
in this process's event loop or in another process.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.services import free_port
from tests.support.waiting import POLL_INTERVAL, wait_until


@dataclass(frozen=True)
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def body(self) -> str:
        return cast(str, self.message.get_content()).replace("\r\n", "\n")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        sink = self.sink
        parsed = cast(EmailMessage, message_from_bytes(envelope.original_content or b"", policy=policy.default))
        with sink.lock:
            sink.attempts.append(str(parsed["Message-ID"]))
            stall = sink.stall_next
            sink.stall_next = False
            refuse = sink.refuse_next > 0
            sink.refuse_next -= 1 if refuse else 0
        if stall:
            # Hold the client in DATA, as a slow server would, until the test lets go: then answer
            # 451 (the message was never accepted) to whatever client is still there.
            sink.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, sink.release.wait)
            return "451 4.3.0 Stalled by the test"
        if refuse:
            return "451 4.3.0 Try again later"
        with sink.lock:
            sink.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Accepted"


class SmtpSink:
    """aiosmtpd on a free loopback port; `received` holds every message it accepted, in order."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.attempts: list[str] = []  # the Message-ID of every DATA it was offered, accepted or not
        self.refuse_next = 0
        self.stall_next = False
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._controller.stop()

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [item for item in self.messages() if item.recipients == [address]]


async def eventually(predicate: Callable[[], Awaitable[bool] | bool], give_up_after: float = 30.0) -> bool:
    """`wait_until` for async tests: polls without blocking the event loop the code under test runs on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    while True:
        outcome = predicate()
        if isinstance(outcome, Awaitable):
            outcome = await outcome
        if outcome:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL_INTERVAL)


_LIST_UNSUBSCRIBE = re.compile(r"<[^>]*/unsubscribe/([A-Za-z0-9_-]{32})>")


def unsubscribe_token(received: Received) -> str:
    """The unsubscribe token of a message: the last path segment of its List-Unsubscribe address."""
    found = _LIST_UNSUBSCRIBE.fullmatch(str(received.message["List-Unsubscribe"]).strip())
    assert found is not None, received.message.as_string()
    return found.group(1)


def mail_mentioning(sink: SmtpSink, text: str, give_up_after: float = 30.0) -> Received:
    """The first message whose body contains `text` (a private link's token), waiting for it to arrive."""

    def found() -> Received | None:
        return next((item for item in sink.messages() if text in item.body), None)

    assert wait_until(lambda: found() is not None, give_up_after), [m.body for m in sink.messages()]
    message = found()
    assert message is not None
    return message
