"""The gateway alone: pages, forms without JavaScript, fragments for htmx, CSRF, roles, conflicts, outages."""

from __future__ import annotations

import httpx
from markupsafe import escape

from campusdesk_common.contracts.tickets import clean_text
from tests.web_gateway.conftest import Browser
from tests.web_gateway.fakes import FakeAnalytics, FakeTicketService, message
from web_gateway.private_pages import NO_SUCH_TICKET

HTMX = {"HX-Request": "true"}


def refusal(what: str, text: str) -> str:
    """The sentence a form shows for `text`: the contract's own rule (`clean_text`), worded for the field."""
    try:
        clean_text(text)
    except ValueError as exc:
        return str(escape(f"The {what} {exc}."))
    raise AssertionError(f"{text!r} is acceptable")


async def test_entry_page_offers_both_roles_with_security_headers(browser: Browser) -> None:
    response = await browser.get("/")
    assert response.status_code == 200
    assert ">Simple user</button>" in response.text
    assert ">Helpdesk staff</button>" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("campusdesk_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "<script>" not in response.text  # no inline script anywhere
    assert '<script src="/static/vendor/htmx-2.0.7.min.js" defer></script>' in response.text


async def test_choosing_a_role_sets_an_httponly_lax_cookie_and_redirects(browser: Browser) -> None:
    response = await browser.post("/role", {"role": "helpdesk"})
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("campusdesk_role=helpdesk;")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    page = await browser.get("/tickets")
    assert "Role: <strong>Helpdesk staff</strong>" in page.text


async def test_pages_need_a_role(browser: Browser) -> None:
    response = await browser.get("/tickets")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_post_without_csrf_token_is_refused_and_nothing_is_stored(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    await gateway.get("/")
    gateway.cookies.set("campusdesk_role", "user")
    response = await gateway.post("/tickets", data={"description": "Forged ticket"})
    assert response.status_code == 403
    assert "security token" in response.text
    forged = await gateway.post("/tickets", data={"description": "Forged", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert fake_tickets.tickets == {}


async def test_csrf_token_of_another_browser_is_refused(
    gateway: httpx.AsyncClient, browser: Browser, fake_tickets: FakeTicketService
) -> None:
    await browser.choose("user")
    stolen = browser.token
    gateway.cookies.set("campusdesk_csrf", "another-browser-cookie")
    response = await gateway.post("/tickets", data={"description": "x", "csrf_token": stolen})
    assert response.status_code == 403
    assert fake_tickets.tickets == {}


async def test_htmx_requests_may_send_the_token_in_a_header(user: Browser, fake_tickets: FakeTicketService) -> None:
    response = await user.client.post(
        "/tickets", data={"description": "Projector broken"}, headers={"X-CSRF-Token": user.token}
    )
    assert response.status_code == 303
    assert fake_tickets.tickets[1].description == "Projector broken"


async def test_user_reports_a_ticket_without_javascript(user: Browser, fake_tickets: FakeTicketService) -> None:
    form = await user.get("/tickets/new")
    assert '<label for="description">Description</label>' in form.text
    assert ">Submit ticket</button>" in form.text
    response = await user.post("/tickets", {"description": "  The elevator in building B is stuck  "})
    assert response.status_code == 303
    [token] = fake_tickets.links.links
    assert response.headers["location"] == f"/t/{token}?notice=created"
    assert fake_tickets.tickets[1].description == "The elevator in building B is stuck"
    assert [r.headers["x-role"] for r in fake_tickets.requests] == ["user"]
    page = await user.get(f"/t/{token}?notice=created")
    assert "Your ticket has been submitted" in page.text
    assert "The elevator in building B is stuck" in page.text


async def test_empty_and_too_long_descriptions_are_explained_and_not_stored(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    empty = await user.post("/tickets", {"description": "   "})
    assert empty.status_code == 422
    assert refusal("description", "   ") in empty.text
    long_text = "a" * 5001
    too_long = await user.post("/tickets", {"description": long_text})
    assert too_long.status_code == 422
    assert refusal("description", long_text) in too_long.text
    assert "(got 5,001)" in too_long.text
    assert long_text in too_long.text  # what the person typed is kept
    assert fake_tickets.tickets == {}
    assert fake_tickets.requests == []


async def test_script_payload_is_escaped_everywhere(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("<script>alert(1)</script>")
    listing = await user.get("/tickets")
    assert "<script>alert(1)</script>" not in listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text
    page = await user.get("/tickets/1")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_live_preview_shows_category_and_similar_tickets(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Elevator stuck on floor 3", category="facility_management")
    response = await user.client.post(
        "/tickets/preview", data={"description": "elevator broken"}, headers={**HTMX, "X-CSRF-Token": user.token}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="preview"')
    assert "<html" not in response.text
    assert "Facility management" in response.text
    assert '<a href="/tickets/1">#1: Elevator stuck on floor 3</a>' in response.text


async def test_preview_survives_a_ticket_service_outage(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.down = True
    response = await user.client.post(
        "/tickets/preview", data={"description": "wifi down"}, headers={**HTMX, "X-CSRF-Token": user.token}
    )
    assert response.status_code == 200
    assert "Suggestions are unavailable right now" in response.text


async def test_list_search_filters_and_cursor_pagination(helpdesk: Browser, fake_tickets: FakeTicketService) -> None:
    for n in range(30):
        fake_tickets.add(f"Printer {n} jammed", status="open")
    fake_tickets.add("Closed one", status="closed")
    first = await helpdesk.get("/tickets")
    assert first.text.count('class="ticket-row"') == 25
    assert 'href="/tickets?status=open&amp;cursor=25"' in first.text
    second = await helpdesk.get("/tickets?status=open&cursor=25")
    assert second.text.count('class="ticket-row"') == 5
    assert ">First page</a>" in second.text
    closed = await helpdesk.get("/tickets?status=closed")
    assert closed.text.count('class="ticket-row"') == 1
    sent = [r for r in fake_tickets.requests if r.url.path == "/tickets"][-1].url.params
    assert sent.get_list("status") == ["closed"]
    fragment = await helpdesk.get("/tickets?q=printer+7&status=all", headers={**HTMX, "HX-Target": "results"})
    assert fragment.text.lstrip().startswith('<section id="results"')
    assert fragment.text.count('class="ticket-row"') == 1


async def test_invalid_filters_are_a_clear_422(user: Browser) -> None:
    response = await user.get("/tickets?status=closed")
    assert response.status_code == 422
    assert "There is no status filter called &#39;closed&#39;" in response.text
    response = await user.get("/tickets?category=%3Cb%3E")
    assert response.status_code == 422
    assert "&lt;b&gt;" in response.text


async def test_list_shows_a_clear_message_when_the_ticket_service_is_down(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.down = True
    response = await user.get("/tickets")
    assert response.status_code == 503
    assert "The ticket list could not be loaded" in response.text
    assert "Role: <strong>Simple user</strong>" in response.text  # the rest of the page still works


async def test_user_edits_the_description_and_a_stale_edit_keeps_the_text(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("WiFi slow")
    page = await user.get("/tickets/1")
    assert 'name="version" value="1"' in page.text
    saved = await user.post("/tickets/1/description", {"description": "WiFi slow in room 12", "version": "1"})
    assert saved.status_code == 303
    assert fake_tickets.tickets[1].description == "WiFi slow in room 12"
    assert fake_tickets.requests[-1].headers["if-match"] == '"1"'
    stale = await user.post("/tickets/1/description", {"description": "My stale rewrite", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else changed this ticket" in stale.text
    assert ">My stale rewrite</textarea>" in stale.text
    assert 'name="version" value="2"' in stale.text  # resubmitting now is a knowing overwrite
    assert "WiFi slow in room 12" in stale.text  # the current state is shown
    assert fake_tickets.tickets[1].description == "WiFi slow in room 12"


async def test_user_sees_no_helpdesk_buttons_and_crafted_requests_are_refused(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Heating off", status="active")
    page = await user.get("/tickets/1")
    assert "Start work" not in page.text
    assert "Close ticket" not in page.text
    assert "Correct the category" not in page.text
    for path, data in [
        ("/tickets/1/start", {"version": "1"}),
        ("/tickets/1/close", {"version": "1", "confirmed": "yes"}),
        ("/tickets/1/category", {"category": "facility_management", "version": "1"}),
    ]:
        response = await user.post(path, data)
        assert response.status_code == 403, path
        assert "Only helpdesk staff" in response.text
    assert (await user.get("/analytics")).status_code == 403
    assert fake_tickets.tickets[1].status == "active"
    assert fake_tickets.tickets[1].category == "technical_it"
    assert fake_tickets.tickets[1].version == 1


async def test_helpdesk_starts_work_confirms_and_closes(helpdesk: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Lab PC 4 will not boot")
    page = await helpdesk.get("/tickets/1")
    assert ">Start work</button>" in page.text
    assert "Edit the description" not in page.text
    assert 'href="/tickets/1/category-evidence"' in page.text  # the evidence for the category, on demand
    started = await helpdesk.post("/tickets/1/start", {"version": "1"})
    assert started.status_code == 303
    page = await helpdesk.get("/tickets/1")
    assert 'hx-confirm="Close ticket #1?' in page.text
    unconfirmed = await helpdesk.post("/tickets/1/close", {"version": "2"})
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == "/tickets/1/close"
    assert fake_tickets.tickets[1].status == "active"
    confirm = await helpdesk.get("/tickets/1/close")
    assert "Close ticket #1?" in confirm.text
    closed = await helpdesk.post("/tickets/1/close", {"version": "2", "confirmed": "yes"})
    assert closed.status_code == 303
    assert fake_tickets.tickets[1].status == "closed"


async def test_a_forbidden_transition_is_explained_with_the_current_state(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Door lock broken", status="active")
    response = await helpdesk.post("/tickets/1/start", {"version": "1"})
    assert response.status_code == 409
    assert "That change is not possible now: Allowed transitions" in response.text
    assert '<span class="badge status-active" id="ticket-status">Active</span>' in response.text


async def test_helpdesk_corrects_the_category(helpdesk: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Mould in the dorm shower")
    response = await helpdesk.post("/tickets/1/category", {"category": "facility_management", "version": "1"})
    assert response.status_code == 303
    assert fake_tickets.tickets[1].category == "facility_management"
    bad = await helpdesk.post("/tickets/1/category", {"category": "nonsense", "version": "2"})
    assert bad.status_code == 422


async def test_messages_post_redirect_and_poll(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Shuttle late every day")
    page = await user.get("/tickets/1")
    assert '<label for="message-body">Message</label>' in page.text
    assert ">Send</button>" in page.text
    assert 'hx-get="/tickets/1/messages?after=0" hx-trigger="every 3s"' in page.text
    empty_poll = await user.client.get("/tickets/1/messages?after=0", headers=HTMX)
    assert empty_poll.status_code == 204
    sent = await user.post("/tickets/1/messages", {"body": "Any news?"})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/tickets/1?notice=sent#thread"
    thread = await user.get("/tickets/1?notice=sent", headers={**HTMX, "HX-Target": "thread"})
    assert thread.text.lstrip().startswith('<section id="thread"')
    assert "Any news?" in thread.text
    fake_tickets.messages.append(message(2, 1, "On it", "helpdesk"))
    poll = await user.client.get("/tickets/1/messages?after=1", headers=HTMX)
    assert poll.status_code == 200
    assert 'hx-swap-oob="beforeend:#messages"' in poll.text
    assert "On it" in poll.text
    assert "Any news?" not in poll.text
    assert 'hx-get="/tickets/1/messages?after=2"' in poll.text


async def test_empty_message_is_explained_and_kept_out(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Canteen closed early")
    response = await user.post("/tickets/1/messages", {"body": " "})
    assert response.status_code == 422
    assert refusal("message", " ") in response.text
    assert "Your change was not applied" not in response.text  # said under the text box, not as a conflict
    assert fake_tickets.messages == []


async def test_unknown_ticket_is_a_404_page(user: Browser) -> None:
    response = await user.get("/tickets/999")
    assert response.status_code == 404
    assert str(escape(NO_SUCH_TICKET)) in response.text
    assert (await user.get("/tickets/abc")).status_code == 422


async def test_ticket_page_part_outage_only_blanks_that_part(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Broken chair")
    fake_tickets.broken_suffixes = {"/history", "/messages"}
    page = await user.get("/tickets/1")
    assert page.status_code == 200
    assert "Broken chair" in page.text
    assert "The history could not be loaded: That part of the ticket service is down." in page.text
    assert "The messages could not be loaded" in page.text


async def test_analytics_page_shows_charts_tables_and_csv_links(helpdesk: Browser) -> None:
    page = await helpdesk.get("/analytics?unit=days&value=7")
    assert page.status_code == 200
    assert page.text.count('role="img"') == 7  # open, resolution, category, recurring, 3 verified fixes
    assert "<strong>3</strong> tickets opened in the last 7 days" in page.text
    assert '<td>2025-02</td><td class="num">4</td><td class="num">12.50</td>' in page.text
    assert 'href="/analytics/open.csv?unit=days&amp;value=7"' in page.text
    csv = await helpdesk.get("/analytics/category.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="campusdesk-category.csv"'
    fragment = await helpdesk.get("/analytics?unit=hours&value=24", headers={**HTMX, "HX-Target": "open-panel"})
    assert fragment.text.lstrip().startswith('<section id="open-panel"')


async def test_analytics_refusals_show_the_services_own_detail(
    helpdesk: Browser, fake_analytics: FakeAnalytics
) -> None:
    for value in ("-1", "0", "99999", "abc"):
        response = await helpdesk.get(f"/analytics?unit=days&value={value}")
        assert response.status_code == 422, value
        # The gateway checks nothing itself: it forwards the value and shows the service's sentence.
        sent = [r.url.params for r in fake_analytics.requests if r.url.path == "/open-tickets"][-1]
        assert sent["days"] == value
        detail = f"days must be a whole number between 1 and 3650, not &#39;{value}&#39;."
        assert f'<p class="field-error" role="alert">{detail}</p>' in response.text
        assert response.text.count('role="img"') == 6  # the other four panels still work (3 verified fixes)
    month = await helpdesk.get("/analytics?from=2025-13")
    assert month.status_code == 422
    assert "&#39;2025-13&#39; is not a month: write it as YYYY-MM, for example 2026-03." in month.text
    csv = await helpdesk.get("/analytics/open.csv?unit=weeks&value=1")
    assert csv.status_code == 422
    assert "Give the period in hours (1 to 8760) or in days (1 to 3650), not both." in csv.text


async def test_analytics_outage_blanks_only_its_panel(helpdesk: Browser, gateway: httpx.AsyncClient) -> None:
    from campusdesk_common.http_client import UpstreamClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    app = gateway._transport.app  # type: ignore[attr-defined]
    app.state.analytics_resolution = UpstreamClient(
        "resolution-time analytics", "http://down", transport=httpx.MockTransport(refuse)
    )
    page = await helpdesk.get("/analytics")
    assert page.status_code == 200
    assert "This analysis is unavailable right now: The resolution-time analytics is not reachable" in page.text
    assert page.text.count('role="img"') == 3


async def test_static_files_are_served_and_path_traversal_is_refused(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/static/vendor/htmx-2.0.7.min.js")).status_code == 200
    assert (await gateway.get("/static/../main.py")).status_code == 404
    assert (await gateway.get("/static/%2e%2e/main.py")).status_code == 404


async def test_huge_bodies_are_refused(user: Browser) -> None:
    response = await user.post("/tickets", {"description": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 413


async def test_invalid_utf8_in_a_form_is_refused(user: Browser, fake_tickets: FakeTicketService) -> None:
    raw = b"description=caf%E9%FF%FE&csrf_token=" + user.token.encode()
    response = await user.client.post(
        "/tickets", content=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.text
    assert fake_tickets.tickets == {}
