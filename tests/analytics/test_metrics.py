"""The meaning of each metric, on plain data (no HTTP): parameters, gaps, rounding, CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics_category_service import metric as category_metric
from analytics_open_service import metric as open_metric
from analytics_resolution_service import metric as resolution_metric
from campusdesk_common.answers import wants_csv
from campusdesk_common.problems import InvalidInput
from tests.analytics.data import utc

FM, IT, SC = "facility_management", "technical_it", "services_complaints"


@pytest.mark.parametrize(
    ("hours", "days", "expected"),
    [
        ("1", None, open_metric.Period("hours", 1)),
        ("8760", None, open_metric.Period("hours", 8760)),
        (None, "3650", open_metric.Period("days", 3650)),
        (None, " 7 ", open_metric.Period("days", 7)),
    ],
)
def test_period_accepts_one_in_range_integer(hours: str | None, days: str | None, expected: object) -> None:
    assert open_metric.parse_period(hours, days) == expected


@pytest.mark.parametrize(
    ("hours", "days"),
    [(None, None), ("1", "1"), ("0", None), ("8761", None), (None, "3651"), ("-1", None), ("1.5", None), ("x", None)],
)
def test_period_rejects_everything_else_saying_what_is_allowed(hours: str | None, days: str | None) -> None:
    with pytest.raises(InvalidInput) as error:
        open_metric.parse_period(hours, days)
    assert "exactly one of hours (1..8760) or days (1..3650)" in error.value.detail


def test_buckets_are_hours_up_to_72_hours_and_days_beyond() -> None:
    assert open_metric.Period("hours", 72).bucket == "hour"
    assert open_metric.Period("days", 3).bucket == "hour"
    assert open_metric.Period("hours", 73).bucket == "day"
    assert open_metric.Period("days", 4).bucket == "day"


def test_series_has_every_aligned_bucket_and_a_partial_first_one() -> None:
    period = open_metric.Period("hours", 3)
    since, until = period.window(utc(2026, 3, 10, 12, 30))
    assert (since, until) == (utc(2026, 3, 10, 9, 30), utc(2026, 3, 10, 12, 30))
    report = open_metric.build_report(
        period, since, until, [(utc(2026, 3, 10, 9), FM, 2), (utc(2026, 3, 10, 12), IT, 1)]
    )
    assert open_metric.series(report) == [
        (utc(2026, 3, 10, 9), 2),
        (utc(2026, 3, 10, 10), 0),
        (utc(2026, 3, 10, 11), 0),
        (utc(2026, 3, 10, 12), 1),
    ]
    assert report.count == 3
    assert report.by_category == {FM: 2, IT: 1, SC: 0}
    # On a boundary there is no partial bucket: exactly N buckets.
    aligned = open_metric.Period("days", 5)
    since, until = aligned.window(utc(2026, 3, 10))
    assert open_metric.bucket_starts(since, until, "day") == [utc(2026, 3, d) for d in range(5, 10)]


def test_cells_outside_the_series_are_rejected() -> None:
    period = open_metric.Period("hours", 1)
    since, until = period.window(utc(2026, 3, 10, 12, 30))
    with pytest.raises(ValueError):
        open_metric.build_report(period, since, until, [(utc(2026, 3, 10, 9), FM, 1)])


def test_open_tickets_csv_has_a_row_per_bucket() -> None:
    period = open_metric.Period("hours", 1)
    since, until = period.window(utc(2026, 3, 10, 12, 30))
    report = open_metric.build_report(period, since, until, [(utc(2026, 3, 10, 11), SC, 4)])
    assert open_metric.render_csv(report) == (
        "start,count,facility_management,technical_it,services_complaints\r\n"
        "2026-03-10T11:00:00+00:00,4,0,0,4\r\n"
        "2026-03-10T12:00:00+00:00,0,0,0,0\r\n"
    )
    assert open_metric.csv_filename(period) == "open-tickets-last-1-hours.csv"


@pytest.mark.parametrize(
    ("format_", "accept", "expected"),
    [
        (None, None, False),
        (None, "text/csv", True),
        (None, "text/csv, application/json;q=0.5", True),
        (None, "application/json, text/csv", False),
        (None, "text/html,application/xhtml+xml,*/*;q=0.8", False),
        ("csv", "application/json", True),
        ("json", "text/csv", False),
    ],
)
def test_content_negotiation(format_: str | None, accept: str | None, expected: bool) -> None:
    assert wants_csv(format_, accept) is expected


def test_resolution_range_defaults_to_the_last_12_months_in_utc() -> None:
    # 2026-01-01T00:30+02:00 is still December 2025 in UTC.
    from datetime import timezone

    now = utc(2025, 12, 31, 22, 30).astimezone(timezone(timedelta(hours=2)))
    months = resolution_metric.parse_range(None, None, now)
    assert months[0] == "2025-01" and months[-1] == "2025-12" and len(months) == 12
    assert resolution_metric.parse_range("2025-11", "2026-02", now) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert resolution_metric.parse_range(None, "2026-03", now)[0] == "2025-04"
    assert resolution_metric.parse_range("2025-06", None, now) == [f"2025-{m:02d}" for m in range(6, 13)]


@pytest.mark.parametrize(
    ("first", "last"), [("2026-13", None), ("2026-1", None), (None, "26-01"), ("2026-05", "2026-04"), ("1000-01", None)]
)
def test_resolution_range_rejects_bad_months(first: str | None, last: str | None) -> None:
    with pytest.raises(InvalidInput) as error:
        resolution_metric.parse_range(first, last, utc(2026, 5, 1))
    assert "YYYY-MM" in error.value.detail or "at most" in error.value.detail


def test_resolution_categories() -> None:
    assert resolution_metric.parse_categories(None) == [FM, IT, SC]
    assert resolution_metric.parse_categories([SC, FM, SC]) == [FM, SC]
    with pytest.raises(InvalidInput, match="allowed: facility_management, technical_it, services_complaints"):
        resolution_metric.parse_categories(["plumbing"])


def test_resolution_months_fill_gaps_with_null_and_round_to_hundredths() -> None:
    totals = [resolution_metric.MonthTotals("2026-02", 3, 3600 * 10 + 20, 3600 * 2.004)]
    rows = resolution_metric.build_months(["2026-01", "2026-02", "2026-03"], totals)
    assert rows == [
        resolution_metric.MonthResolution("2026-01", 0, None, None),
        resolution_metric.MonthResolution("2026-02", 3, 3.34, 2.0),
        resolution_metric.MonthResolution("2026-03", 0, None, None),
    ]
    assert resolution_metric.render_csv(rows) == (
        "month,closed_tickets,average_hours,median_hours\r\n2026-01,0,,\r\n2026-02,3,3.34,2.00\r\n2026-03,0,,\r\n"
    )
    assert resolution_metric.csv_filename(["2026-01", "2026-03"], [IT]) == (
        "resolution-time-2026-01-to-2026-03-technical_it.csv"
    )


def test_categories_are_all_present_in_a_fixed_order() -> None:
    counts = category_metric.build_counts({SC: 2})
    assert [(c.category, c.active) for c in counts] == [(FM, 0), (IT, 0), (SC, 2)]
    assert category_metric.total(counts) == 2
    assert category_metric.render_csv(counts) == (
        "category,label,active\r\n"
        "facility_management,Facility management,0\r\n"
        "technical_it,Technical IT,0\r\n"
        "services_complaints,Services and complaints,2\r\n"
    )
    with pytest.raises(ValueError):
        category_metric.build_counts({"plumbing": 1})
