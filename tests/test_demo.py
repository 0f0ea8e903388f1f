"""`portal demo`: accounts for every role, proposals at every stage, safe to run twice."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db.models import CoSignature, PriorityArea, Proposal, Revision, User
from tests.conftest import Auth, make_app

LOGIN_LINE = re.compile(r"^\s+\S+\s+(\S+@demo\.example\.org)\s+([A-Za-z0-9]{12})\b", re.M)


def run_demo(app: Flask) -> dict[str, str]:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return dict(LOGIN_LINE.findall(result.output))


def test_demo_covers_every_stage_of_the_flow(app: Flask, session: Session) -> None:
    run_demo(app)

    stages = Counter(session.scalars(select(Proposal.status)))
    assert stages == {
        "draft": 2,  # one never submitted, one being revised after a revision request
        "submitted": 1,
        "returned": 1,
        "forwarded": 1,
        "in_review": 1,
        "revision_requested": 1,
        "approved": 1,
        "not_approved": 1,
        "published": 2,
    }
    assert session.scalar(select(func.count()).select_from(PriorityArea)) == 0


def test_demo_has_a_revision_in_progress(app: Flask, session: Session) -> None:
    run_demo(app)

    revising = session.scalars(select(Proposal).where(Proposal.status == "draft", Proposal.revision_count > 0)).one()
    assert (revising.title, revising.revision_count) == ("南庄山城共學：賽夏與客家文化深度旅遊計畫", 1)


def test_demo_has_an_account_for_each_role(app: Flask, session: Session) -> None:
    logins = run_demo(app)

    roles = Counter(session.scalars(select(User.role).where(User.email.in_(logins))))
    assert roles == {"admin": 1, "reviewer": 3, "township": 11, "county": 11}


def test_demo_printed_password_logs_in(app: Flask, client: FlaskClient) -> None:
    logins = run_demo(app)
    email = "township-10008020@demo.example.org"

    response = Auth(client).login(email, logins[email])
    dashboard = client.get("/").get_data(as_text=True)

    assert (response.status_code, response.location) == (302, "/")
    assert "埔里" in dashboard and "南投縣埔里鎮" in dashboard


def test_demo_twice_adds_nothing_and_renews_passwords(app: Flask, session: Session) -> None:
    first = run_demo(app)
    counts = [session.scalar(select(func.count()).select_from(m)) for m in (Proposal, Revision, User)]

    second = run_demo(app)

    assert [session.scalar(select(func.count()).select_from(m)) for m in (Proposal, Revision, User)] == counts
    assert first.keys() == second.keys()
    assert all(first[e] != second[e] for e in first)


def test_demo_refused_in_production(tmp_path: object, template_db: object) -> None:
    app = make_app(tmp_path, ENV="production")  # type: ignore[arg-type]

    result = app.test_cli_runner().invoke(args=["demo"])

    assert (result.exit_code, result.output.strip()) == (
        1,
        "錯誤：正式環境（PORTAL_ENV=production）不可載入示範資料。",
    )


def test_demo_builds_the_showcase_with_its_published_cases(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])

    build_dir = tmp_path / "build"
    cases = sorted(p.parent.name for p in (build_dir / "cases").glob("*/index.html"))
    assert cases == ["chishang-rice-2026", "wangan-turtle-island-2026"]
    assert f"開啟方式：python3 -m http.server -d {build_dir} 8000，再瀏覽 http://127.0.0.1:8000/" in result.output


def test_demo_has_a_cross_county_case_co_signed_before_it_was_forwarded(app: Flask, session: Session) -> None:
    run_demo(app)

    signed = session.execute(
        select(Proposal.title, Proposal.status, CoSignature.county_code, User.email, CoSignature.withdrawn_at)
        .join(CoSignature, CoSignature.proposal_id == Proposal.id)
        .join(User, User.id == CoSignature.signed_by_id)
    )
    # 新竹縣北埔鄉 leads; 苗栗縣 has two of the participating townships.
    assert [tuple(row) for row in signed] == [
        ("浪漫台三線客庄茶與農創串聯計畫", "forwarded", "10005", "county-10005@demo.example.org", None)
    ]
