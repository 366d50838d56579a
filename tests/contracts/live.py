"""The four providers as real processes on one SQLite file, and a real answer to every registered operation."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from campusdesk_common.contracts.registry import PROVIDERS, Operation
from tests.support.services import ServiceProcess, free_port
from tests.support.smtp_sink import SmtpSink, mail_mentioning, unsubscribe_token

# The ticket service loads its classifier before it answers /health; the machine may be busy.
START_TIMEOUT = 90.0
USER = {"X-Role": "user"}
HELPDESK = {"X-Role": "helpdesk"}
CAMPUS = (
    "building_code,building_name,floor,room_code,room_name\n"
    "LIB,Library,1,LIB-101,Reading room\n"
    "LIB,Library,2,LIB-201,Study hall\n"
    "SCI,Science,0,SCI-001,Lab\n"
)


def jpeg_bytes() -> bytes:
    """A small JPEG photo, as a phone's camera would send one (smaller)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@dataclass(frozen=True)
class Provider:
    """A running provider: where it listens and the OpenAPI document it serves."""

    name: str
    url: str
    document: dict[str, Any]


@contextmanager
def running_providers(database_url: str, smtp_url: str) -> Iterator[dict[str, Provider]]:
    """Every provider started as `make run` starts it (mail to `smtp_url`), with its live `/openapi.json`."""
    ticket_port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "TICKET_SERVICE_URL": f"http://127.0.0.1:{ticket_port}",
        "SMTP_URL": smtp_url,
        "SMTP_FROM": "CampusDesk <helpdesk@campus.example>",
    }
    processes = [
        ServiceProcess(name, env, port=ticket_port if name == "ticket_service" else None) for name in PROVIDERS
    ]
    try:
        with ThreadPoolExecutor(len(processes)) as pool:
            list(pool.map(lambda process: process.start(START_TIMEOUT), processes))
        yield {p.name: Provider(p.name, p.url, _openapi(p.url)) for p in processes}
    finally:
        for process in processes:
            process.stop()


def _openapi(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/openapi.json", timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


@dataclass(frozen=True)
class RealAnswer:
    """One real answer of a provider to a registered operation."""

    provider: str
    operation: Operation
    request: str
    response: httpx.Response


def real_answers(providers: dict[str, Provider], mail: SmtpSink) -> list[RealAnswer]:
    """Fill the ticket service through its API (so every answer has content), then call every operation."""
    answers: list[RealAnswer] = []

    def call(provider: str, operation: Operation, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        method = operation[0]
        response = httpx.request(method, providers[provider].url + path, headers=headers, timeout=30, **kwargs)
        answers.append(RealAnswer(provider, operation, f"{method} {path}", response))
        return response.json() if response.is_success else None

    t = "ticket_service"
    call(t, ("PUT", "/places"), "/places", HELPDESK, json={"csv": CAMPUS})
    call(t, ("GET", "/places"), "/places", {})
    call(t, ("GET", "/places/rooms"), "/places/rooms", {}, params={"q": "library"})
    photo = [
        call(t, ("POST", "/photos"), "/photos", {**USER, "Content-Type": "image/jpeg"}, content=jpeg_bytes())["id"]
    ]
    message_photo = [call(t, ("POST", "/photos"), "/photos", USER, content=jpeg_bytes())["id"]]
    report = {"description": "The WiFi in the library drops", "room_code": "LIB-101", "place_note": "By the window"}
    first = call(t, ("POST", "/tickets"), "/tickets", USER, json={**report, "photo_ids": photo})
    second = call(t, ("POST", "/tickets"), "/tickets", USER, json={"description": "The elevator in B is stuck"})
    one, two = f"/tickets/{first['id']}", f"/tickets/{second['id']}"
    call(t, ("PATCH", "/tickets/{ticket_id}"), one, HELPDESK, json={"status": "active"})
    call(t, ("PATCH", "/tickets/{ticket_id}"), two, HELPDESK, json={"status": "active"})
    call(t, ("PATCH", "/tickets/{ticket_id}"), two, HELPDESK, json={"status": "closed"})
    call(t, ("PATCH", "/tickets/{ticket_id}"), one, HELPDESK, json={"category": "facility_management"})
    message = {"body": "Still down.", "photo_ids": message_photo}
    call(t, ("POST", "/tickets/{ticket_id}/messages"), f"{one}/messages", USER, json=message)
    call(t, ("POST", "/tickets/{ticket_id}/messages"), f"{one}/messages", HELPDESK, json={"body": "On it."})
    # One preview with file errors, one leaving out a room a ticket refers to and one no ticket does.
    call(t, ("POST", "/places/preview"), "/places/preview", HELPDESK, json={"csv": "building,room\nLIB,LIB-101\n"})
    smaller = CAMPUS.replace("LIB,Library,1,LIB-101,Reading room\n", "").replace("SCI,Science,0,SCI-001,Lab\n", "")
    call(t, ("POST", "/places/preview"), "/places/preview", HELPDESK, json={"csv": smaller + "SCI,Science,0,SCI-002,"})
    _private_links(call, first, second, mail)  # before the reads: the closed ticket has its follow-up then
    call(t, ("GET", "/tickets"), "/tickets", HELPDESK)
    call(t, ("GET", "/tickets"), "/tickets", USER, params={"limit": 1})  # a page with a next cursor
    call(t, ("GET", "/tickets/{ticket_id}"), one, USER)
    call(t, ("GET", "/tickets/{ticket_id}"), two, HELPDESK)  # closed: closed_at set
    call(t, ("GET", "/tickets/{ticket_id}/messages"), f"{one}/messages", USER)
    call(t, ("GET", "/tickets/{ticket_id}/messages"), f"{one}/messages", HELPDESK, params={"limit": 1})
    call(t, ("GET", "/tickets/{ticket_id}/history"), f"{one}/history", HELPDESK)
    call(t, ("GET", "/tickets/{ticket_id}/history"), f"{two}/history", HELPDESK)
    call(t, ("GET", "/tickets/{ticket_id}/category-explanation"), f"{one}/category-explanation", HELPDESK)
    call(t, ("GET", "/tickets/similar"), "/tickets/similar", USER, params={"q": "wifi library"})
    call(t, ("POST", "/classify"), "/classify", USER, json={"description": "The heating is off in room 2"})

    now = datetime.now(UTC)
    window = {"since": (now - timedelta(hours=3)).isoformat(), "until": (now + timedelta(minutes=1)).isoformat()}
    months = {"from": (now - timedelta(days=62)).strftime("%Y-%m"), "to": now.strftime("%Y-%m")}
    call(t, ("GET", "/stats/open-tickets"), "/stats/open-tickets", {}, params=window)
    call(t, ("GET", "/stats/resolution-monthly"), "/stats/resolution-monthly", {}, params=months)
    call(t, ("GET", "/stats/active-by-category"), "/stats/active-by-category", {})
    # The closed ticket, answered "broken" and followed up when it has a private link: a cell with content.
    call(t, ("GET", "/stats/verified-fixes"), "/stats/verified-fixes", {}, params=months)
    call(t, ("GET", "/stats/place-tickets"), "/stats/place-tickets", {}, params={**window, "min_count": 1})

    call("analytics_open_service", ("GET", "/open-tickets"), "/open-tickets", {}, params={"hours": 6})
    call("analytics_open_service", ("GET", "/open-tickets"), "/open-tickets", {}, params={"days": 1})
    call("analytics_open_service", ("GET", "/open-tickets"), "/open-tickets", {}, params={"days": 30})
    call("analytics_resolution_service", ("GET", "/resolution-time"), "/resolution-time", {})
    resolution = ("GET", "/resolution-time")
    call("analytics_resolution_service", resolution, "/resolution-time", {}, params={"category": "technical_it"})
    call("analytics_resolution_service", ("GET", "/verified-fixes"), "/verified-fixes", {})
    call("analytics_category_service", ("GET", "/active-by-category"), "/active-by-category", {})
    _recurring_problem(providers[t].url)
    call("analytics_category_service", ("GET", "/recurring-problems"), "/recurring-problems", {})
    recurring = ("GET", "/recurring-problems")
    call("analytics_category_service", recurring, "/recurring-problems", {}, params={"min_tickets": 1, "days": 7})
    return answers


def _private_links(call: Any, first: dict[str, Any], second: dict[str, Any], mail: SmtpSink) -> None:
    """Both reports came with private links: follow one, read and answer through them (the second is closed),
    and take e-mail updates for the open one until its first message's one-click unsubscribe."""
    t = "ticket_service"
    open_link = {"X-Private-Link": first["private_link"]["token"]}
    closed_link = {"X-Private-Link": second["private_link"]["token"]}
    follow = ("POST", "/tickets/{ticket_id}/followers")
    call(t, follow, f"/tickets/{first['id']}/followers", {**USER, "Idempotency-Key": "contract-follow"})
    email = {"email": "reporter@campus.example"}
    call(t, ("PUT", "/links/self/email"), "/links/self/email", open_link, json=email)
    call(t, ("PUT", "/links/self/email"), "/links/self/email", closed_link, json=email)
    call(t, ("DELETE", "/links/self/email"), "/links/self/email", closed_link)
    call(
        t,
        ("POST", "/tickets/{ticket_id}/messages"),
        f"/tickets/{first['id']}/messages",
        HELPDESK,
        json={"body": "Fixed?"},
    )
    token = unsubscribe_token(mail_mentioning(mail, first["private_link"]["token"]))
    call(t, ("POST", "/unsubscribe"), "/unsubscribe", {}, json={"token": token})
    call(t, ("GET", "/tickets/{ticket_id}"), f"/tickets/{second['id']}", {**USER, **closed_link})
    call(t, ("GET", "/links/self"), "/links/self", open_link)
    call(t, ("PUT", "/links/self/seen"), "/links/self/seen", open_link, json={"message_id": 2**40})
    call(t, ("GET", "/links/self"), "/links/self", closed_link)  # closed: may answer "Is it fixed?"
    fix = ("POST", "/links/self/fix-answer")
    call(t, fix, "/links/self/fix-answer", closed_link, json={"answer": "broken", "note": "The lift stops again."})
    call(t, ("GET", "/links/self"), "/links/self", closed_link)  # answered, with its follow-up
    tokens = [first["private_link"]["token"], second["private_link"]["token"], "x" * 32]
    call(t, ("POST", "/links/lookup"), "/links/lookup", {}, json={"tokens": tokens})


def _recurring_problem(ticket_url: str) -> None:
    """Three facility tickets at one room of CAMPUS, so the recurring-problems answer has a place with its tickets."""
    with httpx.Client(base_url=ticket_url, timeout=30) as client:
        for n in range(3):
            made = client.post(
                "/tickets",
                json={"description": f"The lift lobby light is out ({n})", "room_code": "LIB-201"},
                headers=USER,
            )
            assert made.status_code == 201, made.text
            if made.json()["category"] != "facility_management":
                tag = f'"{made.json()["version"]}"'
                fixed = client.patch(
                    f"/tickets/{made.json()['id']}",
                    json={"category": "facility_management"},
                    headers={**HELPDESK, "If-Match": tag},
                )
                assert fixed.status_code == 200, fixed.text
