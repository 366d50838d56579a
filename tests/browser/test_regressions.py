"""Issue 11's bugs, each pinned in Chromium against the five real services (no fakes):
the open-tickets bucket width, the words that weighed most, one status vocabulary, and
chart labels that fit at phone and desktop widths."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from campusdesk_common.contracts.analytics_open import OpenTickets
from campusdesk_common.contracts.tickets import CategoryExplanation
from campusdesk_common.vocabulary import CATEGORY_LABELS, STATUS_LABELS
from tests.browser.conftest import DESKTOP, PHONE, Stack

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
# A reporter lands on the ticket's private page (/t/<token>): its number is in the heading.
TICKET_HEADING = re.compile(r"Ticket #(\d+)")
# A status as people read it: the customer's word, optionally followed by a short hint.
STATUS_WORD = re.compile(r"^(Open|Active|Closed)\b")
FORBIDDEN_WORDS = re.compile(r"in progress|Services & complaints", re.IGNORECASE)


def _report(page: Any, description: str) -> int:
    page.goto("/tickets/new")
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_text("Your ticket has been submitted")).to_be_visible()
    found = TICKET_HEADING.search(page.get_by_role("heading", level=1).inner_text())
    assert found, page.url
    return int(found.group(1))


def _open_tickets(stack: Stack, days: int) -> OpenTickets:
    """What the real analytics service answers, parsed with the provider's own contract."""
    open_service = next(s for s in stack.services if s.name == "analytics_open_service")
    answer = httpx.get(f"{open_service.url}/open-tickets", params={"days": days})
    answer.raise_for_status()
    return OpenTickets.model_validate_json(answer.content)


def _bar_labels(panel: Any) -> list[str]:
    """The label of every bar, from each bar's tooltip ("label: value")."""
    return [title.rsplit(": ", 1)[0] for title in panel.locator("svg rect.bar > title").all_text_contents()]


def _table_labels(panel: Any) -> list[str]:
    return [text.strip() for text in panel.locator("tbody tr td:first-child").all_text_contents()]


def test_one_day_of_open_tickets_is_drawn_by_hour_and_three_days_by_day(
    open_page: Callable[..., Any], stack: Stack
) -> None:
    reporter = open_page("user")
    _report(reporter, "The coffee machine on floor 1 of the library gives no change")
    page = open_page("helpdesk")

    hourly = _open_tickets(stack, days=1)
    assert hourly.bucket == "hour"
    page.goto("/analytics?unit=days&value=1")
    panel = page.locator("#open-panel")
    caption = panel.locator("figcaption")
    expect(caption).to_contain_text("by hour")
    expect(caption).not_to_contain_text("by day")
    labels = _bar_labels(panel)
    assert len(labels) == len(hourly.series) in (24, 25)
    assert len(set(labels)) == len(labels), labels  # distinct hours, not one date repeated
    assert len(set(_table_labels(panel))) == len(labels)

    daily = _open_tickets(stack, days=3)
    assert daily.bucket == "day"
    page.goto("/analytics?unit=days&value=3")
    panel = page.locator("#open-panel")
    caption = panel.locator("figcaption")
    expect(caption).to_contain_text("by day")
    expect(caption).not_to_contain_text("by hour")
    labels = _bar_labels(panel)
    assert len(labels) == len(daily.series) <= 4
    assert len(set(labels)) == len(labels), labels


def test_why_this_category_shows_the_words_that_weighed_most_and_the_nearest_example(
    open_page: Callable[..., Any], stack: Stack
) -> None:
    ticket_id = _report(open_page("user"), "The WiFi in the library drops every ten minutes and the router blinks red")
    with httpx.Client(base_url=stack.ticket_url, headers={"X-Role": "helpdesk"}) as api:
        answer = api.get(f"/tickets/{ticket_id}/category-explanation")
        answer.raise_for_status()
    explanation = CategoryExplanation.model_validate_json(answer.content)
    assert explanation.influential_words, "the ticket service sent no words to show"
    assert explanation.nearest_examples, "the ticket service sent no examples to show"
    heaviest = max(explanation.influential_words, key=lambda w: w.weight).word
    nearest = max(explanation.nearest_examples, key=lambda e: e.similarity).text

    page = open_page("helpdesk")
    page.goto(f"/tickets/{ticket_id}")
    evidence = page.locator("details", has=page.get_by_text("Why this category?"))
    if evidence.get_attribute("open") is None:
        evidence.locator("summary").click()
    expect(evidence).to_contain_text(nearest[:40])
    # The words count only where they are shown as words, not inside an example's text.
    shown = evidence.inner_text()
    for example in sorted(explanation.nearest_examples, key=lambda e: -len(e.text)):
        shown = shown.replace(example.text, "")
    assert heaviest in shown, (heaviest, shown)


def _assert_one_vocabulary(page: Any, where: str) -> None:
    text = page.locator("main").inner_text()
    assert not FORBIDDEN_WORDS.search(text), (where, FORBIDDEN_WORDS.search(text))


def _assert_status_words(locator: Any, where: str) -> None:
    texts = [t.strip() for t in locator.all_inner_texts()]
    assert texts, where
    for text in texts:
        assert STATUS_WORD.match(text), (where, text)


def test_a_status_and_a_category_read_the_same_everywhere(open_page: Callable[..., Any], stack: Stack) -> None:
    marker = f"vending{uuid.uuid4().hex[:6]}"
    ticket_id = _report(open_page("user"), f"The {marker} machine in the canteen keeps the coins")
    services = CATEGORY_LABELS["services_complaints"]
    assert services == "Services and complaints"
    with httpx.Client(base_url=stack.ticket_url, headers={"X-Role": "helpdesk"}) as api:
        if api.get(f"/tickets/{ticket_id}").raise_for_status().json()["category"] == "services_complaints":
            # So that the helpdesk's correction below is a change the history records.
            api.patch(f"/tickets/{ticket_id}", json={"category": "facility_management"}).raise_for_status()
    page = open_page("helpdesk")
    page.goto(f"/tickets/{ticket_id}")
    page.get_by_label("Correct the category").select_option(label=services)
    page.get_by_role("button", name="Save category").click()
    expect(page.locator("main")).to_contain_text(f"→ {services}")

    for status in ("Open", "Active", "Closed"):
        expect(page.locator("#ticket-status")).to_have_text(re.compile(rf"^{status}\b"))
        _assert_status_words(page.locator("#ticket-status"), f"ticket page, {status}")
        _assert_one_vocabulary(page, f"ticket page, {status}")
        expect(page.locator(".badge", has_text=services)).to_be_visible()
        page.goto(f"/tickets?status={status.lower()}&q={marker}")
        row = page.locator(".ticket-row", has_text=f"#{ticket_id}")
        expect(row).to_have_count(1)
        _assert_status_words(row.locator(".badge[class*=status-]"), f"list, {status}")
        expect(row).to_contain_text(services)
        tabs = [t.strip() for t in page.locator(".tabs a").all_inner_texts()]
        assert [t for t in tabs if t != "All"] == list(STATUS_LABELS.values()), tabs
        _assert_one_vocabulary(page, f"list, {status}")
        page.goto(f"/tickets/{ticket_id}")
        if status == "Open":
            page.get_by_role("button", name="Start work").click()
        elif status == "Active":
            page.get_by_role("button", name="Close ticket").click()
            expect(page.locator("#ticket-status")).to_have_text(re.compile(r"^Closed\b"))

    history = page.locator(".history")
    expect(history).to_contain_text(re.compile(r"Open[^→\n]*→\s*Active"))
    expect(history).to_contain_text(re.compile(r"Active[^→\n]*→\s*Closed"))
    assert not FORBIDDEN_WORDS.search(history.inner_text())
    options = [o.strip() for o in page.locator("#category-select option").all_inner_texts()]
    assert options in ([], list(CATEGORY_LABELS.values())), options

    page.goto("/analytics")
    _assert_one_vocabulary(page, "analytics")
    expect(page.locator("#category-panel table")).to_contain_text(services)
    resolution_choices = page.locator("#resolution-panel fieldset label").all_inner_texts()
    assert [c.strip() for c in resolution_choices] == list(CATEGORY_LABELS.values())


# For every <text> of every chart: its box, its owning chart's box and its full content.
CHART_TEXT_BOXES = """() => [...document.querySelectorAll('figure.chart > svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {
    panel: svg.closest('section').id,
    svg: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
    title: svg.querySelector(':scope > title')?.textContent ?? '',
    desc: svg.querySelector(':scope > desc')?.textContent ?? '',
    texts: [...svg.querySelectorAll('text')].map(t => {
      const b = t.getBoundingClientRect();
      return {text: t.textContent, kind: t.getAttribute('class') ?? '',
              left: b.left, right: b.right, top: b.top, bottom: b.bottom};
    }),
  };
})"""


def _assert_chart_labels_fit(page: Any, width: int, where: str) -> None:
    charts = page.evaluate(CHART_TEXT_BOXES)
    assert {c["panel"] for c in charts} == {"open-panel", "resolution-panel", "category-panel", "verified-panel"}, where
    for chart in charts:
        svg, here = chart["svg"], f"{where}, {chart['panel']}"
        assert chart["title"].strip() and chart["desc"].strip(), here
        assert svg["left"] >= 0 and svg["right"] <= width, (here, svg)
        assert chart["texts"], here
        for text in chart["texts"]:
            assert text["right"] > text["left"], (here, text)  # drawn, not collapsed
            inside = (
                svg["left"] - 0.5 <= text["left"]
                and text["right"] <= svg["right"] + 0.5
                and svg["top"] - 0.5 <= text["top"]
                and text["bottom"] <= svg["bottom"] + 0.5
            )
            assert inside, (here, text, svg)
        panel = page.locator(f"#{chart['panel']}")
        expect(panel.locator("table")).to_have_count(1)  # the same numbers, for those who cannot see the chart
        bar_labels = set(_bar_labels(panel))
        drawn_labels = {t["text"] for t in chart["texts"] if t["kind"] in ("x-label", "row-label")}
        assert drawn_labels, here
        assert drawn_labels <= bar_labels, (here, drawn_labels - bar_labels)  # whole labels, not cut short
    category_texts = {t["text"] for c in charts if c["panel"] == "category-panel" for t in c["texts"]}
    assert set(CATEGORY_LABELS.values()) <= category_texts, category_texts


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_chart_labels_stay_inside_their_charts(
    open_page: Callable[..., Any], stack: Stack, viewport: dict[str, int]
) -> None:
    with httpx.Client(base_url=stack.ticket_url, headers={"X-Role": "user"}) as api:
        ids = [
            api.post("/tickets", json={"description": text}).raise_for_status().json()["id"]
            for text in (
                "The radiator in seminar room 3 is cold",
                "Eduroam rejects my password since this morning",
                "The canteen served cold pasta again today",
            )
        ]
        helpdesk = {"X-Role": "helpdesk"}
        for ticket_id, category in zip(ids, CATEGORY_LABELS, strict=True):
            api.patch(f"/tickets/{ticket_id}", json={"category": category}, headers=helpdesk).raise_for_status()
            api.patch(f"/tickets/{ticket_id}", json={"status": "active"}, headers=helpdesk).raise_for_status()
        api.patch(f"/tickets/{ids[0]}", json={"status": "closed"}, headers=helpdesk).raise_for_status()

    page = open_page("helpdesk", viewport=viewport)
    for query in ("unit=days&value=7", "unit=days&value=1", "unit=hours&value=3", "unit=days&value=90"):
        page.goto(f"/analytics?{query}")
        _assert_chart_labels_fit(page, viewport["width"], f"{viewport['width']} px, {query}")
