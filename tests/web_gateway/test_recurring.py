"""The Analytics page's "Recurring problems" panel and the "Recurring" badge, against the fakes."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from campusdesk_common.contracts.places import Place
from campusdesk_common.contracts.tickets import TicketRead
from tests.web_gateway.conftest import Browser
from tests.web_gateway.fakes import NOW, FakeAnalytics, FakeTicketService, recurring_problems

HTMX = {"HX-Request": "true"}


async def test_the_panel_shows_chart_table_ticket_links_and_csv(
    helpdesk: Browser, fake_analytics: FakeAnalytics
) -> None:
    page = await helpdesk.get("/analytics")
    assert page.status_code == 200
    asked = [r.url for r in fake_analytics.requests if r.url.path == "/recurring-problems"]
    assert [str(url.params) for url in asked] == [""]  # the service's defaults
    assert '<section id="recurring-panel"' in page.text
    assert 'id="recurring-chart-title">Tickets of the same category per place</title>' in page.text
    assert "Places with at least 3 tickets of the same category opened in the last 30 days" in page.text
    assert "<td>Lift lobby (B1-L0)<br>" in page.text
    for ticket_id in (3, 2, 1):
        assert f'<a href="/tickets/{ticket_id}">#{ticket_id}</a>' in page.text
    assert 'href="/analytics/recurring.csv"' in page.text
    csv = await helpdesk.get("/analytics/recurring.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="campusdesk-recurring.csv"'
    assert fake_analytics.requests[-1].url.params.get("format") == "csv"
    fragment = await helpdesk.get("/analytics", headers={**HTMX, "HX-Target": "recurring-panel"})
    assert fragment.text.lstrip().startswith('<section id="recurring-panel"')


async def test_no_recurring_place_is_said_in_words(helpdesk: Browser, fake_analytics: FakeAnalytics) -> None:
    fake_analytics.recurring = recurring_problems().model_copy(update={"places": []})
    page = await helpdesk.get("/analytics")
    assert page.status_code == 200
    assert "0 places with at least 3 tickets of the same category opened in the last 30 days." in page.text
    assert 'id="recurring-table"' not in page.text


async def test_simple_users_cannot_see_the_panel(user: Browser) -> None:
    assert (await user.get("/analytics/recurring.csv")).status_code == 403


async def test_an_outage_of_the_category_service_blanks_the_panel_only(
    helpdesk: Browser, gateway: httpx.AsyncClient
) -> None:
    from campusdesk_common.http_client import UpstreamClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    charts_when_up = (await helpdesk.get("/analytics")).text.count('role="img"')
    app = gateway._transport.app  # type: ignore[attr-defined]
    app.state.analytics_category = UpstreamClient(
        "category analytics", "http://down", transport=httpx.MockTransport(refuse)
    )
    page = await helpdesk.get("/analytics")
    assert page.status_code == 200
    assert page.text.count("This analysis is unavailable right now: The category analytics") == 2
    # Only its two panels (active by category, recurring problems) lose their chart.
    assert page.text.count('role="img"') == charts_when_up - 2


def _at_the_lobby(fake_tickets: FakeTicketService, text: str, *, opened_at: datetime = NOW) -> TicketRead:
    """A facility ticket at the fake answer's recurring place (the lift lobby)."""
    lobby = recurring_problems().places[0].room
    fake_tickets.places.rooms[lobby.room_code] = lobby
    added = fake_tickets.add(text, category="facility_management")
    placed = added.model_copy(update={"place": Place(room=lobby), "opened_at": opened_at})
    fake_tickets.tickets[added.id] = placed
    return placed


@pytest.fixture
def answer_around_now(fake_analytics: FakeAnalytics) -> FakeAnalytics:
    """The fake answer's 30-day window ends at the fakes' NOW, when their tickets are opened."""
    window = {"since": NOW - timedelta(days=30), "until": NOW + timedelta(minutes=1)}
    fake_analytics.recurring = recurring_problems().model_copy(update=window)
    return fake_analytics


async def test_staff_see_the_recurring_badge_on_the_list_and_the_ticket_page(
    helpdesk: Browser, fake_tickets: FakeTicketService, answer_around_now: FakeAnalytics
) -> None:
    for n in range(3):
        _at_the_lobby(fake_tickets, f"The lift lobby light is broken again ({n})")
    fake_tickets.add("The lift lobby light is broken again (3)", category="facility_management")  # no place given
    listed = await helpdesk.get("/tickets?status=all")
    assert listed.status_code == 200
    assert listed.text.count(">Recurring</span>") == 3  # tickets 1, 2 and 3; not 4
    sentence = "One of 3 Facility management tickets at Lift lobby (B1-L0) opened in the last 30 days."
    assert f'title="{sentence}"' in listed.text
    page = await helpdesk.get("/tickets/2")
    assert '<a class="badge recurring" href="/analytics#recurring-panel">Recurring</a>' in page.text
    assert f'<p class="small" id="recurring-note">{sentence}</p>' in page.text
    other = await helpdesk.get("/tickets/4")
    assert other.status_code == 200 and "recurring-note" not in other.text


async def test_the_badge_goes_by_room_category_and_window_not_by_the_ids_listed(
    helpdesk: Browser, fake_tickets: FakeTicketService, answer_around_now: FakeAnalytics
) -> None:
    # A busy place's answer lists only its newest ids: an older ticket of the window is just as recurring.
    for n in range(3):
        _at_the_lobby(fake_tickets, f"The lift lobby light is broken again ({n})")
    unlisted = _at_the_lobby(fake_tickets, "The lift lobby door sticks", opened_at=NOW - timedelta(days=20))
    before = _at_the_lobby(fake_tickets, "The lift lobby door stuck", opened_at=NOW - timedelta(days=31))
    other_category = fake_tickets.add("Lift lobby screen shows nothing", category="technical_it")
    fake_tickets.tickets[other_category.id] = other_category.model_copy(update={"place": fake_tickets.tickets[1].place})
    assert unlisted.id not in recurring_problems().places[0].ticket_ids
    assert "recurring-note" in (await helpdesk.get(f"/tickets/{unlisted.id}")).text
    assert "recurring-note" not in (await helpdesk.get(f"/tickets/{before.id}")).text
    assert "recurring-note" not in (await helpdesk.get(f"/tickets/{other_category.id}")).text


async def test_simple_users_never_see_the_badge_nor_make_the_gateway_ask(
    user: Browser, fake_tickets: FakeTicketService, fake_analytics: FakeAnalytics
) -> None:
    fake_tickets.add("The lift lobby light is broken again")
    assert "Recurring" not in (await user.get("/tickets")).text
    assert "Recurring" not in (await user.get("/tickets/1")).text
    assert [r for r in fake_analytics.requests if r.url.path == "/recurring-problems"] == []


async def test_without_the_category_service_the_pages_work_without_badges(
    helpdesk: Browser, fake_tickets: FakeTicketService, gateway: httpx.AsyncClient
) -> None:
    from campusdesk_common.http_client import UpstreamClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    app = gateway._transport.app  # type: ignore[attr-defined]
    app.state.analytics_category = UpstreamClient(
        "category analytics", "http://down", transport=httpx.MockTransport(refuse)
    )
    fake_tickets.add("The lift lobby light is broken again")
    listed = await helpdesk.get("/tickets?status=all")
    page = await helpdesk.get("/tickets/1")
    assert (listed.status_code, page.status_code) == (200, 200)
    assert "Recurring" not in listed.text and "recurring-note" not in page.text


async def test_staff_pages_ask_for_the_badges_once_a_minute_not_on_every_view(
    helpdesk: Browser, fake_tickets: FakeTicketService, answer_around_now: FakeAnalytics
) -> None:
    fake_analytics = answer_around_now
    for n in range(3):
        _at_the_lobby(fake_tickets, f"The lift lobby light is broken again ({n})")
    for path in ("/tickets?status=all", "/tickets/1", "/tickets/2", "/tickets?status=all"):
        page = await helpdesk.get(path)
        assert page.status_code == 200 and "Recurring" in page.text
    asked = [r for r in fake_analytics.requests if r.url.path == "/recurring-problems"]
    assert len(asked) == 1
