"""Scoring: rubric validation, summaries, weighted totals, leniency, 三高 screening, ranking."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

from portal.domain.scoring import (
    LENIENCY_FORMULA,
    Criterion,
    CriterionSummary,
    Ranked,
    Rubric,
    RubricError,
    Score,
    Screening,
    corrected_total,
    leniency_formula,
    load_rubric,
    majority,
    parse_rubric,
    rank,
    reviewer_offsets,
    screen,
    summarise,
    weighted_total,
)

SHIPPED = Path(__file__).resolve().parent.parent / "content" / "rubric.yaml"
SOURCE = "測試評分表"
LEVELS = {1: "只有構想", 3: "部分落實", 5: "全部到位"}
VALID: dict[str, Any] = {
    "version": "2026.1",
    "scale": {"min": 1, "max": 5},
    "high_threshold": 4,
    "leniency": {"min_reviews": 3},
    "criteria": [
        {"code": "feasibility", "name": "可行性", "weight": 0.4, "levels": dict(LEVELS)},
        {"code": "creativity", "name": "創意性", "weight": 0.3, "levels": dict(LEVELS)},
        {"code": "spillover", "name": "外溢性", "weight": 0.3, "levels": dict(LEVELS)},
    ],
}
RUBRIC = parse_rubric(VALID, SOURCE)
DELETE = object()


def changed(path: str, value: object, base: dict[str, Any] = VALID) -> dict[str, Any]:
    """A copy of `base` with `a.0.b` set to `value` (or removed, for DELETE)."""
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[_key(node, part)]
    if value is DELETE:
        del node[_key(node, last)]
    else:
        node[_key(node, last)] = value
    return data


def _key(node: Any, part: str) -> Any:
    """List indexes and the integer level keys are written as digits in a path."""
    return int(part) if part.isdigit() and (isinstance(node, list) or int(part) in node) else part


def single_criterion(min_reviews: int) -> Rubric:
    """One criterion of weight 1, so a review's weighted total is its score."""
    data = changed("criteria", [{"code": "overall", "name": "整體", "weight": 1, "levels": LEVELS}])
    return parse_rubric(changed("leniency.min_reviews", min_reviews, data), SOURCE)


def review(
    reviewer: int,
    proposal: int,
    scores: tuple[int, int, int] | dict[str, int],
    domain: bool | None = None,
    ministry: bool | None = None,
) -> Score:
    """A review under RUBRIC; a tuple lists feasibility, creativity, spillover in that order."""
    if isinstance(scores, tuple):
        scores = dict(zip(("feasibility", "creativity", "spillover"), scores, strict=True))
    return Score(reviewer, proposal, scores, domain, ministry)


# --- the rubric -------------------------------------------------------------------------


def test_shipped_rubric_parses_with_weights_summing_to_one() -> None:
    rubric = load_rubric(SHIPPED)

    assert (rubric.version, rubric.scale_min, rubric.scale_max, rubric.high_threshold) == ("2026.1", 1, 5, 4.0)
    assert rubric.leniency_min_reviews == 3
    assert [(c.code, c.name, c.weight) for c in rubric.criteria] == [
        ("feasibility", "可行性", 0.4),
        ("creativity", "創意性", 0.3),
        ("spillover", "外溢性", 0.3),
    ]
    assert math.fsum(c.weight for c in rubric.criteria) == pytest.approx(1.0)
    assert [sorted(c.levels) for c in rubric.criteria] == [[1, 3, 5]] * 3
    assert rubric.criterion("feasibility").levels[5].startswith("主責單位與資金來源明確、時程合理、已有場地與人力承諾")


def test_parse_rubric_builds_the_whole_rubric() -> None:
    assert (
        Rubric(
            version="2026.1",
            scale_min=1,
            scale_max=5,
            high_threshold=4.0,
            criteria=(
                Criterion("feasibility", "可行性", 0.4, LEVELS),
                Criterion("creativity", "創意性", 0.3, LEVELS),
                Criterion("spillover", "外溢性", 0.3, LEVELS),
            ),
            leniency_min_reviews=3,
        )
        == RUBRIC
    )
    assert RUBRIC.anchor_levels == (1, 3, 5)


def test_rubric_criterion_by_code() -> None:
    assert RUBRIC.criterion("creativity") == Criterion("creativity", "創意性", 0.3, LEVELS)
    with pytest.raises(KeyError):
        RUBRIC.criterion("necessity")


@pytest.mark.parametrize(
    ("changes", "weights"),
    [
        pytest.param({"criteria.2.weight": 0.3009}, (0.4, 0.3, 0.3009), id="sum-within-tolerance"),
        pytest.param({"criteria.0.weight": 0, "criteria.1.weight": 0.7}, (0.0, 0.7, 0.3), id="zero-weight"),
    ],
)
def test_parse_rubric_accepts_weights(changes: dict[str, float], weights: tuple[float, ...]) -> None:
    data = VALID
    for path, value in changes.items():
        data = changed(path, value, data)

    assert tuple(c.weight for c in parse_rubric(data, SOURCE).criteria) == weights


def test_parse_rubric_level_keys_become_integers_in_order() -> None:
    data = changed("criteria.0.levels", {"5": "丙", "1": "甲", "3": "乙", 2: "補充"})

    assert parse_rubric(data, SOURCE).criteria[0].levels == {1: "甲", 2: "補充", 3: "乙", 5: "丙"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(["version"], f"{SOURCE}：內容必須是鍵值對應表（key: value），目前是 list", id="not-a-mapping"),
        pytest.param(changed("version", DELETE), f"{SOURCE}：缺少欄位「version」", id="no-version"),
        pytest.param(
            changed("version", 2026.1),
            f'{SOURCE}：「version」必須是加引號的字串（如 "2026.1"），目前是 2026.1',
            id="version-unquoted",
        ),
        pytest.param(changed("version", " "), f"{SOURCE}：「version」不可為空白", id="version-blank"),
        pytest.param(changed("scale", DELETE), f"{SOURCE}：缺少欄位「scale」", id="no-scale"),
        pytest.param(changed("scale.max", DELETE), f"{SOURCE}：缺少欄位「scale.max」", id="no-scale-max"),
        pytest.param(
            changed("scale", [1, 5]),
            f"{SOURCE}：「scale」必須是鍵值對應表（key: value），目前是 [1, 5]",
            id="scale-not-mapping",
        ),
        pytest.param(
            changed("scale.min", "一"), f"{SOURCE}：「scale.min」必須是整數，目前是 '一'", id="scale-min-not-int"
        ),
        pytest.param(
            changed("scale.min", 5), f"{SOURCE}：「scale」的 min（5）必須小於 max（5）", id="scale-min-equals-max"
        ),
        pytest.param(
            changed("scale", {"min": 5, "max": 1}),
            f"{SOURCE}：「scale」的 min（5）必須小於 max（1）",
            id="scale-min-above-max",
        ),
        pytest.param(changed("high_threshold", DELETE), f"{SOURCE}：缺少欄位「high_threshold」", id="no-threshold"),
        pytest.param(
            changed("high_threshold", "高"),
            f"{SOURCE}：「high_threshold」必須是數字，目前是 '高'",
            id="threshold-not-number",
        ),
        pytest.param(
            changed("high_threshold", 6), f"{SOURCE}：「high_threshold」為 6，超出評分範圍 1–5", id="threshold-above"
        ),
        pytest.param(
            changed("high_threshold", 0.5),
            f"{SOURCE}：「high_threshold」為 0.5，超出評分範圍 1–5",
            id="threshold-below",
        ),
        pytest.param(changed("leniency", DELETE), f"{SOURCE}：缺少欄位「leniency」", id="no-leniency"),
        pytest.param(
            changed("leniency.min_reviews", 0),
            f"{SOURCE}：「leniency.min_reviews」必須至少為 1，目前是 0",
            id="min-reviews-zero",
        ),
        pytest.param(changed("criteria", DELETE), f"{SOURCE}：缺少欄位「criteria」", id="no-criteria"),
        pytest.param(changed("criteria", []), f"{SOURCE}：「criteria」至少要有一個評分項目", id="empty-criteria"),
        pytest.param(
            changed("criteria", {"feasibility": 1}),
            f"{SOURCE}：「criteria」必須是清單，目前是 {{'feasibility': 1}}",
            id="criteria-not-list",
        ),
        pytest.param(
            changed("criteria.1", "創意性"),
            f"{SOURCE}：「criteria 第 2 項」必須是鍵值對應表（key: value），目前是 '創意性'",
            id="criterion-not-mapping",
        ),
        pytest.param(
            changed("criteria.0.code", DELETE), f"{SOURCE}：缺少欄位「criteria 第 1 項的 code」", id="no-code"
        ),
        pytest.param(
            changed("criteria.0.code", "Feasibility"),
            f"{SOURCE}：「criteria 第 1 項的 code」必須是小寫英文字母開頭的代碼（如 feasibility），"
            "目前是 'Feasibility'",
            id="code-not-plain",
        ),
        pytest.param(
            changed("criteria.2.code", "feasibility"),
            f"{SOURCE}：評分項目代碼「feasibility」重複（criteria 第 1 項與第 3 項）",
            id="duplicate-code",
        ),
        pytest.param(
            changed("criteria.1.name", ""),
            f"{SOURCE}：「criteria 第 2 項的 name」必須是非空白的文字，目前是 ''",
            id="name-blank",
        ),
        pytest.param(
            changed("criteria.1.weight", DELETE), f"{SOURCE}：缺少欄位「criteria 第 2 項的 weight」", id="no-weight"
        ),
        pytest.param(
            changed("criteria.1.weight", "高"),
            f"{SOURCE}：「criteria 第 2 項的 weight」必須是數字，目前是 '高'",
            id="weight-text",
        ),
        pytest.param(
            changed("criteria.1.weight", True),
            f"{SOURCE}：「criteria 第 2 項的 weight」必須是數字，目前是 True",
            id="weight-bool",
        ),
        pytest.param(
            changed("criteria.1.weight", math.nan),
            f"{SOURCE}：「criteria 第 2 項的 weight」必須是數字，目前是 nan",
            id="weight-nan",
        ),
        pytest.param(
            changed("criteria.1.weight", -0.3),
            f"{SOURCE}：「criteria 第 2 項的 weight」不可為負數，目前是 -0.3",
            id="weight-negative",
        ),
        pytest.param(
            changed("criteria.1.weight", 0.2),
            f"{SOURCE}：各評分項目的 weight 總和必須為 1，目前為 0.9",
            id="weights-sum-below-one",
        ),
        pytest.param(
            changed("criteria.2.weight", 0.302),
            f"{SOURCE}：各評分項目的 weight 總和必須為 1，目前為 1.002",
            id="weights-sum-just-outside-tolerance",
        ),
        pytest.param(
            changed("criteria.0.levels", DELETE), f"{SOURCE}：缺少欄位「criteria 第 1 項的 levels」", id="no-levels"
        ),
        pytest.param(
            changed("criteria.0.levels.1", DELETE),
            f"{SOURCE}：「criteria 第 1 項的 levels」缺少 1 分的描述",
            id="no-level-1",
        ),
        pytest.param(
            changed("criteria.1.levels.3", DELETE),
            f"{SOURCE}：「criteria 第 2 項的 levels」缺少 3 分的描述",
            id="no-level-3",
        ),
        pytest.param(
            changed("criteria.2.levels.5", "  "),
            f"{SOURCE}：「criteria 第 3 項的 levels」缺少 5 分的描述",
            id="blank-level-5",
        ),
        pytest.param(
            changed("criteria.0.levels", {1: "甲", 3: "乙", 5: "丙", 7: "超出"}),
            f"{SOURCE}：「criteria 第 1 項的 levels」的分數 7 必須是 1–5 的整數",
            id="level-outside-scale",
        ),
        pytest.param(
            changed("criteria.0.levels", {1: "甲", 3: "乙", 5: "丙", "高": "超出"}),
            f"{SOURCE}：「criteria 第 1 項的 levels」的分數 '高' 必須是 1–5 的整數",
            id="level-not-integer",
        ),
    ],
)
def test_parse_rubric_rejects(data: object, message: str) -> None:
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, SOURCE)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            b'version: "2026.1"\nscale: {min: 1, max: 5\n',
            "：YAML 格式錯誤第 3 行第 1 欄（expected ',' or '}', but got '<stream end>'）",
            id="broken-yaml",
        ),
        pytest.param("version: 地方創生".encode("big5"), "：檔案不是 UTF-8 編碼", id="not-utf8"),
        pytest.param(b'version: "2026.1"\n', "：缺少欄位「scale」", id="bad-field-names-file"),
    ],
)
def test_load_rubric_rejects(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_bytes(content)

    with pytest.raises(RubricError) as caught:
        load_rubric(path)

    assert str(caught.value) == f"{path}{message}"


def test_load_rubric_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"

    with pytest.raises(RubricError) as caught:
        load_rubric(path)

    assert str(caught.value) == f"{path}：無法讀取檔案（No such file or directory）"


# --- summaries and weighted totals --------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        pytest.param(
            [],
            {
                "feasibility": CriterionSummary("feasibility", 0, None, None, None, None, False),
                "creativity": CriterionSummary("creativity", 0, None, None, None, None, False),
                "spillover": CriterionSummary("spillover", 0, None, None, None, None, False),
            },
            id="no-reviews-is-not-scored",
        ),
        pytest.param(
            [(4, 3, 5)],
            {
                "feasibility": CriterionSummary("feasibility", 1, 4.0, 4.0, 4, 4, False),
                "creativity": CriterionSummary("creativity", 1, 3.0, 3.0, 3, 3, False),
                "spillover": CriterionSummary("spillover", 1, 5.0, 5.0, 5, 5, False),
            },
            id="single-review",
        ),
        pytest.param(
            [(4, 3, 5), (5, 5, 3), (4, 4, 4)],
            {
                "feasibility": CriterionSummary("feasibility", 3, pytest.approx(13 / 3), 4.0, 4, 5, False),
                "creativity": CriterionSummary("creativity", 3, 4.0, 4.0, 3, 5, True),
                "spillover": CriterionSummary("spillover", 3, 4.0, 4.0, 3, 5, True),
            },
            id="range-1-agrees-range-2-disagrees",
        ),
        pytest.param(
            [(1, 2, 2), (5, 3, 2), (2, 2, 2), (2, 3, 2)],
            {
                "feasibility": CriterionSummary("feasibility", 4, 2.5, 2.0, 1, 5, True),
                "creativity": CriterionSummary("creativity", 4, 2.5, 2.5, 2, 3, False),
                "spillover": CriterionSummary("spillover", 4, 2.0, 2.0, 2, 2, False),
            },
            id="even-count-median-between",
        ),
        pytest.param(
            [{"feasibility": 3, "creativity": 4}, {"feasibility": 5}],
            {
                "feasibility": CriterionSummary("feasibility", 2, 4.0, 4.0, 3, 5, True),
                "creativity": CriterionSummary("creativity", 1, 4.0, 4.0, 4, 4, False),
                "spillover": CriterionSummary("spillover", 0, None, None, None, None, False),
            },
            id="criterion-left-out-counts-only-where-scored",
        ),
    ],
)
def test_summarise(scores: list[tuple[int, int, int] | dict[str, int]], expected: dict[str, CriterionSummary]) -> None:
    reviews = [review(reviewer, 1, values) for reviewer, values in enumerate(scores, start=1)]

    assert summarise(RUBRIC, reviews) == expected


@pytest.mark.parametrize(
    ("means", "expected"),
    [
        pytest.param({"feasibility": 5, "creativity": 5, "spillover": 5}, 5.0, id="top"),
        pytest.param({"feasibility": 4.5, "creativity": 3, "spillover": 2}, 3.3, id="weighted"),
        pytest.param({"feasibility": 1, "creativity": 1, "spillover": 1}, 1.0, id="bottom"),
        pytest.param({"feasibility": 4, "creativity": 4, "spillover": None}, None, id="one-unscored"),
        pytest.param({"feasibility": 4, "creativity": 4}, None, id="one-missing"),
        pytest.param({}, None, id="nothing-scored-is-none-not-zero"),
    ],
)
def test_weighted_total(means: dict[str, float | None], expected: float | None) -> None:
    assert weighted_total(RUBRIC, means) == (None if expected is None else pytest.approx(expected))


# --- leniency ---------------------------------------------------------------------------

# Worked example (RUBRIC: weights 0.4 / 0.3 / 0.3, min_reviews 3). Review totals:
#
#   reviewer      proposal 101        proposal 102        proposal 103       own mean
#   A (1)         (4,5,5) → 4.6       (4,4,4) → 4.0       (4,4,4) → 4.0      12.6 / 3 = 4.2
#   B (2)         (2,4,4) → 3.2       (2,3,3) → 2.6       (2,3,3) → 2.6       8.4 / 3 = 2.8
#   C (3)         (4,3,3) → 3.4       (4,2,2) → 2.8       —                   6.2 / 2 = 3.1
#
# Round mean = (12.6 + 8.4 + 6.2) / 8 = 27.2 / 8 = 3.4.
# Offsets: A = 4.2 − 3.4 = +0.8 (lenient), B = 2.8 − 3.4 = −0.6 (harsh),
#          C has 2 reviews < 3, so none (it would have been −0.3) and 0 is used.
# Corrected: 101 = ((4.6 − 0.8) + (3.2 + 0.6) + 3.4) / 3 = 11.0 / 3 ≈ 3.667   raw 11.2 / 3 ≈ 3.733
#            102 = ((4.0 − 0.8) + (2.6 + 0.6) + 2.8) / 3 =  9.2 / 3 ≈ 3.067   raw  9.4 / 3 ≈ 3.133
#            103 = ((4.0 − 0.8) + (2.6 + 0.6)) / 2       =  6.4 / 2 = 3.2     raw  6.6 / 2 = 3.3
A, B, C = 1, 2, 3
WORKED = [
    review(A, 101, (4, 5, 5)),
    review(A, 102, (4, 4, 4)),
    review(A, 103, (4, 4, 4)),
    review(B, 101, (2, 4, 4)),
    review(B, 102, (2, 3, 3)),
    review(B, 103, (2, 3, 3)),
    review(C, 101, (4, 3, 3)),
    review(C, 102, (4, 2, 2)),
]


def test_reviewer_offsets_worked_example() -> None:
    assert reviewer_offsets(RUBRIC, WORKED) == {A: pytest.approx(0.8), B: pytest.approx(-0.6)}


@pytest.mark.parametrize(
    ("proposal", "corrected"),
    [(101, 11.0 / 3), (102, 9.2 / 3), (103, 3.2)],
)
def test_corrected_total_worked_example(proposal: int, corrected: float) -> None:
    offsets = reviewer_offsets(RUBRIC, WORKED)
    scores = [s for s in WORKED if s.proposal_id == proposal]

    assert corrected_total(RUBRIC, scores, offsets) == pytest.approx(corrected)


def test_rank_worked_example() -> None:
    rows = rank(RUBRIC, WORKED)

    assert [(r.proposal_id, r.corrected, r.total, r.review_count) for r in rows] == [
        (101, pytest.approx(11.0 / 3), pytest.approx(11.2 / 3), 3),
        (103, pytest.approx(3.2), pytest.approx(3.3), 2),
        (102, pytest.approx(9.2 / 3), pytest.approx(9.4 / 3), 3),
    ]


@pytest.mark.parametrize(
    ("scores", "min_reviews", "expected"),
    [
        pytest.param([], 1, {}, id="no-reviews"),
        pytest.param([(1, 1, 3), (2, 2, 5)], 1, {1: -1.0, 2: 1.0}, id="min-one-everyone"),
        pytest.param([(1, 1, 3), (1, 2, 3), (2, 3, 5)], 2, {1: pytest.approx(-2 / 3)}, id="only-enough-reviews"),
        pytest.param([(1, 1, 4), (1, 2, 4), (2, 3, 4), (2, 4, 4)], 2, {1: 0.0, 2: 0.0}, id="all-alike-zero"),
    ],
)
def test_reviewer_offsets(scores: list[tuple[int, int, int]], min_reviews: int, expected: dict[int, float]) -> None:
    rubric = single_criterion(min_reviews)
    reviews = [Score(reviewer, proposal, {"overall": value}, None, None) for reviewer, proposal, value in scores]

    assert reviewer_offsets(rubric, reviews) == expected


def test_reviewer_offsets_leave_out_incomplete_reviews() -> None:
    # Reviewer 1's partial review neither counts towards their three nor moves the round
    # mean: that is (5 + 5 + 3 + 3 + 3) / 5 = 3.8, so reviewer 2's offset is 3 − 3.8.
    reviews = [
        review(1, 1, (5, 5, 5)),
        review(1, 2, (5, 5, 5)),
        review(1, 3, {"feasibility": 1}),
        review(2, 1, (3, 3, 3)),
        review(2, 2, (3, 3, 3)),
        review(2, 3, (3, 3, 3)),
    ]

    assert reviewer_offsets(RUBRIC, reviews) == {2: pytest.approx(-0.8)}


# A lenient (11/3 mean) and B harsh (7/3 mean) on one criterion, min_reviews 3; round
# mean 3, so offsets A = +2/3, B = −2/3. A's 1 corrects to 1/3 and B's 5 to 17/3: both
# are kept on the 1–5 scale.
CLAMP = [(1, 1, 5), (1, 2, 5), (1, 3, 1), (2, 4, 1), (2, 5, 1), (2, 6, 5)]


@pytest.mark.parametrize(
    ("proposal", "expected"),
    [(1, 13 / 3), (3, 1.0), (4, 5 / 3), (6, 5.0)],
)
def test_corrected_total_stays_on_the_scale(proposal: int, expected: float) -> None:
    rubric = single_criterion(3)
    reviews = [Score(reviewer, p, {"overall": value}, None, None) for reviewer, p, value in CLAMP]
    offsets = reviewer_offsets(rubric, reviews)

    assert offsets == {1: pytest.approx(2 / 3), 2: pytest.approx(-2 / 3)}
    assert corrected_total(rubric, [s for s in reviews if s.proposal_id == proposal], offsets) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("scores", "offsets", "expected"),
    [
        pytest.param([], {}, None, id="no-reviews-is-none"),
        pytest.param([{"feasibility": 5}], {1: 0.5}, None, id="only-incomplete-is-none"),
        pytest.param([(4, 3, 3)], {}, 3.4, id="single-review-no-offset"),
        pytest.param([(4, 3, 3)], {1: 0.4}, 3.0, id="single-review-lenient"),
        pytest.param([(4, 3, 3), {"spillover": 1}], {}, 3.4, id="incomplete-review-left-out"),
    ],
)
def test_corrected_total(
    scores: list[tuple[int, int, int] | dict[str, int]], offsets: dict[int, float], expected: float | None
) -> None:
    reviews = [review(reviewer, 1, values) for reviewer, values in enumerate(scores, start=1)]

    assert corrected_total(RUBRIC, reviews, offsets) == (None if expected is None else pytest.approx(expected))


def test_leniency_formula_text() -> None:
    assert LENIENCY_FORMULA == (
        "每份評分的加權總分＝Σ（項目權重×該項分數），未填齊各項的評分不列入計算；"
        "評審的寬嚴偏移＝該評審本輪各份評分加權總分的平均－本輪所有評分加權總分的平均，"
        "只在該評審本輪完成的評分達評分表規定的最少份數時採用，否則以 0 計；"
        "校正後總分＝該提案各份評分（加權總分－該評審的寬嚴偏移）的平均，再限制在評分量表上下限之間。"
    )
    assert leniency_formula(RUBRIC) == (
        "每份評分的加權總分＝Σ（項目權重×該項分數），未填齊各項的評分不列入計算；"
        "評審的寬嚴偏移＝該評審本輪各份評分加權總分的平均－本輪所有評分加權總分的平均，"
        "只在該評審本輪完成的評分達 3 份以上時採用，否則以 0 計；"
        "校正後總分＝該提案各份評分（加權總分－該評審的寬嚴偏移）的平均，再限制在 1 至 5 分之間。"
    )


# --- 三高 screening -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], None, id="nobody"),
        pytest.param([None, None], None, id="nobody-answered"),
        pytest.param([True], True, id="one-yes"),
        pytest.param([False], False, id="one-no"),
        pytest.param([True, False], False, id="half-is-not-majority"),
        pytest.param([True, True, False], True, id="two-of-three"),
        pytest.param([True, None, None], True, id="unanswered-not-counted"),
        pytest.param([True, False, None], False, id="tie-among-answers"),
    ],
)
def test_majority(values: list[bool | None], expected: bool | None) -> None:
    assert majority(values) is expected


ALL_HIGH = [(5, 4, 4), (4, 4, 5), (4, 5, 4)]
AT_THRESHOLD = [(4, 4, 4), (4, 4, 4)]
ONE_LOW = [(5, 4, 4), (4, 4, 3), (4, 5, 4)]  # spillover mean 11/3 < 4


@pytest.mark.parametrize(
    ("scores", "domain", "ministry", "expected"),
    [
        pytest.param(
            ALL_HIGH,
            [False, False, None],
            [True, True, False],
            Screening(True, True, True, "進行後續媒合"),
            id="all-high-cross-ministry-majority-proceeds",
        ),
        pytest.param(
            ALL_HIGH,
            [True, True, False],
            [False, False, False],
            Screening(True, True, True, "進行後續媒合"),
            id="all-high-cross-domain-majority-proceeds",
        ),
        pytest.param(
            AT_THRESHOLD,
            [True, True],
            [None, None],
            Screening(True, True, True, "進行後續媒合"),
            id="exactly-at-threshold-is-high",
        ),
        pytest.param(
            ALL_HIGH,
            [True, False, None],
            [False, True, None],
            Screening(True, False, False, "三高但非跨領域／跨部會"),
            id="all-high-no-majority",
        ),
        pytest.param(
            ALL_HIGH,
            [None, None, None],
            [None, None, None],
            Screening(True, None, False, "三高但非跨領域／跨部會"),
            id="all-high-nobody-answered-cross",
        ),
        pytest.param(
            ONE_LOW,
            [True, True, True],
            [True, True, True],
            Screening(False, True, False, "未達三高"),
            id="one-criterion-below-threshold",
        ),
        pytest.param([], [], [], None, id="no-reviews-is-none"),
        pytest.param(
            [{"feasibility": 5, "creativity": 5}],
            [True],
            [True],
            None,
            id="one-criterion-unscored-is-none",
        ),
    ],
)
def test_screen(
    scores: list[tuple[int, int, int] | dict[str, int]],
    domain: list[bool | None],
    ministry: list[bool | None],
    expected: Screening | None,
) -> None:
    summaries = summarise(RUBRIC, [review(reviewer, 1, values) for reviewer, values in enumerate(scores, start=1)])

    assert screen(RUBRIC, summaries, domain, ministry) == expected


# --- ranking ------------------------------------------------------------------------------


def test_rank_single_review_whole_row() -> None:
    rows = rank(RUBRIC, [review(7, 42, (5, 4, 4), domain=True, ministry=False)])

    assert rows == [
        Ranked(
            proposal_id=42,
            summaries={
                "feasibility": CriterionSummary("feasibility", 1, 5.0, 5.0, 5, 5, False),
                "creativity": CriterionSummary("creativity", 1, 4.0, 4.0, 4, 4, False),
                "spillover": CriterionSummary("spillover", 1, 4.0, 4.0, 4, 4, False),
            },
            total=pytest.approx(4.4),
            corrected=pytest.approx(4.4),
            screening=Screening(True, True, True, "進行後續媒合"),
            review_count=1,
        )
    ]


def test_rank_nothing_scored() -> None:
    assert rank(RUBRIC, []) == []


# One criterion, min_reviews 3. A (1) lenient: 5, 5, 4 → mean 14/3; B (2) harsh: 4, 2, 2
# → mean 8/3; round mean 22/6 = 11/3, so A = +1 and B = −1.
# Corrected: P1 4, P2 4, P3 3 (A's); P4 5, P5 3, P6 3 (B's). Raw: 5, 5, 4, 4, 2, 2.
# P4 tops despite a lower raw score; P1/P2 and P3/P5/P6 tie on corrected: raw total
# decides, then the proposal id.
TIES = [(1, 2, 5), (1, 1, 5), (1, 3, 4), (2, 6, 2), (2, 5, 2), (2, 4, 4)]


def test_rank_ties_broken_by_raw_total_then_id() -> None:
    rubric = single_criterion(3)
    reviews = [Score(reviewer, proposal, {"overall": value}, None, None) for reviewer, proposal, value in TIES]

    assert [(r.proposal_id, r.corrected, r.total) for r in rank(rubric, reviews)] == [
        (4, pytest.approx(5.0), 4.0),
        (1, pytest.approx(4.0), 5.0),
        (2, pytest.approx(4.0), 5.0),
        (3, pytest.approx(3.0), 4.0),
        (5, pytest.approx(3.0), 2.0),
        (6, pytest.approx(3.0), 2.0),
    ]


def test_rank_equal_totals_tie_despite_float_rounding() -> None:
    # 0.4·2 + 0.3·3 + 0.3·3 is 2.5999999999999996 in floats, 0.4·5 + 0.3·1 + 0.3·1 is 2.6.
    reviews = [review(1, 20, (5, 1, 1)), review(1, 10, (2, 3, 3))]

    assert [r.proposal_id for r in rank(RUBRIC, reviews)] == [10, 20]


def test_rank_falls_back_to_raw_total_and_puts_unscored_last() -> None:
    reviews = [
        review(1, 7, {"feasibility": 5}),  # spillover and creativity unscored: no total
        review(1, 8, (2, 2, 2)),
        review(2, 9, {"feasibility": 3, "creativity": 3}),  # no complete review: raw total only
        review(3, 9, {"spillover": 3}),
    ]

    rows = rank(RUBRIC, reviews)

    assert [(r.proposal_id, r.corrected, r.total, r.ranking_score, r.screening) for r in rows] == [
        (9, None, pytest.approx(3.0), pytest.approx(3.0), Screening(False, None, False, "未達三高")),
        (8, pytest.approx(2.0), pytest.approx(2.0), pytest.approx(2.0), Screening(False, None, False, "未達三高")),
        (7, None, None, None, None),
    ]
