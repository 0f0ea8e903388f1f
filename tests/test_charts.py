"""Server-drawn SVG charts: every value is stated in the title, bars scale to the largest."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from portal.showcase import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_bar_chart_states_every_value_and_scales_bars_to_the_largest() -> None:
    svg = parse(charts.bar_chart("funds", "經費", [("中央", 9300), ("縣市", 1000), ("民間", 0)], "千元"))

    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == "經費：中央 9,300千元；縣市 1,000千元；民間 0千元"
    assert (svg.get("role"), svg.get("aria-labelledby"), svg.get("id")) == ("img", "funds-title", "funds")
    widths = [float(rect.get("width", "")) for rect in svg.iter(f"{SVG}rect")]
    span = charts.WIDTH - charts.LABEL - charts.VALUE
    assert widths == [span, round(span * 1000 / 9300, 1), 0.0]
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["中央", "9,300千元", "縣市", "1,000千元", "民間", "0千元"]


def test_bar_chart_escapes_labels_and_shortens_long_ones() -> None:
    markup = charts.bar_chart("x", "<b>", [("<script>", 1), ("一二三四五六七八九十十一", 2)])

    assert "<script>" not in markup and "&lt;script&gt;" in markup
    labels = [t.text for t in parse(markup).iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == ["<script>", "一二三四五六七…"]


def test_empty_bar_chart_is_a_valid_svg_without_bars() -> None:
    svg = parse(charts.bar_chart("none", "無", []))

    assert list(svg.iter(f"{SVG}rect")) == []


def test_schedule_chart_places_each_business_by_month_with_january_ticks() -> None:
    spans = [charts.Span("甲", "2026-01", "2026-12"), charts.Span("乙", "2027-07", "2028-06")]

    svg = parse(charts.schedule_chart("plan", "時程", spans))

    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == "時程：甲 2026-01～2026-12；乙 2027-07～2028-06"
    step = (charts.WIDTH - charts.LABEL - 12) / 30  # 2026-01 to 2028-06: 30 months
    bars = [(float(r.get("x", "")), float(r.get("width", ""))) for r in svg.iter(f"{SVG}rect")]
    assert bars == [(charts.LABEL, round(12 * step, 1)), (round(charts.LABEL + 18 * step, 1), round(12 * step, 1))]
    years = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-axis"]
    assert years == ["2026", "2027", "2028"]


def test_schedule_starting_mid_year_ticks_only_januaries_inside() -> None:
    svg = charts.schedule_chart("p", "t", [charts.Span("甲", "2026-03", "2027-02")])

    assert re.findall(r'class="chart-axis"[^>]*>(\d+)<', svg) == ["2027"]
    assert charts.schedule_chart("p", "t", []) == ""


def test_stacked_bar_chart_puts_each_whole_label_above_its_bar() -> None:
    rows = [("Taipei, New Taipei, Keelung and Yilan", 4), ("Hualien and Taitung", 2)]

    svg = parse(charts.bar_chart("regions", "Cases by region", rows, stacked=True))

    labels = [(t.text, t.get("x"), t.get("y")) for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == [("Taipei, New Taipei, Keelung and Yilan", "0", "16"), ("Hualien and Taitung", "0", "56")]
    bars = [(r.get("x"), r.get("y"), r.get("width")) for r in svg.iter(f"{SVG}rect")]
    span = charts.WIDTH - charts.VALUE
    assert bars == [("0", "21", f"{span:.1f}"), ("0", "61", f"{span / 2:.1f}")]
