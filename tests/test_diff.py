"""Revision diffs as reviewers see them."""

from __future__ import annotations

import copy

from portal.domain.diff import Change, changes, lines
from tests.documents import complete_document


def test_changes_none_between_equal_revisions() -> None:
    document = complete_document()

    assert changes("標題", document, "標題", copy.deepcopy(document)) == []


def test_changes_name_the_row_and_field_that_changed() -> None:
    old = complete_document()
    new = copy.deepcopy(old)
    new["kpis"][0]["target"] = 60
    row = lines("t", old).index(next(x for x in lines("t", old) if x.startswith("KPI 第 1 列")))

    found = changes("t", old, "t", new)

    assert found == [Change("removed", lines("t", old)[row]), Change("added", lines("t", new)[row])]
    assert "目標：60" in found[1].line


def test_lines_label_sources_in_chinese() -> None:
    document = complete_document()
    document["resources"]["lines"] = [{"kind": "硬體", "source": "private", "year": 2026, "amount": 500}]

    assert [x for x in lines("t", document) if x.startswith("經費需求")] == [
        "經費需求 第 1 列｜項目：硬體｜來源：民間投資｜計畫：｜年度：2026｜千元：500｜說明："
    ]


def test_changes_title_change() -> None:
    document = complete_document()

    assert changes("舊標題", document, "新標題", document) == [
        Change("removed", "提案名稱｜舊標題"),
        Change("added", "提案名稱｜新標題"),
    ]
