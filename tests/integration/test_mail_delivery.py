"""No e-mail update is lost when the ticket service is killed mid-delivery (issue 14, "Done when").

The ticket service runs as a real process; the SMTP server (aiosmtpd) holds the first delivery in
DATA, the process is SIGKILLed there, and a new process delivers the message: the same
Message-ID, accepted once. Both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.services import ServiceProcess
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from ticket_service.database import sync_database_url

REPORTER = "reporter@example.edu"
# Long enough for the kill to land inside the stalled delivery; the claim's lease is twice this
# (batch of one), after which the restarted process takes the row again.
SEND_TIMEOUT = "5"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def outbox_rows(database_url: str) -> list[tuple[object, ...]]:
    engine = create_engine(sync_database_url(database_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text("SELECT message_id, sent_at FROM mail_outbox"))]
    finally:
        engine.dispose()


def test_killing_the_sender_mid_delivery_loses_no_message(
    database_url: str, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": database_url,
        "SMTP_URL": smtp_sink.url,
        "SMTP_FROM": "CampusDesk <helpdesk@campus.example>",
        "TICKET_SERVICE_PUBLIC_URL": "https://desk.campus.example",
        "TICKET_SERVICE_LINK_SECRET": "the same key in both processes",
        "TICKET_SERVICE_VAR_DIR": str(tmp_path),
        "TICKET_SERVICE_MAIL_SEND_TIMEOUT": SEND_TIMEOUT,
        "TICKET_SERVICE_MAIL_BATCH_SIZE": "1",
        "TICKET_SERVICE_MAIL_POLL_SECONDS": "0.5",
    }
    smtp_sink.stall_next = True
    first = ServiceProcess("ticket_service", env=env).start()
    try:
        created = httpx.post(
            f"{first.url}/tickets", json={"description": "The lift is stuck"}, headers={"X-Role": "user"}
        )
        assert created.status_code == 201, created.text
        ticket_id, token = created.json()["id"], created.json()["private_link"]["token"]
        subscribed = httpx.put(
            f"{first.url}/links/self/email",
            json={"email": REPORTER},
            headers={"X-Role": "user", "X-Private-Link": token},
        )
        assert subscribed.status_code == 200, subscribed.text
        answered = httpx.post(
            f"{first.url}/tickets/{ticket_id}/messages", json={"body": "On our way"}, headers={"X-Role": "helpdesk"}
        )
        assert answered.status_code == 201, answered.text
        assert smtp_sink.stalled.wait(60), "the sender never reached DATA"
        first.kill()
    finally:
        first.stop()
    # Killed inside the SMTP conversation: nothing was accepted, and the row is still unsent.
    assert smtp_sink.messages() == []
    (in_flight,) = smtp_sink.attempts
    [(message_key, sent_at)] = outbox_rows(database_url)
    assert sent_at is None and in_flight.startswith(f"<{message_key}@")
    smtp_sink.release.set()

    with ServiceProcess("ticket_service", env=env):
        assert wait_until(lambda: len(smtp_sink.messages()) >= 1, 60), smtp_sink.attempts
        assert wait_until(lambda: outbox_rows(database_url)[0][1] is not None, 30)
    received = smtp_sink.messages()
    # Duplicates would be allowed only as the same message: here it was delivered exactly once.
    assert [item.message_id for item in received] == [in_flight]
    assert received[0].recipients == [REPORTER]
    assert f"https://desk.campus.example/t/{token}" in received[0].body
