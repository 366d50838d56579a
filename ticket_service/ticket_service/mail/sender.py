"""The background sender: one asyncio task per worker that delivers the outbox with retries.

It wakes as soon as a transaction that queued a message is committed (a pool listener sees the
flag `outbox.enqueue` left on the connection) and polls every few seconds as a backup, for rows
queued by other workers and for retries that fall due. Failures are retried with exponential
backoff and jitter; a row is given up after `mail_max_attempts` (or at once when the server
refuses the recipient for good) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from fastapi import FastAPI, Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ticket_service.dependencies import UnitOfWork, database_access, is_database_unavailable
from ticket_service.mail import outbox
from ticket_service.mail.addresses import message_id, sender_address
from ticket_service.mail.compose import Notification, compose
from ticket_service.mail.smtp_url import SmtpServer
from ticket_service.mail.subscriptions import unsubscribe_token
from ticket_service.settings import Settings
from ticket_service.tokens import app_secret, link_token

logger = logging.getLogger(__name__)

# Never loop faster than this, even when a row is due already (another worker may be claiming it).
_SHORTEST_WAIT = 0.05


def utcnow() -> datetime:
    return datetime.now(UTC)


def retry_delay(attempts: int, *, shortest: float, longest: float) -> float:
    """Seconds before attempt `attempts + 1`: doubling from `shortest`, capped at `longest`, jittered.

    The jitter (the upper half of the interval) keeps many failed messages from retrying in step.
    """
    ceiling = min(longest, shortest * 2 ** min(attempts - 1, 32))
    return random.uniform(ceiling / 2, ceiling)


def is_permanent(error: BaseException) -> bool:
    """The server refused the recipient for good (5xx on RCPT): another attempt would be refused too."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(500 <= refused.code < 600 for refused in error.recipients)
    return isinstance(error, aiosmtplib.SMTPRecipientRefused) and 500 <= error.code < 600


# A server's error text may quote the recipient; logs and `last_error` never keep an address.
_ADDRESS = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")


def describe(error: BaseException) -> str:
    return _ADDRESS.sub("<address>", f"{type(error).__name__}: {error}".strip())


class MailSender:
    """Delivers `mail_outbox`; `start()` in the lifespan, `stop()` when the worker stops."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        new_uow: Callable[[], Awaitable[UnitOfWork]],
        settings: Settings,
        secret: bytes,
    ) -> None:
        smtp = settings.smtp_server
        assert smtp is not None, "the sender runs only with SMTP_URL"
        self._engine = engine
        self._new_uow = new_uow  # shares the app's SQLite writer lock with the requests
        self._settings = settings
        self._smtp: SmtpServer = smtp
        self._sender = sender_address(settings.smtp_from)
        self._secret = secret
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._erased_at = float("-inf")
        # A claim lasts until every message of the batch has had its full time, and one more:
        # only then may another worker (or this one, restarted) take the rows again.
        self.lease = timedelta(seconds=settings.mail_send_timeout * (settings.mail_batch_size + 1))

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        event.listen(self._engine.sync_engine, "checkin", self._on_checkin)
        self._task = asyncio.create_task(self._run(), name="mail-sender")
        logger.info("e-mail updates go through %s", self._smtp.describe())

    async def stop(self) -> None:
        event.remove(self._engine.sync_engine, "checkin", self._on_checkin)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        # Called when a connection returns to the pool, i.e. after its transaction ended.
        if record.info.pop(outbox.ENQUEUED_FLAG, False) and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        poll = self._settings.mail_poll_seconds
        while True:
            self._wake.clear()
            wait = poll  # after a failed round: no faster than the poll, whatever is due
            try:
                if time.monotonic() - self._erased_at >= self._settings.mail_erase_every_seconds:
                    await self.erase_expired()
                    self._erased_at = time.monotonic()
                while await self.deliver_due() == self._settings.mail_batch_size:
                    pass  # a full batch: there may be more due right now
                wait = await self._seconds_to_next_due(poll)
            except Exception as error:  # the loop must outlive any failure; the rows stay for the next round
                if is_database_unavailable(error):
                    logger.warning("mail sender: database unavailable: %s", describe(error))
                else:
                    logger.exception("mail sender round failed")
            # asyncio.timeout, not wait_for: on Python 3.11 a wait_for cancelled as its timeout
            # fires can swallow the cancellation, and stop() would wait for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _seconds_to_next_due(self, poll: float) -> float:
        """Sleep until the next retry falls due, a commit wakes us, or `poll` passes (other workers' rows)."""
        async with self._engine.connect() as connection:
            due = await outbox.next_due(connection)
        if due is None:
            return poll
        return min(poll, max(_SHORTEST_WAIT, (due - utcnow()).total_seconds()))

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        uow = await self._new_uow()
        try:
            yield await uow.connection()
            await uow.commit()
        except BaseException:
            await uow.rollback()
            raise
        finally:
            await uow.close()

    async def erase_expired(self) -> int:
        """Erase the addresses of tickets closed EMAIL_RETENTION_DAYS ago (and their messages)."""
        async with self._transaction() as connection:
            erased = await outbox.erase_expired(connection, now=utcnow())
        if erased:
            logger.info("erased %d e-mail address(es) of tickets closed long ago", erased)
        return erased

    async def deliver_due(self) -> int:
        """Claim one batch of due messages and settle each; returns how many were claimed."""
        now = utcnow()
        async with self._transaction() as connection:
            batch = await outbox.claim_due(
                connection, now=now, lease_until=now + self.lease, limit=self._settings.mail_batch_size
            )
        for row in batch:
            await self._deliver(row)
        return len(batch)

    async def _deliver(self, row: outbox.Claimed) -> None:
        if row.email is None or row.email_since is None:
            async with self._transaction() as connection:
                await outbox.drop(connection, row.id)
            return
        message = self._message(row, row.email, row.email_since)
        try:
            await self._send(message)
        except Exception as error:  # any failure of the hand-over is retried, never lost
            await self._failed(row, error)
            return
        async with self._transaction() as connection:
            await outbox.mark_sent(connection, row.id, at=utcnow())

    def _message(self, row: outbox.Claimed, email: str, email_since: datetime) -> EmailMessage:
        note = Notification(
            outbox_key=row.outbox_key,
            ticket_id=row.ticket_id,
            event=row.event,
            detail=row.detail,
            description=row.description,
            to=email,
            link_token=link_token(self._secret, row.link_id),
            unsubscribe_token=unsubscribe_token(self._secret, row.link_id, email_since),
        )
        return compose(note, sender=self._sender, public_url=self._settings.public_url, now=utcnow())

    async def _send(self, message: EmailMessage) -> None:
        smtp, timeout = self._smtp, self._settings.mail_send_timeout
        # The whole conversation is bounded, not each command, so a claim's lease always covers it.
        async with asyncio.timeout(timeout):
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.security == "tls",
                start_tls=smtp.security == "starttls",
                timeout=timeout,
            )

    async def _failed(self, row: outbox.Claimed, error: BaseException) -> None:
        attempts, settings = row.attempts + 1, self._settings
        ident, reason = message_id(row.outbox_key, self._sender), describe(error)
        retry_at = None
        if attempts < settings.mail_max_attempts and not is_permanent(error):
            delay = retry_delay(
                attempts, shortest=settings.mail_retry_min_seconds, longest=settings.mail_retry_max_seconds
            )
            retry_at = utcnow() + timedelta(seconds=delay)
            logger.warning(
                "e-mail %s (ticket %d) attempt %d failed, next in %.0f s: %s",
                ident,
                row.ticket_id,
                attempts,
                delay,
                reason,
            )
        else:
            logger.error(
                "gave up e-mail %s (ticket %d) after %d attempt(s): %s", ident, row.ticket_id, attempts, reason
            )
        async with self._transaction() as connection:
            await outbox.record_failure(connection, row.id, attempts=attempts, error=reason, retry_at=retry_at)


async def start_sender(app: FastAPI) -> MailSender:
    """The app's sender, started: it shares the app's engine and SQLite writer lock."""

    async def new_uow() -> UnitOfWork:
        # database_access reads only `request.app`: a bare scope names the app.
        return UnitOfWork(await database_access(Request({"type": "http", "app": app})))

    sender = MailSender(
        engine=app.state.engine, new_uow=new_uow, settings=app.state.settings, secret=app_secret(app.state)
    )
    sender.start()
    return sender
