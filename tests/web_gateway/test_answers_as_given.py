"""The gateway shows what the services answer (contract models), in the vocabulary's words, and refuses bad forms
without changing anything."""

from __future__ import annotations

import httpx
import pytest

from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.vocabulary import CATEGORY_LABELS, STATUS_HINTS, STATUS_LABELS
from tests.web_gateway.conftest import Browser
from tests.web_gateway.fakes import EXPLANATION_EXAMPLE, EXPLANATION_WORD, FakeTicketService
from web_gateway.forms import VERSION_PROBLEM

EVIDENCE_FRAGMENT = {"HX-Request": "true", "HX-Target": "evidence-body"}


async def test_why_this_category_shows_the_words_and_examples_the_ticket_service_sends(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("The wifi in the library keeps dropping")
    word = f'<li>{EXPLANATION_WORD.word} <span class="small">({EXPLANATION_WORD.weight:.2f})</span></li>'
    example = (
        f"<li>“{EXPLANATION_EXAMPLE.text}” → {CATEGORY_LABELS[EXPLANATION_EXAMPLE.category]} "
        f'<span class="small">(similarity {EXPLANATION_EXAMPLE.similarity * 100:.0f}%)</span></li>'
    )
    # What htmx loads into the disclosure when it opens, and the page a link opens without JavaScript.
    fragment = await helpdesk.get("/tickets/1/category-evidence", headers=EVIDENCE_FRAGMENT)
    page = await helpdesk.get("/tickets/1/category-evidence")
    assert (fragment.status_code, page.status_code) == (200, 200)
    assert fragment.text.lstrip().startswith('<div id="evidence-body">') and "<html" not in fragment.text
    assert word in fragment.text and example in fragment.text
    assert word in page.text and example in page.text
    assert "<h1>Why ticket #1 is Technical IT</h1>" in page.text


async def test_the_ticket_page_does_not_wait_for_the_model_s_evidence(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("The wifi in the library keeps dropping")
    page = await helpdesk.get("/tickets/1")
    assert page.status_code == 200
    assert EXPLANATION_EXAMPLE.text not in page.text
    assert 'hx-get="/tickets/1/category-evidence" hx-trigger="toggle once"' in page.text
    assert '<a href="/tickets/1/category-evidence">' in page.text  # without JavaScript
    assert [r for r in fake_tickets.requests if r.url.path.endswith("/category-explanation")] == []


async def test_the_evidence_is_for_staff(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("The wifi in the library keeps dropping")
    assert (await user.get("/tickets/1/category-evidence")).status_code == 403
    assert [r for r in fake_tickets.requests if r.url.path.endswith("/category-explanation")] == []


async def test_the_evidence_of_an_unknown_ticket_is_a_404_page_or_a_sentence(helpdesk: Browser) -> None:
    assert (await helpdesk.get("/tickets/99/category-evidence")).status_code == 404
    missing = await helpdesk.get("/tickets/99/category-evidence", headers=EVIDENCE_FRAGMENT)
    assert missing.status_code == 200 and "The evidence is unavailable right now:" in missing.text


@pytest.mark.parametrize("version", ["", "abc", "0", "-1", "1.0", "²", " 1"])
async def test_a_malformed_version_is_a_422_that_keeps_the_text_and_changes_nothing(
    user: Browser, fake_tickets: FakeTicketService, version: str
) -> None:
    fake_tickets.add("Heating off in room 12")
    response = await user.post("/tickets/1/description", {"description": "Heating off in room 14", "version": version})
    assert response.status_code == 422
    assert ">Heating off in room 14</textarea>" in response.text
    assert VERSION_PROBLEM in response.text
    assert [r.method for r in fake_tickets.requests if r.method == "PATCH"] == []
    assert fake_tickets.tickets[1].description == "Heating off in room 12"


async def test_a_missing_version_on_a_status_change_is_a_422_and_changes_nothing(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Projector flickers")
    response = await helpdesk.post("/tickets/1/start", {})
    assert response.status_code == 422
    assert "Your change was not applied" in response.text
    assert VERSION_PROBLEM in response.text
    assert fake_tickets.tickets[1].status == "open"
    assert all(r.method != "PATCH" for r in fake_tickets.requests)


async def test_an_unknown_category_is_refused_with_a_sentence(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Mould in the dorm shower")
    response = await helpdesk.post("/tickets/1/category", {"category": "nonsense", "version": "1"})
    assert response.status_code == 422
    assert "Choose one of the three categories." in response.text
    assert fake_tickets.tickets[1].category == "technical_it"


async def test_statuses_categories_and_history_use_the_vocabulary(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Canteen food is cold", category="services_complaints")
    assert (await helpdesk.post("/tickets/1/start", {"version": "1"})).status_code == 303
    page = await helpdesk.get("/tickets/1")
    assert f'id="ticket-status">{STATUS_LABELS["active"]}</span>' in page.text
    assert f"({STATUS_HINTS['active']})" in page.text
    assert f"<strong>Status changed</strong> by Helpdesk: {STATUS_LABELS['open']} → {STATUS_LABELS['active']}" in (
        page.text
    )
    assert CATEGORY_LABELS["services_complaints"] in page.text
    listing = await helpdesk.get("/tickets?status=active")
    for label in STATUS_LABELS.values():
        assert f">{label}</a></li>" in listing.text
    for text in (page.text, listing.text):
        assert "In progress" not in text
        assert "Services &amp; complaints" not in text


async def test_an_answer_outside_the_contract_is_an_explained_503_not_a_500(
    user: Browser, gateway: httpx.AsyncClient
) -> None:
    def wrong_shape(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ticket": {"id": 1}, "title": "guessed keys"})

    app = gateway._transport.app  # type: ignore[attr-defined]
    app.state.tickets = UpstreamClient("ticket service", "http://tickets", transport=httpx.MockTransport(wrong_shape))
    response = await user.get("/tickets/1")
    assert response.status_code == 503
    assert "The ticket service answered something that is not a TicketRead" in response.text


async def test_open_tickets_of_one_day_are_labelled_by_hour(helpdesk: Browser) -> None:
    page = await helpdesk.get("/analytics?unit=days&value=1")
    assert page.status_code == 200
    assert "3 tickets in the last 1 day, by hour of opening (UTC)." in page.text
    assert "<td>2025-03-09 12:00</td>" in page.text  # the table: date and hour of every bucket
    assert page.text.count("<tr><td>2025-03-") == 24
    # The chart's bars: hours, with the date where a day starts.
    assert "<title>13:00: 0</title>" in page.text
    assert "<title>2025-03-10 00:00: 0</title>" in page.text


async def test_open_tickets_of_a_week_are_labelled_by_day(helpdesk: Browser) -> None:
    page = await helpdesk.get("/analytics?unit=days&value=7")
    assert "3 tickets in the last 7 days, by day of opening (UTC)." in page.text
    assert "<td>2025-03-03</td>" in page.text
    assert "<td>2025-03-10</td>" in page.text
    assert page.text.count("<tr><td>2025-03-") == 8
    assert "12:00" not in page.text


async def test_resolution_states_the_median_error_bound_it_was_given(helpdesk: Browser) -> None:
    page = await helpdesk.get("/analytics")
    assert "medians are estimated from a histogram, within 5% of the exact median." in page.text
    assert '<td>2025-02</td><td class="num">4</td><td class="num">12.50</td><td class="num">10.00</td>' in page.text
    assert '<td>2025-03</td><td class="num">0</td><td class="num">—</td><td class="num">—</td>' in page.text


async def test_preview_shows_the_prediction_as_answered(user: Browser) -> None:
    response = await user.client.post(
        "/tickets/preview",
        data={"description": "The elevator is stuck"},
        headers={"HX-Request": "true", "X-CSRF-Token": user.token},
    )
    assert '<strong class="category">Facility management</strong> <span class="small">(confidence 88%)</span>' in (
        response.text
    )


async def test_a_message_to_a_closed_ticket_is_refused_inside_the_thread_fragment(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Broken window", status="closed")
    response = await helpdesk.client.post(
        "/tickets/1/messages",
        data={"body": "One more thing"},
        headers={"HX-Request": "true", "HX-Target": "thread", "X-CSRF-Token": helpdesk.token},
    )
    assert response.status_code == 409
    assert response.text.lstrip().startswith('<section id="thread"')
    assert "That change is not possible now: The ticket is closed." in response.text
    assert ">One more thing</textarea>" not in response.text  # a closed ticket shows no message form
    assert fake_tickets.messages == []
