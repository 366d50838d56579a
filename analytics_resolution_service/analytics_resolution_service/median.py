"""The median of resolution times, estimated from the ticket service's log-spaced histogram.

Bucket b holds the times t with r^b <= t + 1 < r^(b+1), r = HISTOGRAM_RATIO = 1.005
(`histogram_bounds`). The k-th of the n times in a bucket is placed at fraction (k + 1/2) / n
of the bucket's log range, so a month whose times are spread gets its own median rather than
a bucket's fixed point.

The error bound: the estimate of a rank lies in the same bucket as the exact time of that
rank, so (estimate + 1 s) / (exact + 1 s) is within a factor HISTOGRAM_RATIO either way, and
|estimate - exact| < (HISTOGRAM_RATIO - 1) * (exact + 1 s). For an even count the median is
the mean of two ranks, each within that bound, so it holds too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from campusdesk_common.contracts.stats import HISTOGRAM_RATIO, HistogramBin, histogram_bounds

# The one statement of the bound, reported as `median_max_error`: 0.005 (0.5%) for r = 1.005.
# Relative to (exact + 1 s), before the answer rounds to 0.01 h.
MEDIAN_MAX_ERROR = round(HISTOGRAM_RATIO - 1, 6)


def median_seconds(histogram: Sequence[HistogramBin], width: Callable[[int], int] = lambda _bucket: 1) -> float:
    """The estimated median (seconds) of the times counted in a non-empty `histogram`.

    `width(bucket)` is how many buckets a bin spans (`bin_width`); the bound holds when the
    bins of the middle ranks are single buckets (`middle_bins` tells which they are).
    """
    ordered = sorted(histogram, key=lambda b: b.bucket)
    low_rank, high_rank = _middle_ranks(ordered)
    return (_time_at_rank(ordered, low_rank, width) + _time_at_rank(ordered, high_rank, width)) / 2


def middle_bins(histogram: Sequence[HistogramBin]) -> tuple[int, int]:
    """The `bucket` of the bins holding the two middle ranks (the same one for most months)."""
    ordered = sorted(histogram, key=lambda b: b.bucket)
    low_rank, high_rank = _middle_ranks(ordered)
    return _bin_at_rank(ordered, low_rank).bucket, _bin_at_rank(ordered, high_rank).bucket


def _middle_ranks(ordered: Sequence[HistogramBin]) -> tuple[int, int]:
    total = sum(b.count for b in ordered)
    if total == 0:
        raise ValueError("the histogram is empty")
    return (total - 1) // 2, total // 2


def _bin_at_rank(histogram: Sequence[HistogramBin], rank: int) -> HistogramBin:
    before = 0
    for b in histogram:
        if rank < before + b.count:
            return b
        before += b.count
    raise ValueError(f"rank {rank} is beyond the {before} times of the histogram")


def _time_at_rank(histogram: Sequence[HistogramBin], rank: int, width: Callable[[int], int]) -> float:
    """The estimated `rank`-th smallest time (0-based) of an ascending histogram, in log space inside its bin."""
    before = 0
    for b in histogram:
        if rank < before + b.count:
            lower, upper = histogram_bounds(b.bucket, width(b.bucket))
            fraction = (rank - before + 0.5) / b.count
            return float((lower + 1) * ((upper + 1) / (lower + 1)) ** fraction - 1)
        before += b.count
    raise ValueError(f"rank {rank} is beyond the {before} times of the histogram")
