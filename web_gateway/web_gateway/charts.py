"""Server-rendered bar charts: geometry computed here, drawn as SVG by the templates.

No JavaScript and no inline styles, so the charts obey the CSP and print well.
Each chart comes with a table of the same numbers in the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 280
LEFT = 56
RIGHT = 12
TOP = 16
BOTTOM = 56
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    y_label: str
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    baseline: float = HEIGHT - BOTTOM
    right_edge: int = WIDTH - RIGHT


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _format(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(
    title: str, description: str, y_label: str, points: list[tuple[str, float | None]], unit: str = ""
) -> BarChart:
    """Bars for `points` (label, value); a None value is a gap labelled "no data"."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((v for _, v in points if v is not None), default=0.0))
    slot = plot_width / max(len(points), 1)
    bar_width = max(slot * 0.7, 0.5)
    bars = []
    for index, (label, value) in enumerate(points):
        amount = value or 0.0
        height = plot_height * amount / top_value
        bars.append(
            Bar(
                x=round(LEFT + index * slot + (slot - bar_width) / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(bar_width, 2),
                height=round(height, 2),
                label=label,
                value_text="no data" if value is None else f"{_format(value)}{unit}",
            )
        )
    ticks = [
        Tick(y=round(TOP + plot_height - plot_height * i / 4, 2), text=_format(top_value * i / 4)) for i in range(5)
    ]
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    x_labels = [
        XLabel(x=round(LEFT + index * slot + slot / 2, 2), text=label)
        for index, (label, _) in enumerate(points)
        if index % every == 0
    ]
    return BarChart(title, description, y_label, bars, ticks, x_labels)
