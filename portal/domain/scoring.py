"""Scoring of proposals: the rubric as data, per-criterion summaries, leniency, 三高 screening, ranking.

Pure functions over plain data (DESIGN.md §4); no Flask, no database. Where nothing has
been scored the answer is `None`, never a zero that would read as a bad score.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

WEIGHT_TOLERANCE = 0.001
# Code is the key in Score.scores and in form field names, so keep it plain.
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
# Totals equal on paper can differ in the last float bits (0.4·2 + 0.3·3 + 0.3·3 gives
# 2.5999999999999996, 0.4·5 + 0.3·1 + 0.3·1 gives 2.6); ranking compares at this many decimals.
RANK_DECIMALS = 9

PROCEED_LABEL = "進行後續媒合"
NOT_ALL_HIGH_LABEL = "未達三高"
NOT_CROSS_LABEL = "三高但非跨領域／跨部會"

_FORMULA_TEMPLATE = (
    "每份評分的加權總分＝Σ（項目權重×該項分數），未填齊各項的評分不列入計算；"
    "評審的寬嚴偏移＝該評審本輪各份評分加權總分的平均－本輪所有評分加權總分的平均，"
    "只在該評審本輪完成的評分達{min_reviews}時採用，否則以 0 計；"
    "校正後總分＝該提案各份評分（加權總分－該評審的寬嚴偏移）的平均，再限制在{scale}之間。"
)
LENIENCY_FORMULA = _FORMULA_TEMPLATE.format(min_reviews="評分表規定的最少份數", scale="評分量表上下限")


# --- the rubric -------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    weight: float
    levels: dict[int, str]


@dataclass(frozen=True)
class Rubric:
    version: str
    scale_min: int
    scale_max: int
    high_threshold: float
    criteria: tuple[Criterion, ...]
    leniency_min_reviews: int

    def criterion(self, code: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(code)

    @property
    def anchor_levels(self) -> tuple[int, ...]:
        return anchor_levels(self.scale_min, self.scale_max)


def anchor_levels(scale_min: int, scale_max: int) -> tuple[int, ...]:
    """The levels every criterion must describe: lowest, middle and highest (1, 3, 5)."""
    return tuple(sorted({scale_min, (scale_min + scale_max) // 2, scale_max}))


def leniency_formula(rubric: Rubric) -> str:
    """LENIENCY_FORMULA with this rubric's scale and minimum number of reviews filled in."""
    return _FORMULA_TEMPLATE.format(
        scale=f" {rubric.scale_min} 至 {rubric.scale_max} 分",
        min_reviews=f" {rubric.leniency_min_reviews} 份以上",
    )


class RubricError(ValueError):
    """The rubric file is unusable; `str(error)` names the file and field, for the admin."""


def load_rubric(path: Path) -> Rubric:
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RubricError(f"{source}：無法讀取檔案（{exc.strerror}）") from exc
    except UnicodeDecodeError as exc:
        raise RubricError(f"{source}：檔案不是 UTF-8 編碼") from exc
    except yaml.YAMLError as exc:
        where = ""
        if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
            where = f"第 {exc.problem_mark.line + 1} 行第 {exc.problem_mark.column + 1} 欄"
        raise RubricError(f"{source}：YAML 格式錯誤{where}（{getattr(exc, 'problem', None) or exc}）") from exc
    return parse_rubric(data, source)


def parse_rubric(data: object, source: str = "rubric") -> Rubric:
    """Check a loaded YAML document and build the Rubric; RubricError on the first problem."""
    top = _mapping(data, source, None)
    version = _field(top, "version", source)
    if not isinstance(version, str):
        raise RubricError(f'{source}：「version」必須是加引號的字串（如 "2026.1"），目前是 {version!r}')
    if not version.strip():
        raise RubricError(f"{source}：「version」不可為空白")
    scale = _mapping(_field(top, "scale", source), source, "scale")
    scale_min = _integer(_field(scale, "min", source, "scale."), source, "scale.min")
    scale_max = _integer(_field(scale, "max", source, "scale."), source, "scale.max")
    if scale_min >= scale_max:
        raise RubricError(f"{source}：「scale」的 min（{scale_min}）必須小於 max（{scale_max}）")
    threshold = _number(_field(top, "high_threshold", source), source, "high_threshold")
    if not scale_min <= threshold <= scale_max:
        raise RubricError(f"{source}：「high_threshold」為 {threshold:g}，超出評分範圍 {scale_min}–{scale_max}")
    leniency = _mapping(_field(top, "leniency", source), source, "leniency")
    min_reviews = _integer(_field(leniency, "min_reviews", source, "leniency."), source, "leniency.min_reviews")
    if min_reviews < 1:
        raise RubricError(f"{source}：「leniency.min_reviews」必須至少為 1，目前是 {min_reviews}")
    rows = _field(top, "criteria", source)
    if not isinstance(rows, list):
        raise RubricError(f"{source}：「criteria」必須是清單，目前是 {rows!r}")
    if not rows:
        raise RubricError(f"{source}：「criteria」至少要有一個評分項目")
    anchors = anchor_levels(scale_min, scale_max)
    criteria: list[Criterion] = []
    for index, row in enumerate(rows):
        criterion = _criterion(row, source, f"criteria 第 {index + 1} 項", anchors, scale_min, scale_max)
        for earlier, other in enumerate(criteria):
            if other.code == criterion.code:
                raise RubricError(
                    f"{source}：評分項目代碼「{criterion.code}」重複（criteria 第 {earlier + 1} 項與第 {index + 1} 項）"
                )
        criteria.append(criterion)
    total = math.fsum(c.weight for c in criteria)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise RubricError(f"{source}：各評分項目的 weight 總和必須為 1，目前為 {total:g}")
    return Rubric(version.strip(), scale_min, scale_max, threshold, tuple(criteria), min_reviews)


def _criterion(row: object, source: str, where: str, anchors: tuple[int, ...], low: int, high: int) -> Criterion:
    item = _mapping(row, source, where)
    code = _field(item, "code", source, f"{where}的 ")
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise RubricError(
            f"{source}：「{where}的 code」必須是小寫英文字母開頭的代碼（如 feasibility），目前是 {code!r}"
        )
    name = _field(item, "name", source, f"{where}的 ")
    if not isinstance(name, str) or not name.strip():
        raise RubricError(f"{source}：「{where}的 name」必須是非空白的文字，目前是 {name!r}")
    weight = _number(_field(item, "weight", source, f"{where}的 "), source, f"{where}的 weight")
    if weight < 0:
        raise RubricError(f"{source}：「{where}的 weight」不可為負數，目前是 {weight:g}")
    raw_levels = _mapping(_field(item, "levels", source, f"{where}的 "), source, f"{where}的 levels")
    levels: dict[int, str] = {}
    for key, text in raw_levels.items():
        level = int(key) if isinstance(key, str) and key.isdigit() else key
        if not isinstance(level, int) or isinstance(level, bool) or not low <= level <= high:
            raise RubricError(f"{source}：「{where}的 levels」的分數 {key!r} 必須是 {low}–{high} 的整數")
        if isinstance(text, str) and text.strip():
            levels[level] = text.strip()
    for anchor in anchors:
        if anchor not in levels:
            raise RubricError(f"{source}：「{where}的 levels」缺少 {anchor} 分的描述")
    return Criterion(code, name.strip(), float(weight), dict(sorted(levels.items())))


def _mapping(value: object, source: str, field: str | None) -> dict[object, object]:
    if not isinstance(value, dict):
        if field is None:
            raise RubricError(f"{source}：內容必須是鍵值對應表（key: value），目前是 {type(value).__name__}")
        raise RubricError(f"{source}：「{field}」必須是鍵值對應表（key: value），目前是 {value!r}")
    return value


def _field(mapping: dict[object, object], key: str, source: str, prefix: str = "") -> object:
    if key not in mapping or mapping[key] is None:
        raise RubricError(f"{source}：缺少欄位「{prefix}{key}」")
    return mapping[key]


def _integer(value: object, source: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RubricError(f"{source}：「{field}」必須是整數，目前是 {value!r}")
    return value


def _number(value: object, source: str, field: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise RubricError(f"{source}：「{field}」必須是數字，目前是 {value!r}")
    return float(value)


# --- reviews and their summaries ----------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One submitted review: a level per criterion code and the two cross-cutting judgements."""

    reviewer_id: int
    proposal_id: int
    scores: dict[str, int]
    cross_domain: bool | None
    cross_ministry: bool | None


@dataclass(frozen=True)
class CriterionSummary:
    code: str
    count: int
    mean: float | None
    median: float | None
    low: int | None
    high: int | None
    disagreement: bool


def summarise(rubric: Rubric, scores: Sequence[Score]) -> dict[str, CriterionSummary]:
    """Per criterion, the spread of one proposal's reviews; a review may leave a criterion out."""
    summaries: dict[str, CriterionSummary] = {}
    for criterion in rubric.criteria:
        values = [s.scores[criterion.code] for s in scores if criterion.code in s.scores]
        if not values:
            summaries[criterion.code] = CriterionSummary(criterion.code, 0, None, None, None, None, False)
            continue
        low, high = min(values), max(values)
        summaries[criterion.code] = CriterionSummary(
            code=criterion.code,
            count=len(values),
            mean=statistics.fmean(values),
            median=float(statistics.median(values)),
            low=low,
            high=high,
            disagreement=high - low >= 2,
        )
    return summaries


def weighted_total(rubric: Rubric, means: Mapping[str, float | None]) -> float | None:
    """Σ weight × mean over the rubric's criteria; None when any criterion has no mean."""
    parts: list[float] = []
    for criterion in rubric.criteria:
        mean = means.get(criterion.code)
        if mean is None:
            return None
        parts.append(criterion.weight * mean)
    return math.fsum(parts)


# --- reviewer leniency ------------------------------------------------------------------


def _review_totals(rubric: Rubric, scores: Sequence[Score]) -> list[tuple[int, float]]:
    """(reviewer, weighted total) of each review that scored every criterion."""
    totals = ((s.reviewer_id, weighted_total(rubric, s.scores)) for s in scores)
    return [(reviewer, total) for reviewer, total in totals if total is not None]


def reviewer_offsets(rubric: Rubric, round_scores: Sequence[Score]) -> dict[int, float]:
    """How far each reviewer's totals sit above (+) or below (−) the round's mean total.

    Only reviewers with at least `rubric.leniency_min_reviews` complete reviews get one:
    with fewer, the offset says more about the proposals they drew than about them.
    """
    totals = _review_totals(rubric, round_scores)
    if not totals:
        return {}
    round_mean = statistics.fmean(total for _, total in totals)
    by_reviewer: dict[int, list[float]] = defaultdict(list)
    for reviewer, total in totals:
        by_reviewer[reviewer].append(total - round_mean)
    return {
        reviewer: statistics.fmean(deviations)
        for reviewer, deviations in by_reviewer.items()
        if len(deviations) >= rubric.leniency_min_reviews
    }


def corrected_total(rubric: Rubric, proposal_scores: Sequence[Score], offsets: Mapping[int, float]) -> float | None:
    """Mean of (review total − reviewer offset) over one proposal's complete reviews, kept on the scale."""
    totals = _review_totals(rubric, proposal_scores)
    if not totals:
        return None
    mean = statistics.fmean(total - offsets.get(reviewer, 0.0) for reviewer, total in totals)
    return min(max(mean, float(rubric.scale_min)), float(rubric.scale_max))


# --- 三高 screening -----------------------------------------------------------------------


def majority(values: Sequence[bool | None]) -> bool | None:
    """True when strictly more than half of the given answers say yes; None when nobody answered."""
    answers = [value for value in values if value is not None]
    if not answers:
        return None
    return sum(answers) * 2 > len(answers)


@dataclass(frozen=True)
class Screening:
    all_high: bool
    cross: bool | None
    proceed: bool
    label: str


def screen(
    rubric: Rubric,
    summaries: Mapping[str, CriterionSummary],
    cross_domain_votes: Sequence[bool | None],
    cross_ministry_votes: Sequence[bool | None],
) -> Screening | None:
    """The national plan's screen: high on all three criteria, and cross-domain or cross-ministry.

    None while any criterion is unscored. `cross` is None when no reviewer answered either
    question; the proposal then does not proceed, as there is no majority for it.
    """
    means: list[float] = []
    for criterion in rubric.criteria:
        summary = summaries.get(criterion.code)
        if summary is None or summary.mean is None:
            return None
        means.append(summary.mean)
    all_high = all(mean >= rubric.high_threshold for mean in means)
    domain, ministry = majority(cross_domain_votes), majority(cross_ministry_votes)
    cross = None if domain is None and ministry is None else bool(domain or ministry)
    proceed = all_high and cross is True
    if proceed:
        label = PROCEED_LABEL
    elif not all_high:
        label = NOT_ALL_HIGH_LABEL
    else:
        label = NOT_CROSS_LABEL
    return Screening(all_high, cross, proceed, label)


# --- ranking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    proposal_id: int
    summaries: dict[str, CriterionSummary]
    total: float | None
    corrected: float | None
    screening: Screening | None
    review_count: int

    @property
    def ranking_score(self) -> float | None:
        """The score the ranking sorts by: corrected, or the raw total where none can be corrected."""
        return self.corrected if self.corrected is not None else self.total


def rank(rubric: Rubric, round_scores: Sequence[Score]) -> list[Ranked]:
    """One row per scored proposal of the round, best first (see `_rank_key` for the order)."""
    offsets = reviewer_offsets(rubric, round_scores)
    by_proposal: dict[int, list[Score]] = defaultdict(list)
    for score in round_scores:
        by_proposal[score.proposal_id].append(score)
    rows: list[Ranked] = []
    for proposal_id, scores in by_proposal.items():
        summaries = summarise(rubric, scores)
        rows.append(
            Ranked(
                proposal_id=proposal_id,
                summaries=summaries,
                total=weighted_total(rubric, {code: s.mean for code, s in summaries.items()}),
                corrected=corrected_total(rubric, scores, offsets),
                screening=screen(
                    rubric,
                    summaries,
                    [s.cross_domain for s in scores],
                    [s.cross_ministry for s in scores],
                ),
                review_count=len(scores),
            )
        )
    return sorted(rows, key=_rank_key)


def _rank_key(row: Ranked) -> tuple[bool, float, bool, float, int]:
    """Corrected (else raw) total falling, then raw total falling, then proposal id; None last."""
    score, total = row.ranking_score, row.total
    return (
        score is None,
        -round(score, RANK_DECIMALS) if score is not None else 0.0,
        total is None,
        -round(total, RANK_DECIMALS) if total is not None else 0.0,
        row.proposal_id,
    )
