"""A freeze whose work follows what changed: the fast YAML parser, the rendering cache
that lasts across builds, case lookup by slug and the listings' page windows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from flask import Flask
from werkzeug.exceptions import NotFound

from portal import snapshot
from portal.config import PROJECT_ROOT
from portal.showcase import create_showcase_app, site
from tests.test_demo import run_demo
from tests.test_publish import SAMPLE_DAY, expected_case

# --- the YAML parser ---------------------------------------------------------------------


def every_field_case() -> snapshot.Case:
    """A case with every optional field filled and text that tests a parser: characters
    outside the BMP, heading-like lines, quotes, colons, YAML keywords and numbers as text."""
    base = expected_case("puli-township-7", SAMPLE_DAY)
    business = dataclasses.replace(
        base.businesses[0],
        name="𥕢仔加工所: 'yes' \"no\"",
        what="在𡘙仔\n## 共識願景\n#標籤",
        how="縮排：\n  # 縮排的井號\n\\# 已跳脫",
        lead="null",
    )
    return dataclasses.replace(
        base,
        title="𥕢仔與𡘙仔的山城：on / off / 1e3",
        theme="true",
        dna=dataclasses.replace(base.dna, summary="𡘙仔地名\n\n### 山城共享加工中心"),
        businesses=(business, base.businesses[1]),
    )


def front_matter(path: Path) -> str:
    return path.read_text("utf-8").split("---\n")[1]


def both_parsers(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """The case file read with libyaml's parser, then with PyYAML's Python one."""
    fast = snapshot.load(path)
    with monkeypatch.context() as patched:
        patched.setattr(snapshot, "_FastLoader", None)
        slow = snapshot.load(path)
    return fast, slow


def test_libyaml_is_used_where_pyyaml_has_it() -> None:
    assert yaml.__with_libyaml__ is True  # the parser this project installs
    assert snapshot._FastLoader is not None
    assert issubclass(snapshot._FastLoader, yaml.CSafeLoader)


def test_both_parsers_read_the_demo_cases_alike(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    run_demo(app)
    paths = sorted(Path(app.config["PROPOSALS_DIR"]).glob("*/*.md"))
    assert [p.name for p in paths] == ["chishang-rice-2026.md", "wangan-turtle-island-2026.md"]
    for path in paths:
        text = front_matter(path)
        assert yaml.load(text, Loader=snapshot._FastLoader) == yaml.load(text, Loader=snapshot._Loader)
        fast, slow = both_parsers(path, monkeypatch)
        assert fast == slow


def test_both_parsers_read_a_file_with_every_field_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = every_field_case()
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    path.write_text(snapshot.dump(case), encoding="utf-8")

    text = front_matter(path)
    data = yaml.load(text, Loader=snapshot._FastLoader)
    assert data == yaml.load(text, Loader=snapshot._Loader)
    assert (data["theme"], data["published"], data["township"]["code"]) == ("true", "2026-11-02", "10008020")
    assert both_parsers(path, monkeypatch) == (case, case)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace("title: ", "title: [", 1),
            "前置資料第 5 行的 YAML 格式錯誤：expected ',' or ']', but got ':'",
        ),
        (
            lambda text: text.replace("theme: 生態旅遊與農產加值\n", "theme: 生態旅遊與農產加值\ntheme: 重複\n", 1),
            "前置資料第 21 行的 YAML 格式錯誤：欄位「theme」重複出現",
        ),
    ],
    ids=["syntax-error", "key-given-twice"],
)
def test_both_parsers_give_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str], str], message: str
) -> None:
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    path.write_text(edit(snapshot.dump(expected_case("puli-township-7", SAMPLE_DAY))), encoding="utf-8")
    errors = []
    for fast in (snapshot._FastLoader, None):
        monkeypatch.setattr(snapshot, "_FastLoader", fast)
        with pytest.raises(snapshot.SnapshotError) as caught:
            snapshot.load(path)
        errors.append(str(caught.value))
    assert errors == [f"{path}：{message}"] * 2


# --- many cases ----------------------------------------------------------------------------


def publish_cases(folder: Path, count: int) -> list[snapshot.Case]:
    """`count` case files under `folder`, each with its own slug and its own narrative."""
    base = expected_case("puli-township-7", SAMPLE_DAY)
    cases = []
    for number in range(count):
        case = dataclasses.replace(
            base,
            slug=f"case-{number:04d}",
            title=f"第 {number} 號{base.title}",
            dna=dataclasses.replace(base.dna, summary=f"第 {number} 號：**{base.dna.summary}**"),
            consensus=dataclasses.replace(base.consensus, vision=f"- 願景 {number}\n- {base.consensus.vision}"),
        )
        path = folder / case.cycle / f"{case.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot.dump(case), encoding="utf-8")
        cases.append(case)
    return cases


def showcase(tmp_path: Path, **config: object) -> Flask:
    return create_showcase_app(
        {
            "CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "PROPOSALS_DIR": str(tmp_path / "proposals"),
            "BUILD_DIR": str(tmp_path / "build"),
            **config,
        }
    )


# --- case lookup ---------------------------------------------------------------------------


def test_case_by_slug_finds_each_case_through_one_dict(tmp_path: Path) -> None:
    written = publish_cases(tmp_path / "proposals", 30)
    app = showcase(tmp_path)

    with app.test_request_context():
        found = {c.slug: site.case_by_slug(c.slug).case for c in written}
        with pytest.raises(NotFound):
            site.case_by_slug("case-9999")
    assert found == {c.slug: c for c in written}
    assert app.extensions["showcase.by_slug"] == {s.case.slug: s for s in app.extensions["showcase.cases"]}
    page = app.test_client().get("/cases/case-0017/")
    assert (page.status_code, "第 17 號" in page.get_data(as_text=True)) == (200, True)
