"""The secretariat's showcase page: the rebuild button, the live preview, and the
priority list handed to the showcase."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.config import PROJECT_ROOT
from portal.db.models import AuditEvent, PriorityArea
from portal.domain.roles import Role
from portal.rebuild import export_priority
from portal.showcase.cases import PRIORITY_FILE
from tests.conftest import PULI, Auth, Factory, versioned
from tests.test_wizard import flashes


def copy_content(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content", dirs_exist_ok=True)


def as_admin(make: Factory, auth: Auth) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)


def test_rebuild_button_freezes_the_site_reports_and_is_audited(
    app: Flask, tmp_path: Path, make: Factory, auth: Auth, client: FlaskClient, session: Session
) -> None:
    copy_content(tmp_path)
    as_admin(make, auth)
    token = auth.csrf("/admin/showcase")

    response = client.post("/admin/showcase/rebuild", data={"csrf_token": token}, follow_redirects=True)

    html = response.get_data(as_text=True)
    [(kind, message)] = flashes(html)
    assert kind == "success"
    summary = r"寫入 34 個檔案，未變動 0 個，移除 0 個，耗時 \d+\.\d 秒。"
    assert re.fullmatch("展示網站已重新產生：" + summary, message), message
    assert "34 個檔案，最後更新於" in html
    assert "預覽：" not in (tmp_path / "build" / "index.html").read_text("utf-8")
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "showcase_rebuild"))
    assert event.reason == "完成：" + message.removeprefix("展示網站已重新產生：")


def test_rebuild_without_csrf_changes_nothing(app: Flask, tmp_path: Path, make: Factory, auth: Auth) -> None:
    copy_content(tmp_path)
    as_admin(make, auth)

    response = auth.client.post("/admin/showcase/rebuild", data={})

    assert (response.status_code, "<h1>表單已過期</h1>" in response.get_data(as_text=True)) == (400, True)
    assert not (tmp_path / "build").exists()


def test_failed_rebuild_names_the_file_and_keeps_the_public_site(
    app: Flask, tmp_path: Path, make: Factory, auth: Auth, session: Session
) -> None:
    copy_content(tmp_path)
    bad = tmp_path / "content" / "bad.md"
    bad.write_text("---\ntitle: x\n---\n<script>alert(1)</script>\n", "utf-8")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "index.html").write_text("舊網站", "utf-8")
    as_admin(make, auth)
    token = auth.csrf("/admin/showcase")

    response = auth.client.post("/admin/showcase/rebuild", data={"csrf_token": token}, follow_redirects=True)

    assert flashes(response.get_data(as_text=True)) == [
        (
            "error",
            f"展示網站沒有更新：{bad}：內容含有 HTML 標籤，網站頁面只能使用 Markdown。"
            "請修正這個檔案後再試；公開網站維持原狀。",
        )
    ]
    assert (tmp_path / "build" / "index.html").read_text("utf-8") == "舊網站"
    assert list(session.scalars(select(AuditEvent).where(AuditEvent.action == "showcase_rebuild"))) == []


def test_only_admins_reach_the_showcase_page(app: Flask, make: Factory, auth: Auth) -> None:
    township = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(township.email)

    pages = [auth.client.get("/admin/showcase"), auth.client.get("/admin/showcase/preview/")]
    rebuilt = auth.client.post("/admin/showcase/rebuild", data={"csrf_token": auth.csrf("/")})

    assert [r.status_code for r in [*pages, rebuilt]] == [403, 403, 403]


def test_preview_serves_the_showcase_with_links_kept_inside_the_preview(
    app: Flask, tmp_path: Path, make: Factory, auth: Auth
) -> None:
    copy_content(tmp_path)
    as_admin(make, auth)

    home = auth.client.get("/admin/showcase/preview/")
    faq = auth.client.get("/admin/showcase/preview/faq/")
    css = auth.client.get("/admin/showcase/preview/static/css/portal.css")
    missing = auth.client.get("/admin/showcase/preview/no-such-page/")

    html = home.get_data(as_text=True)
    assert "<h1>地方創生成果展示</h1>" in html
    assert f'href="/admin/showcase/preview/static/{versioned("css/portal.css")}"' in html
    assert 'href="/admin/showcase/preview/faq/"' in html
    assert home.headers["X-Robots-Tag"] == "noindex"
    assert '預覽：依目前的案例檔即時顯示，尚未公開。<a href="/admin/showcase">回到公開展示網站管理</a>' in html
    assert "<h2>誰可以提案？</h2>" in faq.get_data(as_text=True)
    assert (css.status_code, css.mimetype) == (200, "text/css")
    assert (missing.status_code, "找不到這個頁面" in missing.get_data(as_text=True)) == (404, True)
    assert not (tmp_path / "build").exists()


def test_preview_follows_a_changed_site_page(app: Flask, tmp_path: Path, make: Factory, auth: Auth) -> None:
    copy_content(tmp_path)
    as_admin(make, auth)
    before = auth.client.get("/admin/showcase/preview/faq/").get_data(as_text=True)
    faq = tmp_path / "content" / "faq.md"
    faq.write_text(faq.read_text("utf-8") + "\n## 預覽中的新問題\n\n新的回答。\n", "utf-8")

    after = auth.client.get("/admin/showcase/preview/faq/").get_data(as_text=True)

    assert ("<h2>預覽中的新問題</h2>" in before, "<h2>預覽中的新問題</h2>" in after) == (False, True)


def test_preview_of_a_bad_file_explains_instead_of_failing(
    app: Flask, tmp_path: Path, make: Factory, auth: Auth
) -> None:
    copy_content(tmp_path)
    bad = tmp_path / "content" / "bad.md"
    bad.write_text("no front matter\n", "utf-8")
    as_admin(make, auth)

    response = auth.client.get("/admin/showcase/preview/")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert f"{bad}：開頭必須是以 --- 包住的 front matter（title、order）" in html
    assert "<h1>無法預覽展示網站</h1>" in html


def test_priority_list_is_exported_for_the_showcase_and_removed_when_empty(
    app: Flask, tmp_path: Path, session: Session
) -> None:
    folder = tmp_path / "proposals"
    session.add_all(
        [PriorityArea(township_code="10014150", kind="原鄉"), PriorityArea(township_code=PULI, kind="中介城鎮")]
    )
    session.flush()

    written = export_priority(session, folder)
    text = (folder / PRIORITY_FILE).read_text("utf-8")
    session.rollback()
    emptied = export_priority(session, folder)

    assert (written, text) == (2, "code,kind\n10008020,中介城鎮\n10014150,原鄉\n")
    assert (emptied, (folder / PRIORITY_FILE).exists()) == (0, False)
