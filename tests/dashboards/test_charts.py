"""Chart geometry: bars scale to the longest, labels fit, axes end on round numbers."""

from __future__ import annotations

import datetime as dt

from dashboards.charts import BAR_CHART_WIDTH, BAR_LABEL_WIDTH, BAR_VALUE_ROOM, bar_chart, line_chart, stacked_bar


def test_bars_are_proportional_and_long_labels_are_cut() -> None:
    chart = bar_chart("t", [("鼓楼区住房和城乡建设局城市管理科", 10), ("台江区", 5), ("仓山区", 0)], css="bar-overdue")
    room = BAR_CHART_WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_ROOM
    assert [b.width for b in chart.bars] == [room, room / 2, 0]
    assert chart.bars[0].short == "鼓楼区住房和城乡建…"
    assert chart.bars[0].label == "鼓楼区住房和城乡建设局城市管理科"
    assert chart.bars[1].short == "台江区"
    assert [b.text for b in chart.bars] == ["10", "5", "0"]


def test_the_time_axis_ends_on_a_round_number_and_skips_days_to_come() -> None:
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    chart = line_chart(
        "t",
        months,
        [("a", "series-collected", [3, 17, 0, None, None, None, None, None, None, None, None, None])],
        daily=False,
    )
    assert [t.text for t in chart.y_ticks] == ["0", "5", "10", "15", "20"]
    assert len(chart.x_ticks) == 12
    points = chart.series[0].points
    assert len(points) == 3
    assert points[1].y == chart.top + (chart.bottom - chart.top) * (20 - 17) / 20


def test_the_rating_bar_splits_by_share() -> None:
    chart = stacked_bar(
        "t", [("满意", "seg-satisfied", 3), ("基本满意", "seg-basic", 0), ("不满意", "seg-dissatisfied", 1)]
    )
    assert [s.css for s in chart.segments] == ["seg-satisfied", "seg-dissatisfied"]
    assert [s.width for s in chart.segments] == [BAR_CHART_WIDTH * 0.75, BAR_CHART_WIDTH * 0.25]
    assert chart.segments[0].text == "3 (75.0%)"
