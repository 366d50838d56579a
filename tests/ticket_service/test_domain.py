"""The ticket rules as plain functions: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campusdesk_common.contracts.tickets import clean_text
from campusdesk_common.problems import BadRequest, Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from ticket_service import domain
from ticket_service.domain import EventDraft, RequestedChange, TicketState
from ticket_service.service import decode_cursor, encode_cursor

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OPENED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def ticket(status: str = "open", *, source: str = "auto", category: str = "technical_it") -> TicketState:
    return TicketState(
        id=7,
        description="WiFi down",
        category=category,
        category_source=source,
        status=status,
        version=3,
        opened_at=OPENED,
    )


def test_role_must_be_user_or_helpdesk() -> None:
    assert domain.parse_role("user") == "user"
    assert domain.parse_role("helpdesk") == "helpdesk"
    for bad in (None, "", "admin", "User", "helpdesk "):
        with pytest.raises(BadRequest) as caught:
            domain.parse_role(bad)
        assert "X-Role" in caught.value.detail


def test_a_user_never_sees_closed_tickets() -> None:
    assert domain.visible_statuses("user", None) == {"open", "active"}
    assert domain.visible_statuses("user", ["closed"]) == frozenset()
    assert domain.visible_statuses("user", ["closed", "open"]) == {"open"}
    assert domain.visible_statuses("helpdesk", None) == {"open", "active", "closed"}
    assert domain.visible_statuses("helpdesk", ["closed"]) == {"closed"}
    domain.ensure_visible("helpdesk", 1, "closed")
    domain.ensure_visible("user", 1, "active")
    for role, status in (("user", "closed"), ("user", None), ("helpdesk", None)):
        with pytest.raises(NotFound):
            domain.ensure_visible(role, 1, status)


def test_if_match_parsing_and_checking() -> None:
    assert domain.parse_if_match(None) is None
    assert domain.parse_if_match('"3"') == [3]
    assert domain.parse_if_match('W/"3", "4"') == [4]  # a weak tag never matches a write
    assert domain.parse_if_match('"03"') == []
    assert domain.parse_if_match("3") == [3]
    assert domain.parse_if_match("*") == [None]
    assert domain.parse_if_match('"abc"') == []
    domain.check_if_match(None, 3)
    domain.check_if_match([3], 3)
    domain.check_if_match([None], 3)
    for stale in ([2], [], [4, 5]):
        with pytest.raises(PreconditionFailed) as caught:
            domain.check_if_match(stale, 3)
        assert caught.value.headers == {"ETag": '"3"'}
        assert "version 3" in caught.value.detail


@pytest.mark.parametrize("current", ["open", "active", "closed"])
@pytest.mark.parametrize("target", ["open", "active", "closed"])
def test_only_open_to_active_and_active_to_closed(current: str, target: str) -> None:
    if (current, target) in (("open", "active"), ("active", "closed")):
        domain.check_transition(current, target)
        return
    with pytest.raises(Conflict) as caught:
        domain.check_transition(current, target)
    assert "open → active and active → closed" in caught.value.detail
    assert f"from '{current}' to '{target}'" in caught.value.detail


def test_permissions_by_role() -> None:
    with pytest.raises(Forbidden):
        domain.check_permissions("user", RequestedChange(status="active"))
    with pytest.raises(Forbidden):
        domain.check_permissions("user", RequestedChange(category="technical_it"))
    with pytest.raises(Forbidden):
        domain.check_permissions("helpdesk", RequestedChange(description="rewritten"))
    domain.check_permissions("user", RequestedChange(description="new text"))
    domain.check_permissions("helpdesk", RequestedChange(status="active", category="technical_it"))


def test_user_edit_reclassifies_an_automatic_category() -> None:
    change = RequestedChange(
        description="The canteen is dirty", predicted_category="services_complaints", predicted_confidence=0.7
    )
    plan = domain.plan_change(ticket("active"), "user", change, now=NOW)
    assert plan.values == {
        "description": "The canteen is dirty",
        "category_confidence": 0.7,
        "category": "services_complaints",
        "version": 4,
        "updated_at": NOW,
    }
    assert plan.events == [
        EventDraft("description_changed", "WiFi down", "The canteen is dirty"),
        EventDraft("category_changed", "technical_it", "services_complaints"),
    ]
    assert plan.corrected_category is None and not plan.closes


def test_user_edit_keeps_a_helpdesk_category() -> None:
    change = RequestedChange(
        description="The canteen is dirty", predicted_category="services_complaints", predicted_confidence=0.7
    )
    plan = domain.plan_change(ticket("open", source="helpdesk"), "user", change, now=NOW)
    assert plan.values == {"description": "The canteen is dirty", "version": 4, "updated_at": NOW}
    assert plan.events == [EventDraft("description_changed", "WiFi down", "The canteen is dirty")]


def test_same_description_changes_nothing() -> None:
    plan = domain.plan_change(ticket(), "user", RequestedChange(description="WiFi down"), now=NOW)
    assert not plan.changes_anything and plan.events == []


def test_helpdesk_correction_and_confirmation() -> None:
    plan = domain.plan_change(ticket(), "helpdesk", RequestedChange(category="facility_management"), now=NOW)
    assert plan.values == {
        "category_source": "helpdesk",
        "category_confidence": 1.0,
        "category": "facility_management",
        "version": 4,
        "updated_at": NOW,
    }
    assert plan.events == [EventDraft("category_changed", "technical_it", "facility_management")]
    assert plan.corrected_category == "facility_management"
    confirmed = domain.plan_change(ticket(), "helpdesk", RequestedChange(category="technical_it"), now=NOW)
    assert confirmed.values["category_source"] == "helpdesk" and confirmed.corrected_category == "technical_it"
    already = domain.plan_change(
        ticket(source="helpdesk"), "helpdesk", RequestedChange(category="technical_it"), now=NOW
    )
    assert not already.changes_anything


def test_closing_with_a_correction_is_one_change() -> None:
    change = RequestedChange(status="closed", category="services_complaints")
    plan = domain.plan_change(ticket("active"), "helpdesk", change, now=NOW)
    assert plan.closes and plan.values["closed_at"] == NOW and plan.values["version"] == 4
    assert [e.kind for e in plan.events] == ["category_changed", "status_changed"]


def test_closed_tickets_take_no_changes_or_messages() -> None:
    for role, change in (
        ("helpdesk", RequestedChange(category="technical_it")),
        ("user", RequestedChange(description="x")),
    ):
        with pytest.raises(Conflict):
            domain.plan_change(ticket("closed"), role, change, now=NOW)
    with pytest.raises(Conflict):
        domain.ensure_accepts_messages(1, "closed")
    with pytest.raises(NotFound):
        domain.ensure_accepts_messages(1, None)
    domain.ensure_accepts_messages(1, "active")


def test_text_is_trimmed_and_checked() -> None:
    assert clean_text("  a\tb\nc\r\n ") == "a\tb\nc"
    assert clean_text(" " + "x" * 5000 + "\n") == "x" * 5000
    for bad in ("", "   \n\t", "x" * 5001, "a\x00b", "bell\x07", "\ud800"):
        with pytest.raises(ValueError):
            clean_text(bad)


def test_cursor_round_trip_and_garbage() -> None:
    row = {"updated_at": NOW, "id": 42}
    assert decode_cursor(encode_cursor(row)) == (NOW, 42)
    for garbage in ("x", "!!!", "bnVsbA", "WyIyMDI2LTExLTI0IiwgMV0", "WyIyMDI2LTExLTI0VDEyOjAwKzAwOjAwIiwtMV0"):
        with pytest.raises(InvalidInput):
            decode_cursor(garbage)
