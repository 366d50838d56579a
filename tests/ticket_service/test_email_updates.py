"""E-mail updates through a real SMTP server (aiosmtpd), on PostgreSQL and SQLite.

The sender's poll is set to ten minutes here, so every message that arrives was sent because the
commit of its event woke the sender (or its retry fell due), never because a poll came by.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, update

from campusdesk_common.contracts.links import LinkState
from campusdesk_common.vocabulary import EMAIL_RETENTION_DAYS, NOTIFICATION_SUBJECTS
from tests.support.smtp_sink import Received, SmtpSink, eventually
from tests.ticket_service.conftest import HELPDESK, USER, Api, RecordingRetrainer, StubClassifier, assert_problem
from ticket_service.mail.outbox import GAVE_UP_AT
from ticket_service.mail.smtp_url import SmtpServer, parse_smtp_url
from ticket_service.main import create_app
from ticket_service.repository import tickets
from ticket_service.settings import Settings

PUBLIC = "https://desk.campus.example"
REPORTER = "Reporter.One@Example.EDU"
REPORTER_STORED = "Reporter.One@example.edu"  # the contract lower-cases the domain
FOLLOWER = "follower@example.edu"
LINK = re.compile(re.escape(PUBLIC) + r"/t/([A-Za-z0-9_-]{32})")
UNSUBSCRIBE = re.compile(r"<" + re.escape(PUBLIC) + r"/unsubscribe/([A-Za-z0-9_-]{32})>")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def mail_settings(database_url: str, sink: SmtpSink, var_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "smtp_url": SecretStr(sink.url),
        "smtp_from": "CampusDesk Helpdesk <helpdesk@campus.example>",
        "public_url": PUBLIC,
        "link_secret": SecretStr("a test key for private links, not for production"),
        "var_dir": var_dir,
        "mail_poll_seconds": 600.0,
        "mail_retry_min_seconds": 0.05,
        "mail_retry_max_seconds": 0.2,
        "mail_send_timeout": 10.0,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
async def mail_api(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> AsyncIterator[Api]:
    app = create_app(mail_settings(database_url, smtp_sink, tmp_path))
    async with app.router.lifespan_context(app):
        app.state.classifier = StubClassifier()
        retrainer = app.state.retrainer = RecordingRetrainer()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticket-service") as client:
            yield Api(client, app, retrainer)


class Answers:
    """Every JSON answer a test got, to prove the address is in none of them."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def keep(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        self.texts.append(response.text)
        return response.json()


def link_headers(token: str) -> dict[str, str]:
    return {**USER, "X-Private-Link": token}


async def report(api: Api, answers: Answers) -> tuple[int, str]:
    created = answers.keep(
        await api.client.post("/tickets", json={"description": "The WiFi in room B-204 drops"}, headers=USER), 201
    )
    return created["id"], created["private_link"]["token"]


async def subscribe(api: Api, answers: Answers, token: str, email: str) -> LinkState:
    response = await api.client.put("/links/self/email", json={"email": email}, headers=link_headers(token))
    return LinkState.model_validate(answers.keep(response))


async def helpdesk_answers(api: Api, answers: Answers, ticket_id: int, body: str) -> None:
    response = await api.client.post(f"/tickets/{ticket_id}/messages", json={"body": body}, headers=HELPDESK)
    answers.keep(response, 201)


async def arrive(sink: SmtpSink, address: str, count: int) -> list[Received]:
    assert await eventually(lambda: len(sink.to(address)) >= count), sink.messages()
    return sink.to(address)


def tokens_in(received: Received) -> tuple[str, str]:
    """The private link's token and the unsubscribe token of a message (header and body agree)."""
    link = LINK.search(received.body)
    unsubscribe = UNSUBSCRIBE.fullmatch(str(received.message["List-Unsubscribe"]).strip())
    assert link is not None and unsubscribe is not None, received.message.as_string()
    assert f"{PUBLIC}/unsubscribe/{unsubscribe.group(1)}" in received.body
    return link.group(1), unsubscribe.group(1)


async def test_the_reporter_gets_one_message_per_event_with_the_link_and_one_click_unsubscribe(
    mail_api: Api, smtp_sink: SmtpSink
) -> None:
    answers = Answers()
    ticket_id, token = await report(mail_api, answers)
    state = await subscribe(mail_api, answers, token, REPORTER)
    assert (state.email_updates, state.email_available) == (True, True)

    await helpdesk_answers(mail_api, answers, ticket_id, "We are replacing the access point.\nSecond line: ü")
    # The reporter's own message is no news to the reporter: nothing is sent for it.
    reply = await mail_api.client.post(f"/tickets/{ticket_id}/messages", json={"body": "Thanks!"}, headers=USER)
    answers.keep(reply, 201)
    answers.keep(await mail_api.patch(ticket_id, {"status": "active"}))
    answers.keep(await mail_api.patch(ticket_id, {"status": "closed"}))
    fix = await mail_api.client.post(
        "/links/self/fix-answer", json={"answer": "broken", "note": "It drops again"}, headers=link_headers(token)
    )
    follow_up_id = answers.keep(fix, 201)["follow_up_ticket_id"]
    received = await arrive(smtp_sink, REPORTER_STORED, 4)

    assert [item.message["Subject"] for item in received] == [
        f"[CampusDesk #{ticket_id}] {NOTIFICATION_SUBJECTS[event]}"
        for event in ("answered", "started", "closed", "follow_up")
    ]
    assert len({item.message_id for item in received}) == 4
    for item in received:
        message = item.message
        assert re.fullmatch(rf"<campusdesk-\d+-{ticket_id}@campus\.example>", item.message_id)
        assert str(message["From"]) == "CampusDesk Helpdesk <helpdesk@campus.example>"
        assert str(message["To"]) == REPORTER_STORED
        assert message["Date"] is not None
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
        link_token, _ = tokens_in(item)
        assert link_token == token
    assert "> We are replacing the access point.\n> Second line: ü" in received[0].body
    assert "It drops again" in received[3].body
    # The link in the messages opens the closed ticket; the follow-up's own link has no address.
    opened = await mail_api.client.get(f"/tickets/{ticket_id}", headers=link_headers(token))
    assert answers.keep(opened)["status"] == "closed"
    assert (await mail_api.rows("SELECT email FROM private_links WHERE ticket_id = :t", t=follow_up_id)) == [(None,)]

    # One click on the unsubscribe link (the gateway posts its token); a second click answers the same.
    _, unsubscribe_token = tokens_in(received[-1])
    for _ in range(2):
        done = await mail_api.client.post("/unsubscribe", json={"token": unsubscribe_token})
        assert answers.keep(done) == {"ticket_id": ticket_id}
    state = LinkState.model_validate(
        answers.keep(await mail_api.client.get("/links/self", headers=link_headers(token)))
    )
    assert state.email_updates is False
    assert (await mail_api.rows("SELECT email, email_since FROM private_links WHERE ticket_id = :t", t=ticket_id)) == [
        (None, None)
    ]

    # The address appears in no answer, to the holder or to the helpdesk.
    for path in (f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/messages", f"/tickets/{ticket_id}/history"):
        answers.keep(await mail_api.client.get(path, headers=HELPDESK))
    answers.keep(await mail_api.client.get("/tickets", params={"status": "closed"}, headers=HELPDESK))
    assert all(REPORTER_STORED.casefold() not in text.casefold() for text in answers.texts)


async def test_after_unsubscribing_no_more_messages_arrive(mail_api: Api, smtp_sink: SmtpSink) -> None:
    answers = Answers()
    ticket_id, token = await report(mail_api, answers)
    await subscribe(mail_api, answers, token, REPORTER)
    follower = answers.keep(await mail_api.client.post(f"/tickets/{ticket_id}/followers", headers=USER), 201)
    await subscribe(mail_api, answers, follower["token"], FOLLOWER)
    await helpdesk_answers(mail_api, answers, ticket_id, "First answer")
    first = (await arrive(smtp_sink, REPORTER_STORED, 1))[0]
    await arrive(smtp_sink, FOLLOWER, 1)
    # Each link has its own unsubscribe token: the reporter's stops the reporter's messages only.
    _, reporter_unsubscribe = tokens_in(first)
    _, follower_unsubscribe = tokens_in(smtp_sink.to(FOLLOWER)[0])
    assert reporter_unsubscribe != follower_unsubscribe
    answers.keep(await mail_api.client.post("/unsubscribe", json={"token": reporter_unsubscribe}))

    await helpdesk_answers(mail_api, answers, ticket_id, "Second answer")
    answers.keep(await mail_api.patch(ticket_id, {"status": "active"}))
    # The follower's messages of the same events prove the sender has handled them.
    await arrive(smtp_sink, FOLLOWER, 3)
    assert smtp_sink.to(REPORTER_STORED) == [first]
    assert await mail_api.count("mail_outbox") == 4  # 2 + 1 + 1: none queued for the reporter after unsubscribing


async def test_a_new_address_replaces_the_old_one_and_deleting_it_stops_the_messages(
    mail_api: Api, smtp_sink: SmtpSink
) -> None:
    answers = Answers()
    ticket_id, token = await report(mail_api, answers)
    await subscribe(mail_api, answers, token, "old@example.edu")
    old_hash = (await mail_api.rows("SELECT unsubscribe_hash FROM private_links WHERE ticket_id = :t", t=ticket_id))[0]
    # The same address again keeps the subscription and its unsubscribe token.
    await subscribe(mail_api, answers, token, "old@example.edu")
    assert (await mail_api.rows("SELECT unsubscribe_hash FROM private_links WHERE ticket_id = :t", t=ticket_id))[
        0
    ] == old_hash
    await subscribe(mail_api, answers, token, REPORTER)
    await helpdesk_answers(mail_api, answers, ticket_id, "Answer")
    received = await arrive(smtp_sink, REPORTER_STORED, 1)
    assert smtp_sink.to("old@example.edu") == []
    new_hash = (await mail_api.rows("SELECT unsubscribe_hash FROM private_links WHERE ticket_id = :t", t=ticket_id))[0]
    assert new_hash != old_hash

    deleted = await mail_api.client.delete("/links/self/email", headers=link_headers(token))
    assert LinkState.model_validate(answers.keep(deleted)).email_updates is False
    answers.keep(await mail_api.patch(ticket_id, {"status": "active"}))
    assert await mail_api.count("mail_outbox") == 1  # nothing queued for an erased address
    assert smtp_sink.to(REPORTER_STORED) == received
    # The old message's unsubscribe link still answers "stopped".
    _, unsubscribe_token = tokens_in(received[0])
    done = await mail_api.client.post("/unsubscribe", json={"token": unsubscribe_token})
    assert answers.keep(done) == {"ticket_id": ticket_id}


async def test_a_refusing_server_is_retried_with_the_same_message_id(mail_api: Api, smtp_sink: SmtpSink) -> None:
    smtp_sink.refuse_next = 2
    answers = Answers()
    ticket_id, token = await report(mail_api, answers)
    await subscribe(mail_api, answers, token, REPORTER)
    await helpdesk_answers(mail_api, answers, ticket_id, "Answer")
    received = await arrive(smtp_sink, REPORTER_STORED, 1)
    assert len(smtp_sink.attempts) == 3
    assert set(smtp_sink.attempts) == {received[0].message_id}

    async def recorded_as_sent() -> bool:  # the server has it a moment before the row says so
        return (await mail_api.rows("SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL")) == [(1,)]

    assert await eventually(recorded_as_sent)
    assert await mail_api.rows("SELECT attempts, last_error FROM mail_outbox") == [(2, None)]


async def test_a_recipient_refused_for_good_is_given_up_at_once(
    database_url: str, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    class RefusingRecipients:
        async def handle_RCPT(self, *_: Any) -> str:
            return "550 5.1.1 No such mailbox <someone@example.edu>"

    smtp_sink._controller.handler = RefusingRecipients()
    app = create_app(mail_settings(database_url, smtp_sink, tmp_path))
    async with app.router.lifespan_context(app):
        app.state.classifier = StubClassifier()
        app.state.retrainer = RecordingRetrainer()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            api = Api(client, app, app.state.retrainer)
            answers = Answers()
            ticket_id, token = await report(api, answers)
            await subscribe(api, answers, token, REPORTER)
            await helpdesk_answers(api, answers, ticket_id, "Answer")

            async def given_up() -> bool:
                return (await api.rows("SELECT attempts FROM mail_outbox WHERE last_error IS NOT NULL")) == [(1,)]

            assert await eventually(given_up)
            rows = await api.rows("SELECT next_attempt_at, sent_at, last_error FROM mail_outbox")
            next_attempt_at, sent_at, last_error = rows[0]
            assert sent_at is None and "550" in last_error
            assert "example.edu" not in last_error  # the server quoted the address; the log and row do not
            assert str(next_attempt_at).startswith(str(GAVE_UP_AT.year))


async def test_addresses_are_erased_30_days_after_closure(mail_api: Api, smtp_sink: SmtpSink) -> None:
    answers = Answers()
    ticket_id, token = await report(mail_api, answers)
    other_id, other_token = await report(mail_api, answers)
    await subscribe(mail_api, answers, token, REPORTER)
    await subscribe(mail_api, answers, other_token, FOLLOWER)
    for step in ("active", "closed"):
        answers.keep(await mail_api.patch(ticket_id, {"status": step}))
        answers.keep(await mail_api.patch(other_id, {"status": step}))
    await arrive(smtp_sink, REPORTER_STORED, 2)
    await arrive(smtp_sink, FOLLOWER, 2)
    unsubscribe_token = tokens_in(smtp_sink.to(REPORTER_STORED)[0])[1]

    async with mail_api.app.state.engine.begin() as connection:
        closed_at = await connection.scalar(select(tickets.c.closed_at).where(tickets.c.id == ticket_id))
        long_ago = closed_at - timedelta(days=EMAIL_RETENTION_DAYS, minutes=1)
        await connection.execute(update(tickets).where(tickets.c.id == ticket_id).values(closed_at=long_ago))
    assert await mail_api.app.state.mail_sender.erase_expired() == 1

    assert await mail_api.rows("SELECT email, email_since FROM private_links WHERE ticket_id = :t", t=ticket_id) == [
        (None, None)
    ]
    assert await mail_api.rows("SELECT count(*) FROM mail_outbox WHERE ticket_id = :t", t=ticket_id) == [(0,)]
    # The ticket closed yesterday keeps its address and its messages.
    assert await mail_api.rows("SELECT email FROM private_links WHERE ticket_id = :t", t=other_id) == [(FOLLOWER,)]
    assert await mail_api.rows("SELECT count(*) FROM mail_outbox WHERE ticket_id = :t", t=other_id) == [(2,)]
    # Too late to give an address again; the old unsubscribe link still answers "stopped".
    again = await mail_api.client.put("/links/self/email", json={"email": REPORTER}, headers=link_headers(token))
    assert_problem(again, 409, detail_contains=f"more than {EMAIL_RETENTION_DAYS} days ago")
    done = await mail_api.client.post("/unsubscribe", json={"token": unsubscribe_token})
    assert answers.keep(done) == {"ticket_id": ticket_id}


async def test_without_smtp_the_option_is_unavailable(api: Api) -> None:
    created = (await api.client.post("/tickets", json={"description": "Printer jam"}, headers=USER)).json()
    headers = link_headers(created["private_link"]["token"])
    state = LinkState.model_validate((await api.client.get("/links/self", headers=headers)).json())
    assert (state.email_available, state.email_updates) == (False, False)
    refused = await api.client.put("/links/self/email", json={"email": REPORTER}, headers=headers)
    assert_problem(refused, 409, detail_contains="E-mail updates are not available")
    # A wrong token learns nothing, not even whether this service sends e-mail: the link's 404.
    wrong = await api.client.put("/links/self/email", json={"email": REPORTER}, headers=link_headers("A" * 32))
    assert_problem(wrong, 404)
    assert api.app.state.mail_sender is None
    assert await api.count("mail_outbox") == 0


async def test_bad_requests_are_problems(mail_api: Api) -> None:
    created = (await mail_api.client.post("/tickets", json={"description": "Printer jam"}, headers=USER)).json()
    headers = link_headers(created["private_link"]["token"])
    for body in ({"email": "not an address"}, {"email": "a@b"}, {"email": "x" * 250 + "@example.edu"}, {}, []):
        assert_problem(await mail_api.client.put("/links/self/email", json=body, headers=headers), 422)
    wrong = link_headers("A" * 32)
    assert_problem(await mail_api.client.put("/links/self/email", json={"email": REPORTER}, headers=wrong), 404)
    assert_problem(await mail_api.client.delete("/links/self/email", headers=wrong), 404)
    assert_problem(await mail_api.client.put("/links/self/email", json={"email": REPORTER}, headers=USER), 404)
    assert_problem(await mail_api.client.post("/unsubscribe", json={"token": "B" * 32}), 404)
    for body in ({"token": "short"}, {"token": "B" * 32, "extra": 1}, {}):
        assert_problem(await mail_api.client.post("/unsubscribe", json=body), 422)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.edu:2525", SmtpServer("mail.example.edu", 2525, "plain")),
        ("smtp://mail.example.edu", SmtpServer("mail.example.edu", 25, "plain")),
        (
            "smtp+starttls://user%40campus:p%3Ass%2Fw@relay:587",
            SmtpServer("relay", 587, "starttls", "user@campus", "p:ss/w"),
        ),
        ("smtps://u:pw@relay", SmtpServer("relay", 465, "tls", "u", "pw")),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected
    assert "pw" not in repr(parse_smtp_url(url)) or expected.password is None


@pytest.mark.parametrize(
    "url",
    [
        "http://relay:25",
        "smtp://:2525",
        "smtp://relay:0",
        "smtp://relay:99999",
        "smtp://relay/path",
        "smtp://:secret@relay",
    ],
)
def test_a_malformed_smtp_url_is_refused_at_start_without_showing_it(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "SMTP_URL" in message
    assert url not in message and "secret" not in message


def test_smtp_from_must_be_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_FROM", "nobody")
    with pytest.raises(ValidationError, match="SMTP_FROM must be an e-mail address"):
        Settings()
