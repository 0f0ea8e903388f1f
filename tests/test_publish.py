"""Publishing approved cases to proposals/<cycle>/<slug>.md: the public projection, what
never reaches it, unpublish and re-publish, the file format and its checks, the demo."""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import meetings, operations, publish, review, snapshot
from portal.config import PROJECT_ROOT
from portal.db.models import Proposal, ReviewAssignment
from portal.demo import demo_cases
from portal.domain.meetings import MeetingKind
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.snapshot import (
    Approval,
    Business,
    Case,
    Consensus,
    ConsensusEvent,
    Dna,
    Kpi,
    Matched,
    Participant,
    Place,
    Resources,
    Stakeholder,
    Support,
)
from tests.conftest import GUOXING, NANTOU, PULI, Auth, Factory
from tests.documents import complete_document
from tests.test_demo import run_demo
from tests.test_wizard import flashes

TITLE = "埔里生態城鄉共好計畫"
MEETING = "第12次地方創生會報工作會議"
# Meetings are held today: a decision's meeting may not precede the submission.
DECIDED_ON = publish.today()
# The demo decides its cases of this year at its 第3次 council (the earlier years' at 第1次 and 第2次).
DEMO_MEETING = "第3次地方創生會報"
RURAL = ("行政院農業委員會（現農業部）", "農村再生（第二期/第三期實施計畫）")
# Private text put into every place the portal keeps it; none may reach a case file.
CONTACT = {"name": "CONTACT-NAME-聯絡人", "phone": "CONTACT-PHONE-0912", "email": "contact-sentinel@example.org"}
INTERNAL = "INTERNAL-SENTINEL-內部意見"
TO_TOWNSHIP = "TOWNSHIP-COMMENT-給公所意見"
REASONS = "REASONS-SENTINEL-核定理由"
REVIEWER_NAMES = ("REVIEWER-甲委員", "REVIEWER-乙委員")
DRAFT_ONLY = "DRAFT-ONLY-只在草稿"
PUBLISHED = "已完成「公開於成果網站」，提案目前為「已公開」。"


class Desk:
    """The NDC secretariat's desk: a Puli township, its county, two reviewers and an admin
    with a logged-in browser. Proposals are approved through the real operations."""

    def __init__(self, app: Flask, make: Factory, session: Session) -> None:
        self.app, self.make, self.session = app, make, session
        self.township = make.user(Role.TOWNSHIP, township=PULI)
        self.county = make.user(Role.COUNTY, county=NANTOU)
        self.admin = make.user(Role.ADMIN)
        self.reviewers = [make.user(Role.REVIEWER, name=name) for name in REVIEWER_NAMES]
        self.browser = Auth(app.test_client())
        self.browser.login(self.admin.email)
        self.proposals_dir = Path(app.config["PROPOSALS_DIR"])
        self.meeting = meetings.create_meeting(
            session, self.admin, kind=MeetingKind.WORKING, number=12, held_on=DECIDED_ON
        )

    def approved(self, title: str = TITLE, slug: str | None = None) -> Proposal:
        proposal = self.make.proposal(self.township, title=title, participating=[GUOXING])
        content = complete_document()
        content["basics"]["contact"] = dict(CONTACT)
        if slug:
            content["meta"] = {"slug": slug}
        proposal.content = content
        operations.apply_transition(self.session, proposal, Action.SUBMIT, self.township)
        operations.apply_transition(self.session, proposal, Action.FORWARD, self.county)
        review.assign(self.session, proposal, self.admin, [r.id for r in self.reviewers])
        with self.app.app_context():
            rubric = review.rubric()
        for reviewer in self.reviewers:
            review.submit_review(
                self.session,
                proposal,
                reviewer,
                rubric,
                review.ReviewInput(
                    scores={criterion.code: 5 for criterion in rubric.criteria},
                    cross_domain=True,
                    cross_ministry=True,
                    confidence=3,
                    comment_to_township=TO_TOWNSHIP,
                    internal_comment=INTERNAL,
                ),
            )
        review.decide(
            self.session,
            proposal,
            self.admin,
            outcome="approve",
            reasons=REASONS,
            meeting=self.meeting,
            resources=[review.Resource(programme=RURAL[1], amount=8000, year=2026)],
            private_investment=6000,
        )
        self.session.commit()
        return proposal

    def move(self, proposal: Proposal, action: str, reason: str = "") -> list[tuple[str, str]]:
        """Press the action's button on the proposal page; the messages shown after."""
        path = f"/proposals/{proposal.id}"
        data = {"action": action, "reason": reason, "csrf_token": self.browser.csrf(path)}
        page = self.browser.client.post(f"{path}/transition", data=data, follow_redirects=True)
        return flashes(page.get_data(as_text=True))

    def fresh(self, proposal: Proposal) -> Proposal:
        self.session.expire_all()
        found = self.session.get(Proposal, proposal.id)
        assert found is not None
        return found

    def file_of(self, proposal: Proposal) -> Path:
        return self.proposals_dir / "2026" / f"puli-township-{proposal.id}.md"

    def files(self) -> list[str]:
        """Every file under proposals/, temporary ones included."""
        return sorted(str(p.relative_to(self.proposals_dir)) for p in self.proposals_dir.rglob("*") if p.is_file())


@pytest.fixture
def desk(app: Flask, make: Factory, session: Session) -> Desk:
    return Desk(app, make, session)


def untimed(case: Case) -> Case:
    """The case without its publication times (which come from the clock)."""
    return dataclasses.replace(case, published_at=None, updated_at=None)


def expected_case(slug: str, published: date, updated: date | None = None) -> Case:
    """The public projection of tests.documents.GOOD as approved by `Desk.approved`."""
    return Case(
        slug=slug,
        cycle="2026",
        title=TITLE,
        title_en="Puli Eco-town",
        summary_en="Shared processing and seasonal routes.",
        type="township",
        township=Place("10008020", "埔里鎮", "Puli Township"),
        county=Place("10008", "南投縣", "Nantou County"),
        region="中彰投",
        participating=(Participant("10008100", "南投縣國姓鄉"),),
        theme="生態旅遊與農產加值",
        strategies=("hometown_investment", "technology", "social_participation"),
        dna=Dna(
            summary="埔里位居臺灣地理中心，水質純淨。",
            items={
                "人": ("返鄉青年",),
                "文": ("紹興酒與手工紙", "𥕢仔地名"),
                "地": ("盆地",),
                "產": (),
                "景": ("桃米生態村",),
            },
        ),
        stakeholders=(
            Stakeholder("埔里鎮農會", "產", "加工與通路", "提供倉庫"),
            Stakeholder("暨南大學", "學", "生態監測", "派駐師生"),
        ),
        consensus=Consensus(
            events=(
                ConsensusEvent(date(2025, 6, 21), "說明會", 80, "確認提案方向"),
                ConsensusEvent(date(2025, 8, 9), "工作坊", 45, "產出遊程草案"),
            ),
            vision="青年留得下、遊客慢下來、農產賣得好。",
        ),
        businesses_summary="加工、遊程到品牌的完整價值鏈。",
        businesses=(
            Business(
                name="山城共享加工中心",
                what="整建閒置倉庫為共享加工與冷鏈中心。",
                where="埔里鎮愛蘭里",
                start="2026-03",
                end="2027-12",
                how="農會出資整建並營運。",
                lead="埔里鎮農會",
                strategies=("hometown_investment", "technology"),
            ),
            Business(
                name="四季慢遊遊程",
                what="設計跨鄉鎮的季節遊程。",
                where="桃米社區",
                start="2026-06",
                end="2028-06",
                how="青年團隊成立社會企業經營。",
                lead="山城共好工作室",
                strategies=("social_participation",),
            ),
        ),
        resources=Resources(
            {"central": 8000, "private": 6000},
            {2026: 8000, 2027: 6000},
            14000,
            0.4286,
            grid={("non", "central", 2026): 8000, ("self", "private", 2027): 6000},
        ),
        support=(Support("法規調適", "倉庫變更為食品加工使用。"),),
        matched=(Matched(RURAL[0], RURAL[1], 8000, 2026),),
        private_investment=6000,
        kpis=(
            Kpi("新增工作機會", "新增之全職勞保投保人數", "人", 0, 2025, 45, 2028, "+"),
            Kpi("養殖損失率", "寒害與缺氧之年損失比例", "%", 18.5, 2025, 8, 2028, "-"),
        ),
        decision=Approval(MEETING, DECIDED_ON),
        published=published,
        updated=updated or published,
        revision=1,
        benefits=("凝聚社區認同",),
    )


# --- publishing through the portal ---------------------------------------------------------


def test_publish_writes_the_projection_of_the_approved_revision(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    # The draft may differ from the approved revision; only the revision is public.
    content = dict(proposal.content)
    content["dna"] = {**content["dna"], "summary": DRAFT_ONLY}
    proposal.content = content
    session.commit()
    today = publish.today()

    before = publish.now()

    shown = desk.move(proposal, "publish")

    after = publish.now()
    assert shown == [("success", PUBLISHED)]
    assert desk.files() == [f"2026/puli-township-{proposal.id}.md"]
    written = snapshot.load(desk.file_of(proposal))
    assert untimed(written) == expected_case(f"puli-township-{proposal.id}", today)
    assert written.published_at is not None and before <= written.published_at <= after
    assert written.updated_at == written.published_at
    assert DRAFT_ONLY not in desk.file_of(proposal).read_text(encoding="utf-8")


def test_published_file_holds_no_private_field(desk: Desk) -> None:
    proposal = desk.approved()

    desk.move(proposal, "publish")

    text = desk.file_of(proposal).read_text(encoding="utf-8")
    people = [desk.township, desk.county, desk.admin, *desk.reviewers]
    private = [*CONTACT.values(), INTERNAL, TO_TOWNSHIP, REASONS, *REVIEWER_NAMES]
    private += [person.name for person in people] + [person.email for person in people]
    assert [value for value in private if value in text] == []
    assert "@" not in text


def test_no_private_field_reaches_the_built_showcase(desk: Desk, tmp_path: Path) -> None:
    """End to end: sentinels in every private place, the case published and the showcase
    rebuilt through the admin's button; no built file (pages, feed, data, search index
    text) carries any of them."""
    proposal = desk.approved()
    desk.move(proposal, "publish")
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content", dirs_exist_ok=True)
    token = desk.browser.csrf("/admin/showcase")
    desk.browser.client.post("/admin/showcase/rebuild", data={"csrf_token": token})

    build_dir = tmp_path / "build"
    case_page = build_dir / "cases" / f"puli-township-{proposal.id}" / "index.html"
    assert TITLE in case_page.read_text("utf-8")
    people = [desk.township, desk.county, desk.admin, *desk.reviewers]
    private = [*CONTACT.values(), INTERNAL, TO_TOWNSHIP, REASONS, *REVIEWER_NAMES]
    private += [person.name for person in people] + [person.email for person in people]
    leaks = {
        (str(path.relative_to(build_dir)), value)
        for path in build_dir.rglob("*")
        if path.is_file() and path.suffix in {".html", ".xml", ".txt", ".json", ".csv", ".geojson"}
        for value in private
        if value in path.read_text("utf-8")
    }
    assert leaks == set()


def test_unpublish_removes_the_file(desk: Desk) -> None:
    proposal = desk.approved()
    desk.move(proposal, "publish")

    shown = desk.move(proposal, "unpublish", reason="資料更正中")

    assert shown == [("success", "已完成「取消公開」，提案目前為「核定」。")]
    assert desk.files() == []
    assert desk.fresh(proposal).status == "approved"


def test_republish_keeps_slug_and_first_published_date_and_updates_updated(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    first = publish.today()
    desk.move(proposal, "publish")
    desk.move(proposal, "unpublish", reason="資料更正中")
    later = first + timedelta(days=9)

    proposal = desk.fresh(proposal)
    operations.apply_transition(session, proposal, Action.PUBLISH, desk.admin)
    publish.commit(session, [publish.stage_case(session, proposal, desk.proposals_dir, on=later)])

    assert desk.files() == [f"2026/puli-township-{proposal.id}.md"]
    written = snapshot.load(desk.file_of(proposal))
    assert untimed(written) == expected_case(f"puli-township-{proposal.id}", first, later)
    # The first publication's time stays; a re-publication for a given day records no time.
    assert written.published_at is not None and written.published_at.date() == first
    assert written.updated_at is None


def test_stored_slug_is_used_and_never_recomputed(desk: Desk) -> None:
    proposal = desk.approved(slug="puli-eco-town")

    desk.move(proposal, "publish")

    assert desk.files() == ["2026/puli-eco-town.md"]
    assert desk.fresh(proposal).content["meta"]["slug"] == "puli-eco-town"


def test_publish_refused_when_another_proposal_has_the_slug(desk: Desk) -> None:
    first = desk.approved()
    desk.move(first, "publish")
    written = desk.file_of(first).read_bytes()
    second = desk.approved(title="埔里第二案", slug=f"puli-township-{first.id}")

    shown = desk.move(second, "publish")

    message = f"網址代稱「puli-township-{first.id}」已由另一件提案（編號 {first.id}）使用，不能公開這件提案。"
    assert shown == [("error", message)]
    assert desk.fresh(second).status == "approved"
    assert desk.file_of(first).read_bytes() == written


def test_publish_refused_and_nothing_changed_when_the_file_cannot_be_written(desk: Desk) -> None:
    proposal = desk.approved()
    desk.proposals_dir.write_text("a file where the folder should be", encoding="utf-8")

    shown = desk.move(proposal, "publish")

    folder = desk.proposals_dir / "2026"
    target = folder / f"puli-township-{proposal.id}.md"
    assert shown == [("error", f"無法寫出公開檔案「{target}」：{os.strerror(errno.ENOTDIR)}")]
    fresh = desk.fresh(proposal)
    assert (fresh.status, "meta" in fresh.content) == ("approved", False)


def test_failed_commit_discards_the_staged_file(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    operations.apply_transition(session, proposal, Action.PUBLISH, desk.admin)
    pending = publish.stage_case(session, proposal, desk.proposals_dir)
    # The same reviewer assigned twice breaks a unique constraint: the commit fails.
    session.add(ReviewAssignment(proposal_id=proposal.id, reviewer_id=desk.reviewers[0].id))

    with pytest.raises(IntegrityError):
        publish.commit(session, [pending])
    session.rollback()

    assert desk.files() == []
    assert desk.fresh(proposal).status == "approved"


def test_failed_commit_puts_an_unpublished_file_back(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    desk.move(proposal, "publish")
    written = desk.file_of(proposal).read_bytes()
    proposal = desk.fresh(proposal)
    operations.apply_transition(session, proposal, Action.UNPUBLISH, desk.admin, "資料更正中")
    pending = publish.stage_removal(proposal, desk.proposals_dir)
    session.add(ReviewAssignment(proposal_id=proposal.id, reviewer_id=desk.reviewers[0].id))

    with pytest.raises(IntegrityError):
        publish.commit(session, [pending])
    session.rollback()

    assert desk.files() == [f"2026/puli-township-{proposal.id}.md"]
    assert desk.file_of(proposal).read_bytes() == written


def test_only_a_published_proposal_is_written(desk: Desk, session: Session) -> None:
    proposal = desk.approved()

    with pytest.raises(publish.PublishError) as caught:
        publish.stage_case(session, proposal, desk.proposals_dir)

    assert str(caught.value) == "提案目前為「核定」，只有已公開的提案可以寫出公開檔案。"
    assert desk.files() == []


@pytest.mark.parametrize(
    ("code", "readable"),
    [("10008020", "puli-township"), ("10016050", "wangan-township"), ("63000020", "xinyi-district")],
)
def test_slug_is_the_english_township_name_and_id(make: Factory, code: str, readable: str) -> None:
    author = make.user(Role.TOWNSHIP, township=code)
    proposal = make.proposal(author, lead=code)

    assert publish.slug_for(proposal) == f"{readable}-{proposal.id}"


# --- the file format -----------------------------------------------------------------------

SAMPLE_DAY = date(2026, 11, 2)


def write_sample(root: Path, name: str = "puli-township-7.md") -> Path:
    path = root / "proposals" / "2026" / name
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(expected_case("puli-township-7", SAMPLE_DAY)), encoding="utf-8")
    return path


def test_file_reads_back_as_the_case_it_was_written_from(tmp_path: Path) -> None:
    path = write_sample(tmp_path)

    assert snapshot.load(path) == expected_case("puli-township-7", SAMPLE_DAY)


def test_publication_times_are_optional_and_round_trip(tmp_path: Path) -> None:
    path = write_sample(tmp_path)
    moment = datetime(2026, 11, 1, 16, 30, 5, tzinfo=UTC)  # 2026-11-02 00:30:05 in Taiwan
    timed = dataclasses.replace(expected_case("puli-township-7", SAMPLE_DAY), published_at=moment, updated_at=moment)
    before = snapshot.load(path)
    path.write_text(snapshot.dump(timed), encoding="utf-8")

    after = snapshot.load(path)

    assert (before.published_at, before.updated_at) == (None, None)
    assert after == timed
    front = path.read_text("utf-8").split("\n---\n", 1)[0]
    assert "published: '2026-11-02'\npublished_at: '2026-11-02T00:30:05+08:00'\n" in front
    assert "updated: '2026-11-02'\nupdated_at: '2026-11-02T00:30:05+08:00'\nrevision: 1" in front


def test_file_layout_front_matter_then_narrative_sections(tmp_path: Path) -> None:
    text = write_sample(tmp_path).read_text(encoding="utf-8")

    body = text.split("\n---\n", 1)[1]
    assert text.startswith("---\nslug: puli-township-7\ncycle: '2026'\ntitle: 埔里生態城鄉共好計畫\n")
    assert body == (
        "\n## 我的DNA\n\n埔里位居臺灣地理中心，水質純淨。\n\n"
        "## 共識願景\n\n青年留得下、遊客慢下來、農產賣得好。\n\n"
        "## 創生事業構想\n\n加工、遊程到品牌的完整價值鏈。\n\n"
        "### 山城共享加工中心\n\n"
        "#### 做什麼\n\n整建閒置倉庫為共享加工與冷鏈中心。\n\n#### 怎麼做\n\n農會出資整建並營運。\n\n"
        "### 四季慢遊遊程\n\n"
        "#### 做什麼\n\n設計跨鄉鎮的季節遊程。\n\n#### 怎麼做\n\n青年團隊成立社會企業經營。\n"
    )


def test_non_bmp_characters_and_heading_like_text_round_trip(tmp_path: Path) -> None:
    base = expected_case("puli-township-7", SAMPLE_DAY)
    business = dataclasses.replace(
        base.businesses[0],
        name="𥕢仔加工所",
        what="在𡘙仔\n## 共識願景\n#標籤",
        how="縮排：\n  # 縮排的井號\n\\# 已跳脫",
    )
    case = dataclasses.replace(
        base,
        title="𥕢仔與𡘙仔的山城",
        dna=dataclasses.replace(base.dna, summary="𡘙仔地名\n\n### 山城共享加工中心"),
        businesses=(business, base.businesses[1]),
    )
    path = tmp_path / "proposals" / "2026" / "puli-township-7.md"
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(case), encoding="utf-8")

    text = path.read_text(encoding="utf-8")
    assert snapshot.load(path) == case
    assert ("title: 𥕢仔與𡘙仔的山城" in text, "### 𥕢仔加工所" in text, "\\## 共識願景" in text) == (True, True, True)


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


BAD_FILES = [
    pytest.param(
        replace("  code: '10008020'\n", "  code: '1000802'\n"),
        "puli-township-7.md",
        "欄位「township.code」必須是 8 位數字",
        id="bad-township-code",
    ),
    pytest.param(
        replace("- technology\n", "- teleport\n"),
        "puli-township-7.md",
        "欄位「strategies[1]」的「teleport」不是已知的策略代碼"
        "（可用：hometown_investment、technology、ministry_resources、social_participation、brand）",
        id="unknown-strategy",
    ),
    pytest.param(
        replace("- date: '2025-06-21'\n", "- date: 2025/06/21\n"),
        "puli-township-7.md",
        "欄位「consensus.events[0].date」必須是 YYYY-MM-DD 格式的日期",
        id="bad-date",
    ),
    pytest.param(
        replace("published: '2026-11-02'\n", "published: '2026-11-31'\n"),
        "puli-township-7.md",
        "欄位「published」必須是 YYYY-MM-DD 格式的日期",
        id="date-that-does-not-exist",
    ),
    pytest.param(
        lambda text: text,
        "puli-township-8.md",
        "欄位「slug」是「puli-township-7」，但檔名是「puli-township-8.md」；檔名必須是 <slug>.md",
        id="slug-mismatch",
    ),
    pytest.param(replace(f"title: {TITLE}\n", ""), "puli-township-7.md", "缺少欄位「title」", id="missing-title"),
    pytest.param(
        replace(f"title: {TITLE}\n", f"title: {TITLE}\ntitel: 錯字\n"),
        "puli-township-7.md",
        "不認得的欄位「titel」",
        id="unknown-key",
    ),
    pytest.param(
        replace("  name_en: Puli Township\n", "  name_en: Puli Township\n  nmae: 埔里\n"),
        "puli-township-7.md",
        "不認得的欄位「township.nmae」",
        id="unknown-nested-key",
    ),
    pytest.param(
        replace(f"title: {TITLE}\n", f"title: [{TITLE}\n"),
        "puli-township-7.md",
        "前置資料第 5 行的 YAML 格式錯誤：expected ',' or ']', but got ':'",
        id="yaml-syntax-error",
    ),
    pytest.param(
        replace("theme: 生態旅遊與農產加值\n", "theme: 生態旅遊與農產加值\ntheme: 重複\n"),
        "puli-township-7.md",
        "前置資料第 21 行的 YAML 格式錯誤：欄位「theme」重複出現",
        id="key-given-twice",
    ),
    pytest.param(
        replace("  total: 14000\n", "  total: 15000\n"),
        "puli-township-7.md",
        "欄位「resources.total」必須等於 by_source 的總和 14000",
        id="total-not-the-sum",
    ),
    pytest.param(
        replace("## 共識願景\n\n青年留得下、遊客慢下來、農產賣得好。\n\n", ""),
        "puli-township-7.md",
        "正文第 136 行：應為「## 共識願景」（欄位「consensus.vision」），但寫的是「## 創生事業構想」",
        id="body-section-missing",
    ),
    pytest.param(
        replace("updated: '2026-11-02'\n", "updated: '2026-11-02'\npublished_at: '2026-11-02 09:15'\n"),
        "puli-township-7.md",
        "欄位「published_at」必須是 YYYY-MM-DDTHH:MM:SS+08:00 格式的時間",
        id="time-without-offset",
    ),
    pytest.param(
        replace("updated: '2026-11-02'\n", "updated: '2026-11-02'\npublished_at: '2026-11-02T16:30:00+00:00'\n"),
        "puli-township-7.md",
        "欄位「published_at」的臺灣日期必須是 published 的 2026-11-02",
        id="time-on-another-taiwan-day",
    ),
    pytest.param(
        replace(
            "updated: '2026-11-02'\n",
            "updated: '2026-11-02'\npublished_at: '2026-11-02T10:00:00+08:00'\n"
            "updated_at: '2026-11-02T09:59:59+08:00'\n",
        ),
        "puli-township-7.md",
        "欄位「updated_at」不可早於 published_at",
        id="updated-before-published",
    ),
]


@pytest.mark.parametrize(("edit", "name", "message"), BAD_FILES)
def test_hand_edited_file_error_names_file_and_field(
    tmp_path: Path, edit: Callable[[str], str], name: str, message: str
) -> None:
    path = write_sample(tmp_path, name)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(snapshot.SnapshotError) as caught:
        snapshot.load(path)

    assert str(caught.value) == f"{path}：{message}"


def test_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = write_sample(tmp_path)
    path.write_bytes(path.read_text(encoding="utf-8").encode("big5", errors="replace"))

    with pytest.raises(snapshot.SnapshotError) as caught:
        snapshot.load(path)

    assert str(caught.value) == f"{path}：不是 UTF-8 編碼的檔案"


# --- demo and command line -----------------------------------------------------------------

CHISHANG, WANGAN = "2026/chishang-rice-2026.md", "2026/wangan-turtle-island-2026.md"
PUBLISHED_DEMOS = [case for case in demo_cases() if case["stage"] == "published"]
# The published demo cases in the order the portal writes them: by cycle, then as the
# demo created them.
DEMO_ORDER = [f"{case['cycle']}/{case['slug']}.md" for case in sorted(PUBLISHED_DEMOS, key=lambda case: case["cycle"])]
DEMO_FILES = sorted(DEMO_ORDER)
COUNCILS = {
    "2024": Approval("第1次地方創生會報", date(2024, 8, 20)),
    "2025": Approval("第2次地方創生會報", date(2025, 8, 19)),
    "2026": Approval(DEMO_MEETING, DECIDED_ON),
}


def test_demo_writes_its_published_cases_each_under_its_cycle(app: Flask) -> None:
    run_demo(app)

    root = Path(app.config["PROPOSALS_DIR"])
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    cases = [snapshot.load(root / name) for name in files]
    assert len(files) == 16
    assert files == DEMO_FILES
    # Each approved at the 會報 of its own cycle.
    assert [(c.slug, c.decision) for c in cases] == [
        (case["slug"], COUNCILS[case["cycle"]])
        for case in sorted(PUBLISHED_DEMOS, key=lambda case: f"{case['cycle']}/{case['slug']}.md")
    ]
    assert [
        (c.slug, c.title, c.township.name) for c in cases if c.slug in {"lieyu-taro-2024", "chishang-rice-2026"}
    ] == [
        ("lieyu-taro-2024", "烈嶼芋頭共好：小金門芋作加工與閩南古厝再生計畫", "烈嶼鄉"),
        ("chishang-rice-2026", "池上米鄉共好：稻作文化與有機循環創生計畫", "池上鄉"),
    ]


def test_publish_all_rewrites_missing_files_and_names_strays(app: Flask) -> None:
    run_demo(app)
    root = Path(app.config["PROPOSALS_DIR"])
    kept = (root / WANGAN).read_bytes()
    (root / CHISHANG).unlink()
    (root / "2026" / "old-case.md").write_text("---\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["publish", "--all"])

    assert (result.exit_code, result.output) == (
        0,
        "".join(f"  {name}：{'新增' if name == CHISHANG else '未變更'}\n" for name in DEMO_ORDER)
        + "共 16 件已公開案例：新增 1、更新 0、未變更 15。\n"
        f"注意：{root} 中有 1 個檔案沒有對應的已公開提案（未刪除，請確認後自行處理）：\n"
        "  2026/old-case.md\n",
    )
    assert (root / WANGAN).read_bytes() == kept
    assert snapshot.load(root / CHISHANG).slug == "chishang-rice-2026"


def test_publish_without_all_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["publish"])

    assert (result.exit_code, result.output.strip()) == (1, "錯誤：請加上 --all：重新寫出所有已公開案例的公開檔案。")


def test_a_published_case_links_to_its_public_page_and_an_approved_one_does_not(desk: Desk) -> None:
    desk.app.config["SITE_URL"] = "https://showcase.example.gov.tw/"
    proposal = desk.approved()

    def links() -> list[str]:
        page = desk.browser.client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        return re.findall(r'<a class="button secondary" href="(https://[^"]+)">公開網站上的案例頁</a>', page)

    before = links()
    desk.move(proposal, "publish")

    assert before == []
    assert links() == [f"https://showcase.example.gov.tw/cases/puli-township-{proposal.id}/"]
