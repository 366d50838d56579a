"""Chart geometry (web_gateway.charts): every label kept whole and given room; the browser
test tests/browser/test_regressions.py checks the drawn result at 375 and 1280 px."""

from __future__ import annotations

from campusdesk_common.vocabulary import CATEGORY_LABELS
from web_gateway.charts import COLUMN_FONT, MAX_X_LABELS, bar_chart, text_width, wrap_label


def test_a_few_points_are_rows_with_every_label_whole_and_its_value() -> None:
    points: list[tuple[str, float | None]] = [(label, float(n)) for n, label in enumerate(CATEGORY_LABELS.values())]
    chart = bar_chart("Active tickets per category", "d", "tickets", points)
    assert chart.layout == "rows"
    row_labels = ["".join(label.lines) for label in chart.labels if label.kind == "row-label"]
    assert row_labels == ["Facility management", "Technical IT", "Services and complaints"]
    assert [label.lines[0] for label in chart.labels if label.kind == "row-value"] == ["0", "1", "2"]
    assert [bar.width for bar in chart.bars] == [0.0, 25.0, 50.0]  # of a top of 4: steps of one ticket
    assert chart.height >= chart.bars[-1].y + chart.bars[-1].height


def test_many_points_are_columns_with_at_most_twelve_rotated_labels_and_room_below_for_the_longest() -> None:
    points: list[tuple[str, float | None]] = [(f"2026-12-02 {h:02d}:00", float(h % 7)) for h in range(25)]
    chart = bar_chart("Open tickets", "d", "tickets", points)
    assert chart.layout == "columns"
    x_labels = [label for label in chart.labels if label.kind == "x-label"]
    assert 1 < len(x_labels) <= MAX_X_LABELS
    assert all(label.rotated and label.lines[0] in dict(points) for label in x_labels)
    baseline = max(line.y for line in chart.grid)
    assert chart.height >= baseline + text_width("2026-12-02 00:00", COLUMN_FONT)
    assert [label.lines[0] for label in chart.labels if label.kind == "tick"] == ["0", "2", "4", "6", "8 tickets"]
    assert len({bar.label for bar in chart.bars}) == 25
    assert all(bar.x > 0 and bar.x + bar.width < 100 for bar in chart.bars)


def test_a_gap_is_a_bar_of_no_height_labelled_no_data() -> None:
    points: list[tuple[str, float | None]] = [("2026-01", 12.5), ("2026-02", None)]
    chart = bar_chart("Resolution", "d", "hours", points, unit=" h")
    assert [(bar.value_text, bar.width) for bar in chart.bars] == [
        ("12.5 h", 78.125),
        ("no data", 0.0),
    ]  # of a top of 16 h


def test_a_long_label_wraps_at_spaces_and_its_lines_join_into_the_label_again() -> None:
    label = "Services and complaints about the canteen, the library and the sports centre"
    lines = wrap_label(label)
    assert len(lines) == 3
    assert "".join(lines) == label
    assert wrap_label("Technical IT") == ("Technical IT",)
