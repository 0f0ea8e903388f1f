"""A freeze whose work follows what changed: the fast YAML parser, the rendering cache
that lasts across builds, case lookup by slug and the listings' page windows."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask_frozen import Freezer
from werkzeug.exceptions import NotFound

from portal import snapshot, text
from portal.config import PROJECT_ROOT
from portal.demo import demo_cases
from portal.showcase import build as build_module
from portal.showcase import create_showcase_app, site
from portal.showcase.build import build
from portal.showcase.cases import cache_file
from tests.test_demo import run_demo
from tests.test_publish import SAMPLE_DAY, expected_case
from tests.test_text import ABUSE, NARRATIVE
from tests.xss_payloads import CONTROL, MULTI_LINE, ONE_LINE

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
    assert [str(p.relative_to(p.parents[1])) for p in paths] == sorted(
        f"{case['cycle']}/{case['slug']}.md" for case in demo_cases() if case["stage"] == "published"
    )
    assert len(paths) == 16
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


# --- one converter reused, renderings cached by content hash --------------------------------

CORPUS = [*ONE_LINE, *MULTI_LINE, *CONTROL, *(p.values[0] for p in [*NARRATIVE, *ABUSE])]


def fresh_render(source: str) -> str:
    """`render` as it was before converters were reused: new ones for every text."""
    if not source.strip():
        return ""
    return text._cleaner().clean(text._markdown().convert(text._separate_lists(source))).strip()


def test_the_reused_converter_renders_every_corpus_text_as_fresh_ones_do() -> None:
    # Forwards then backwards, so each text follows a different one the second time.
    for order in (CORPUS, CORPUS[::-1]):
        assert [text.render(source) for source in order] == [fresh_render(source) for source in order]


def test_a_reference_defined_in_one_text_does_not_reach_the_next() -> None:
    assert text.render("[a]: https://example.org/\n\n[鏈結][a]") == (
        '<p><a href="https://example.org/" rel="nofollow noopener">鏈結</a></p>'
    )
    assert text.render("[鏈結][a]") == "<p>[鏈結][a]</p>"


def test_too_deep_nesting_does_not_break_the_next_text() -> None:
    assert text.render("- " * 1000 + "x") == "<p>" + "- " * 1000 + "x</p>"
    assert text.render("**粗體**") == "<p><strong>粗體</strong></p>"


def test_each_thread_converts_with_its_own_converter() -> None:
    sources = [f"第 {n} 段 **粗體** [a](https://example.org/{n})" for n in range(200)]
    expected = [fresh_render(source) for source in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(text.render, sources * 4))
    assert results == expected * 4


def test_render_cache_converts_each_text_once_and_keeps_only_what_was_used(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "build.json"
    first = text.RenderCache(path)
    assert [first.render("**甲**"), first.render("乙"), first.render("**甲**")] == [
        "<p><strong>甲</strong></p>",
        "<p>乙</p>",
        "<p><strong>甲</strong></p>",
    ]
    assert first.converted == 2
    first.save()

    second = text.RenderCache(path)
    assert (second.render("乙"), second.render("丙"), second.converted) == ("<p>乙</p>", "<p>丙</p>", 1)
    second.save()
    stored = json.loads(path.read_text("utf-8"))
    assert stored == {
        "rules": text.rules_version(),
        "html": {text.digest("乙"): "<p>乙</p>", text.digest("丙"): "<p>丙</p>"},
    }


@pytest.mark.parametrize(
    "body",
    [
        '{"rules": "another module or library version", "html": {"%s": "<script>x</script>"}}',
        "not json",
        '["a list"]',
        '{"rules": "%s", "html": ["a list"]}',
    ],
    ids=["other-rules", "not-json", "not-an-object", "html-not-an-object"],
)
def test_render_cache_made_under_other_rules_or_unreadable_is_not_used(tmp_path: Path, body: str) -> None:
    path = tmp_path / "build.json"
    path.write_text(body.replace("%s", text.digest("乙")), encoding="utf-8")
    cache = text.RenderCache(path)
    assert (cache.render("乙"), cache.converted) == ("<p>乙</p>", 1)


def test_rules_version_names_the_module_and_library_versions() -> None:
    module = hashlib.sha256(Path(text.__file__).read_bytes()).hexdigest()
    versions = (importlib.metadata.version("markdown"), importlib.metadata.version("bleach"))
    assert text.rules_version() == f"{module}/markdown-{versions[0]}/bleach-{versions[1]}"


def test_second_build_converts_no_text_and_a_changed_case_only_its_own(tmp_path: Path) -> None:
    written = publish_cases(tmp_path / "proposals", 12)
    destination = tmp_path / "build"

    first = showcase(tmp_path)
    build(first, destination)
    second = showcase(tmp_path)
    path = tmp_path / "proposals" / "2026" / "case-0005.md"
    path.write_text(path.read_text("utf-8").replace("願景 5", "願景五"), encoding="utf-8")
    third = showcase(tmp_path)

    # Each case has 7 narrative texts, 2 of them (dna, vision) its own, 5 the same in every case.
    converted = [app.extensions["showcase.render_cache"].converted for app in (first, second, third)]
    assert converted == [len(written) * 2 + 5, 0, 1]
    assert cache_file(destination) == tmp_path / ".showcase-cache" / "build.json"
    assert not any(p.name.endswith(".json") and "showcase-cache" in str(p) for p in destination.rglob("*"))
    page = third.test_client().get("/cases/case-0005/").get_data(as_text=True)
    assert "<li>願景五</li>" in page


def test_built_pages_are_the_same_with_and_without_the_cache(tmp_path: Path) -> None:
    publish_cases(tmp_path / "proposals", 3)
    build(showcase(tmp_path), tmp_path / "build")
    cached = showcase(tmp_path)
    assert cached.extensions["showcase.render_cache"].converted == 0
    uncached = showcase(tmp_path, BUILD_DIR=str(tmp_path / "elsewhere" / "build"))
    assert uncached.extensions["showcase.render_cache"].converted == 3 * 2 + 5
    for url in ("/cases/case-0001/", "/en/cases/case-0002/", "/cases/"):
        assert cached.test_client().get(url).get_data() == uncached.test_client().get(url).get_data()


# --- pagers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "pages", "window"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (1, 5, [1, 2, 3, 4, 5]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
        (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
        (10, 10, [1, None, 8, 9, 10]),
        (250, 250, [1, None, 248, 249, 250]),
    ],
)
def test_page_window_is_first_last_and_current_plus_minus_two(page: int, pages: int, window: list[int | None]) -> None:
    assert site.page_window(page, pages) == window


def pager(html: str) -> list[tuple[str, str]]:
    """(href or "", text) of each item of the page's pager."""
    nav = html.split('<nav class="pagination"', 1)[1].split("</nav>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", nav)
    found = []
    for item in items:
        link = re.fullmatch(r'<a href="([^"]*)"[^>]*>(.*)</a>', item)
        found.append((link[1], link[2]) if link else ("", re.sub(r"<[^>]+>", "", item)))
    return found


def test_listing_pages_link_to_a_window_of_pages_and_every_page_is_built(tmp_path: Path) -> None:
    publish_cases(tmp_path / "proposals", 12)
    destination = tmp_path / "build"
    build(showcase(tmp_path, SHOWCASE_PAGE_SIZE=1), destination)

    sixth = (destination / "cases/page/6/index.html").read_text("utf-8")
    assert pager(sixth) == [
        ("../5/index.html", "← 上一頁"),
        ("../../index.html", "1"),
        ("", "…"),
        ("../4/index.html", "4"),
        ("../5/index.html", "5"),
        ("", "6"),
        ("../7/index.html", "7"),
        ("../8/index.html", "8"),
        ("", "…"),
        ("../12/index.html", "12"),
        ("../7/index.html", "下一頁 →"),
    ]
    first = (destination / "en/cases/index.html").read_text("utf-8")
    assert [text for _href, text in pager(first)] == ["1", "2", "3", "…", "12", "Next →"]
    built = sorted(int(p.parent.name) for p in destination.glob("cases/page/*/index.html"))
    assert built == list(range(2, 13))


# --- a build with nothing changed ---------------------------------------------------------


def stamps(root: Path) -> dict[str, int]:
    """Each file's inode and modification time: a rewritten or swapped file changes them."""
    return {str(p.relative_to(root)): p.stat().st_ino ^ p.stat().st_mtime_ns for p in root.rglob("*")}


def test_build_with_nothing_changed_renders_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publish_cases(tmp_path / "proposals", 3)
    destination = tmp_path / "build"
    build(showcase(tmp_path), destination)
    before = stamps(destination)
    reached: list[str] = []
    monkeypatch.setattr(build_module, "checkpoint", reached.append)
    rendered: list[str] = []
    monkeypatch.setattr(Freezer, "freeze_yield", lambda self: rendered.append("freeze") or iter(()))

    summary = build(showcase(tmp_path), destination)

    built = [p.name for p in destination.rglob("*") if p.is_file()]
    assert (summary.written, summary.unchanged, summary.removed) == (0, len(built) - 2, 0)  # less _headers, .gitkeep
    assert (reached, rendered, stamps(destination)) == (["cleaned"], [], before)
    manifest = json.loads((tmp_path / ".showcase-cache" / "build.manifest.json").read_text("utf-8"))
    assert sorted(manifest) == ["inputs", "output"]


def change_case(tmp_path: Path) -> None:
    path = tmp_path / "proposals" / "2026" / "case-0001.md"
    path.write_text(path.read_text("utf-8").replace("願景 1", "願景一"), encoding="utf-8")


def change_content(tmp_path: Path) -> None:
    faq = tmp_path / "content" / "faq.md"
    faq.write_text(faq.read_text("utf-8") + "\n## 新問題\n\n新的回答。\n", encoding="utf-8")


def remove_a_built_file(tmp_path: Path) -> None:
    (tmp_path / "build" / "cases" / "case-0002" / "index.html").unlink()


def edit_a_built_file(tmp_path: Path) -> None:
    (tmp_path / "build" / "index.html").write_text("被改過", encoding="utf-8")


def remove_the_manifest(tmp_path: Path) -> None:
    (tmp_path / ".showcase-cache" / "build.manifest.json").unlink()


@pytest.mark.parametrize(
    ("change", "config"),
    [
        (change_case, {}),
        (change_content, {}),
        (remove_a_built_file, {}),
        (edit_a_built_file, {}),
        (remove_the_manifest, {}),
        (None, {"SITE_URL": "https://other.test/"}),
        (None, {"SHOWCASE_PAGE_SIZE": 1}),
    ],
    ids=["case-file", "site-page", "built-file-removed", "built-file-edited", "no-manifest", "site-url", "page-size"],
)
def test_any_change_of_what_the_site_is_made_from_builds_again(
    tmp_path: Path, change: Callable[[Path], None] | None, config: dict[str, object]
) -> None:
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content")
    publish_cases(tmp_path / "proposals", 3)
    destination = tmp_path / "build"
    build(showcase(tmp_path, CONTENT_DIR=str(tmp_path / "content")), destination)
    if change is not None:
        change(tmp_path)

    build(showcase(tmp_path, CONTENT_DIR=str(tmp_path / "content"), **config), destination)

    reference = tmp_path / "reference" / "build"
    build(showcase(tmp_path, CONTENT_DIR=str(tmp_path / "content"), BUILD_DIR=str(reference), **config), reference)
    for page in ("", "faq/", "cases/case-0001/", "cases/case-0002/", "cases/"):
        assert (destination / page / "index.html").read_bytes() == (reference / page / "index.html").read_bytes()
    again = build(showcase(tmp_path, CONTENT_DIR=str(tmp_path / "content"), **config), destination)
    assert again.written == 0


def test_a_new_route_builds_again(tmp_path: Path) -> None:
    build(showcase(tmp_path), tmp_path / "build")
    app = showcase(tmp_path)

    @app.route("/broken/")
    def broken() -> str:
        raise RuntimeError("樣板壞了")

    with pytest.raises(RuntimeError, match="樣板壞了"):
        build(app, tmp_path / "build")


# --- front matter parsed once --------------------------------------------------------------


def test_front_matter_cache_gives_the_same_case_and_keeps_number_keys(tmp_path: Path) -> None:
    case = every_field_case()
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    path.write_text(snapshot.dump(case), encoding="utf-8")
    stored = tmp_path / "front.json"

    first = snapshot.FrontMatterCache(stored)
    assert (snapshot.load(path, first), first.parsed) == (case, 1)
    first.save()
    second = snapshot.FrontMatterCache(stored)
    assert (snapshot.load(path, second), second.parsed) == (case, 0)
    assert case.resources.by_year == {2026: 8000, 2027: 6000}


def test_front_matter_cache_still_checks_every_field(tmp_path: Path) -> None:
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    text = snapshot.dump(expected_case("puli-township-7", SAMPLE_DAY)).replace("- technology\n", "- teleport\n")
    path.write_text(text, encoding="utf-8")
    stored = tmp_path / "front.json"
    errors = []
    for _ in range(2):
        cache = snapshot.FrontMatterCache(stored)
        with pytest.raises(snapshot.SnapshotError) as caught:
            snapshot.load(path, cache)
        cache.save()
        errors.append((str(caught.value), cache.parsed))
    message = f"{path}：欄位「strategies[1]」的「teleport」不是已知的策略代碼"
    assert [(error.split("（")[0], parsed) for error, parsed in errors] == [(message, 1), (message, 0)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda stored: {**stored, "rules": "another version"},
        lambda stored: {**stored, "data": {key: {"": "not pairs"} for key in stored["data"]}},
        lambda stored: {**stored, "data": {key: {"": [[["a list"], 1]]} for key in stored["data"]}},
        lambda stored: "not an object",
    ],
    ids=["other-rules", "not-pairs", "unhashable-key", "not-an-object"],
)
def test_front_matter_cache_made_elsewhere_or_damaged_is_not_used(
    tmp_path: Path, damage: Callable[[dict[str, object]], object]
) -> None:
    case = expected_case("puli-township-7", SAMPLE_DAY)
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    path.write_text(snapshot.dump(case), encoding="utf-8")
    stored = tmp_path / "front.json"
    first = snapshot.FrontMatterCache(stored)
    snapshot.load(path, first)
    first.save()
    stored.write_text(json.dumps(damage(json.loads(stored.read_text("utf-8")))), encoding="utf-8")

    second = snapshot.FrontMatterCache(stored)
    assert (snapshot.load(path, second), second.parsed) == (case, 1)


def test_second_showcase_parses_no_front_matter_and_a_changed_case_only_its_own(tmp_path: Path) -> None:
    publish_cases(tmp_path / "proposals", 5)
    build(showcase(tmp_path), tmp_path / "build")
    unchanged = showcase(tmp_path)
    path = tmp_path / "proposals" / "2026" / "case-0001.md"
    path.write_text(path.read_text("utf-8").replace("title: 第 1 號", "title: 第一號"), encoding="utf-8")
    changed = showcase(tmp_path)
    fresh = showcase(tmp_path, BUILD_DIR=str(tmp_path / "elsewhere" / "build"))

    parsed = [app.extensions["showcase.front_cache"].parsed for app in (unchanged, changed, fresh)]
    assert parsed == [0, 1, 5]
    cases = [[s.case for s in app.extensions["showcase.cases"]] for app in (changed, fresh)]
    assert cases[0] == cases[1]
    assert [c.title for c in cases[0] if c.slug == "case-0001"] == ["第一號埔里生態城鄉共好計畫"]
