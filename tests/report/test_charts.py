"""SVG charts: numbers beside the marks, highlights hatched (not colour alone), text escaped."""

from __future__ import annotations

from sanitizer.report.charts import bar_chart, heatmap


def test_bar_chart_no_bars_draws_nothing() -> None:
    assert bar_chart("c", "t", "d", []) == ""


def test_bar_chart_prints_every_value_and_labels_it() -> None:
    svg = str(
        bar_chart("c", "Columns per operator", "fake: 3; keep: 12", [("fake", 3), ("keep", 12)])
    )
    assert ">12</text>" in svg and ">3</text>" in svg
    assert '<title id="c-title">Columns per operator</title>' in svg
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg


def test_bar_chart_highlight_uses_a_pattern_and_bold_label() -> None:
    svg = str(
        bar_chart(
            "c", "t", "d", [("low", 1), ("high", 5)], highlight=["low"], highlight_note="check"
        )
    )
    assert svg.count('fill="url(#c-hatch)"') == 2  # the bar and the legend swatch
    assert 'font-weight="700">low</text>' in svg
    assert ">check</text>" in svg


def test_bar_chart_long_label_is_shortened_but_kept_whole_in_the_tooltip() -> None:
    label = "a_table_with_a_very_long_name.and_an_even_longer_column_name_that_goes_on_and_on"
    svg = str(bar_chart("c", "t", "d", [(label, 1)]))
    assert "…</text>" in svg
    assert f"<title>{label}: 1</title>" in svg


def test_bar_chart_escapes_text() -> None:
    svg = str(bar_chart("c", "<t>", "<d>", [("<script>", 1)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<t>" not in svg and "<d>" not in svg


def test_heatmap_prints_counts_including_zeros() -> None:
    svg = str(heatmap("h", "t", "d", ["a", "b"], ["X", "Y"], {("a", "X"): 2, ("b", "Y"): 1}))
    assert svg.count("<rect") == 4
    assert ">2</text>" in svg and ">1</text>" in svg and svg.count(">0</text>") == 2


def test_heatmap_darker_cell_gets_light_ink() -> None:
    svg = str(heatmap("h", "t", "d", ["a"], ["X", "Y"], {("a", "X"): 10, ("a", "Y"): 1}))
    assert 'fill="#ffffff">10</text>' in svg
    assert 'fill="#1a1a1a">1</text>' in svg


def test_heatmap_empty_draws_nothing() -> None:
    assert heatmap("h", "t", "d", [], [], {}) == ""
