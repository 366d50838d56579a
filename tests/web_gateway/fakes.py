"""In-memory stand-ins for the ticket service and the analytics services (for httpx.MockTransport).

Every answer is built as the provider's own contract model (`campusdesk_common.contracts`)
and sent as `model.model_dump(mode="json")`, errors as `ProblemDetail`: a fake cannot
answer a shape the real service never sends.

Plain functions, importable without a running gateway (the contract tests use them):

- answer builders: `ticket`, `message`, `history_event`, `explanation`, `prediction`, `similar_page`,
  `ticket_page`, `message_page`, `history_page`, `open_tickets`, `resolution_time`, `active_by_category`,
  `recurring_problems`, `verified_fixes`;
- `problem(status, detail)`: an error answer;
- `sample_answers()`: one example of every answer the gateway reads, keyed like
  `campusdesk_common.contracts.registry.PROVIDERS` (provider -> (method, path) -> model instance);
- `FakeTicketService` and `FakeAnalytics`: stateful handlers that answer with the builders above.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel

from campusdesk_common.contracts.analytics_category import (
    ActiveByCategory,
    CategoryCount,
    RecurringPlace,
    RecurringProblems,
)
from campusdesk_common.contracts.analytics_open import OpenTickets, Period, SeriesPoint
from campusdesk_common.contracts.analytics_resolution import (
    CategoryFixes,
    FixFigures,
    MonthFixes,
    MonthResolution,
    ResolutionTime,
    VerifiedFixes,
)
from campusdesk_common.contracts.links import (
    PRIVATE_LINK_HEADER,
    FixAnswerRead,
    LinkedTicket,
    LinkedTickets,
    PrivateLink,
    TicketCreated,
)
from campusdesk_common.contracts.places import Place, Room
from campusdesk_common.contracts.registry import Operation
from campusdesk_common.contracts.tickets import (
    CategoryExplanation,
    CategoryPrediction,
    HistoryEvent,
    HistoryPage,
    LabelledExample,
    MessagePage,
    MessageRead,
    SimilarTicket,
    SimilarTicketPage,
    TicketPage,
    TicketRead,
    WeighingWord,
)
from campusdesk_common.problems import ProblemDetail
from campusdesk_common.vocabulary import (
    CATEGORIES,
    CATEGORY_LABELS,
    NEXT_STATUS,
    NOT_CLOSED,
    Category,
    EventKind,
    Role,
    Status,
)
from tests.web_gateway.fake_links import FakeLinks, new_token
from tests.web_gateway.fake_places import (
    DEMO_CSV,
    FakePlaces,
    check_rows,
    directory,
    directory_preview,
    directory_replaced,
    photo_ref,
    room,
    room_matches,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
# What the fake explanation says weighed most, and its nearest labelled example.
EXPLANATION_WORD = WeighingWord(word="wifi", weight=0.42)
EXPLANATION_EXAMPLE = LabelledExample(text="wifi down in the library", category="technical_it", similarity=0.91)
# The analytics fakes' refusal of a period, worded like the real service.
PERIOD_LIMITS = {"hours": 8760, "days": 3650}
PERIOD_RULE = "Give the period in hours (1 to 8760) or in days (1 to 3650), not both."
CSV_TEXT = "category,active\ntechnical_it,2\n"


def answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    """A provider's answer: the contract model as JSON."""
    return httpx.Response(status, json=model.model_dump(mode="json"), headers=headers)


def problem(status: int, detail: str) -> httpx.Response:
    """A provider's error answer (RFC 9457, `campusdesk_common.problems.ProblemDetail`)."""
    body = ProblemDetail(type="about:blank", title="Error", status=status, detail=detail)
    return httpx.Response(
        status,
        json=body.model_dump(mode="json", exclude_none=True),
        headers={"content-type": "application/problem+json"},
    )


# --- the ticket service's answers ---------------------------------------------------------------


def ticket(
    ticket_id: int = 1,
    description: str = "WiFi drops in the library",
    *,
    status: Status = "open",
    category: Category = "technical_it",
    version: int = 1,
) -> TicketRead:
    return TicketRead(
        id=ticket_id,
        description=description,
        category=category,
        category_confidence=0.93,
        category_source="auto",
        status=status,
        opened_at=NOW,
        updated_at=NOW,
        closed_at=NOW if status == "closed" else None,
        version=version,
        message_count=0,
    )


def message(message_id: int = 1, ticket_id: int = 1, body: str = "Any news?", role: Role = "user") -> MessageRead:
    return MessageRead(id=message_id, ticket_id=ticket_id, author_role=role, body=body, created_at=NOW)


def history_event(
    event_id: int = 1,
    kind: EventKind = "created",
    role: Role = "user",
    old_value: str | None = None,
    new_value: str | None = None,
) -> HistoryEvent:
    return HistoryEvent(id=event_id, kind=kind, role=role, at=NOW, old_value=old_value, new_value=new_value)


def probabilities(category: Category, confidence: float) -> dict[Category, float]:
    others = [c for c in CATEGORIES if c != category]
    return {category: confidence, **dict.fromkeys(others, round((1 - confidence) / len(others), 4))}


def explanation(of: TicketRead) -> CategoryExplanation:
    return CategoryExplanation(
        ticket_id=of.id,
        category=of.category,
        category_source=of.category_source,
        category_confidence=of.category_confidence,
        predicted_category=of.category,
        predicted_confidence=0.88,
        probabilities=probabilities(of.category, 0.88),
        nearest_examples=[EXPLANATION_EXAMPLE],
        influential_words=[EXPLANATION_WORD],
        model_trained_at=NOW - timedelta(days=1),
    )


def prediction(text: str) -> CategoryPrediction:
    category: Category = "facility_management" if "elevator" in text.lower() else "technical_it"
    return CategoryPrediction(category=category, confidence=0.88, probabilities=probabilities(category, 0.88))


def similar_page(tickets: list[TicketRead]) -> SimilarTicketPage:
    items = [
        SimilarTicket(
            id=t.id,
            description=t.description,
            category=t.category,
            status=t.status,
            opened_at=t.opened_at,
            updated_at=t.updated_at,
            similarity=0.8,
        )
        for t in tickets
    ]
    return SimilarTicketPage(items=items, complete=True)


def ticket_page(tickets: list[TicketRead], next_cursor: str | None = None) -> TicketPage:
    return TicketPage(items=tickets, next_cursor=next_cursor)


def message_page(messages: list[MessageRead]) -> MessagePage:
    return MessagePage(items=messages, next_after=None)


def history_page(events: list[HistoryEvent]) -> HistoryPage:
    return HistoryPage(items=events)


# --- the analytics services' answers ------------------------------------------------------------


def open_tickets(unit: str, value: int) -> OpenTickets:
    """Like the real service: hourly buckets up to 48 hours, daily beyond; 1 ticket first, 2 in the last bucket."""
    length = timedelta(hours=value) if unit == "hours" else timedelta(days=value)
    bucket = "hour" if length <= timedelta(hours=48) else "day"
    since = NOW - length
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    start = since.replace(minute=0) if bucket == "hour" else since.replace(hour=0, minute=0)
    starts = []
    while start < NOW:
        starts.append(start)
        start += step
    counts = [0] * len(starts)
    counts[0] += 1
    counts[-1] += 2
    return OpenTickets(
        period=Period(unit="hours" if unit == "hours" else "days", value=value),
        since=since,
        until=NOW,
        bucket=bucket,
        count=3,
        by_category={"facility_management": 1, "technical_it": 2, "services_complaints": 0},
        series=[SeriesPoint(start=s, count=c) for s, c in zip(starts, counts, strict=True)],
    )


def resolution_time() -> ResolutionTime:
    return ResolutionTime(
        categories=list(CATEGORIES),
        median_max_error=0.05,
        months=[
            MonthResolution(month="2025-02", closed_tickets=4, average_hours=12.5, median_hours=10.0),
            MonthResolution(month="2025-03", closed_tickets=0, average_hours=None, median_hours=None),
        ],
    )


def verified_fixes() -> VerifiedFixes:
    """Two months: facility tickets 2 of 3 answered confirmed fixed and one followed up, then nothing answered."""
    counts = {"facility_management": (4, 3, 2, 1), "technical_it": (1, 0, 0, 0), "services_complaints": (0, 0, 0, 0)}

    def figures(closed: int, answered: int, confirmed: int, followed: int) -> FixFigures:
        share = round(confirmed / answered, 3) if answered else None
        return FixFigures(
            closed=closed, answered=answered, confirmed_fixed=confirmed, share_fixed=share, followed_up=followed
        )

    def month(name: str, scale: int) -> MonthFixes:
        per = {c: tuple(n * scale for n in counts[c]) for c in CATEGORIES}
        rows = [CategoryFixes(category=c, **figures(*per[c]).model_dump()) for c in CATEGORIES]
        total = figures(*(sum(per[c][i] for c in CATEGORIES) for i in range(4)))
        return MonthFixes(month=name, categories=rows, total=total)

    return VerifiedFixes(
        categories=list(CATEGORIES), follow_up_days=14, months=[month("2025-02", 1), month("2025-03", 0)]
    )


def active_by_category() -> ActiveByCategory:
    active = {"facility_management": 1, "technical_it": 2, "services_complaints": 0}
    return ActiveByCategory(
        categories=[CategoryCount(category=c, label=CATEGORY_LABELS[c], active=active[c]) for c in CATEGORIES],
        total_active=3,
    )


def recurring_problems(ticket_ids: tuple[int, ...] = (3, 2, 1)) -> RecurringProblems:
    """One recurring problem (a lift lobby's facility tickets, `ticket_ids`) with the service's defaults."""
    until = datetime(2026, 3, 11, 10, 30, tzinfo=UTC)
    lobby = Room(
        room_code="B1-L0",
        room_name="Lift lobby",
        floor="0",
        building_code="B1",
        building_name="Main building",
        retired=False,
    )
    place = RecurringPlace(
        room=lobby,
        category="facility_management",
        label=CATEGORY_LABELS["facility_management"],
        count=len(ticket_ids),
        ticket_ids=list(ticket_ids),
    )
    return RecurringProblems(min_tickets=3, days=30, since=until - timedelta(days=30), until=until, places=[place])


def sample_answers() -> dict[str, dict[Operation, BaseModel]]:
    """One example of every answer the gateway reads, keyed like `registry.PROVIDERS`."""
    one = ticket()
    demo_rooms = check_rows(DEMO_CSV)[2]
    placed = one.model_copy(update={"place": Place(room=room(), note="next to the vending machine")})
    with_photo = placed.model_copy(update={"photos": [photo_ref()]})
    links = FakeLinks(now=lambda: NOW)
    reporter_link = links.issue(one.id, "reporter")
    closed = one.model_copy(update={"status": "closed", "closed_at": NOW})
    answered = message(2, one.id, "The access point was replaced.", "helpdesk")
    link_state = links.state(links.links[reporter_link.token], closed, [message(), answered])
    return {
        "ticket_service": {
            ("GET", "/places"): directory([*demo_rooms, room("OLD-1", "Old annex", "1", retired=True)]),
            ("GET", "/places/rooms"): room_matches(demo_rooms[:2]),
            ("POST", "/places/preview"): directory_preview(check_rows(DEMO_CSV + "LAB,Lab,1,,\n")[0], [], ["OLD-1"]),
            ("PUT", "/places"): directory_replaced(2, 4, 1),
            ("POST", "/photos"): photo_ref(),
            ("GET", "/tickets"): ticket_page([one, placed], next_cursor="25"),
            ("POST", "/tickets"): TicketCreated(**with_photo.model_dump(), private_link=reporter_link),
            ("GET", "/tickets/{ticket_id}"): with_photo,
            ("PATCH", "/tickets/{ticket_id}"): ticket(status="active", version=2),
            ("GET", "/tickets/{ticket_id}/messages"): message_page([message()]),
            ("POST", "/tickets/{ticket_id}/messages"): message().model_copy(update={"photos": [photo_ref(2)]}),
            ("GET", "/tickets/{ticket_id}/history"): history_page(
                [history_event(), history_event(2, "status_changed", "helpdesk", "open", "active")]
            ),
            ("GET", "/tickets/{ticket_id}/category-explanation"): explanation(one),
            ("GET", "/tickets/similar"): similar_page([one]),
            ("POST", "/classify"): prediction("The elevator is stuck"),
            ("POST", "/tickets/{ticket_id}/followers"): links.issue(one.id, "follower"),
            ("GET", "/links/self"): link_state,
            ("PUT", "/links/self/seen"): link_state.model_copy(update={"seen_message_id": 2, "unread_answers": 0}),
            ("POST", "/links/lookup"): LinkedTickets(
                items=[LinkedTicket(position=0, kind="reporter", unread_answers=1, ticket=closed)]
            ),
            ("POST", "/links/self/fix-answer"): FixAnswerRead(
                answer="broken",
                answered_at=NOW,
                follow_up=PrivateLink(token=new_token(), ticket_id=2, kind="reporter"),
                follow_up_ticket_id=2,
            ),
        },
        "analytics_open_service": {("GET", "/open-tickets"): open_tickets("days", 1)},
        "analytics_resolution_service": {
            ("GET", "/resolution-time"): resolution_time(),
            ("GET", "/verified-fixes"): verified_fixes(),
        },
        "analytics_category_service": {
            ("GET", "/active-by-category"): active_by_category(),
            ("GET", "/recurring-problems"): recurring_problems(),
        },
    }


# --- stateful fakes -----------------------------------------------------------------------------


@dataclass
class FakeTicketService:
    """The ticket service's rules the gateway relies on: roles, If-Match, the status path, closed tickets."""

    tickets: dict[int, TicketRead] = field(default_factory=dict)
    messages: list[MessageRead] = field(default_factory=list)
    events: dict[int, list[HistoryEvent]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False
    broken_suffixes: set[str] = field(default_factory=set)
    places: FakePlaces = field(default_factory=FakePlaces)
    links: FakeLinks = field(default_factory=lambda: FakeLinks(now=lambda: NOW))

    def add(self, description: str, status: Status = "open", category: Category = "technical_it") -> TicketRead:
        new = ticket(len(self.tickets) + 1, description, status=status, category=category)
        self.tickets[new.id] = new
        self.events[new.id] = [history_event(1)]
        return new

    def _record(self, ticket_id: int, kind: EventKind, role: Role, old: str | None, new: str | None) -> None:
        events = self.events[ticket_id]
        events.append(history_event(len(events) + 1, kind, role, old, new))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if any(request.url.path.endswith(suffix) for suffix in self.broken_suffixes):
            return problem(503, "That part of the ticket service is down.")
        role = request.headers.get("x-role")
        if role not in ("user", "helpdesk"):
            return problem(400, "X-Role is missing")
        path = request.url.path
        if path.startswith("/links") or path == "/unsubscribe":
            return self._links(request, path)
        if path == "/classify":
            return answer(prediction(json.loads(request.content)["description"]))
        if path == "/tickets/similar":
            words = request.url.params.get("q", "").lower().split()
            found = [
                t
                for t in self.tickets.values()
                if t.status in NOT_CLOSED and any(w in t.description.lower() for w in words)
            ]
            return answer(similar_page(found[:3]))
        if path.startswith("/places"):
            answered = self.places.handle(request, role, self.used_rooms())
            self._refresh_places()
            return answered
        if path.startswith("/photos"):
            return self._photo(request, role)
        if path == "/tickets" and request.method == "POST":
            return self._create(json.loads(request.content), role)
        if path == "/tickets":
            return self._search(request, role)
        return self._one_ticket(request, role)

    def _refresh_places(self) -> None:
        # Like the real service, a ticket's place is the room as the directory has it now (retired or not).
        for t in list(self.tickets.values()):
            if t.place is not None:
                current = self.places.rooms[t.place.room.room_code]
                self.tickets[t.id] = t.model_copy(update={"place": t.place.model_copy(update={"room": current})})

    def used_rooms(self) -> set[str]:
        return {t.place.room.room_code for t in self.tickets.values() if t.place is not None}

    def _create(self, body: dict[str, Any], role: Role = "helpdesk") -> httpx.Response:
        place = None
        if body.get("room_code"):
            found = self.places.rooms.get(body["room_code"])
            if found is None or found.retired:
                return problem(422, f"There is no room {body['room_code']} in the campus directory.")
            place = Place(room=found, note=body.get("place_note"))
        photos = self.places.attach(body.get("photo_ids", []))
        if photos is None:
            return problem(422, "A photo id is unknown or already used.")
        new = self.add(body["description"])
        self.tickets[new.id] = new.model_copy(update={"place": place, "photos": photos})
        link = self.links.issue(new.id, "reporter") if role == "user" else None
        return answer(TicketCreated(**self.tickets[new.id].model_dump(), private_link=link), 201)

    def _photo(self, request: httpx.Request, role: str) -> httpx.Response:
        if request.method == "POST":
            return self.places.handle(request, role, set())
        photo_id = int(request.url.path.split("/")[2])
        owners = [t for t in self.tickets.values() if any(p.id == photo_id for p in t.photos)]
        owners += [self.tickets[m.ticket_id] for m in self.messages if any(p.id == photo_id for p in m.photos)]
        if not owners or not self._visible(request, role, owners[0]):
            return problem(404, f"There is no photo {photo_id}.")
        return self.places.serve(photo_id)

    def _search(self, request: httpx.Request, role: str) -> httpx.Response:
        statuses = request.url.params.get_list("status")
        q = request.url.params.get("q", "").lower()
        building, room_code = request.url.params.get("building"), request.url.params.get("room")
        items = [
            t
            for t in sorted(self.tickets.values(), key=lambda t: -t.id)
            if (not statuses or t.status in statuses)
            and not (role == "user" and t.status == "closed")
            and (q in t.description.lower() or (t.place is not None and q in _place_words(t.place)))
            and (building is None or (t.place is not None and t.place.room.building_code == building))
            and (room_code is None or (t.place is not None and t.place.room.room_code == room_code))
        ]
        min_affected = int(request.url.params.get("min_affected", "0"))
        items = [t for t in items if t.affected_count >= min_affected]
        if request.url.params.get("sort") == "affected":
            items.sort(key=lambda t: -t.affected_count)
        limit = int(request.url.params.get("limit", "50"))
        start = int(request.url.params.get("cursor") or 0)
        next_cursor = str(start + limit) if start + limit < len(items) else None
        return answer(ticket_page(items[start : start + limit], next_cursor))

    def _one_ticket(self, request: httpx.Request, role: Role) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        ticket_id = int(parts[1])
        found = self.tickets.get(ticket_id)
        if found is None or not self._visible(request, role, found):
            return problem(404, f"There is no ticket {ticket_id}.")
        if len(parts) == 2 and request.method == "GET":
            return answer(found, headers={"ETag": f'"{found.version}"'})
        if len(parts) == 2 and request.method == "PATCH":
            return self._patch(request, found, role)
        if parts[2] == "followers" and request.method == "POST":
            return self._follow(request, found, role)
        if parts[2] == "messages" and request.method == "POST":
            if found.status == "closed":
                return problem(409, "The ticket is closed.")
            body = json.loads(request.content)
            photos = self.places.attach(body.get("photo_ids", []))
            if photos is None:
                return problem(422, "A photo id is unknown or already used.")
            new = message(len(self.messages) + 1, ticket_id, body["body"], role).model_copy(update={"photos": photos})
            self.messages.append(new)
            self.tickets[ticket_id] = found.model_copy(update={"message_count": found.message_count + 1})
            return answer(new, 201)
        if parts[2] == "messages":
            after = int(request.url.params.get("after", "0"))
            return answer(message_page([m for m in self.messages if m.ticket_id == ticket_id and m.id > after]))
        if parts[2] == "history":
            return answer(history_page(self.events[ticket_id]))
        if parts[2] == "category-explanation":
            return answer(explanation(found))
        return problem(404, "no such route")

    def _visible(self, request: httpx.Request, role: str, found: TicketRead) -> bool:
        """Like the real service: a private link reaches its own ticket only (a wrong one is a 404), also closed;
        without one a simple user never sees a closed ticket."""
        if PRIVATE_LINK_HEADER in request.headers:
            return self.links.may_see(request, found.id)
        return not (role == "user" and found.status == "closed")

    def _follow(self, request: httpx.Request, found: TicketRead, role: str) -> httpx.Response:
        if role != "user":
            return problem(403, "Only simple users follow tickets.")
        if found.status == "closed":
            return problem(409, "A closed ticket cannot be followed.")
        key = request.headers.get("idempotency-key")
        if key is not None and key in self.links.issued:
            link = self.links.links[self.links.issued[key]]
            return answer(PrivateLink(token=link.token, ticket_id=link.ticket_id, kind=link.kind), 201)
        link = self.links.issue(found.id, "follower")
        if key is not None:
            self.links.issued[key] = link.token
        self.tickets[found.id] = found.model_copy(update={"affected_count": found.affected_count + 1})
        return answer(link, 201)

    def _links(self, request: httpx.Request, path: str) -> httpx.Response:
        if path == "/links/lookup":
            return answer(self.links.lookup(request.content, self.tickets, self.messages))
        if path == "/unsubscribe":
            done = self.links.unsubscribe(request.content)
            return answer(done) if done else problem(404, "There is no such link.")
        link = self.links.holder(request)
        if link is None:
            return problem(404, "There is no such link.")
        ticket_now = self.tickets[link.ticket_id]
        if path == "/links/self/seen":
            self.links.seen(link, request.content)
        elif path == "/links/self/email" and request.method == "PUT":
            if not self.links.email_available:
                return problem(409, "E-mail updates are not available.")
            self.links.subscribe(link, request.content)
        elif path == "/links/self/email":
            link.email = None
        elif path == "/links/self/fix-answer":
            if ticket_now.status != "closed":
                return problem(409, "The ticket is not closed yet.")
            recorded, new = self.links.answer_fix(
                link, ticket_now, request.content, lambda note: self._follow_up(ticket_now, note)
            )
            return answer(recorded, 201 if new else 200)
        thread = [m for m in self.messages if m.ticket_id == link.ticket_id]
        return answer(self.links.state(link, self.tickets[link.ticket_id], thread))

    def _follow_up(self, closed: TicketRead, note: str) -> TicketRead:
        """“Still broken”: a new ticket in the same category, linked both ways (the closed one is not changed)."""
        new = self.add(note, category=closed.category).model_copy(update={"follows_up": closed.id})
        self.tickets[new.id] = new
        self.tickets[closed.id] = closed.model_copy(update={"followed_up_by": [*closed.followed_up_by, new.id]})
        return new

    def _patch(self, request: httpx.Request, current: TicketRead, role: Role) -> httpx.Response:
        changes = json.loads(request.content)
        if request.headers.get("if-match") != f'"{current.version}"':
            return problem(412, "The ticket has changed since you read it.")
        if current.status == "closed":
            return problem(409, "A closed ticket cannot be modified.")
        update: dict[str, object] = {"version": current.version + 1}
        if "status" in changes:
            if role != "helpdesk":
                return problem(403, "Only the helpdesk can change a ticket's status.")
            if NEXT_STATUS.get(current.status) != changes["status"]:
                return problem(409, "Allowed transitions: open → active, active → closed.")
            update.update(status=changes["status"], closed_at=NOW if changes["status"] == "closed" else None)
            self._record(current.id, "status_changed", role, current.status, changes["status"])
        if "description" in changes:
            if role != "user":
                return problem(403, "Helpdesk staff do not rewrite descriptions.")
            update["description"] = changes["description"]
            self._record(current.id, "description_changed", role, current.description, changes["description"])
        if "category" in changes:
            if role != "helpdesk":
                return problem(403, "Only the helpdesk can correct a ticket's category.")
            update.update(category=changes["category"], category_source="helpdesk", category_confidence=1.0)
            self._record(current.id, "category_changed", role, current.category, changes["category"])
        changed = TicketRead.model_validate({**current.model_dump(), **update})
        self.tickets[current.id] = changed
        return answer(changed)


@dataclass
class FakeAnalytics:
    """The three analytics services behind one handler; each checks its own parameters like the real ones."""

    requests: list[httpx.Request] = field(default_factory=list)
    recurring: RecurringProblems = field(default_factory=recurring_problems)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, params = request.url.path, request.url.params
        if path == "/open-tickets":
            return self._open_tickets(params)
        if path in ("/resolution-time", "/verified-fixes"):
            bad = [m for m in (params.get("from"), params.get("to")) if m is not None and not _is_month(m)]
            if bad:
                return problem(422, f"{bad[0]!r} is not a month: write it as YYYY-MM, for example 2026-03.")
            return self._csv_or(params, resolution_time() if path == "/resolution-time" else verified_fixes())
        if path == "/active-by-category":
            return self._csv_or(params, active_by_category())
        if path == "/recurring-problems":
            return self._csv_or(params, self.recurring)
        return problem(404, "There is nothing at this address.")

    def _open_tickets(self, params: httpx.QueryParams) -> httpx.Response:
        given = [(unit, params[unit]) for unit in PERIOD_LIMITS if unit in params]
        if len(given) != 1:
            return problem(422, PERIOD_RULE)
        unit, raw = given[0]
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= PERIOD_LIMITS[unit]:
            return problem(422, f"{unit} must be a whole number between 1 and {PERIOD_LIMITS[unit]}, not {raw!r}.")
        return self._csv_or(params, open_tickets(unit, int(raw)))

    @staticmethod
    def _csv_or(params: httpx.QueryParams, model: BaseModel) -> httpx.Response:
        if params.get("format") == "csv":
            return httpx.Response(200, text=CSV_TEXT, headers={"content-type": "text/csv; charset=utf-8"})
        return answer(model)


def _place_words(place: Place) -> str:
    r = place.room
    return f"{r.room_code} {r.room_name} {r.building_code} {r.building_name} {place.note or ''}".lower()


def _is_month(text: str) -> bool:
    year, _, month = text.partition("-")
    return len(year) == 4 and year.isdigit() and month in {f"{m:02d}" for m in range(1, 13)}
