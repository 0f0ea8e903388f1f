"""Saves made at the same time: every acknowledged save survives, a stale one is refused.

Two clerks (or two tabs) interleaved through the real pages, threads calling the save
operation at once on separate database sessions, and the stale-form checks of the other
editable records: score forms, programmes and accounts."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from portal import db, operations, review
from portal.db.models import Programme, Proposal, Revision, User
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.workflow import Action
from tests.conftest import PULI, Auth, Factory
from tests.test_review import Round, review_form, scores
from tests.test_wizard import (
    CONFLICT_HEADING,
    Tab,
    flashes,
    fresh,
    other_browser,
    read_form,
    section_path,
    stored,
    typed_document,
    typed_values,
    visible_text,
)

SECTIONS = ("dna", "stakeholders", "consensus", "businesses", "resources", "kpis")


@pytest.fixture
def clerk(make: Factory, auth: Auth) -> User:
    """A Puli township clerk, logged in on `auth.client`."""
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    return user


@pytest.fixture
def draft(make: Factory, clerk: User, session: Session) -> Proposal:
    proposal = make.proposal(clerk)
    proposal.content = typed_document()
    session.commit()
    return proposal


# --- two people, interleaved through the pages ------------------------------------------------


def test_two_clerks_saving_different_sections_interleaved_both_saves_survive(
    app: Flask, make: Factory, auth: Auth, draft: Proposal, session: Session
) -> None:
    # Arrange: both open their form before either saves.
    colleague = other_browser(app, make, Role.TOWNSHIP, township=PULI)
    tab_a = Tab(auth.client, section_path(draft.id, "dna"))
    tab_b = Tab(colleague.client, section_path(draft.id, "stakeholders"))
    tab_a.type({"summary": "甲寫的地方DNA摘要"})
    tab_b.type({"rows-0-name": "乙登錄的埔里鎮農會"})

    # Act
    saved = [tab_a.press().status_code, tab_b.press().status_code]

    # Assert
    content = fresh(session, draft.id).content
    assert saved == [302, 302]
    assert (content["dna"]["summary"], content["stakeholders"][0]["name"]) == (
        "甲寫的地方DNA摘要",
        "乙登錄的埔里鎮農會",
    )
    assert content["meta"]["versions"] == {"dna": 1, "stakeholders": 1}


def test_two_clerks_saving_the_same_section_second_gets_conflict_page_with_both_values(
    app: Flask, make: Factory, auth: Auth, draft: Proposal, session: Session
) -> None:
    # Arrange
    colleague = other_browser(app, make, Role.TOWNSHIP, township=PULI)
    path = section_path(draft.id, "consensus")
    tab_a, tab_b = Tab(auth.client, path), Tab(colleague.client, path)
    tab_a.type({"vision": "甲的共識願景"})
    tab_b.type({"vision": "乙的共識願景"})
    typed_in_b = typed_values(tab_b.fields)

    # Act
    codes = [tab_a.press().status_code, tab_b.press().status_code]

    # Assert
    heading = re.search(r'<h2 id="conflict-heading">(.*?)</h2>', tab_b.page)
    saved_panel = re.search(r'<div class="conflict-saved">(.*?)</section>', tab_b.page, re.S)
    assert codes == [302, 409]
    assert heading is not None and heading.group(1) == CONFLICT_HEADING
    assert saved_panel is not None and "甲的共識願景" in visible_text(saved_panel.group(1))
    assert typed_values(tab_b.fields) == {**typed_in_b, "overwrite": ["1"]}
    assert fresh(session, draft.id).content["consensus"]["vision"] == "甲的共識願景"


# --- threads calling the operation at once ----------------------------------------------------


@dataclass
class Saver:
    """One thread's saves: what was acknowledged (committed) and what was refused."""

    section: str
    acknowledged: list[tuple[int, str]] = field(default_factory=list)  # (version, value)
    refused: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)


def save_repeatedly(
    app: Flask, proposal_id: int, saver: Saver, name: str, saves: int, start: threading.Barrier
) -> None:
    """Open the form (read the row), wait a moment, save; `saves` times, on its own session."""
    chance = random.Random(name)
    with db.database(app).session() as own:
        start.wait()
        for number in range(saves):
            own.expire_all()
            proposal = own.get(Proposal, proposal_id)
            assert proposal is not None
            author = own.get(User, proposal.created_by_id)
            assert author is not None
            opened_at = operations.section_version(proposal.content, saver.section)
            value = f"{name} 第 {number} 次儲存"
            threading.Event().wait(chance.uniform(0, 0.01))
            try:
                operations.save_section(own, proposal, author, saver.section, {"summary": value}, opened_at=opened_at)
                own.commit()
            except DomainError as error:
                own.rollback()
                saver.refused.append(type(error).__name__)
            except Exception as error:  # counted, so that the test shows it
                own.rollback()
                saver.crashed.append(repr(error))
            else:
                saver.acknowledged.append((operations.section_version(proposal.content, saver.section), value))


def run_savers(app: Flask, proposal_id: int, savers: list[Saver], saves: int) -> None:
    start = threading.Barrier(len(savers))
    threads = [
        threading.Thread(target=save_repeatedly, args=(app, proposal_id, saver, f"執行緒{i}", saves, start))
        for i, saver in enumerate(savers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_threads_saving_different_sections_at_once_lose_no_acknowledged_save(
    app: Flask, draft: Proposal, session: Session
) -> None:
    # Arrange
    savers = [Saver(section) for section in SECTIONS]

    # Act
    run_savers(app, draft.id, savers, saves=6)

    # Assert: every save was acknowledged and the last one of each section is what is stored.
    content = fresh(session, draft.id).content
    assert [(s.section, len(s.acknowledged), s.refused, s.crashed) for s in savers] == [
        (section, 6, [], []) for section in SECTIONS
    ]
    assert {s: content[s]["summary"] for s in SECTIONS} == {s.section: s.acknowledged[-1][1] for s in savers}
    assert content["meta"]["versions"] == dict.fromkeys(SECTIONS, 6)


def test_threads_saving_one_section_at_once_each_acknowledged_save_is_a_version(
    app: Flask, draft: Proposal, session: Session
) -> None:
    # Arrange
    savers = [Saver("dna") for _ in range(4)]

    # Act
    run_savers(app, draft.id, savers, saves=5)

    # Assert: acknowledged saves form one unbroken chain of versions; the rest were refused
    # as edit conflicts (each was based on a version someone else had replaced).
    acknowledged = sorted(a for s in savers for a in s.acknowledged)
    refused = [r for s in savers for r in s.refused]
    content = fresh(session, draft.id).content
    assert [s.crashed for s in savers] == [[], [], [], []]
    assert [version for version, _ in acknowledged] == list(range(1, len(acknowledged) + 1))
    assert (len(acknowledged) + len(refused), set(refused) <= {"EditConflict"}) == (20, True)
    assert (content["dna"]["summary"], content["meta"]["versions"]["dna"]) == (acknowledged[-1][1], len(acknowledged))


def test_workflow_move_from_a_stale_copy_is_refused_and_writes_nothing(
    app: Flask, clerk: User, draft: Proposal, session: Session
) -> None:
    # Arrange: this session read the draft; another then saved a section of it.
    stale = session.get(Proposal, draft.id)
    assert stale is not None
    with db.database(app).session() as other:
        current = other.get(Proposal, draft.id)
        author = other.get(User, clerk.id)
        assert current is not None and author is not None
        operations.save_section(other, current, author, "dna", {"summary": "剛存的"}, opened_at=0)
        other.commit()

    # Act
    with pytest.raises(operations.StaleRecord) as refused:
        operations.apply_transition(session, stale, Action.SUBMIT, clerk)
    session.rollback()

    # Assert
    assert str(refused.value) == (
        "這件提案在您開啟頁面後已被其他人更新，這次沒有儲存。請重新整理頁面，確認最新內容後再試一次。"
    )
    after = fresh(session, draft.id)
    revisions = session.scalars(select(Revision).where(Revision.proposal_id == draft.id)).all()
    assert (after.status, after.content["dna"]["summary"], list(revisions)) == ("draft", "剛存的", [])


# --- malformed wizard posts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("button", "changes", "message"),
    [
        pytest.param(
            None,
            {"version": "abc"},
            "無法辨識這份表單是從哪一版開啟的，這次沒有儲存。您輸入的內容都還在，請再按一次「儲存」。",
            id="non-integer-version",
        ),
        pytest.param(
            None,
            {"version": "９"},
            "無法辨識這份表單是從哪一版開啟的，這次沒有儲存。您輸入的內容都還在，請再按一次「儲存」。",
            id="full-width-digit-version",
        ),
        pytest.param(
            ("remove", "version-0"),
            {},
            "找不到要新增或刪除的那一列，這次沒有儲存。您輸入的內容都還在。",
            id="remove-version-0",
        ),
        pytest.param(
            ("remove", "rows-99999999999999999999"),
            {},
            "找不到要新增或刪除的那一列，這次沒有儲存。您輸入的內容都還在。",
            id="remove-huge-row",
        ),
    ],
)
def test_malformed_wizard_post_gets_message_keeps_input_and_saves_nothing(
    auth: Auth,
    draft: Proposal,
    session: Session,
    button: tuple[str, str] | None,
    changes: dict[str, str],
    message: str,
) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "stakeholders"))
    tab.type({"rows-0-name": "輸入中的農會", **changes})
    data = MultiDict(tab.fields)
    if button:
        data.add(*button)

    response = auth.client.post(tab.path, data=data)

    page = response.get_data(as_text=True)
    assert (response.status_code, flashes(page)) == (400, [("error", message)])
    assert 'value="輸入中的農會"' in page
    assert stored(session, draft.id) == before


# --- other editable records ---------------------------------------------------------------------


def test_score_form_opened_before_a_new_revision_is_refused(world: Round, session: Session) -> None:
    # Arrange: reviewer 0 opens the score page of v1; reviewer 1 scores v1, the NDC asks for
    # a revision and the township resubmits v2, which is back in review.
    first, second = world.reviewers[0], world.reviewers[1]
    proposal = world.in_review(first, second)
    tab = Tab(world.browser(first).client, f"/review/{proposal.id}")
    tab.type(review_form(scores(4, 3, 5)))
    world.score(proposal, second, scores(3, 3, 3))
    for action, actor in [
        (Action.REQUEST_REVISION, world.admin),
        (Action.REVISE, world.township),
        (Action.SUBMIT, world.township),
        (Action.FORWARD, world.county),
    ]:
        operations.apply_transition(session, world.fresh(proposal), action, actor, "請補充")
    review.assign(session, world.fresh(proposal), world.admin, [first.id, second.id])
    session.commit()

    # Act
    refused = tab.press()

    # Assert
    assert (refused.status_code, flashes(tab.page)) == (
        200,
        [
            (
                "error",
                "您開啟評分頁後，提案單位已送出新的版本 v2，這次沒有送出評分。"
                "請閱讀新版本（頁面上方列出與您上次評分版本的差異）後再評分。",
            )
        ],
    )
    assert [r.reviewer_id for r in world.reviews(proposal)] == [second.id]


class ActionTab(Tab):
    """A tab whose form posts to its own path named in `action` (the admin pages)."""

    def show(self, response: TestResponse) -> None:
        self.response = response
        self.page = response.get_data(as_text=True)
        self.fields, self.names = read_form(self.page, action=self.path)


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> Round:
    return Round(app, make, session)


def test_programme_edit_from_a_stale_page_is_refused_then_replaces_on_purpose(
    app: Flask, make: Factory, auth: Auth, session: Session
) -> None:
    # Arrange
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    programme = session.scalars(select(Programme).order_by(Programme.id)).first()
    assert programme is not None
    path = f"/admin/programmes/{programme.id}"
    other_admin = other_browser(app, make, Role.ADMIN)
    tab_a, tab_b = ActionTab(auth.client, path), ActionTab(other_admin.client, path)
    tab_a.type({"name": "甲改的計畫名稱"})
    tab_b.type({"name": "乙改的計畫名稱"})

    # Act
    codes = [tab_a.press().status_code, tab_b.press().status_code]
    after_refusal = session.scalar(select(Programme.name).where(Programme.id == programme.id))
    replaced = tab_b.press()

    # Assert
    assert codes == [302, 409]
    assert flashes(tab_b.page) == [
        (
            "error",
            f"這個計畫在您開啟頁面後已被其他人修改為「{programme.ministry}：甲改的計畫名稱」，這次沒有儲存。"
            "下方仍是您輸入的內容；請比對後再按一次「儲存」以您的內容取代。",
        )
    ]
    session.expire_all()
    assert (after_refusal, replaced.status_code, session.get(Programme, programme.id).name) == (  # type: ignore[union-attr]
        "甲改的計畫名稱",
        302,
        "乙改的計畫名稱",
    )


def test_account_switch_pressed_on_a_stale_page_does_not_undo_the_other_admins_change(
    app: Flask, make: Factory, auth: Auth, session: Session
) -> None:
    # Arrange: two admins see the reviewer as active.
    target = make.user(Role.REVIEWER)
    first = make.user(Role.ADMIN)
    auth.login(first.email)
    second = other_browser(app, make, Role.ADMIN)
    pages = [Tab(a.client, "/admin/users") for a in (auth, second)]
    action = f"/admin/users/{target.id}/active"
    forms: list[dict[str, Any]] = []
    for page in pages:
        match = re.search(rf'<form method="post" action="{action}".*?</form>', page.page, re.S)
        assert match is not None
        forms.append(dict(re.findall(r'name="(\w+)" value="([^"]*)"', match.group(0))))

    # Act
    disabled = auth.client.post(action, data=forms[0], follow_redirects=True)
    undone = second.client.post(action, data=forms[1], follow_redirects=True)

    # Assert
    session.expire_all()
    assert forms[1]["shown"] == "1"
    assert flashes(disabled.get_data(as_text=True))[0][0] == "success"
    assert flashes(undone.get_data(as_text=True)) == [
        ("error", f"帳號 {target.email} 在您開啟頁面後已被其他管理者改為「已停用」，這次沒有變更。")
    ]
    assert session.get(User, target.id).active is False  # type: ignore[union-attr]


# --- the load and crash script, short -----------------------------------------------------------

LOADCHECK = Path(__file__).resolve().parent.parent / "tools" / "loadcheck.py"


@pytest.mark.parametrize("kill", [False, True], ids=["steady", "server-killed"])
def test_loadcheck_short_run_finds_every_acknowledged_save(kill: bool) -> None:
    command = [sys.executable, str(LOADCHECK), "--clients", "4", "--seconds", "4", "--workers", "2"]

    finished = subprocess.run(
        [*command, "--kill"] if kill else command, capture_output=True, text=True, timeout=240, check=False
    )

    figures = dict(re.findall(r"^(acknowledged saves|saves found): (\d+)$", finished.stdout, re.M))
    assert (finished.returncode, finished.stderr) == (0, ""), finished.stdout
    assert figures["acknowledged saves"] == figures["saves found"]
    assert int(figures["acknowledged saves"]) > 0
    assert ("server killed 1 time(s)" in finished.stdout.splitlines()[0]) is kill
