"""Recurring problems (analytics_category_service): its parameters, order, CSV and failures, against
a ticket service faked from the contract models (the real one is in test_recurring_real.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from analytics_category_service import recurring
from campusdesk_common.contracts.analytics_category import RecurringProblems
from campusdesk_common.contracts.places import PlaceTicketCounts, PlaceTickets, Room
from campusdesk_common.vocabulary import CATEGORIES
from tests.analytics.test_services import FAILING, NOW, PROBLEM, analytics_client

FM, IT, SC = CATEGORIES


def room(code: str, building: str = "B1", name: str | None = None, retired: bool = False) -> Room:
    return Room(
        room_code=code,
        room_name=name or f"Room {code}",
        floor="1",
        building_code=building,
        building_name=f"Building {building}",
        retired=retired,
    )


class RecordingTicketService:
    """Answers `/stats/place-tickets` with the cells given (those reaching `min_count`, as the contract says),
    and keeps the query of every request."""

    def __init__(self, cells: list[PlaceTickets]) -> None:
        self.cells = cells
        self.queries: list[dict[str, str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/stats/place-tickets"
        query = dict(request.url.params)
        self.queries.append(query)
        threshold = int(query["min_count"])
        answer = PlaceTicketCounts(
            since=query["since"],  # type: ignore[arg-type]  # parsed by pydantic
            until=query["until"],  # type: ignore[arg-type]
            min_count=threshold,
            cells=[cell for cell in self.cells if cell.count >= threshold],
        )
        return httpx.Response(200, content=answer.model_dump_json(), headers={"Content-Type": "application/json"})


CELLS = [
    PlaceTickets(room=room("A-101", "A"), category=IT, ticket_ids=[9, 7, 5]),
    PlaceTickets(room=room("C-001", "C"), category=FM, ticket_ids=[40, 31, 30, 12]),
    PlaceTickets(room=room("A-102", "A"), category=SC, ticket_ids=[8, 6, 4]),
    PlaceTickets(room=room("A-101", "A"), category=FM, ticket_ids=[3, 2, 1]),
    PlaceTickets(room=room("B-7", "B", retired=True), category=IT, ticket_ids=[20, 19]),
]


async def test_defaults_are_three_tickets_in_thirty_days_ordered_by_count_then_place() -> None:
    fake = RecordingTicketService(CELLS)
    async with analytics_client("analytics_category_service", httpx.MockTransport(fake.handler)) as client:
        response = await client.get("/recurring-problems")
    assert response.status_code == 200, response.text
    assert fake.queries == [
        {
            "since": (NOW - timedelta(days=30)).isoformat(),
            "until": NOW.isoformat(),
            "min_count": "3",
        }
    ]
    answer = RecurringProblems.model_validate_json(response.content)
    assert (answer.min_tickets, answer.days, answer.since, answer.until) == (3, 30, NOW - timedelta(days=30), NOW)
    rows = [(p.room.room_code, p.category, p.count, p.ticket_ids) for p in answer.places]
    assert rows == [
        ("C-001", FM, 4, [40, 31, 30, 12]),
        ("A-101", FM, 3, [3, 2, 1]),  # same count and room: the vocabulary's category order
        ("A-101", IT, 3, [9, 7, 5]),
        ("A-102", SC, 3, [8, 6, 4]),
    ]
    assert [p.label for p in answer.places] == ["Facility management"] * 2 + ["Technical IT", "Services and complaints"]


async def test_a_busy_place_keeps_its_exact_count_beside_its_newest_ids() -> None:
    # The ticket service lists at most MAX_TICKET_IDS_PER_PLACE ids; the count is what ranks and what is shown.
    busy = PlaceTickets(room=room("D-1", "D"), category=FM, count=35_000, ticket_ids=[99, 98, 97])
    fake = RecordingTicketService([*CELLS, busy])
    async with analytics_client("analytics_category_service", httpx.MockTransport(fake.handler)) as client:
        response = await client.get("/recurring-problems")
        csv = await client.get("/recurring-problems", params={"format": "csv"})
    answer = RecurringProblems.model_validate_json(response.content)
    first = answer.places[0]
    assert (first.room.room_code, first.count, first.ticket_ids) == ("D-1", 35_000, [99, 98, 97])
    assert ",35000,99 98 97\r\n" in csv.text


def test_an_answer_from_before_the_count_counts_its_ids() -> None:
    cell = PlaceTickets.model_validate(
        {"room": room("A-1").model_dump(mode="json"), "category": FM, "ticket_ids": [3, 2]}
    )
    assert cell.count == 2
    with pytest.raises(ValueError, match="more ticket ids than"):
        PlaceTickets(room=room("A-1"), category=FM, count=1, ticket_ids=[3, 2])


async def test_a_lower_threshold_and_a_shorter_window_reach_the_ticket_service() -> None:
    fake = RecordingTicketService(CELLS)
    async with analytics_client("analytics_category_service", httpx.MockTransport(fake.handler)) as client:
        response = await client.get("/recurring-problems", params={"min_tickets": " 2 ", "days": "7"})
    assert response.status_code == 200, response.text
    assert fake.queries[0]["min_count"] == "2"
    assert fake.queries[0]["since"] == (NOW - timedelta(days=7)).isoformat()
    answer = RecurringProblems.model_validate_json(response.content)
    assert (answer.min_tickets, answer.days) == (2, 7)
    assert answer.places[-1].room.room_code == "B-7" and answer.places[-1].room.retired


async def test_csv_one_row_per_place_and_category() -> None:
    cells = [
        *CELLS,
        PlaceTickets(room=room("D-1", "D", name="=HYPERLINK(1)"), category=IT, ticket_ids=[50, 51, 52]),
    ]
    fake = RecordingTicketService(cells)
    async with analytics_client("analytics_category_service", httpx.MockTransport(fake.handler)) as client:
        for request in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
            csv = await client.get("/recurring-problems", **request)  # type: ignore[arg-type]
            assert csv.status_code == 200
            assert csv.headers["content-type"].startswith("text/csv")
            disposition = 'attachment; filename="recurring-problems-3-tickets-in-30-days.csv"'
            assert csv.headers["content-disposition"] == disposition
            lines = csv.text.splitlines()
            assert lines[0] == ",".join(recurring.CSV_HEADER)
            assert (
                lines[1] == "C,Building C,1,C-001,Room C-001,no,facility_management,Facility management,4,40 31 30 12"
            )
            assert "D,Building D,1,D-1,'=HYPERLINK(1),no,technical_it" in lines[5]  # never run as a formula
            assert len(lines) == 6


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"min_tickets": "0"}, "min_tickets must be a whole number between 1 and 1000, not '0'."),
        ({"min_tickets": "three"}, "min_tickets must be a whole number between 1 and 1000, not 'three'."),
        ({"min_tickets": "1001"}, "min_tickets must be a whole number between 1 and 1000, not '1001'."),
        ({"min_tickets": "٣"}, "min_tickets must be a whole number between 1 and 1000, not '٣'."),
        ({"days": "-1"}, "days must be a whole number between 1 and 3650, not '-1'."),
        ({"days": "2.5"}, "days must be a whole number between 1 and 3650, not '2.5'."),
        ({"days": ""}, "days must be a whole number between 1 and 3650, not ''."),
        ({"days": "99999999999999999999999"}, "days must be a whole number between 1 and 3650, not "),
        ({"format": "xml"}, "format"),
    ],
)
async def test_bad_parameters_are_a_readable_422(params: dict[str, str], detail: str) -> None:
    async with analytics_client("analytics_category_service", FAILING) as client:
        response = await client.get("/recurring-problems", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"].startswith(detail) or detail in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "min_tickets=3%00",
        "days=30%27%20OR%201%3D1",
        "days=" + "9" * 5000,
        "min_tickets=%EF%BC%93",  # a full-width 3
        "min_tickets=%2B3",
        "days=1e3",
        "days=0x10",
        "format=csv%00",
    ],
)
async def test_hostile_parameters_are_a_problem_never_a_500(query: str) -> None:
    async with analytics_client("analytics_category_service", FAILING) as client:
        response = await client.get(f"/recurring-problems?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert len(response.json()["detail"]) < 500


def _answering(body: Callable[[], bytes]) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda _: httpx.Response(200, content=body(), headers={"Content-Type": "application/json"})
    )


@pytest.mark.parametrize(
    "cells",
    [
        [{"room": room("A-1").model_dump(mode="json"), "category": "weather", "ticket_ids": [1, 2, 3]}],
        [{"room": room("A-1").model_dump(mode="json"), "category": FM, "ticket_ids": [1, 1, 2]}],
        [{"room": {"room_code": "A-1"}, "category": FM, "ticket_ids": [1, 2, 3]}],
    ],
)
async def test_place_counts_this_service_cannot_read_are_a_502(cells: list[dict[str, object]]) -> None:
    body = PlaceTicketCounts(since=NOW - timedelta(days=30), until=NOW, min_count=3, cells=[]).model_dump(mode="json")
    body["cells"] = cells
    transport = _answering(lambda: httpx.Response(200, json=body).content)
    async with analytics_client("analytics_category_service", transport) as client:
        response = await client.get("/recurring-problems")
    assert response.status_code == 502
    assert response.headers["content-type"] == PROBLEM
    assert "ticket service" in response.json()["detail"]


async def test_a_failing_ticket_service_is_a_503() -> None:
    async with analytics_client("analytics_category_service", FAILING) as client:
        response = await client.get("/recurring-problems")
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0


async def test_openapi_declares_the_contract_model_and_the_parameters() -> None:
    async with analytics_client("analytics_category_service", FAILING) as client:
        operation = (await client.get("/openapi.json")).json()["paths"]["/recurring-problems"]["get"]
    content = operation["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/RecurringProblems"}
    assert "text/csv" in content
    assert {"422", "502", "503"} <= set(operation["responses"])
    schemas = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert schemas["min_tickets"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert schemas["days"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 3650}
    descriptions = {p["name"]: p["description"] for p in operation["parameters"] if p["name"] in schemas}
    assert (descriptions["min_tickets"], descriptions["days"]) == ("Default 3.", "Default 30.")


def test_names_a_spreadsheet_would_run_are_quoted_but_negative_floors_are_not() -> None:
    answer = recurring.build_answer(
        3,
        30,
        PlaceTicketCounts(
            since=NOW - timedelta(days=30),
            until=NOW,
            min_count=3,
            cells=[
                PlaceTickets(
                    room=Room(
                        room_code="X-1",
                        room_name="+cmd",
                        floor="-1",
                        building_code="X",
                        building_name="@SUM(A1)",
                        retired=False,
                    ),
                    category=SC,
                    ticket_ids=[3, 2, 1],
                )
            ],
        ),
    )
    assert recurring.render_csv(answer).splitlines()[1].startswith("X,'@SUM(A1),-1,X-1,'+cmd,no,")


def test_cells_below_the_threshold_are_left_out_even_when_the_ticket_service_sends_them() -> None:
    counts = PlaceTicketCounts(since=NOW - timedelta(days=30), until=NOW, min_count=1, cells=CELLS)
    answer = recurring.build_answer(4, 30, counts)
    assert [(p.room.room_code, p.count) for p in answer.places] == [("C-001", 4)]
