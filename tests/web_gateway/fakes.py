"""An in-memory stand-in for the ticket and analytics APIs (httpx.MockTransport), following their contracts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

NOW = "2025-03-10T12:00:00+00:00"


def problem(status: int, detail: str) -> httpx.Response:
    body = {"type": "about:blank", "title": "error", "status": status, "detail": detail}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@dataclass
class FakeTicketService:
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False
    broken_suffixes: set[str] = field(default_factory=set)

    def add(self, description: str, status: str = "open", category: str = "technical_it") -> dict[str, Any]:
        ticket_id = len(self.tickets) + 1
        ticket = {
            "id": ticket_id,
            "description": description,
            "category": category,
            "category_confidence": 0.93,
            "category_source": "auto",
            "status": status,
            "opened_at": NOW,
            "updated_at": NOW,
            "closed_at": NOW if status == "closed" else None,
            "version": 1,
            "message_count": 0,
        }
        self.tickets[ticket_id] = ticket
        return ticket

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if any(request.url.path.endswith(suffix) for suffix in self.broken_suffixes):
            return problem(503, "That part of the ticket service is down.")
        role = request.headers.get("x-role")
        path = request.url.path
        parts = path.strip("/").split("/")
        if path == "/classify":
            text = json.loads(request.content)["description"]
            category = "facility_management" if "elevator" in text.lower() else "technical_it"
            return httpx.Response(200, json={"category": category, "confidence": 0.88})
        if role not in ("user", "helpdesk"):
            return problem(400, "X-Role is missing")
        if path == "/tickets/similar":
            q = request.url.params.get("q", "").lower()
            items = [
                {"ticket": t, "similarity": 0.8}
                for t in self.tickets.values()
                if t["status"] != "closed" and any(w in t["description"].lower() for w in q.split())
            ]
            return httpx.Response(200, json={"items": items[:3]})
        if path == "/tickets" and request.method == "POST":
            description = json.loads(request.content)["description"]
            if not description.strip() or len(description) > 5000:
                return problem(422, "description: must be 1 to 5000 characters")
            return httpx.Response(201, json=self.add(description))
        if path == "/tickets":
            statuses = request.url.params.get_list("status")
            items = [
                t
                for t in sorted(self.tickets.values(), key=lambda t: -t["id"])
                if (not statuses or t["status"] in statuses) and not (role == "user" and t["status"] == "closed")
            ]
            q = request.url.params.get("q", "").lower()
            items = [t for t in items if q in t["description"].lower()]
            limit = int(request.url.params.get("limit", "50"))
            start = int(request.url.params.get("cursor") or 0)
            page = items[start : start + limit]
            next_cursor = str(start + limit) if start + limit < len(items) else None
            return httpx.Response(200, json={"items": page, "next_cursor": next_cursor})
        ticket_id = int(parts[1])
        ticket = self.tickets.get(ticket_id)
        if ticket is None or (role == "user" and ticket["status"] == "closed"):
            return problem(404, f"There is no ticket {ticket_id}.")
        if len(parts) == 2 and request.method == "GET":
            return httpx.Response(200, json=ticket, headers={"ETag": f'"{ticket["version"]}"'})
        if len(parts) == 2 and request.method == "PATCH":
            return self._patch(request, ticket, role)
        if parts[2] == "messages" and request.method == "POST":
            if ticket["status"] == "closed":
                return problem(409, "The ticket is closed.")
            body = json.loads(request.content)["body"]
            message = {
                "id": len(self.messages) + 1,
                "ticket_id": ticket_id,
                "author_role": role,
                "body": body,
                "created_at": NOW,
            }
            self.messages.append(message)
            ticket["message_count"] += 1
            return httpx.Response(201, json=message)
        if parts[2] == "messages":
            after = int(request.url.params.get("after", "0"))
            items = [m for m in self.messages if m["ticket_id"] == ticket_id and m["id"] > after]
            return httpx.Response(200, json={"items": items})
        if parts[2] == "history":
            return httpx.Response(
                200,
                json={"items": [{"kind": "created", "role": "user", "at": NOW, "old_value": None, "new_value": None}]},
            )
        if parts[2] == "category-explanation":
            return httpx.Response(
                200,
                json={
                    "category": ticket["category"],
                    "examples": [{"text": "wifi down in library", "category": "technical_it", "similarity": 0.9}],
                },
            )
        return problem(404, "no such route")

    def _patch(self, request: httpx.Request, ticket: dict[str, Any], role: str | None) -> httpx.Response:
        changes = json.loads(request.content)
        if_match = request.headers.get("if-match")
        if if_match and if_match != f'"{ticket["version"]}"':
            return problem(412, "The ticket has changed since you read it.")
        if ticket["status"] == "closed":
            return problem(409, "A closed ticket cannot be modified.")
        if "status" in changes:
            if role != "helpdesk":
                return problem(403, "Only helpdesk staff change the status.")
            allowed = {"open": "active", "active": "closed"}
            if allowed.get(ticket["status"]) != changes["status"]:
                return problem(409, "Allowed transitions: open → active, active → closed.")
            ticket["status"] = changes["status"]
        if "description" in changes:
            if role != "user":
                return problem(403, "Helpdesk staff do not rewrite descriptions.")
            ticket["description"] = changes["description"]
        if "category" in changes:
            if role != "helpdesk":
                return problem(403, "Only helpdesk staff correct categories.")
            ticket["category"] = changes["category"]
            ticket["category_source"] = "helpdesk"
        ticket["version"] += 1
        return httpx.Response(200, json=ticket)


def analytics_handler(request: httpx.Request) -> httpx.Response:
    """The three analytics services' answers for a small fixed data set."""
    path = request.url.path
    if request.url.params.get("format") == "csv":
        return httpx.Response(200, text="category,active\ntechnical_it,2\n", headers={"content-type": "text/csv"})
    if path == "/open-tickets":
        value = request.url.params.get("hours") or request.url.params.get("days")
        if value is None or int(value) > 3650:
            return problem(422, "days must be 1..3650")
        return httpx.Response(
            200,
            json={
                "period": {"unit": "days", "value": int(value)},
                "since": NOW,
                "until": NOW,
                "count": 3,
                "by_category": {"facility_management": 1, "technical_it": 2, "services_complaints": 0},
                "series": [{"start": "2025-03-09T00:00:00+00:00", "count": 1}, {"start": NOW, "count": 2}],
            },
        )
    if path == "/resolution-time":
        return httpx.Response(
            200,
            json={
                "months": [
                    {"month": "2025-02", "closed_tickets": 4, "average_hours": 12.5, "median_hours": 10.0},
                    {"month": "2025-03", "closed_tickets": 0, "average_hours": None, "median_hours": None},
                ]
            },
        )
    if path == "/active-by-category":
        return httpx.Response(
            200,
            json={
                "categories": [
                    {"category": "facility_management", "label": "Facility management", "active": 1},
                    {"category": "technical_it", "label": "Technical IT", "active": 2},
                    {"category": "services_complaints", "label": "Services and complaints", "active": 0},
                ],
                "total_active": 3,
            },
        )
    return problem(404, "no such route")
