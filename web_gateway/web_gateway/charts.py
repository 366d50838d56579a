"""Server-rendered bar charts: geometry computed here, drawn as SVG by `_chart.html`.

The SVG has no viewBox: its user units are CSS pixels, so text keeps its size at every
width, horizontal positions are percentages of the chart's width and every vertical
extent (label rows, rotated labels) is reserved here from the labels' own lengths.
Nothing depends on the page being wide; no JavaScript and no inline styles (CSP).
Each chart comes with a table of the same numbers in the page.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Literal

Layout = Literal["rows", "columns"]
Anchor = Literal["start", "middle", "end"]

# Up to this many points a chart is drawn as rows: each label written in full above its bar.
ROWS_UP_TO = 6
ROW_FONT = 13
ROW_LINE = 17
ROW_BAR = 16
ROW_GAP = 12
ROW_WRAP = 32  # characters; a longer label goes onto a second line
# More points: columns with rotated labels below the baseline, at most this many labelled.
COLUMN_FONT = 12
MAX_X_LABELS = 12
TOP = 24  # room for the top tick's text above the top grid line
PLOT_HEIGHT = 170
SIDE_PAD = 4.0  # percent each side, so a rotated label's half-height stays inside at 250 px
LABEL_GAP = 6
EDGE = 3  # pixels between a text and the chart's left or right edge (glyphs overhang a little)
# A generous average advance of a glyph, in em: an overestimate only adds white space.
EM_PER_CHAR = 0.62


@dataclass(frozen=True)
class Bar:
    x: float  # percent of the chart's width
    y: float
    width: float  # percent of the chart's width
    height: float
    label: str
    value_text: str


@dataclass(frozen=True)
class Label:
    x: str  # an SVG length: "3", "100%", "37.5%"
    y: float
    lines: tuple[str, ...]
    anchor: Anchor
    kind: Literal["tick", "row-label", "row-value", "x-label"]
    rotated: bool = False  # read bottom to top, hanging below (x, y)
    dx: int = 0  # a shift in pixels, to keep a right-aligned text off the edge


@dataclass(frozen=True)
class GridLine:
    y: float
    baseline: bool = False


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    y_label: str
    layout: Layout
    height: int
    bars: list[Bar]
    labels: list[Label]
    grid: list[GridLine]
    font_size: int
    line_height: int = ROW_LINE


def _tick_step(largest: float, whole_numbers: bool) -> float:
    """The smallest round step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) of which
    four reach `largest`; never a fraction when the values are counts."""
    if largest <= 0:
        return 1.0 if whole_numbers else 0.25
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)]
    if whole_numbers:
        steps = [step for step in steps if float(step).is_integer()] or [1]
    return float(next(step for step in steps if raw <= step))


def _format(value: float) -> str:
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0")


def text_width(text: str, font_size: int) -> int:
    """An upper estimate of the text's width in pixels, to reserve room for it."""
    return math.ceil(len(text) * EM_PER_CHAR * font_size)


def wrap_label(label: str, width: int = ROW_WRAP) -> tuple[str, ...]:
    """The label on as many lines as it needs, each keeping the spaces that followed it, so
    the lines joined are the label again (and the SVG text's content reads in full)."""
    lines: list[str] = []
    rest = label
    for line in textwrap.wrap(label, width, break_long_words=True, break_on_hyphens=False):
        start = rest.index(line)
        end = start + len(line)
        while end < len(rest) and rest[end].isspace():
            end += 1
        lines.append(rest[start:end])
        rest = rest[end:]
    return tuple(lines) or (label,)


def _value_text(value: float | None, unit: str) -> str:
    return "no data" if value is None else f"{_format(value)}{unit}"


def _rows(
    title: str, description: str, y_label: str, points: list[tuple[str, float | None]], unit: str, top_value: float
) -> BarChart:
    bars: list[Bar] = []
    labels: list[Label] = []
    y = 4.0
    for label, value in points:
        lines = wrap_label(label)
        first_baseline = y + ROW_FONT
        labels.append(Label(str(EDGE), first_baseline, lines, "start", "row-label"))
        labels.append(Label("100%", first_baseline, (_value_text(value, unit),), "end", "row-value", dx=-EDGE))
        bar_top = y + ROW_LINE * len(lines) + 3
        width = 100 * (value or 0.0) / top_value
        bars.append(Bar(0.0, bar_top, round(width, 3), ROW_BAR, label, _value_text(value, unit)))
        y = bar_top + ROW_BAR + ROW_GAP
    return BarChart(title, description, y_label, "rows", math.ceil(y), bars, labels, [], ROW_FONT)


def _columns(
    title: str, description: str, y_label: str, points: list[tuple[str, float | None]], unit: str, top_value: float
) -> BarChart:
    baseline = TOP + PLOT_HEIGHT
    slot = (100 - 2 * SIDE_PAD) / len(points)
    bars: list[Bar] = []
    for index, (label, value) in enumerate(points):
        height = PLOT_HEIGHT * (value or 0.0) / top_value
        x = SIDE_PAD + index * slot + slot * 0.15
        top = round(baseline - height, 2)
        bars.append(Bar(round(x, 4), top, round(slot * 0.7, 4), round(height, 2), label, _value_text(value, unit)))
    grid = [GridLine(round(baseline - PLOT_HEIGHT * i / 4, 2), baseline=i == 0) for i in range(5)]
    labels = [
        Label(
            str(EDGE), line.y - 4, (f"{_format(top_value * i / 4)}{' ' + y_label if i == 4 else ''}",), "start", "tick"
        )
        for i, line in enumerate(grid)
    ]
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    shown = [(index, label) for index, (label, _) in enumerate(points) if index % every == 0]
    for index, label in shown:
        x = SIDE_PAD + index * slot + slot / 2
        labels.append(Label(f"{round(x, 4)}%", baseline + LABEL_GAP, (label,), "end", "x-label", rotated=True))
    longest = max((text_width(label, COLUMN_FONT) for _, label in shown), default=0)
    height = baseline + LABEL_GAP + longest + LABEL_GAP
    return BarChart(title, description, y_label, "columns", height, bars, labels, grid, COLUMN_FONT)


def bar_chart(
    title: str, description: str, y_label: str, points: list[tuple[str, float | None]], unit: str = ""
) -> BarChart:
    """Bars for `points` (label, value); a None value is a gap labelled "no data".

    A few points are drawn as rows (every label in full above its bar, the value at the
    right); more are columns over a grid, with rotated labels for at most 12 of them.
    """
    values = [v for _, v in points if v is not None]
    top_value = 4 * _tick_step(max(values, default=0.0), all(float(v).is_integer() for v in values))
    if len(points) <= ROWS_UP_TO:
        return _rows(title, description, y_label, points, unit, top_value)
    return _columns(title, description, y_label, points, unit, top_value)
