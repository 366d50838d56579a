"""Private links in the gateway (issue 14): the /t/<token> page in every state, My tickets, "This affects me too",
"Is it fixed?", e-mail updates and unsubscribing, against the in-memory ticket service."""

from __future__ import annotations

import re

import httpx
from markupsafe import escape

from campusdesk_common.contracts.links import PRIVATE_LINK_HEADER
from campusdesk_common.contracts.places import PhotoRef
from campusdesk_common.contracts.tickets import TicketRead
from campusdesk_common.vocabulary import FIX_ANSWER_LABELS
from tests.web_gateway.conftest import Browser
from tests.web_gateway.fake_links import new_token
from tests.web_gateway.fakes import NOW, FakeTicketService, message
from web_gateway.link_cookie import LINKS_COOKIE, decode_links, encode_links
from web_gateway.places import qr_svg
from web_gateway.private_pages import NO_SUCH_TICKET

SECRET = b"unit-test-secret"
KEY = re.compile(r'name="submission_key" value="([0-9a-f]{32})"')
PRIVATE = re.compile(r"^/t/([A-Za-z0-9_-]{32})\?notice=(\w+)")


async def report(user: Browser, description: str) -> str:
    """Report a ticket as a simple user; the token of the private page it leads to."""
    response = await user.post("/tickets", {"description": description})
    assert response.status_code == 303, response.text
    found = PRIVATE.match(response.headers["location"])
    assert found is not None, response.headers["location"]
    assert found.group(2) == "created"
    return found.group(1)


def closed(fake: FakeTicketService, description: str, answer: str | None = "The router was replaced.") -> TicketRead:
    """A closed ticket with the helpdesk's answer (if any) and a first message from its reporter."""
    ticket = fake.add(description)
    fake.messages.append(message(len(fake.messages) + 1, ticket.id, "Any news?", "user"))
    if answer is not None:
        fake.messages.append(message(len(fake.messages) + 1, ticket.id, answer, "helpdesk"))
    fake.tickets[ticket.id] = ticket.model_copy(update={"status": "closed", "closed_at": NOW})
    return fake.tickets[ticket.id]


def stored_photo(fake: FakeTicketService) -> PhotoRef:
    """A JPEG stored and attached in the fake ticket service."""
    fake.places.handle(httpx.Request("POST", "http://tickets/photos", content=b"\xff\xd8\xff a photo"), "user", set())
    attached = fake.places.attach([max(fake.places.photos)])
    assert attached is not None
    return attached[0]


def links_of(client: httpx.AsyncClient) -> list[str]:
    return decode_links(SECRET, client.cookies.get(LINKS_COOKIE, ""))


async def test_after_reporting_the_private_page_shows_the_link_copy_button_and_qr_code(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    token = await report(user, "The WiFi in room B12 drops every hour")
    page = await user.get(f"/t/{token}?notice=created", headers={"Host": "attacker.example"})
    assert page.status_code == 200
    assert "Your private link" in page.text
    # The address comes from WEB_GATEWAY_PUBLIC_URL, never from the Host the request claimed.
    assert f'value="http://127.0.0.1:8000/t/{token}" readonly' in page.text
    assert "attacker.example" not in page.text
    assert 'data-copy-target="private-link-url" hidden>Copy link</button>' in page.text
    # The QR code is drawn here, of that same address.
    assert str(qr_svg(f"http://127.0.0.1:8000/t/{token}")) in page.text
    assert "Keep your private link below" in page.text
    assert "The WiFi in room B12 drops every hour" in page.text
    # Open: the holder edits and writes as the reporter, through /t/ routes.
    assert f'action="/t/{token}/description"' in page.text
    assert f'action="/t/{token}/messages"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert links_of(user.client) == [token]
    # The token travels to the ticket service only in its header, never in a path.
    assert all(token not in str(r.url) for r in fake_tickets.requests)
    assert any(r.headers.get(PRIVATE_LINK_HEADER) == token for r in fake_tickets.requests)


async def test_other_pages_keep_the_same_origin_referrer_policy(user: Browser) -> None:
    page = await user.get("/tickets/new")
    assert page.headers["referrer-policy"] == "same-origin"


async def test_a_closed_ticket_is_read_only_to_its_link_holder_with_the_last_answer_and_is_it_fixed(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    ticket = closed(fake_tickets, "Printer on floor 2 jams")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    # A brand-new browser holding only the link: no role, no cookies.
    page = await gateway.get(f"/t/{token}")
    assert page.status_code == 200
    assert f"Ticket #{ticket.id}" in page.text
    assert 'id="fixed-title" class="h3">Closed <time datetime="2025-03-10T12:00:00Z">' in page.text
    assert '<blockquote class="message-body">The router was replaced.</blockquote>' in page.text
    assert "Any news?" in page.text  # the whole thread
    assert 'class="message from-helpdesk last-answer"' in page.text
    assert f">{escape(FIX_ANSWER_LABELS['fixed'])}</button>" in page.text
    assert f">{escape(FIX_ANSWER_LABELS['broken'])}</button>" in page.text
    assert "/description" not in page.text and 'name="body"' not in page.text  # read-only
    # Reading the page marks the answers read.
    assert fake_tickets.links.links[token].seen_message_id == 2
    assert links_of(gateway) == [token]


async def test_a_user_without_the_link_never_sees_the_closed_ticket(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    ticket = closed(fake_tickets, "Printer on floor 2 jams")
    assert (await user.get(f"/tickets/{ticket.id}")).status_code == 404
    listed = await user.get("/tickets?status=")
    assert "Printer on floor 2 jams" not in listed.text
    mine = await user.get("/my-tickets")
    assert "Printer on floor 2 jams" not in mine.text


async def test_a_wrong_or_malformed_token_is_the_same_404_page_as_a_missing_ticket(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("WiFi drops")
    missing = await user.get("/tickets/999")
    for address in (f"/t/{new_token()}", "/t/short", f"/t/{'x' * 40}", f"/t/{new_token()}/messages?after=0"):
        wrong = await user.get(address)
        assert wrong.status_code == 404, address
        assert wrong.text == missing.text, address
        assert wrong.headers["referrer-policy"] == "no-referrer"
        assert wrong.headers["cache-control"] == "no-store"
    assert str(escape(NO_SUCH_TICKET)) in missing.text


async def test_the_token_of_another_ticket_does_not_open_this_ones_photos(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    first = closed(fake_tickets, "Broken door")
    token = fake_tickets.links.issue(first.id, "reporter").token
    other = fake_tickets.add("Another ticket")
    photo = stored_photo(fake_tickets)
    fake_tickets.tickets[other.id] = other.model_copy(update={"photos": [photo]})
    assert (await user.get(f"/t/{token}/photos/{photo.id}")).status_code == 404


async def test_photos_of_a_closed_ticket_are_served_through_its_link(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    ticket = closed(fake_tickets, "Broken window")
    photo = stored_photo(fake_tickets)
    fake_tickets.tickets[ticket.id] = ticket.model_copy(update={"photos": [photo]})
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    page = await gateway.get(f"/t/{token}")
    assert f'href="/t/{token}/photos/{photo.id}"' in page.text
    served = await gateway.get(f"/t/{token}/photos/{photo.id}")
    assert served.status_code == 200
    assert served.headers["cache-control"] == "no-store"
    assert served.headers["referrer-policy"] == "no-referrer"
    assert (await gateway.get(f"/t/{token}/photos/{photo.id}/thumbnail")).status_code == 200


async def test_the_link_holder_edits_and_writes_in_the_thread(user: Browser, fake_tickets: FakeTicketService) -> None:
    token = await report(user, "Heating off in the library")
    page = await user.get(f"/t/{token}")
    key = KEY.search(page.text)
    assert key is not None
    saved = await user.post(
        f"/t/{token}/description", {"description": "Heating off in the library, floor 2", "version": "1"}
    )
    assert saved.headers["location"] == f"/t/{token}?notice=saved"
    data = {"body": "Still cold this morning.", "submission_key": key.group(1)}
    sent = await user.post(f"/t/{token}/messages", data)
    assert sent.headers["location"] == f"/t/{token}?notice=sent#thread"
    assert fake_tickets.tickets[1].description == "Heating off in the library, floor 2"
    assert [(m.ticket_id, m.body) for m in fake_tickets.messages] == [(1, "Still cold this morning.")]
    polled = await user.get(f"/t/{token}/messages?after=0", headers={"HX-Request": "true"})
    assert "Still cold this morning." in polled.text
    assert f'hx-get="/t/{token}/messages?after=1"' in polled.text


async def test_still_broken_twice_files_one_follow_up_and_the_page_links_its_private_page(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    browser = Browser(gateway)
    ticket = closed(fake_tickets, "Projector in B12 flickers")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    page = await browser.get(f"/t/{token}")
    key = KEY.search(page.text)
    assert key is not None
    data = {"answer": "broken", "note": "It flickers again since Monday.", "submission_key": key.group(1)}
    first = await browser.post(f"/t/{token}/fix-answer", data)
    second = await browser.post(f"/t/{token}/fix-answer", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == f"/t/{token}?notice=answered#fixed"
    follow_ups = [t for t in fake_tickets.tickets.values() if t.follows_up == ticket.id]
    assert [(t.description, t.category) for t in follow_ups] == [("It flickers again since Monday.", ticket.category)]
    follow_up_token = next(t for t, link in fake_tickets.links.links.items() if link.ticket_id == follow_ups[0].id)
    assert links_of(gateway) == [follow_up_token, token]
    shown = await browser.get(f"/t/{token}?notice=answered")
    assert f"You answered “{escape(FIX_ANSWER_LABELS['broken'])}”" in shown.text
    assert f'<a href="/t/{follow_up_token}">ticket #{follow_ups[0].id}</a>' in shown.text
    assert 'name="answer"' not in shown.text  # asked once
    assert fake_tickets.tickets[ticket.id].status == "closed"


async def test_yes_its_fixed_is_recorded_and_files_nothing(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    browser = Browser(gateway)
    ticket = closed(fake_tickets, "Lamp out in room 3")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    await browser.get(f"/t/{token}")
    assert (await browser.post(f"/t/{token}/fix-answer", {"answer": "fixed", "note": "ignored"})).status_code == 303
    assert len(fake_tickets.tickets) == 1
    shown = await browser.get(f"/t/{token}")
    assert f"You answered “{escape(FIX_ANSWER_LABELS['fixed'])}”" in shown.text


async def test_an_unknown_fix_answer_is_refused_with_the_note_kept(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    browser = Browser(gateway)
    ticket = closed(fake_tickets, "Lamp out in room 3")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    await browser.get(f"/t/{token}")
    refused = await browser.post(f"/t/{token}/fix-answer", {"answer": "maybe", "note": "Flickers <b>again</b>"})
    assert refused.status_code == 422
    assert "Flickers &lt;b&gt;again&lt;/b&gt;</textarea>" in refused.text
    assert fake_tickets.links.links[token].fix_answer is None


async def test_my_tickets_lists_exactly_this_browsers_links_with_unread_answers(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    mine = await report(user, "Broken chair in the canteen")
    fake_tickets.add("Another reporters printer")
    fake_tickets.messages.append(message(1, 1, "We will replace it today.", "helpdesk"))
    listed = await user.get("/my-tickets")
    assert listed.status_code == 200
    assert f'href="/t/{mine}"' in listed.text
    assert "Broken chair in the canteen" in listed.text
    assert "1 unread answer<" in listed.text
    assert "Another reporters printer" not in listed.text
    await user.get(f"/t/{mine}")
    assert "unread answer" not in (await user.get("/my-tickets")).text
    nav = await user.get("/tickets")
    assert '<a href="/my-tickets">My tickets</a>' in nav.text
    assert '<a href="/tickets">All open tickets</a>' in nav.text
    assert "<h1>All open tickets</h1>" in nav.text


async def test_a_tampered_or_forged_links_cookie_is_ignored(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    ticket = fake_tickets.add("Another reporters printer")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    signed = encode_links(SECRET, [token])
    for forged in (
        encode_links(b"another-secret", [token]),
        signed[:-1] + ("1" if signed.endswith("0") else "0"),
        f"{token}",
        f"{token}.{token}.{signed[-32:]}",
    ):
        gateway.cookies.set(LINKS_COOKIE, forged)
        page = await gateway.get("/my-tickets")
        assert "Another reporters printer" not in page.text, forged
    gateway.cookies.set(LINKS_COOKIE, signed)
    assert "Another reporters printer" in (await gateway.get("/my-tickets")).text


def test_the_links_cookie_round_trips_and_refuses_what_it_did_not_sign() -> None:
    tokens = [new_token(), new_token()]
    assert decode_links(SECRET, encode_links(SECRET, tokens)) == tokens
    assert decode_links(SECRET, "") == []
    assert decode_links(b"other", encode_links(SECRET, tokens)) == []
    assert decode_links(SECRET, encode_links(SECRET, ["not a token!"])) == []


async def test_the_browser_keeps_the_newest_links_only(user: Browser, fake_tickets: FakeTicketService) -> None:
    ticket = fake_tickets.add("Popular ticket")
    tokens = [fake_tickets.links.issue(ticket.id, "follower").token for _ in range(55)]
    for token in tokens:
        assert (await user.get(f"/t/{token}")).status_code == 200
    assert links_of(user.client) == list(reversed(tokens))[:50]


async def test_this_affects_me_too_follows_once_and_gives_the_private_link(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    ticket = fake_tickets.add("WiFi drops in the library")
    page = await user.get(f"/tickets/{ticket.id}")
    assert f'action="/tickets/{ticket.id}/follow"' in page.text
    key = KEY.search(page.text.split(f'action="/tickets/{ticket.id}/follow"')[1])
    assert key is not None
    first = await user.post(f"/tickets/{ticket.id}/follow", {"submission_key": key.group(1)})
    second = await user.post(f"/tickets/{ticket.id}/follow", {"submission_key": key.group(1)})
    assert first.headers["location"] == second.headers["location"]
    found = PRIVATE.match(first.headers["location"])
    assert found is not None and found.group(2) == "following"
    assert fake_tickets.tickets[ticket.id].affected_count == 2
    assert links_of(user.client) == [found.group(1)]
    followed = await user.get(first.headers["location"])
    assert "You now follow this ticket" in followed.text
    assert "You follow this ticket (“This affects me too”)." in followed.text


async def test_the_similar_ticket_hint_offers_this_affects_me_too(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    ticket = fake_tickets.add("The elevator in building B is stuck")
    hint = await user.post("/tickets/preview", {"description": "elevator stuck again"}, headers={"HX-Request": "true"})
    assert f'action="/tickets/{ticket.id}/follow"' in hint.text
    assert ">This affects me too</button>" in hint.text


async def test_staff_cannot_follow_and_see_counts_sorting_and_follow_ups(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    old = closed(fake_tickets, "Projector flickers")
    one = fake_tickets.add("Quiet ticket")
    many = fake_tickets.add("Loud ticket")
    fake_tickets.tickets[many.id] = many.model_copy(
        update={"affected_count": 7, "email_updates": True, "follows_up": old.id}
    )
    fake_tickets.tickets[old.id] = old.model_copy(update={"followed_up_by": [many.id]})
    refused = await helpdesk.post(f"/tickets/{one.id}/follow", {})
    assert refused.status_code == 403
    listed = await helpdesk.get("/tickets?status=all&sort=affected&min_affected=2")
    search = next(r for r in reversed(fake_tickets.requests) if r.url.path == "/tickets").url.params
    assert (search["sort"], search["min_affected"]) == ("affected", "2")
    assert "Loud ticket" in listed.text and "Quiet ticket" not in listed.text
    assert "7 affected" in listed.text
    assert '<option value="affected" selected>' in listed.text
    page = await helpdesk.get(f"/tickets/{many.id}")
    assert '<dd id="affected-count">7 people</dd>' in page.text
    assert "The reporter gets e-mail updates" in page.text
    assert f'<a href="/tickets/{old.id}">Ticket #{old.id}</a>' in page.text
    back = await helpdesk.get(f"/tickets/{old.id}")
    assert f'<dd id="followed-up-by"><a href="/tickets/{many.id}">Ticket #{many.id}</a></dd>' in back.text
    assert (await helpdesk.get("/tickets?sort=loudest")).status_code == 422
    assert (await helpdesk.get("/tickets?min_affected=0")).status_code == 422


async def test_simple_users_cannot_sort_by_affected(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("A ticket")
    await user.get("/tickets?sort=affected&min_affected=5")
    search = next(r for r in reversed(fake_tickets.requests) if r.url.path == "/tickets").url.params
    assert "sort" not in search and "min_affected" not in search


async def test_email_updates_are_offered_kept_private_and_stopped(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    token = await report(user, "Broken tap in the kitchen")
    page = await user.get(f"/t/{token}")
    assert f'action="/t/{token}/email"' in page.text
    refused = await user.post(f"/t/{token}/email", {"email": "not an address"})
    assert refused.status_code == 422
    assert 'value="not an address"' in refused.text
    assert "The e-mail address must be an e-mail address" in refused.text
    done = await user.post(f"/t/{token}/email", {"email": "Reporter@Example.EDU"})
    assert done.headers["location"] == f"/t/{token}?notice=email#email-updates"
    assert fake_tickets.links.links[token].email == "Reporter@example.edu"
    shown = await user.get(f"/t/{token}?notice=email")
    assert "example.edu" not in shown.text.lower()
    assert ">Stop e-mail updates</button>" in shown.text
    await user.post(f"/t/{token}/email/stop", {})
    assert fake_tickets.links.links[token].email is None


async def test_without_mail_the_email_box_is_hidden(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.links.email_available = False
    token = await report(user, "Broken tap in the kitchen")
    assert "E-mail updates" not in (await user.get(f"/t/{token}")).text


async def test_unsubscribe_asks_on_get_and_stops_on_post(user: Browser, fake_tickets: FakeTicketService) -> None:
    token = await report(user, "Broken tap in the kitchen")
    fake_tickets.links.links[token].email = "someone@example.edu"
    confirm = await user.get(f"/unsubscribe/{token}")
    assert confirm.status_code == 200
    assert ">Stop e-mail updates</button>" in confirm.text
    assert confirm.headers["referrer-policy"] == "no-referrer"
    assert confirm.headers["cache-control"] == "no-store"
    assert fake_tickets.links.links[token].email == "someone@example.edu"  # a scanner's GET changes nothing
    done = await user.post(f"/unsubscribe/{token}", {})
    assert done.status_code == 200
    assert "You will get no more e-mail about ticket #1." in done.text
    assert fake_tickets.links.links[token].email is None


async def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf_token(
    gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    ticket = fake_tickets.add("Broken tap")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    fake_tickets.links.links[token].email = "someone@example.edu"
    response = await gateway.post(
        f"/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert fake_tickets.links.links[token].email is None
    wrong = await gateway.post(f"/unsubscribe/{new_token()}", content=b"List-Unsubscribe=One-Click")
    assert wrong.status_code == 404
    # Only that path is exempt: the other private actions still need the form's token.
    forged = await gateway.post(f"/t/{token}/email/stop", data={})
    assert forged.status_code == 403


async def test_the_honeypot_answers_as_if_accepted_and_stores_nothing(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    form = await user.get("/tickets/new")
    assert '<div class="hp" aria-hidden="true">' in form.text
    assert 'name="homepage" type="text" value="" tabindex="-1" autocomplete="off"' in form.text
    bot = await user.post("/tickets", {"description": "Cheap watches", "homepage": "http://spam.example"})
    assert bot.status_code == 303
    assert fake_tickets.tickets == {}
    ticket = fake_tickets.add("WiFi drops")
    sent = await user.post(f"/tickets/{ticket.id}/messages", {"body": "Buy now", "homepage": "x"})
    assert sent.status_code == 303
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    await user.post(f"/t/{token}/messages", {"body": "Buy now", "homepage": "x"})
    assert fake_tickets.messages == []
    assert [r.method for r in fake_tickets.requests if r.method == "POST"] == []
