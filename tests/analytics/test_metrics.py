"""The meaning of each metric, on plain data (no HTTP): parameters, buckets, gaps, medians, rounding, CSV."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import timedelta, timezone

import pytest

from analytics_category_service import metric as category_metric
from analytics_open_service import metric as open_metric
from analytics_resolution_service import metric as resolution_metric
from analytics_resolution_service.median import MEDIAN_MAX_ERROR, median_seconds
from campusdesk_common.answers import wants_csv
from campusdesk_common.contracts.analytics_open import Period
from campusdesk_common.contracts.stats import (
    HISTOGRAM_RATIO,
    HistogramBin,
    HourCount,
    MonthResolutionFacts,
    histogram_bounds,
    histogram_bucket,
)
from campusdesk_common.problems import InvalidInput
from campusdesk_common.vocabulary import CATEGORIES
from tests.analytics.data import utc

FM, IT, SC = CATEGORIES


def _histogram(seconds: list[float]) -> list[HistogramBin]:
    """The histogram the ticket service keeps, built with the contract's own bucket function."""
    counts = Counter(histogram_bucket(s) for s in seconds)
    return [HistogramBin(bucket=b, count=n) for b, n in sorted(counts.items())]


# --- open tickets: the period ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "days", "expected"),
    [
        ("1", None, Period(unit="hours", value=1)),
        ("8760", None, Period(unit="hours", value=8760)),
        (None, "3650", Period(unit="days", value=3650)),
        (None, " 7 ", Period(unit="days", value=7)),
    ],
)
def test_period_accepts_one_in_range_whole_number(hours: str | None, days: str | None, expected: Period) -> None:
    assert open_metric.parse_period(hours, days) == expected


@pytest.mark.parametrize(
    ("hours", "days", "detail"),
    [
        (None, None, "Give the period in hours (1 to 8760) or in days (1 to 3650), not both."),
        ("1", "1", "Give the period in hours (1 to 8760) or in days (1 to 3650), not both."),
        ("0", None, "hours must be a whole number between 1 and 8760, not '0'."),
        ("8761", None, "hours must be a whole number between 1 and 8760, not '8761'."),
        ("1.5", None, "hours must be a whole number between 1 and 8760, not '1.5'."),
        ("x", None, "hours must be a whole number between 1 and 8760, not 'x'."),
        (None, "3651", "days must be a whole number between 1 and 3650, not '3651'."),
        (None, "-1", "days must be a whole number between 1 and 3650, not '-1'."),
        (None, "٣", "days must be a whole number between 1 and 3650, not '٣'."),
    ],
)
def test_period_rejects_everything_else_in_words_a_person_reads(
    hours: str | None, days: str | None, detail: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        open_metric.parse_period(hours, days)
    assert error.value.detail.startswith(detail)


def test_buckets_are_hours_up_to_48_hours_and_days_beyond() -> None:
    assert open_metric.bucket_for(Period(unit="hours", value=48)) == "hour"
    assert open_metric.bucket_for(Period(unit="days", value=1)) == "hour"
    assert open_metric.bucket_for(Period(unit="days", value=2)) == "hour"
    assert open_metric.bucket_for(Period(unit="hours", value=49)) == "day"
    assert open_metric.bucket_for(Period(unit="days", value=3)) == "day"


# --- open tickets: the series ---------------------------------------------------------------


def test_one_day_is_one_point_per_hour_including_the_partial_first_hour() -> None:
    period = Period(unit="days", value=1)
    since, until = open_metric.window(period, utc(2026, 3, 11, 10, 30))
    cells = [
        HourCount(hour=utc(2026, 3, 10, 10), category=FM, count=2),
        HourCount(hour=utc(2026, 3, 11, 9), category=IT, count=1),
    ]
    answer = open_metric.answer(open_metric.build_report(period, since, until, cells))
    assert answer.bucket == "hour"
    assert [p.start for p in answer.series] == [utc(2026, 3, 10, 10) + timedelta(hours=h) for h in range(25)]
    assert [p.count for p in answer.series] == [2] + [0] * 22 + [1, 0]
    assert (answer.count, answer.by_category) == (3, {FM: 2, IT: 1, SC: 0})


def test_three_days_add_the_hourly_cells_up_into_utc_days() -> None:
    period = Period(unit="days", value=3)
    since, until = open_metric.window(period, utc(2026, 3, 11, 10, 30))
    assert since == utc(2026, 3, 8, 10, 30)
    cells = [
        HourCount(hour=utc(2026, 3, 8, 10), category=SC, count=1),  # the partial first hour
        HourCount(hour=utc(2026, 3, 8, 23), category=SC, count=2),
        HourCount(hour=utc(2026, 3, 9, 0), category=FM, count=4),
        HourCount(hour=utc(2026, 3, 9, 0), category=SC, count=1),
        HourCount(hour=utc(2026, 3, 11, 10), category=IT, count=3),  # the running hour
    ]
    report = open_metric.build_report(period, since, until, cells)
    answer = open_metric.answer(report)
    assert answer.bucket == "day"
    assert [(p.start, p.count) for p in answer.series] == [
        (utc(2026, 3, 8), 3),
        (utc(2026, 3, 9), 5),
        (utc(2026, 3, 10), 0),
        (utc(2026, 3, 11), 3),
    ]
    assert (answer.count, answer.by_category) == (11, {FM: 4, IT: 3, SC: 4})
    assert answer.period == period and (answer.since, answer.until) == (since, until)
    assert report.rows[1] == (utc(2026, 3, 9), {FM: 4, IT: 0, SC: 1})


def test_on_a_boundary_there_is_no_partial_bucket() -> None:
    since, until = open_metric.window(Period(unit="days", value=5), utc(2026, 3, 10))
    assert open_metric.bucket_starts(since, until, "day") == [utc(2026, 3, d) for d in range(5, 10)]
    since, until = open_metric.window(Period(unit="hours", value=2), utc(2026, 3, 10, 12))
    assert open_metric.bucket_starts(since, until, "hour") == [utc(2026, 3, 10, 10), utc(2026, 3, 10, 11)]


def test_the_window_is_in_utc_whatever_the_clock_zone() -> None:
    now = utc(2026, 3, 10, 12, 30).astimezone(timezone(timedelta(hours=-5)))
    since, until = open_metric.window(Period(unit="hours", value=3), now)
    assert (since, until) == (utc(2026, 3, 10, 9, 30), utc(2026, 3, 10, 12, 30))
    assert until.tzinfo is not None and until.utcoffset() == timedelta(0)


def test_cells_outside_the_period_are_rejected() -> None:
    period = Period(unit="hours", value=1)
    since, until = open_metric.window(period, utc(2026, 3, 10, 12, 30))
    with pytest.raises(ValueError, match="outside the period"):
        open_metric.build_report(period, since, until, [HourCount(hour=utc(2026, 3, 10, 9), category=FM, count=1)])


def test_open_tickets_csv_has_a_row_per_bucket_split_by_category() -> None:
    period = Period(unit="hours", value=1)
    since, until = open_metric.window(period, utc(2026, 3, 10, 12, 30))
    report = open_metric.build_report(
        period, since, until, [HourCount(hour=utc(2026, 3, 10, 11), category=SC, count=4)]
    )
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


# --- resolution time: the months ------------------------------------------------------------


def test_resolution_range_defaults_to_the_last_12_months_in_utc() -> None:
    # 2026-01-01T00:30+02:00 is still December 2025 in UTC.
    now = utc(2025, 12, 31, 22, 30).astimezone(timezone(timedelta(hours=2)))
    months = resolution_metric.parse_range(None, None, now)
    assert months[0] == "2025-01" and months[-1] == "2025-12" and len(months) == 12
    assert resolution_metric.parse_range("2025-11", "2026-02", now) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert resolution_metric.parse_range(None, "2026-03", now)[0] == "2025-04"
    assert resolution_metric.parse_range("2025-06", None, now) == [f"2025-{m:02d}" for m in range(6, 13)]


@pytest.mark.parametrize(
    ("first", "last", "detail"),
    [
        ("2026-13", None, "from must be a month written YYYY-MM (for example 2026-03), not '2026-13'."),
        (None, "26-01", "to must be a month written YYYY-MM (for example 2026-03), not '26-01'."),
        ("2026-05", "2026-04", "from (2026-05) must not be after to (2026-04)."),
        ("1000-01", None, "The range covers 12317 months; at most 1200 months are allowed."),
        (None, "0001-05", "The range would start before the year 0001; give a later to, or a from."),
    ],
)
def test_resolution_range_rejects_bad_months_in_words_a_person_reads(
    first: str | None, last: str | None, detail: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        resolution_metric.parse_range(first, last, utc(2026, 5, 1))
    assert error.value.detail == detail


def test_resolution_categories() -> None:
    assert resolution_metric.parse_categories(None) == [FM, IT, SC]
    assert resolution_metric.parse_categories([SC, FM, SC]) == [FM, SC]
    with pytest.raises(InvalidInput) as error:
        resolution_metric.parse_categories(["plumbing"])
    assert error.value.detail == (
        "There is no category 'plumbing'; choose among facility_management, technical_it, services_complaints."
    )


def test_months_fill_gaps_with_null_and_round_to_hundredths_here() -> None:
    seconds = [3600 * 2.001, 3600 * 3.0, 3600 * 5.0 + 20]
    facts = MonthResolutionFacts(
        month="2026-02", closed_count=3, total_resolution_seconds=sum(seconds), histogram=_histogram(seconds)
    )
    answer = resolution_metric.build_answer(["2026-01", "2026-02", "2026-03"], [IT], [facts])
    assert answer.categories == [IT] and answer.median_max_error == MEDIAN_MAX_ERROR
    january, february, march = answer.months
    assert (january.closed_tickets, january.average_hours, january.median_hours) == (0, None, None)
    assert (march.closed_tickets, march.average_hours, march.median_hours) == (0, None, None)
    assert (february.closed_tickets, february.average_hours) == (3, 3.34)
    assert february.median_hours is not None and round(february.median_hours, 2) == february.median_hours
    assert abs(february.median_hours - 3.0) <= MEDIAN_MAX_ERROR * 3.0
    assert resolution_metric.render_csv(answer.months) == (
        "month,closed_tickets,average_hours,median_hours\r\n"
        f"2026-01,0,,\r\n2026-02,3,3.34,{february.median_hours:.2f}\r\n2026-03,0,,\r\n"
    )
    assert resolution_metric.csv_filename(["2026-01", "2026-03"], [IT]) == (
        "resolution-time-2026-01-to-2026-03-technical_it.csv"
    )


def test_a_histogram_that_does_not_count_the_closed_tickets_is_refused() -> None:
    facts = MonthResolutionFacts(
        month="2026-02", closed_count=4, total_resolution_seconds=40.0, histogram=_histogram([10.0, 10.0, 20.0])
    )
    with pytest.raises(ValueError, match="does not count its 4 closed tickets"):
        resolution_metric.build_answer(["2026-02"], list(CATEGORIES), [facts])


# --- resolution time: the median estimate ---------------------------------------------------


def test_the_error_bound_is_derived_from_the_histogram_ratio() -> None:
    assert pytest.approx(HISTOGRAM_RATIO - 1) == MEDIAN_MAX_ERROR
    lower, upper = histogram_bounds(40)
    # The worst case: the exact median on one edge of its bucket, the estimate near the other.
    assert (upper + 1) / (lower + 1) == pytest.approx(1 + MEDIAN_MAX_ERROR)


@pytest.mark.parametrize("seed", range(20))
def test_the_median_estimate_is_within_the_stated_bound_on_random_data(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        seconds = [rng.lognormvariate(rng.uniform(4, 13), rng.uniform(0.05, 2.5)) for _ in range(rng.randint(1, 400))]
        exact = statistics.median(seconds)
        estimate = median_seconds(_histogram(seconds))
        # 1e-9: floating-point slack only; the bound is on (t + 1 s), see median.py.
        assert abs(estimate - exact) <= MEDIAN_MAX_ERROR * (exact + 1) * (1 + 1e-9), (seed, estimate, exact)


def test_months_whose_medians_share_a_bucket_get_different_values() -> None:
    # Five times spread over one bucket (about 10 to 11 h), and k times far below and 4 - k far above it:
    # the median is the (4 - k)-th time of the bucket, so it moves with k although the bucket does not.
    lower, upper = histogram_bounds(histogram_bucket(10.2 * 3600))
    in_bucket = [(lower + 1) * ((upper + 1) / (lower + 1)) ** f - 1 for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
    estimates = []
    for below in (4, 2, 0):
        seconds = [lower / 2] * below + in_bucket + [upper * 2] * (4 - below)
        exact = statistics.median(seconds)
        assert exact == in_bucket[4 - below]
        estimate = median_seconds(_histogram(seconds))
        assert lower <= estimate < upper
        assert abs(estimate - exact) <= MEDIAN_MAX_ERROR * (exact + 1)
        estimates.append(round(estimate / 3600, 2))
    assert estimates[0] < estimates[1] < estimates[2]


def test_a_spread_month_gets_its_own_median_not_a_bucket_edge() -> None:
    rng = random.Random(11)
    medians = []
    for scale in (5.0, 5.3, 5.6, 5.9):
        seconds = [rng.uniform(0.2, 2 * scale) * 3600 for _ in range(301)]
        estimate = median_seconds(_histogram(seconds))
        exact = statistics.median(seconds)
        assert abs(estimate - exact) <= MEDIAN_MAX_ERROR * (exact + 1)
        lower, upper = histogram_bounds(histogram_bucket(estimate))
        assert lower < estimate < upper
        medians.append(round(estimate / 3600, 2))
    assert len(set(medians)) == len(medians)


def test_median_of_one_and_of_two_times() -> None:
    one = median_seconds(_histogram([7200.0]))
    lower, upper = histogram_bounds(histogram_bucket(7200.0))
    assert one == pytest.approx(((lower + 1) * (upper + 1)) ** 0.5 - 1)  # the middle of the bucket, in log space
    two = median_seconds(_histogram([3600.0, 36000.0]))
    assert abs(two - 19800.0) <= MEDIAN_MAX_ERROR * 19801.0
    with pytest.raises(ValueError):
        median_seconds([])


# --- active tickets per category ------------------------------------------------------------


def test_categories_are_all_present_in_the_vocabulary_order_with_its_labels() -> None:
    answer = category_metric.build_answer({SC: 2})
    assert [(c.category, c.label, c.active) for c in answer.categories] == [
        (FM, "Facility management", 0),
        (IT, "Technical IT", 0),
        (SC, "Services and complaints", 2),
    ]
    assert answer.total_active == 2
    assert category_metric.render_csv(answer) == (
        "category,label,active\r\n"
        "facility_management,Facility management,0\r\n"
        "technical_it,Technical IT,0\r\n"
        "services_complaints,Services and complaints,2\r\n"
    )
