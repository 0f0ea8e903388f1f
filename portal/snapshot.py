"""The published case file `proposals/<cycle>/<slug>.md`: its fields, writing and reading.

The portal writes it (`portal.publish`) and the public showcase reads it, both through
this module, so the format has one definition (documented in the README under
"Published case files"). YAML front matter holds the structured fields; the Markdown
body below it holds the narrative, each text once. Reading checks every field and
raises `SnapshotError` naming the file and the field, because these files are also
edited by hand. Plain Python: no Flask, no database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, NoReturn

import yaml

from portal.domain import funding
from portal.domain.brief import DEFAULT_KPI_KIND, KPI_KINDS, SOURCES, STRATEGIES, check_yearly
from portal.domain.followup import BusinessStatus, Rating
from portal.domain.proposal import DNA_GROUPS, SECTORS, ProposalType

# Publication dates and times are Taiwan's (UTC+8, no daylight saving).
TAIWAN = dt.timezone(dt.timedelta(hours=8))

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 80
TYPES = tuple(t.value for t in ProposalType)
DIRECTIONS = ("+", "-")

# Headings of the Markdown body, in this order.
DNA_HEADING = "## 我的DNA"
VISION_HEADING = "## 共識願景"
BUSINESSES_HEADING = "## 創生事業構想"
WHAT_HEADING = "#### 做什麼"
HOW_HEADING = "#### 怎麼做"

# The front matter's keys, in the order they are written.
KEYS = (
    "slug",
    "cycle",
    "title",
    "title_en",
    "summary_en",
    "type",
    "township",
    "county",
    "region",
    "participating",
    "theme",
    "strategies",
    "dna",
    "stakeholders",
    "consensus",
    "businesses",
    "resources",
    "support",
    "matched",
    "private_investment",
    "kpis",
    "benefits",
    "progress",
    "closing",
    "decision",
    "published",
    "published_at",
    "updated",
    "updated_at",
    "revision",
)


# Keys added after the first files were written: a file without them still loads.
OPTIONAL_KEYS = ("benefits", "progress", "closing", "published_at", "updated_at")
KPI_KEYS = ("indicator", "definition", "unit", "baseline", "baseline_year", "target", "target_year", "direction")
OPTIONAL_KPI_KEYS = ("kind", "baseline_source", "yearly", "actuals")
BUSINESS_KEYS = ("name", "where", "start", "end", "lead", "strategies")
OPTIONAL_BUSINESS_KEYS = ("status",)
RATINGS = tuple(r.value for r in Rating)
BUSINESS_STATUSES = tuple(s.value for s in BusinessStatus)


class SnapshotError(ValueError):
    """A case file that cannot be used; the message names the file and the field."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}：{message}")
        self.source = source
        self.message = message


# --- the public projection -------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """The lead township or its county: official code, Chinese and English name."""

    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Participant:
    """A participating township; `name` includes its county (南投縣國姓鄉)."""

    code: str
    name: str


@dataclass(frozen=True)
class Dna:
    summary: str  # Markdown
    items: dict[str, tuple[str, ...]]  # 人 文 地 產 景, all five present


@dataclass(frozen=True)
class Stakeholder:
    name: str
    sector: str
    role: str
    commitment: str


@dataclass(frozen=True)
class ConsensusEvent:
    date: dt.date
    kind: str
    participants: int
    outcome: str


@dataclass(frozen=True)
class Consensus:
    events: tuple[ConsensusEvent, ...]
    vision: str  # Markdown


@dataclass(frozen=True)
class Business:
    name: str
    what: str  # Markdown
    where: str
    start: str  # YYYY-MM
    end: str  # YYYY-MM
    how: str  # Markdown, may be empty
    lead: str
    strategies: tuple[str, ...]
    # Its status (a BusinessStatus value) in the latest year-end review; None when
    # no reviewed report has given one.
    status: str | None = None


@dataclass(frozen=True)
class Resources:
    """Budget totals in NT$ thousand, computed from the budget lines, never typed."""

    by_source: dict[str, int]
    by_year: dict[int, int]
    total: int
    private_share: float | None  # private ÷ total, 4 decimals; None when total is 0
    # 經費需求及財源表: (kind "self" 自償 | "non" 非自償, source, year) → amount; None in
    # files written before the grid was published.
    grid: dict[tuple[str, str, int], int] | None = None

    @property
    def private_percent(self) -> str | None:
        """民間投資 as a percent of the total, as every page shows it."""
        return funding.percent(self.by_source.get("private", 0), self.total) if self.total else None

    @property
    def table(self) -> funding.Table | None:
        """The grid with its row, column, 自償／非自償 and grand totals."""
        return funding.table(self.grid) if self.grid is not None else None


@dataclass(frozen=True)
class Support:
    kind: str
    description: str


@dataclass(frozen=True)
class Matched:
    """A ministry programme's money matched to the case when it was approved."""

    ministry: str
    programme: str
    amount: int
    year: int


@dataclass(frozen=True)
class Kpi:
    indicator: str
    definition: str
    unit: str
    baseline: int | float
    baseline_year: int
    target: int | float
    target_year: int
    direction: str
    kind: str = DEFAULT_KPI_KIND  # outcome 成果指標 | work 工作指標
    baseline_source: str = ""  # 現況值資料來源
    # 逐年目標: year → value, between baseline_year and target_year, in year order
    yearly: dict[int, int | float] = dataclasses.field(default_factory=dict)
    # Values the counselling team accepted at year-end reviews, in year order.
    actuals: tuple[Actual, ...] = ()


@dataclass(frozen=True)
class Actual:
    """A KPI's accepted value for one year."""

    year: int
    value: int | float


@dataclass(frozen=True)
class Standing:
    """The latest year-end review that stands: its year and rating (a Rating value)."""

    year: int
    rating: str


@dataclass(frozen=True)
class Closing:
    """The NDC's closing review: the final rating and the lessons for other townships."""

    rating: str
    lessons: str


@dataclass(frozen=True)
class Approval:
    """The meeting that approved the case and its date."""

    meeting: str
    date: dt.date


@dataclass(frozen=True)
class Case:
    """Everything the public may know about an approved case, and nothing else."""

    slug: str
    cycle: str
    title: str
    title_en: str | None
    summary_en: str | None
    type: str
    township: Place
    county: Place
    region: str
    participating: tuple[Participant, ...]
    theme: str
    strategies: tuple[str, ...]
    dna: Dna
    stakeholders: tuple[Stakeholder, ...]
    consensus: Consensus
    businesses_summary: str  # Markdown, may be empty
    businesses: tuple[Business, ...]
    resources: Resources
    support: tuple[Support, ...]
    matched: tuple[Matched, ...]
    private_investment: int
    kpis: tuple[Kpi, ...]
    decision: Approval
    published: dt.date
    updated: dt.date
    revision: int
    benefits: tuple[str, ...] = ()  # 不可量化效益
    progress: Standing | None = None  # latest accepted year-end review
    closing: Closing | None = None  # 結案檢討, once closed
    # The exact moments of the first and the last publication (Taiwan time, to the
    # second); None in files written before they were recorded.
    published_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def published_moment(self) -> dt.datetime:
        """When the case was first published: the exact time, or the start of its day
        (Taiwan time) for files that do not record one."""
        return self.published_at or dt.datetime.combine(self.published, dt.time(), TAIWAN)

    @property
    def updated_moment(self) -> dt.datetime:
        """When the case was last published, as `published_moment`."""
        return self.updated_at or dt.datetime.combine(self.updated, dt.time(), TAIWAN)


def strategies_of(businesses: Sequence[Business]) -> tuple[str, ...]:
    """The union of the businesses' strategies, in the five arrows' order."""
    used = {code for business in businesses for code in business.strategies}
    return tuple(code for code in STRATEGIES if code in used)


# --- writing ---------------------------------------------------------------------------


def dump(case: Case) -> str:
    """The file text: `---`, the YAML front matter, `---`, a blank line, the Markdown body."""
    front = yaml.safe_dump(_front(case), allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n\n{_body(case)}"


def _front(case: Case) -> dict[str, Any]:
    plain = dataclasses.asdict
    return {
        "slug": case.slug,
        "cycle": case.cycle,
        "title": case.title,
        "title_en": case.title_en,
        "summary_en": case.summary_en,
        "type": case.type,
        "township": plain(case.township),
        "county": plain(case.county),
        "region": case.region,
        "participating": [plain(p) for p in case.participating],
        "theme": case.theme,
        "strategies": list(case.strategies),
        "dna": {"items": {group: list(items) for group, items in case.dna.items.items()}},
        "stakeholders": [plain(s) for s in case.stakeholders],
        "consensus": {"events": [plain(e) | {"date": e.date.isoformat()} for e in case.consensus.events]},
        "businesses": [
            {
                "name": b.name,
                "where": b.where,
                "start": b.start,
                "end": b.end,
                "lead": b.lead,
                "strategies": list(b.strategies),
            }
            | ({"status": b.status} if b.status is not None else {})
            for b in case.businesses
        ],
        "resources": {
            "by_source": dict(case.resources.by_source),
            "by_year": dict(case.resources.by_year),
            "total": case.resources.total,
            "private_share": case.resources.private_share,
        }
        | ({"grid": _grid_rows(case.resources.grid)} if case.resources.grid is not None else {}),
        "support": [plain(s) for s in case.support],
        "matched": [plain(m) for m in case.matched],
        "private_investment": case.private_investment,
        "kpis": [_kpi_row(k) for k in case.kpis],
        "benefits": list(case.benefits),
        **({"progress": plain(case.progress)} if case.progress is not None else {}),
        **({"closing": plain(case.closing)} if case.closing is not None else {}),
        "decision": {"meeting": case.decision.meeting, "date": case.decision.date.isoformat()},
        "published": case.published.isoformat(),
        **({"published_at": _moment(case.published_at)} if case.published_at is not None else {}),
        "updated": case.updated.isoformat(),
        **({"updated_at": _moment(case.updated_at)} if case.updated_at is not None else {}),
        "revision": case.revision,
    }


def _moment(value: dt.datetime) -> str:
    """A publication time as written: Taiwan time to the second, with its offset."""
    return value.astimezone(TAIWAN).replace(microsecond=0).isoformat()


def _kpi_row(kpi: Kpi) -> dict[str, Any]:
    """A KPI as written; `actuals` only once a value was accepted, so files of cases
    without results stay as they were."""
    row = dataclasses.asdict(kpi) | {"yearly": dict(sorted(kpi.yearly.items()))}
    del row["actuals"]
    if kpi.actuals:
        row["actuals"] = [{"year": a.year, "value": a.value} for a in kpi.actuals]
    return row


def _body(case: Case) -> str:
    parts = [DNA_HEADING, _escape(case.dna.summary), VISION_HEADING, _escape(case.consensus.vision)]
    parts.append(BUSINESSES_HEADING)
    if case.businesses_summary:
        parts.append(_escape(case.businesses_summary))
    for business in case.businesses:
        parts += [f"### {business.name}", WHAT_HEADING, _escape(business.what)]
        if business.how:
            parts += [HOW_HEADING, _escape(business.how)]
    return "\n\n".join(parts) + "\n"


# A narrative line that starts with '#' (after any indent) gets one more backslash, so
# that no text a user typed can pass for one of the body's headings. Reading removes it.
_HASH_LINE = re.compile(r"^([ \t]*)(\\*#)", re.M)
_ESCAPED_LINE = re.compile(r"^([ \t]*)\\(\\*#)", re.M)


def _escape(text: str) -> str:
    return _HASH_LINE.sub(r"\1\\\2", text)


def _unescape(text: str) -> str:
    return _ESCAPED_LINE.sub(r"\1\2", text)


# --- reading ---------------------------------------------------------------------------


def load(path: Path, cache: FrontMatterCache | None = None) -> Case:
    """Read and check one case file; the error names `path` as given."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(source, f"無法讀取檔案（{exc.strerror or exc}）") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SnapshotError(source, "不是 UTF-8 編碼的檔案") from exc
    return parse(text, source, cache)


def parse(text: str, source: str, cache: FrontMatterCache | None = None) -> Case:
    """Check the text of the file at `source` (named in errors; its name must be
    `<slug>.md` and its folder `<cycle>`) and return the case. With `cache`, front
    matter read before is not parsed again (every field is still checked)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front, body, body_line = _split(text, source)
    key = hashlib.sha256(front.encode("utf-8", "surrogatepass")).hexdigest()
    data = cache.get(key) if cache is not None else _MISSING
    if data is _MISSING:
        try:
            data = _load_yaml(front)
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 2 if exc.problem_mark else 2
            raise SnapshotError(source, f"前置資料第 {line} 行的 YAML 格式錯誤：{exc.problem}") from exc
        except yaml.YAMLError as exc:
            raise SnapshotError(source, f"前置資料的 YAML 格式錯誤：{exc}") from exc
        if cache is not None:
            cache.put(key, data)
    reader = _Reader(source)
    facts = reader.front(data)
    return reader.body(facts, _blocks(reader, body, body_line))


_MISSING: Any = object()


class FrontMatterCache:
    """Parsed front matter by the SHA-256 of its text, kept in a JSON file between
    showcase builds, so an unchanged file's YAML is not parsed again. Only plain data
    (mappings, lists, text, numbers, booleans, null) is kept, mappings as lists of
    [key, value] pairs so that number keys stay numbers. The file holds what the last
    build used; one written by another version of this module or of PyYAML, or one
    that cannot be read, is ignored."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.parsed = 0
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                stored = json.loads(path.read_text("utf-8"))
                if isinstance(stored, dict) and stored.get("rules") == _cache_rules():
                    data = stored.get("data")
                    self.data = data if isinstance(data, dict) else {}

    def get(self, key: str) -> Any:
        """The data parsed earlier from the text whose hash is `key`, or _MISSING."""
        encoded = self.used.get(key, self.data.get(key, _MISSING))
        if encoded is _MISSING:
            return _MISSING
        try:
            data = _decode(encoded)
        except (KeyError, TypeError, ValueError):  # a damaged entry: parse the text again
            return _MISSING
        self.used[key] = encoded
        return data

    def put(self, key: str, data: Any) -> None:
        self.parsed += 1
        with contextlib.suppress(_NotPlain):
            self.used[key] = _encode(data)

    def save(self, path: Path | None = None) -> None:
        """Write what this build used to `path` (default: where it was read from), atomically."""
        path = path or self.path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}-{os.getpid()}")
        temporary.write_text(json.dumps({"rules": _cache_rules(), "data": self.used}, ensure_ascii=False), "utf-8")
        os.replace(temporary, path)


def _cache_rules() -> str:
    return f"{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}/pyyaml-{yaml.__version__}"


class _NotPlain(Exception):
    """Front matter with YAML types JSON cannot hold faithfully (sets, bytes, pairs)."""


def _encode(node: Any) -> Any:
    if isinstance(node, dict):
        return {"": [[_encode(key), _encode(value)] for key, value in node.items()]}
    if isinstance(node, list):
        return [_encode(item) for item in node]
    if node is None or isinstance(node, str | bool | int | float):
        return node
    raise _NotPlain(type(node).__name__)


def _decode(node: Any) -> Any:
    if isinstance(node, dict):
        return {_decode(key): _decode(value) for key, value in node[""]}
    if isinstance(node, list):
        return [_decode(item) for item in node]
    return node


def _split(text: str, source: str) -> tuple[str, str, int]:
    """Front matter text, body text, and the file line number where the body starts."""
    lines = text.split("\n")
    if lines[0] != "---":
        raise SnapshotError(source, "檔案第 1 行必須是 ---，接著是 YAML 前置資料")
    for index in range(1, len(lines)):
        if lines[index] == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise SnapshotError(source, "前置資料沒有以一行 --- 結束")


def _load_yaml(front: str) -> Any:
    """The front matter as data. libyaml's parser (`CSafeLoader`) reads a file about 7×
    faster than PyYAML's Python one and builds the same data; a file it refuses is read
    again by the Python parser, so an error names the same line with the same words on
    every machine. Without libyaml the Python parser does it all."""
    if _FastLoader is not None:
        try:
            return yaml.load(front, Loader=_FastLoader)
        except yaml.YAMLError:
            pass
    return yaml.load(front, Loader=_Loader)


class _Checks(yaml.constructor.SafeConstructor):
    """A key given twice is an error instead of silently keeping the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"欄位「{key}」重複出現", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


# Safe YAML where dates stay text (this module checks them).
_RESOLVERS = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Loader(_Checks, yaml.SafeLoader):
    """PyYAML's Python parser with this module's checks."""

    yaml_implicit_resolvers = _RESOLVERS


_FastLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):  # PyYAML built with libyaml

    class _LibyamlLoader(_Checks, yaml.CSafeLoader):
        """libyaml's parser with this module's checks."""

        yaml_implicit_resolvers = _RESOLVERS

    _FastLoader = _LibyamlLoader

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_HEADING = re.compile(r"(#{2,4}) (\S.*?)\s*")


def _join(field: str, key: object) -> str:
    return f"{field}.{key}" if field else str(key)


@dataclass(frozen=True)
class _Block:
    heading: str  # e.g. "## 我的DNA"
    line: int
    text: str


def _blocks(reader: _Reader, body: str, first_line: int) -> list[_Block]:
    """The body cut at its headings; text before the first heading must be blank."""
    sections: list[tuple[str, int, list[str]]] = [("", first_line, [])]
    for number, row in enumerate(body.split("\n"), start=first_line):
        if not row.startswith("#"):
            sections[-1][2].append(row)
            continue
        match = _HEADING.fullmatch(row)
        if match is None:
            reader.fail(f"正文第 {number} 行：「{row}」不是這種檔案的標題；說明文字中以 # 開頭的行請寫成 \\#")
        sections.append((f"{match.group(1)} {match.group(2)}", number, []))
    blocks = [_Block(heading, line, _unescape("\n".join(rows)).strip()) for heading, line, rows in sections]
    if blocks[0].text:
        reader.fail(f"正文第 {first_line} 行：第一個標題「{DNA_HEADING}」之前不可有文字")
    return blocks[1:]


def _grid_rows(grid: dict[tuple[str, str, int], int]) -> list[dict[str, Any]]:
    """The grid as written: one row per source and kind, its amounts by year."""
    rows: dict[tuple[str, str], dict[int, int]] = {}
    for (kind, source, year), amount in grid.items():
        rows.setdefault((kind, source), {})[year] = amount
    return [
        {"source": source, "self_liquidating": kind == funding.SELF, "by_year": dict(sorted(by_year.items()))}
        for (kind, source), by_year in rows.items()
    ]


class _Reader:
    """Checks one file's values; every failure names the file and the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> NoReturn:
        raise SnapshotError(self.source, message)

    def bad(self, field: str, problem: str) -> NoReturn:
        self.fail(f"欄位「{field}」{problem}")

    # -- values --

    def fields(self, value: object, field: str, keys: Sequence[str], optional: Sequence[str] = ()) -> dict[str, Any]:
        """A mapping with exactly `keys` (those in `optional` may be left out): a
        misspelt key is reported, not ignored."""
        if not isinstance(value, dict):
            if not field:
                self.fail("前置資料必須是「欄位: 值」的對應")
            self.bad(field, "必須是「欄位: 值」的對應")
        for key in value:
            if key not in keys:
                self.fail(f"不認得的欄位「{_join(field, key)}」")
        for key in keys:
            if key not in value and key not in optional:
                self.fail(f"缺少欄位「{_join(field, key)}」")
        return value

    def rows(self, value: object, field: str) -> list[Any]:
        if not isinstance(value, list):
            self.bad(field, "必須是清單（每項以 - 開頭）")
        return value

    def text(self, value: object, field: str, *, required: bool = False) -> str:
        if not isinstance(value, str):
            self.bad(field, "必須是文字")
        if required and not value.strip():
            self.bad(field, "不可空白")
        return value

    def optional_text(self, value: object, field: str) -> str | None:
        if value is None:
            return None
        return self.text(value, field) or None

    def integer(self, value: object, field: str, least: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            self.bad(field, "必須是整數")
        if least is not None and value < least:
            self.bad(field, f"不可小於 {least}")
        return value

    def number(self, value: object, field: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.bad(field, "必須是數字")
        return value

    def digits(self, value: object, field: str, count: int) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and len(str(value)) == count:
            self.bad(field, f"必須加引號寫成文字，例如 '{value}'")
        if not isinstance(value, str) or not (value.isascii() and value.isdigit() and len(value) == count):
            self.bad(field, f"必須是 {count} 位數字")
        return value

    def day(self, value: object, field: str) -> dt.date:
        if isinstance(value, str) and _DAY.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.bad(field, "必須是 YYYY-MM-DD 格式的日期")

    def moment(self, value: object, field: str) -> dt.datetime:
        """A time with its offset from UTC, to the second (2026-03-05T14:32:10+08:00)."""
        if isinstance(value, str) and _MOMENT.fullmatch(value):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        self.bad(field, "必須是 YYYY-MM-DDTHH:MM:SS+08:00 格式的時間")

    def month(self, value: object, field: str) -> str:
        if not isinstance(value, str) or not _MONTH.fullmatch(value):
            self.bad(field, "必須是 YYYY-MM 格式的年月")
        return value

    def choice(self, value: object, field: str, allowed: Sequence[str], noun: str) -> str:
        if not isinstance(value, str) or value not in allowed:
            self.bad(field, f"的「{value}」不是已知的{noun}（可用：{'、'.join(allowed)}）")
        return value

    def codes(self, value: object, field: str) -> tuple[str, ...]:
        """A list of strategy codes, each known and none twice."""
        codes = [self.choice(v, f"{field}[{n}]", STRATEGIES, "策略代碼") for n, v in enumerate(self.rows(value, field))]
        if len(set(codes)) != len(codes):
            self.bad(field, "有重複的策略代碼")
        return tuple(codes)

    # -- the front matter --

    def front(self, data: object) -> dict[str, Any]:
        """Checked front-matter values, keyed as in the file (narrative comes later)."""
        top = self.fields(data, "", KEYS, optional=OPTIONAL_KEYS)
        slug = self.text(top["slug"], "slug", required=True)
        if not SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
            self.bad("slug", f"只能有小寫英文字母、數字和單一連字號（-），最多 {SLUG_MAX} 字，例如 puli-township-12")
        path = PurePath(self.source)
        if path.name != f"{slug}.md":
            self.bad("slug", f"是「{slug}」，但檔名是「{path.name}」；檔名必須是 <slug>.md")
        cycle = self.digits(top["cycle"], "cycle", 4)
        if path.parent.name != cycle:
            self.bad("cycle", f"是「{cycle}」，但檔案放在「{path.parent.name}」資料夾；必須放在 {cycle}/ 之下")
        township, county = self.place(top["township"], "township", 8), self.place(top["county"], "county", 5)
        if not township.code.startswith(county.code):
            self.bad("township.code", f"必須以縣市代碼 {county.code} 開頭")
        values: dict[str, Any] = {
            "slug": slug,
            "cycle": cycle,
            "title": self.text(top["title"], "title", required=True),
            "title_en": self.optional_text(top["title_en"], "title_en"),
            "summary_en": self.optional_text(top["summary_en"], "summary_en"),
            "type": self.choice(top["type"], "type", TYPES, "提案類型"),
            "township": township,
            "county": county,
            "region": self.text(top["region"], "region", required=True),
            "participating": self.participating(top["participating"]),
            "theme": self.text(top["theme"], "theme"),
            "strategies": self.codes(top["strategies"], "strategies"),
            "dna": self.dna_items(top["dna"]),
            "stakeholders": self.stakeholders(top["stakeholders"]),
            "consensus": self.events(top["consensus"]),
            "businesses": self.businesses(top["businesses"]),
            "resources": self.resources(top["resources"]),
            "support": self.support(top["support"]),
            "matched": self.matched(top["matched"]),
            "private_investment": self.integer(top["private_investment"], "private_investment", least=0),
            "kpis": self.kpis(top["kpis"]),
            "benefits": self.benefits(top.get("benefits", [])),
            "progress": self.standing(top["progress"]) if "progress" in top else None,
            "closing": self.closing(top["closing"]) if "closing" in top else None,
            "decision": self.decision(top["decision"]),
            "published": self.day(top["published"], "published"),
            "updated": self.day(top["updated"], "updated"),
            "published_at": self.moment(top["published_at"], "published_at") if "published_at" in top else None,
            "updated_at": self.moment(top["updated_at"], "updated_at") if "updated_at" in top else None,
            "revision": self.integer(top["revision"], "revision", least=1),
        }
        if values["updated"] < values["published"]:
            self.bad("updated", "不可早於 published")
        for day_key in ("published", "updated"):
            moment = values[f"{day_key}_at"]
            if moment is not None and moment.astimezone(TAIWAN).date() != values[day_key]:
                self.bad(f"{day_key}_at", f"的臺灣日期必須是 {day_key} 的 {values[day_key].isoformat()}")
        if values["published_at"] and values["updated_at"] and values["updated_at"] < values["published_at"]:
            self.bad("updated_at", "不可早於 published_at")
        used = {code for business in values["businesses"] for code in business["strategies"]}
        if set(values["strategies"]) != used:
            union = "、".join(code for code in STRATEGIES if code in used)
            self.bad("strategies", f"必須是各項事業策略的聯集：{union}")
        return values

    def place(self, value: object, field: str, digits: int) -> Place:
        row = self.fields(value, field, ("code", "name", "name_en"))
        return Place(
            code=self.digits(row["code"], f"{field}.code", digits),
            name=self.text(row["name"], f"{field}.name", required=True),
            name_en=self.text(row["name_en"], f"{field}.name_en", required=True),
        )

    def participating(self, value: object) -> tuple[Participant, ...]:
        found = []
        for n, item in enumerate(self.rows(value, "participating")):
            field = f"participating[{n}]"
            row = self.fields(item, field, ("code", "name"))
            code = self.digits(row["code"], f"{field}.code", 8)
            found.append(Participant(code, self.text(row["name"], f"{field}.name", required=True)))
        return tuple(found)

    def dna_items(self, value: object) -> dict[str, tuple[str, ...]]:
        items = self.fields(self.fields(value, "dna", ("items",))["items"], "dna.items", DNA_GROUPS)
        return {
            group: tuple(
                self.text(item, f"dna.items.{group}[{n}]", required=True)
                for n, item in enumerate(self.rows(items[group], f"dna.items.{group}"))
            )
            for group in DNA_GROUPS
        }

    def stakeholders(self, value: object) -> tuple[Stakeholder, ...]:
        found = []
        for n, item in enumerate(self.rows(value, "stakeholders")):
            field = f"stakeholders[{n}]"
            row = self.fields(item, field, ("name", "sector", "role", "commitment"))
            found.append(
                Stakeholder(
                    name=self.text(row["name"], f"{field}.name", required=True),
                    sector=self.choice(row["sector"], f"{field}.sector", SECTORS, "部門"),
                    role=self.text(row["role"], f"{field}.role"),
                    commitment=self.text(row["commitment"], f"{field}.commitment"),
                )
            )
        return tuple(found)

    def events(self, value: object) -> tuple[ConsensusEvent, ...]:
        found = []
        events = self.fields(value, "consensus", ("events",))["events"]
        for n, item in enumerate(self.rows(events, "consensus.events")):
            field = f"consensus.events[{n}]"
            row = self.fields(item, field, ("date", "kind", "participants", "outcome"))
            found.append(
                ConsensusEvent(
                    date=self.day(row["date"], f"{field}.date"),
                    kind=self.text(row["kind"], f"{field}.kind"),
                    participants=self.integer(row["participants"], f"{field}.participants", least=1),
                    outcome=self.text(row["outcome"], f"{field}.outcome"),
                )
            )
        return tuple(found)

    def businesses(self, value: object) -> list[dict[str, Any]]:
        found = []
        for n, item in enumerate(self.rows(value, "businesses")):
            field = f"businesses[{n}]"
            row = self.fields(item, field, (*BUSINESS_KEYS, *OPTIONAL_BUSINESS_KEYS), optional=OPTIONAL_BUSINESS_KEYS)
            start, end = self.month(row["start"], f"{field}.start"), self.month(row["end"], f"{field}.end")
            if end < start:  # YYYY-MM sorts in time order
                self.bad(f"{field}.end", "不可早於 start")
            strategies = self.codes(row["strategies"], f"{field}.strategies")
            if not strategies:
                self.bad(f"{field}.strategies", "至少要有一項策略")
            found.append(
                {
                    "name": self.text(row["name"], f"{field}.name", required=True),
                    "where": self.text(row["where"], f"{field}.where"),
                    "start": start,
                    "end": end,
                    "lead": self.text(row["lead"], f"{field}.lead"),
                    "strategies": strategies,
                    "status": (
                        self.choice(row["status"], f"{field}.status", BUSINESS_STATUSES, "事業執行狀態")
                        if "status" in row
                        else None
                    ),
                }
            )
        return found

    def resources(self, value: object) -> Resources:
        keys: tuple[str, ...] = ("by_source", "by_year", "total", "private_share")
        if isinstance(value, dict) and "grid" in value:  # added later: files without it still load
            keys = (*keys, "grid")
        row = self.fields(value, "resources", keys)
        by_source_raw = row["by_source"]
        if not isinstance(by_source_raw, dict):
            self.bad("resources.by_source", "必須是「經費來源代碼: 金額」的對應")
        by_source: dict[str, int] = {}
        for key, amount in by_source_raw.items():
            self.choice(key, "resources.by_source", tuple(SOURCES), "經費來源代碼")
            by_source[key] = self.integer(amount, f"resources.by_source.{key}", least=1)
        by_year_raw = row["by_year"]
        if not isinstance(by_year_raw, dict):
            self.bad("resources.by_year", "必須是「年度: 金額」的對應")
        by_year: dict[int, int] = {}
        for year, amount in by_year_raw.items():
            if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100:
                self.fail(f"欄位「resources.by_year」的「{year}」不是西元年度")
            by_year[year] = self.integer(amount, f"resources.by_year.{year}", least=1)
        total = self.integer(row["total"], "resources.total", least=0)
        if total != sum(by_source.values()):
            self.bad("resources.total", f"必須等於 by_source 的總和 {sum(by_source.values())}")
        if total != sum(by_year.values()):
            self.bad("resources.total", f"必須等於 by_year 的總和 {sum(by_year.values())}")
        expected = round(by_source.get("private", 0) / total, 4) if total else None
        share = row["private_share"]
        if share != expected or isinstance(share, bool):
            self.bad("resources.private_share", f"必須是 {expected}（民間投資 ÷ total，四捨五入到小數 4 位）")
        grid = self.grid(row["grid"], by_source, by_year) if "grid" in row else None
        return Resources(by_source=by_source, by_year=by_year, total=total, private_share=expected, grid=grid)

    def grid(
        self, value: object, by_source: dict[str, int], by_year: dict[int, int]
    ) -> dict[tuple[str, str, int], int]:
        """The funding grid's cells; they must add up to `by_source` and `by_year`."""
        cells: dict[tuple[str, str, int], int] = {}
        for n, item in enumerate(self.rows(value, "resources.grid")):
            field = f"resources.grid[{n}]"
            row = self.fields(item, field, ("source", "self_liquidating", "by_year"))
            source = self.choice(row["source"], f"{field}.source", tuple(SOURCES), "經費來源代碼")
            if not isinstance(row["self_liquidating"], bool):
                self.bad(f"{field}.self_liquidating", "必須是 true（自償）或 false（非自償）")
            kind = funding.SELF if row["self_liquidating"] else funding.NON_SELF
            if not isinstance(row["by_year"], dict) or not row["by_year"]:
                self.bad(f"{field}.by_year", "必須是「年度: 金額」的對應，至少一年")
            if any(key[:2] == (kind, source) for key in cells):
                self.bad(field, f"與前面的列重複（{source}，{funding.KINDS[kind]}）")
            for year, amount in row["by_year"].items():
                if not isinstance(year, int) or isinstance(year, bool) or not 1912 <= year <= 2100:
                    self.fail(f"欄位「{field}.by_year」的「{year}」不是西元年度")
                cells[kind, source, year] = self.integer(amount, f"{field}.by_year.{year}", least=1)
        for source, amount in by_source.items():
            summed = sum(a for (_, s, _), a in cells.items() if s == source)
            if summed != amount:
                self.bad("resources.grid", f"中「{source}」各格合計 {summed}，必須等於 by_source 的 {amount}")
        for year, amount in by_year.items():
            summed = sum(a for (_, _, y), a in cells.items() if y == year)
            if summed != amount:
                self.bad("resources.grid", f"中 {year} 年各格合計 {summed}，必須等於 by_year 的 {amount}")
        if sum(cells.values()) != sum(by_source.values()):
            self.bad("resources.grid", f"的總和必須等於 total {sum(by_source.values())}")
        return cells

    def support(self, value: object) -> tuple[Support, ...]:
        found = []
        for n, item in enumerate(self.rows(value, "support")):
            row = self.fields(item, f"support[{n}]", ("kind", "description"))
            found.append(
                Support(
                    self.text(row["kind"], f"support[{n}].kind"),
                    self.text(row["description"], f"support[{n}].description"),
                )
            )
        return tuple(found)

    def matched(self, value: object) -> tuple[Matched, ...]:
        found = []
        for n, item in enumerate(self.rows(value, "matched")):
            field = f"matched[{n}]"
            row = self.fields(item, field, ("ministry", "programme", "amount", "year"))
            found.append(
                Matched(
                    ministry=self.text(row["ministry"], f"{field}.ministry", required=True),
                    programme=self.text(row["programme"], f"{field}.programme", required=True),
                    amount=self.integer(row["amount"], f"{field}.amount", least=1),
                    year=self.integer(row["year"], f"{field}.year", least=1900),
                )
            )
        return tuple(found)

    def kpis(self, value: object) -> tuple[Kpi, ...]:
        found = []
        for n, item in enumerate(self.rows(value, "kpis")):
            field = f"kpis[{n}]"
            row = self.fields(item, field, (*KPI_KEYS, *OPTIONAL_KPI_KEYS), optional=OPTIONAL_KPI_KEYS)
            kpi = Kpi(
                indicator=self.text(row["indicator"], f"{field}.indicator", required=True),
                definition=self.text(row["definition"], f"{field}.definition"),
                unit=self.text(row["unit"], f"{field}.unit", required=True),
                baseline=self.number(row["baseline"], f"{field}.baseline"),
                baseline_year=self.integer(row["baseline_year"], f"{field}.baseline_year", least=1900),
                target=self.number(row["target"], f"{field}.target"),
                target_year=self.integer(row["target_year"], f"{field}.target_year", least=1900),
                direction=self.choice(row["direction"], f"{field}.direction", DIRECTIONS, "方向"),
                kind=self.choice(row.get("kind", DEFAULT_KPI_KIND), f"{field}.kind", tuple(KPI_KINDS), "指標類型"),
                baseline_source=self.text(row.get("baseline_source", ""), f"{field}.baseline_source"),
                yearly=self.yearly(row.get("yearly", {}), f"{field}.yearly"),
                actuals=self.actuals(row.get("actuals", []), f"{field}.actuals"),
            )
            self.yearly_moves(kpi, f"{field}.yearly")
            found.append(kpi)
        return tuple(found)

    def yearly(self, value: object, field: str) -> dict[int, int | float]:
        if not isinstance(value, dict):
            self.bad(field, "必須是「年度: 目標值」的對應")
        found: dict[int, int | float] = {}
        for year, target in value.items():
            if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100:
                self.fail(f"欄位「{field}」的「{year}」不是西元年度")
            found[year] = self.number(target, f"{field}.{year}")
        return dict(sorted(found.items()))

    def yearly_moves(self, kpi: Kpi, field: str) -> None:
        """Yearly targets between the baseline and target years, moving the KPI's way."""
        row = dataclasses.asdict(kpi) | {"yearly": [{"year": y, "value": v} for y, v in kpi.yearly.items()]}
        for problem in check_yearly(row):
            self.bad(f"{field}.{row['yearly'][problem.index]['year']}", f"有誤：{problem.message}")

    def actuals(self, value: object, field: str) -> tuple[Actual, ...]:
        """Accepted values: one per year, years rising."""
        found: list[Actual] = []
        for n, item in enumerate(self.rows(value, field)):
            row = self.fields(item, f"{field}[{n}]", ("year", "value"))
            year = self.integer(row["year"], f"{field}[{n}].year", least=1900)
            if year > 2100:
                self.bad(f"{field}[{n}].year", "不是西元年度")
            if found and year <= found[-1].year:
                self.bad(f"{field}[{n}].year", f"必須晚於前一筆的 {found[-1].year} 年（每年一筆，依年度排列）")
            found.append(Actual(year, self.number(row["value"], f"{field}[{n}].value")))
        return tuple(found)

    def standing(self, value: object) -> Standing:
        row = self.fields(value, "progress", ("year", "rating"))
        year = self.integer(row["year"], "progress.year", least=1900)
        if year > 2100:
            self.bad("progress.year", "不是西元年度")
        return Standing(year, self.choice(row["rating"], "progress.rating", RATINGS, "檢核結果"))

    def closing(self, value: object) -> Closing:
        row = self.fields(value, "closing", ("rating", "lessons"))
        return Closing(
            rating=self.choice(row["rating"], "closing.rating", RATINGS, "檢核結果"),
            lessons=self.text(row["lessons"], "closing.lessons"),
        )

    def benefits(self, value: object) -> tuple[str, ...]:
        return tuple(
            self.text(item, f"benefits[{n}]", required=True) for n, item in enumerate(self.rows(value, "benefits"))
        )

    def decision(self, value: object) -> Approval:
        row = self.fields(value, "decision", ("meeting", "date"))
        return Approval(
            meeting=self.text(row["meeting"], "decision.meeting", required=True),
            date=self.day(row["date"], "decision.date"),
        )

    # -- the Markdown body --

    def body(self, facts: dict[str, Any], blocks: list[_Block]) -> Case:
        """The case, with the narrative taken from the body's sections in order."""
        queue = list(blocks)
        dna_summary = self.section(queue, DNA_HEADING, "dna.summary", required=True)
        vision = self.section(queue, VISION_HEADING, "consensus.vision", required=True)
        businesses_summary = self.section(queue, BUSINESSES_HEADING, "businesses_summary", required=False)
        businesses = []
        for n, row in enumerate(facts["businesses"]):
            self.section(queue, f"### {row['name']}", f"businesses[{n}].name", required=False, empty=True)
            what = self.section(queue, WHAT_HEADING, f"businesses[{n}].what", required=True)
            how = (
                self.section(queue, HOW_HEADING, f"businesses[{n}].how", required=False)
                if _next_is(queue, HOW_HEADING)
                else ""
            )
            businesses.append(Business(what=what, how=how, **row))
        if queue:
            self.fail(f"正文第 {queue[0].line} 行：多出的段落「{queue[0].heading}」")
        return Case(
            **{key: facts[key] for key in KEYS if key not in ("dna", "consensus", "businesses")},
            dna=Dna(summary=dna_summary, items=facts["dna"]),
            consensus=Consensus(events=facts["consensus"], vision=vision),
            businesses_summary=businesses_summary,
            businesses=tuple(businesses),
        )

    def section(self, queue: list[_Block], heading: str, field: str, *, required: bool, empty: bool = False) -> str:
        """Take the next block, which must be `heading`, and return its text."""
        if not queue:
            self.fail(f"正文缺少「{heading}」段落（欄位「{field}」）")
        block = queue.pop(0)
        if block.heading != heading:
            self.fail(f"正文第 {block.line} 行：應為「{heading}」（欄位「{field}」），但寫的是「{block.heading}」")
        if required and not block.text:
            self.bad(field, f"不可空白：請寫在正文「{heading}」之下")
        if empty and block.text:
            self.fail(f"正文第 {block.line} 行：「{heading}」之下應直接接「{WHAT_HEADING}」")
        return block.text


def _next_is(queue: list[_Block], heading: str) -> bool:
    return bool(queue) and queue[0].heading == heading
