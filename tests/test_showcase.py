"""The showcase app and its atomic, incremental freeze (site pages so far)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask

from portal.config import PROJECT_ROOT
from portal.showcase import create_showcase_app
from portal.showcase.build import BuildSummary, build
from portal.showcase.content import ContentError, load_page

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", folder)
    return folder


def showcase(tmp_path: Path, content: Path) -> Flask:
    return create_showcase_app(
        {"CONTENT_DIR": str(content), "PROPOSALS_DIR": str(tmp_path / "proposals"), "SITE_URL": "https://site.test/"}
    )


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_writes_every_site_page_in_both_languages(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"

    summary = build(showcase(tmp_path, content), destination)

    pages = sorted(str(p.relative_to(destination)) for p in destination.rglob("index.html"))
    assert pages == [
        "about/index.html",
        "en/about/index.html",
        "en/faq/index.html",
        "en/how-to-propose/index.html",
        "en/index.html",
        "faq/index.html",
        "how-to-propose/index.html",
        "index.html",
    ]
    assert (summary.written, summary.unchanged, summary.removed) == (14, 0, 0)
    faq = (destination / "faq/index.html").read_text("utf-8")
    assert "<title>常見問題 － 地方創生成果展示</title>" in faq
    assert "<h2>誰可以提案？</h2>" in faq
    english = (destination / "en/faq/index.html").read_text("utf-8")
    assert "<h1>Frequently asked questions</h1>" in english
    assert "This page is available in Chinese only." in english


def test_build_links_are_relative_so_the_site_works_under_a_sub_path(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"

    build(showcase(tmp_path, content), destination)

    page = (destination / "en/faq/index.html").read_text("utf-8")
    assert 'href="../../static/css/portal.css"' in page
    assert 'href="/' not in page


def test_sitemap_and_robots(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"

    build(showcase(tmp_path, content), destination)

    urls = [loc.text for loc in ET.parse(destination / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    assert urls == [
        "https://site.test/",
        "https://site.test/en/",
        "https://site.test/about/",
        "https://site.test/how-to-propose/",
        "https://site.test/faq/",
        "https://site.test/en/about/",
        "https://site.test/en/how-to-propose/",
        "https://site.test/en/faq/",
    ]
    assert (destination / "robots.txt").read_text() == (
        "User-agent: *\nAllow: /\nSitemap: https://site.test/sitemap.xml\n"
    )
    assert "找不到這個頁面" in (destination / "404.html").read_text("utf-8")


def test_second_build_rewrites_nothing_and_one_changed_page_rewrites_only_it(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)

    again = build(showcase(tmp_path, content), destination)
    faq = content / "faq.md"
    faq.write_text(faq.read_text("utf-8") + "\n## 新問題\n\n新的回答。\n", "utf-8")
    changed = build(showcase(tmp_path, content), destination)

    assert (again.written, again.unchanged, again.removed) == (0, 14, 0)
    assert (changed.written, changed.unchanged, changed.removed) == (2, 12, 0)
    assert "新的回答。" in (destination / "faq/index.html").read_text("utf-8")


def test_removed_page_is_removed_from_the_build(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    (content / "faq.md").unlink()

    summary = build(showcase(tmp_path, content), destination)

    assert summary.removed == 2
    assert not (destination / "faq").exists()


def test_failing_page_leaves_the_previous_build_untouched(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    before = files(destination)
    app = showcase(tmp_path, content)

    @app.route("/broken/")
    def broken() -> str:
        raise RuntimeError("樣板壞了")

    with pytest.raises(RuntimeError, match="樣板壞了"):
        build(app, destination)

    assert files(destination) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build-")] == []


def test_bad_content_page_stops_the_app_naming_the_file(tmp_path: Path, content: Path) -> None:
    (content / "faq.md").write_text("---\ntitle: 問答\n---\n\n<script>alert(1)</script>\n", "utf-8")

    with pytest.raises(ContentError) as caught:
        showcase(tmp_path, content)

    assert str(caught.value) == f"{content / 'faq.md'}：內容含有 HTML 標籤，網站頁面只能使用 Markdown"


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("x.md", "沒有 front matter", "開頭必須是以 --- 包住的 front matter（title、order）"),
        ("x.md", "---\norder: 1\n---\n內容", "缺少欄位「title」"),
        ("x.md", "---\ntitle: 標題\norder: 第一\n---\n內容", "欄位「order」必須是整數"),
        ("x.md", "---\ntitle: 標題\nauthor: 某人\n---\n內容", "不認得的欄位「author」"),
        ("x.md", "---\ntitle: [未閉合\n---\n內容", "front matter 不是正確的 YAML"),
        ("X Page.md", "---\ntitle: 標題\n---\n內容", "檔名只能用小寫英文字母、數字與連字號"),
    ],
)
def test_load_page_refuses_bad_pages(tmp_path: Path, name: str, source: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(source, "utf-8")

    with pytest.raises(ContentError) as caught:
        load_page(path)

    assert str(caught.value).startswith(f"{path}：{message}")


def test_load_page_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "big5.md"
    path.write_bytes("---\ntitle: 標題\n---\n".encode("big5"))

    with pytest.raises(ContentError) as caught:
        load_page(path)

    assert str(caught.value) == f"{path}：不是 UTF-8 編碼"


def test_summary_text() -> None:
    assert BuildSummary(written=3, unchanged=10, removed=1, seconds=1.25).text == (
        "完成：寫入 3 個檔案，未變動 10 個，移除 1 個，耗時 1.2 秒。"
    )


def test_freeze_command_builds_into_build_dir_and_reports(app: Flask, tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content", dirs_exist_ok=True)

    result = app.test_cli_runner().invoke(args=["freeze", "--quiet"])

    build_dir = tmp_path / "build"
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("完成：寫入 ")
    assert (build_dir / "index.html").is_file() and (build_dir / "faq/index.html").is_file()


def test_freeze_command_refuses_bad_content_and_keeps_build(app: Flask, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    (content / "bad.md").write_text("---\ntitle: x\n---\n<iframe src=x>\n", "utf-8")
    (tmp_path / "build").mkdir(exist_ok=True)
    (tmp_path / "build" / "index.html").write_text("舊網站", "utf-8")

    result = app.test_cli_runner().invoke(args=["freeze"])

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"錯誤：{content / 'bad.md'}：內容含有 HTML 標籤，網站頁面只能使用 Markdown；build/ 未變動。"
    )
    assert (tmp_path / "build" / "index.html").read_text("utf-8") == "舊網站"
