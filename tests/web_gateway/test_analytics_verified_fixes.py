"""The Analytics page's "Verified fixes" panel, against the fake analytics service (answers built from the
contract models): chart per category, table, CSV pass-through, htmx fragment, refusals and its own outage."""

from __future__ import annotations

import re

import httpx

from campusdesk_common.http_client import UpstreamClient
from tests.web_gateway.conftest import Browser
from tests.web_gateway.fakes import FakeAnalytics, problem

HTMX = {"HX-Request": "true"}


def _rows(panel: str) -> list[list[str]]:
    """The table's rows as the cells' texts (their attributes, e.g. a phone's labels, left aside)."""
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", panel, re.S)]


def _panel(page: str) -> str:
    start = page.index('<section id="verified-panel"')
    return page[start : page.index("</section>", start)]


async def test_the_panel_shows_a_chart_per_category_the_table_and_the_csv_link(helpdesk: Browser) -> None:
    page = await helpdesk.get("/analytics")
    assert page.status_code == 200
    assert '<a href="#verified-panel">Verified fixes</a>' in page.text
    panel = _panel(page.text)
    assert panel.count('role="img"') == 3
    titles = re.findall(r'<title id="verified-chart-\d-title">([^<]*)</title>', panel)
    assert titles == [
        "Facility management: share of answered tickets confirmed fixed",
        "Technical IT: share of answered tickets confirmed fixed",
        "Services and complaints: share of answered tickets confirmed fixed",
    ]
    assert "<title>2025-02: 66.7%</title>" in panel  # facility: 2 of 3 answered confirmed fixed
    assert "<title>2025-03: no data</title>" in panel  # nothing answered is a gap, not 0%
    assert ["2025-02", "Facility management", "4", "3", "2", "66.7%", "1"] in _rows(panel)
    assert ["2025-02", "Technical IT", "1", "0", "0", "—", "0"] in _rows(panel)
    assert ["2025-02", "All asked", "5", "3", "2", "66.7%", "1"] in _rows(panel)
    assert ["2025-03", "All asked", "0", "0", "0", "—", "0"] in _rows(panel)
    assert "within 14 days" in panel and "Yes, it&#39;s fixed" in panel
    assert 'href="/analytics/verified.csv"' in panel


async def test_its_form_asks_the_service_and_htmx_gets_only_the_panel(
    helpdesk: Browser, fake_analytics: FakeAnalytics
) -> None:
    query = "/analytics?from=2025-01&to=2025-03&category=technical_it"
    fragment = await helpdesk.get(query, headers={**HTMX, "HX-Target": "verified-panel"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="verified-panel"')
    assert "resolution-panel" not in fragment.text
    sent = [r.url.params for r in fake_analytics.requests if r.url.path == "/verified-fixes"]
    assert [list(p.multi_items()) for p in sent] == [
        [("from", "2025-01"), ("to", "2025-03"), ("category", "technical_it")]
    ]
    assert 'value="2025-01"' in fragment.text and 'value="technical_it" checked' in fragment.text
    assert 'href="/analytics/verified.csv?from=2025-01&amp;to=2025-03&amp;category=technical_it"' in fragment.text


async def test_the_csv_is_the_services_own_with_the_same_parameters(
    helpdesk: Browser, fake_analytics: FakeAnalytics
) -> None:
    download = await helpdesk.get("/analytics/verified.csv?from=2025-01&to=2025-02")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == 'attachment; filename="campusdesk-verified.csv"'
    (asked,) = [r for r in fake_analytics.requests if r.url.path == "/verified-fixes"]
    assert list(asked.url.params.multi_items()) == [("format", "csv"), ("from", "2025-01"), ("to", "2025-02")]


async def test_a_refused_month_is_the_services_sentence_with_what_was_typed(helpdesk: Browser) -> None:
    page = await helpdesk.get("/analytics?from=2025-13")
    assert page.status_code == 422
    panel = _panel(page.text)
    assert "&#39;2025-13&#39; is not a month: write it as YYYY-MM" in panel
    assert (
        'id="fixes-from" name="from" type="month" placeholder="YYYY-MM" pattern="\\d{4}-\\d{2}" value="2025-13"'
        in panel
    )


async def test_an_outage_of_verified_fixes_blanks_only_its_panel(
    helpdesk: Browser, gateway: httpx.AsyncClient, fake_analytics: FakeAnalytics
) -> None:
    def only_verified_down(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/verified-fixes":
            return problem(503, "The ticket service could not answer right now (503).")
        return fake_analytics.handler(request)

    app = gateway._transport.app  # type: ignore[attr-defined]
    app.state.analytics_resolution = UpstreamClient(
        "resolution-time analytics", "http://analytics", transport=httpx.MockTransport(only_verified_down)
    )
    page = await helpdesk.get("/analytics")
    assert page.status_code == 200
    assert "This analysis is unavailable right now" in _panel(page.text)
    assert page.text.count('role="img"') == 4  # open, resolution, category, recurring
    assert '<td>2025-02</td><td class="num">4</td><td class="num">12.50</td>' in page.text
