"""Rounds (梯次): date rules, the NDC's pages, deadlines on submit and forward, reopening,
the new-proposal page, days-left display, reminders and the migration of cycles."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal import operations, rounds
from portal.config import ConfigError, resolve
from portal.db import make_engine, migrate
from portal.db.models import AuditEvent, OutboxMessage, Proposal, Round, RoundReminder, User
from portal.domain import rounds as rules
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.workflow import Action
from tests.conftest import NANTOU, PULI, Auth, Factory, empty_database_url

D = date(2026, 11, 30)


def dates(opens: int, closes: int, forwarding: int, report: int, base: date = D) -> rules.RoundDates:
    return rules.RoundDates(*(base + timedelta(days=n) for n in (opens, closes, forwarding, report)))


def error_texts(html: str) -> dict[str, str]:
    """Field id → the error message shown next to it."""
    found = re.findall(
        r'<p class="error-message" id="([a-z_]+)-error">\s*<span class="visually-hidden">錯誤：</span>(.*?)\s*</p>',
        html,
        re.S,
    )
    return dict(found)


def flashes(html: str) -> list[str]:
    return re.findall(r'<span class="flash-text">(.*?)</span>', html, re.S)


def form_of(item: rules.RoundDates, name: str, token: str) -> dict[str, str]:
    return {"name": name, "csrf_token": token, **{f: getattr(item, f).isoformat() for f in rules.FIELDS}}


# --- the rules of dates (plain Python) ---------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (dates(0, 15, 30, 90), {}),
        (dates(0, 0, 0, 0), {}),
        (dates(-60, -1, 30, 90), {"submission_closes": "鄉鎮市區送件截止日不可早於今天（2026/11/30）。"}),
        (dates(0, 15, 30, -1), {"report_due": "年度成果報告期限日不可早於今天（2026/11/30）。"}),
        (dates(10, 5, 30, 90), {"submission_closes": "鄉鎮市區送件截止日不可早於開始送件日。"}),
        (dates(0, 15, 14, 90), {"forwarding_closes": "縣市轉送截止日不可早於鄉鎮市區送件截止日。"}),
        (dates(0, 15, 30, 29), {"report_due": "年度成果報告期限不可早於縣市轉送截止日。"}),
    ],
)
def test_date_errors_new_round(given: rules.RoundDates, expected: dict[str, str]) -> None:
    assert rules.date_errors(given, D) == expected


def test_date_errors_overlapping_window_names_the_other_round() -> None:
    other = rules.Window("115年度第1梯次", date(2026, 12, 10), date(2027, 1, 31))

    errors = rules.date_errors(dates(0, 15, 30, 90), D, others=[other])

    overlap = "送件期間與「115年度第1梯次」（2026/12/10–2027/01/31）重疊；各梯次的鄉鎮市區送件期間不可重疊。"
    assert errors == {"submission_opens": overlap}


def test_date_errors_adjacent_windows_do_not_overlap() -> None:
    other = rules.Window("前一梯次", date(2026, 1, 1), D - timedelta(days=1))

    assert rules.date_errors(dates(0, 15, 30, 90), D, others=[other]) == {}


def test_date_errors_edit_keeps_past_deadline_unchanged_but_refuses_moving_one_into_past() -> None:
    saved = dates(-90, -20, -10, 60)

    unchanged = rules.date_errors(saved, D, before=saved)
    moved = rules.date_errors(dates(-90, -21, -10, 60), D, before=saved)

    assert (unchanged, moved) == ({}, {"submission_closes": "鄉鎮市區送件截止日不可早於今天（2026/11/30）。"})


@pytest.mark.parametrize(
    ("closes", "expected"),
    [
        (D + timedelta(days=15), "送出期限 2026/12/15（尚餘 15 天）"),
        (D + timedelta(days=1), "送出期限 2026/12/01（尚餘 1 天）"),
        (D, "送出期限 2026/11/30（今天截止）"),
        (D - timedelta(days=1), "送出期限 2026/11/29（已截止）"),
    ],
)
def test_deadline_text_days_left(closes: date, expected: str) -> None:
    assert rules.deadline_text(rules.Deadline.SUBMISSION, closes, D) == expected


@pytest.mark.parametrize(("value", "expected"), [("7,1", (7, 1)), ("1, 7,7", (7, 1)), ("0", (0,)), ("", ())])
def test_reminder_days_parses_setting(value: str, expected: tuple[int, ...]) -> None:
    assert rules.reminder_days(value) == expected


@pytest.mark.parametrize("value", ["7,x", "-1", "400", "７"])
def test_reminder_days_refuses_anything_but_whole_days(value: str) -> None:
    with pytest.raises(ValueError, match="提醒天數必須是 0 到 365 的整數"):
        rules.reminder_days(value)


# --- the NDC's pages ---------------------------------------------------------------------


@pytest.fixture
def admin(make: Factory, auth: Auth) -> User:
    user = make.user(Role.ADMIN)
    auth.login(user.email)
    return user


def today() -> date:
    return operations.taiwan_today()


def test_admin_creates_round_audited(auth: Auth, admin: User, session: Session) -> None:
    given = dates(0, 15, 30, 90, base=today())

    response = auth.client.post(
        "/admin/rounds/new", data=form_of(given, "115年度第1梯次", auth.csrf("/admin/rounds/new"))
    )

    assert response.status_code == 302
    item = session.scalars(select(Round)).one()
    assert (item.name, item.cycle, item.dates) == ("115年度第1梯次", str(today().year), given)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "round_add")).one()
    assert event.actor_id == admin.id
    listed = auth.client.get("/admin/rounds/").get_data(as_text=True)
    assert f"送出期限 {rules.slash(given.submission_closes)}（尚餘 15 天）" in listed


def test_admin_round_form_errors_next_to_fields_and_nothing_written(
    auth: Auth, admin: User, make: Factory, session: Session
) -> None:
    existing = make.round("115年度第1梯次", opened=-10, closes=5, forwarding=10, report=60)
    given = dates(3, 2, 1, 0, base=today() + timedelta(days=0))

    response = auth.client.post(
        "/admin/rounds/new", data=form_of(given, "115年度第1梯次", auth.csrf("/admin/rounds/new"))
    )

    assert response.status_code == 200
    errors = error_texts(response.get_data(as_text=True))
    window = f"{rules.slash(existing.submission_opens)}–{rules.slash(existing.submission_closes)}"
    assert errors == {
        "name": "已經有名為「115年度第1梯次」的梯次，請換一個名稱。",
        "submission_opens": f"送件期間與「115年度第1梯次」（{window}）重疊；各梯次的鄉鎮市區送件期間不可重疊。",
        "submission_closes": "鄉鎮市區送件截止日不可早於開始送件日。",
        "forwarding_closes": "縣市轉送截止日不可早於鄉鎮市區送件截止日。",
        "report_due": "年度成果報告期限不可早於縣市轉送截止日。",
    }
    assert [r.name for r in session.scalars(select(Round))] == ["115年度第1梯次"]
    assert 'value="115年度第1梯次"' in response.get_data(as_text=True)


def test_admin_round_past_deadline_on_creation_refused(auth: Auth, admin: User, session: Session) -> None:
    given = dates(-30, -1, 10, 60, base=today())

    response = auth.client.post(
        "/admin/rounds/new", data=form_of(given, "114年度第2梯次", auth.csrf("/admin/rounds/new"))
    )

    assert error_texts(response.get_data(as_text=True)) == {
        "submission_closes": f"鄉鎮市區送件截止日不可早於今天（{rules.slash(today())}）。"
    }
    assert session.scalars(select(Round)).all() == []


def test_admin_pages_refuse_other_roles(auth: Auth, make: Factory) -> None:
    county = make.user(Role.COUNTY, county=NANTOU)
    auth.login(county.email)

    assert [auth.client.get(p).status_code for p in ("/admin/rounds/", "/admin/rounds/new")] == [403, 403]


# --- deadlines on submit and forward, and reopening --------------------------------------


def in_round(session: Session, proposal: Proposal, item: Round) -> Proposal:
    proposal.round = item
    session.commit()
    return proposal


def test_submit_after_township_deadline_refused_then_allowed_after_reopen(
    make: Factory, session: Session, auth: Auth
) -> None:
    closed = make.round(opened=-40, closes=-1, forwarding=20, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    admin = make.user(Role.ADMIN)
    proposal = in_round(session, make.proposal(township), closed)

    with pytest.raises(rules.DeadlinePassed) as refused:
        operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.rollback()
    assert str(refused.value) == (
        f"「115年度第1梯次」的鄉鎮市區送件已於 {rules.slash(today() - timedelta(days=1))} 截止，這次沒有送出。"
        "如需延後，請洽國發會重新開放這個梯次。"
    )
    assert (proposal.status, proposal.revision_count) == ("draft", 0)

    reopened = dates(-40, 3, 20, 60, base=today())
    action = rounds.update_round(session, admin, closed, closed.name, reopened, today())
    session.commit()
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()

    assert (action, proposal.status, proposal.revision_count) == ("round_reopen", "submitted", 1)


def test_forward_after_county_deadline_refused_on_page_then_allowed_after_reopen(
    make: Factory, session: Session, auth: Auth
) -> None:
    item = make.round(opened=-40, closes=2, forwarding=5, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    county = make.user(Role.COUNTY, county=NANTOU)
    admin = make.user(Role.ADMIN)
    proposal = in_round(session, make.proposal(township), item)
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()
    # The county deadline passes.
    item.submission_closes = item.forwarding_closes = today() - timedelta(days=1)
    session.commit()
    auth.login(county.email)

    def forward() -> str:
        token = auth.csrf(f"/proposals/{proposal.id}")
        response = auth.client.post(
            f"/proposals/{proposal.id}/transition", data={"action": "forward", "reason": "", "csrf_token": token}
        )
        return "".join(flashes(auth.client.get(response.location).get_data(as_text=True)))

    refused = forward()
    session.expire_all()
    status_after_refusal = proposal.status
    rounds.update_round(session, admin, item, item.name, dates(-40, -1, 2, 60, base=today()), today())
    session.commit()
    forward()
    session.expire_all()

    assert refused == (
        f"「115年度第1梯次」的縣市轉送國發會已於 {rules.slash(today() - timedelta(days=1))} 截止，這次沒有送出。"
        "如需延後，請洽國發會重新開放這個梯次。"
    )
    assert (status_after_refusal, proposal.status) == ("submitted", "forwarded")
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("round_%"))))
    assert actions == ["round_reopen"]


def test_resubmission_after_ndc_revision_request_is_not_held_to_deadline(make: Factory, session: Session) -> None:
    item = make.round(opened=-40, closes=-1, forwarding=-1, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    proposal = in_round(session, make.proposal(township), item)
    proposal.status = "revision_requested"
    operations.audit(session, None, Action.REQUEST_REVISION.value, proposal=proposal, reason="請補充 KPI")
    session.commit()
    operations.apply_transition(session, proposal, Action.REVISE, township)

    operations.apply_transition(session, proposal, Action.SUBMIT, township)

    assert proposal.status == "submitted"


# --- the new-proposal page ---------------------------------------------------------------


def test_new_proposal_without_open_round_is_refused(make: Factory, auth: Auth, session: Session) -> None:
    make.round(opened=-40, closes=-1, forwarding=10, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(township.email)
    token = auth.csrf("/auth/login")

    page = auth.client.get("/proposals/new").get_data(as_text=True)
    posted = auth.client.post(
        "/proposals/new", data={"title": "x", "type": "township", "lead_township": PULI, "csrf_token": token}
    )

    notice = (
        "目前沒有開放送件的梯次，暫時不能建立新提案。梯次開放的時間請洽縣市政府或國發會；已建立的草稿仍可繼續填寫。"
    )
    assert (notice in page, 'name="title"' in page) == (True, False)
    assert (posted.status_code, notice in posted.get_data(as_text=True)) == (200, True)
    assert session.scalars(select(Proposal)).all() == []


def test_new_proposal_single_open_round_preselected_and_used(make: Factory, auth: Auth, session: Session) -> None:
    make.round("114年度第2梯次", opened=-400, closes=-300, forwarding=-290, report=-200)
    item = make.round()
    township = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(township.email)

    page = auth.client.get("/proposals/new").get_data(as_text=True)
    options = re.findall(r'<option([^>]*)value="(\d+)"([^>]*)>([^<]*)</option>', page)
    token = auth.csrf("/proposals/new")
    created = auth.client.post(
        "/proposals/new", data={"title": "埔里", "type": "township", "lead_township": PULI, "csrf_token": token}
    )

    closes = rules.slash(today() + timedelta(days=15))
    assert [(value, "selected" in a + b, label) for a, value, b, label in options if label.startswith("1")] == [
        (str(item.id), True, f"115年度第1梯次（送出期限 {closes}（尚餘 15 天））")
    ]
    proposal = session.scalars(select(Proposal)).one()
    assert (created.location, proposal.round_id, proposal.cycle) == (
        f"/proposals/{proposal.id}/edit",
        item.id,
        item.cycle,
    )
    overview = auth.client.get(created.location).get_data(as_text=True)
    assert re.findall(r'<p class="round-deadline">(.*?)</p>', overview) == [
        f"<strong>115年度第1梯次</strong>・送出期限 {closes}（尚餘 15 天）"
    ]


def test_county_list_shows_forwarding_deadline_and_days_left(make: Factory, auth: Auth, session: Session) -> None:
    item = make.round(opened=-40, closes=1, forwarding=4, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    county = make.user(Role.COUNTY, county=NANTOU)
    proposal = in_round(session, make.proposal(township), item)
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()
    auth.login(county.email)

    listed = auth.client.get("/").get_data(as_text=True)

    assert re.findall(r'<p class="hint round-deadline">(.*?)</p>', listed) == [
        f"轉送期限 {rules.slash(today() + timedelta(days=4))}（尚餘 4 天）"
    ]


# --- reminders ---------------------------------------------------------------------------


def reminders(session: Session) -> list[tuple[str, str, str]]:
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.event.like("round_%")).order_by(OutboxMessage.id))
    return [(m.recipient.email, m.event, m.subject) for m in rows]


def test_reminders_sent_once_each_to_townships_with_drafts_and_counties_waiting(
    make: Factory, session: Session
) -> None:
    item = make.round(opened=-40, closes=7, forwarding=10, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    make.user(Role.TOWNSHIP, township="10008100")  # 國姓鄉: no draft, no reminder
    county = make.user(Role.COUNTY, county=NANTOU)
    draft = in_round(session, make.proposal(township, title="草稿一"), item)
    waiting = in_round(session, make.proposal(township, title="待轉送"), item)
    operations.apply_transition(session, waiting, Action.SUBMIT, township)
    session.commit()
    on = today()

    first = rounds.send_reminders(session, on, (7, 1))
    session.commit()
    again = rounds.send_reminders(session, on, (7, 1))
    session.commit()
    later = rounds.send_reminders(session, on + timedelta(days=3), (7, 1))  # forwarding now 7 days away
    session.commit()
    last_day = rounds.send_reminders(session, on + timedelta(days=6), (7, 1))
    session.commit()

    closes, forwards = rules.slash(item.submission_closes), rules.slash(item.forwarding_closes)
    assert (first, again, later, last_day) == (1, 0, 1, 1)
    assert reminders(session) == [
        (township.email, "round_submission_reminder", f"【地方創生提案】115年度第1梯次送出期限 {closes}（尚餘 7 天）"),
        (county.email, "round_forwarding_reminder", f"【地方創生提案】115年度第1梯次轉送期限 {forwards}（尚餘 7 天）"),
        (township.email, "round_submission_reminder", f"【地方創生提案】115年度第1梯次送出期限 {closes}（尚餘 1 天）"),
    ]
    assert draft.id in {m.proposal_id for m in session.scalars(select(OutboxMessage))}
    body = session.scalars(select(OutboxMessage).where(OutboxMessage.event == "round_submission_reminder")).first()
    assert body is not None and body.body.splitlines()[2] == "・草稿一（南投縣埔里鎮）"


def test_reminder_sent_again_after_deadline_moved(make: Factory, session: Session) -> None:
    item = make.round(opened=-40, closes=1, forwarding=30, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    admin = make.user(Role.ADMIN)
    in_round(session, make.proposal(township), item)
    rounds.send_reminders(session, today(), (1,))
    rounds.update_round(session, admin, item, item.name, dates(-40, 8, 30, 60, base=today()), today())
    session.commit()

    rounds.send_reminders(session, today() + timedelta(days=7), (1,))
    session.commit()

    assert [subject[-8:] for _, _, subject in reminders(session)] == ["（尚餘 1 天）", "（尚餘 1 天）"]
    assert len(session.scalars(select(RoundReminder)).all()) == 2


def test_cli_remind_queues_and_reports_once(make: Factory, session: Session, runner: FlaskCliRunner) -> None:
    item = make.round(opened=-40, closes=1, forwarding=30, report=60)
    township = make.user(Role.TOWNSHIP, township=PULI)
    in_round(session, make.proposal(township), item)

    first = runner.invoke(args=["rounds", "remind"])
    second = runner.invoke(args=["rounds", "remind"])

    day = rules.slash(today())
    assert (first.exit_code, first.output) == (0, f"{day}：已將 1 則梯次期限提醒放入通知佇列（提前 7、1 天）。\n")
    assert (second.exit_code, second.output) == (0, f"{day}：已將 0 則梯次期限提醒放入通知佇列（提前 7、1 天）。\n")


# --- the migration of cycles into rounds -------------------------------------------------


def test_migration_makes_one_round_per_cycle_and_points_proposals_to_it(tmp_path: Path) -> None:
    # Arrange: a database as it was before rounds, with proposals of two cycles, one of
    # them with a participating township (a row pointing to the proposal).
    engine = make_engine(empty_database_url(tmp_path))
    migrate.upgrade(engine, "0007")
    now = datetime(2026, 1, 2, 3, 4, 5)
    with engine.begin() as connection:
        for statement, rows in BEFORE_ROUNDS:
            connection.execute(text(statement), [{**row, "now": now} for row in rows])

    # Act
    migrate.upgrade(engine)

    # Assert
    with engine.connect() as connection:
        made = connection.execute(
            text(
                "SELECT name, cycle, submission_opens, submission_closes, forwarding_closes, report_due"
                " FROM round ORDER BY cycle"
            )
        ).all()
        pointed = connection.execute(
            text("SELECT p.id, r.cycle FROM proposal p JOIN round r ON r.id = p.round_id ORDER BY p.id")
        ).all()
    engine.dispose()
    assert [tuple(str(v) for v in row) for row in made] == [
        ("114年度梯次", "2025", "2025-01-01", "2025-12-31", "2025-12-31", "2026-01-31"),
        ("115年度梯次", "2026", "2026-01-01", "2026-12-31", "2026-12-31", "2027-01-31"),
    ]
    assert [tuple(row) for row in pointed] == [(1, "2025"), (2, "2026"), (3, "2026")]


BEFORE_ROUNDS = [
    ("INSERT INTO region (id, name, position) VALUES (:id, :name, 1)", [{"id": 1, "name": "中彰投"}]),
    (
        "INSERT INTO county (code, name_zh, name_en, kind, position, region_id)"
        " VALUES ('10008', '南投縣', 'Nantou County', '縣', 1, 1)",
        [{}],
    ),
    (
        "INSERT INTO township (code, county_code, name_zh, name_en, zip, kind)"
        " VALUES (:code, '10008', :name, :name, '545', '鎮')",
        [{"code": PULI, "name": "埔里鎮"}, {"code": "10008100", "name": "國姓鄉"}],
    ),
    (
        "INSERT INTO user_account (id, email, name, role, township_code, affiliation, active, created_at)"
        " VALUES (1, 't@example.org', '承辦人', 'township', :code, '', :active, :now)",
        [{"code": PULI, "active": True}],
    ),
    (
        "INSERT INTO proposal (id, cycle, type, title, status, lead_township_code, county_code, created_by_id,"
        " created_at, updated_at, content, lock_version, revision_count)"
        " VALUES (:id, :cycle, 'township', :title, 'draft', :code, '10008', 1, :now, :now, '{}', 1, 0)",
        [
            {"id": 1, "cycle": "2025", "title": "a", "code": PULI},
            {"id": 2, "cycle": "2026", "title": "b", "code": PULI},
            {"id": 3, "cycle": "2026", "title": "c", "code": PULI},
        ],
    ),
    ("INSERT INTO proposal_township (proposal_id, township_code) VALUES (2, '10008100')", [{}]),
]


# --- filing a draft under another round --------------------------------------------------


def test_draft_of_closed_round_moves_to_open_round_then_submits(make: Factory, auth: Auth, session: Session) -> None:
    closed = make.round("115年度第1梯次", opened=-90, closes=-1, forwarding=5, report=60)
    current = make.round("115年度第2梯次", opened=0, closes=20, forwarding=30, report=90)
    township = make.user(Role.TOWNSHIP, township=PULI)
    proposal = in_round(session, make.proposal(township), closed)
    auth.login(township.email)

    overview = auth.client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    offered = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', overview)
    moved = auth.client.post(
        f"/proposals/{proposal.id}/round", data={"round": str(current.id), "csrf_token": auth.csrf("/")}
    )
    session.expire_all()
    operations.apply_transition(session, proposal, Action.SUBMIT, township)

    closes = rules.slash(today() + timedelta(days=20))
    assert offered == [(str(current.id), f"115年度第2梯次（送出期限 {closes}（尚餘 20 天））")]
    assert flashes(auth.client.get(moved.location).get_data(as_text=True)) == ["已改投「115年度第2梯次」。"]
    assert (proposal.round_id, proposal.cycle, proposal.status) == (current.id, current.cycle, "submitted")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "round_move")).one()
    assert (event.proposal_id, event.reason) == (proposal.id, "由「115年度第1梯次」改投「115年度第2梯次」")


def test_draft_cannot_move_to_closed_round_or_after_submission(make: Factory, session: Session) -> None:
    closed = make.round("115年度第1梯次", opened=-90, closes=-1, forwarding=5, report=60)
    current = make.round("115年度第2梯次", opened=0, closes=20, forwarding=30, report=90)
    township = make.user(Role.TOWNSHIP, township=PULI)
    proposal = in_round(session, make.proposal(township), current)

    with pytest.raises(DomainError) as to_closed:
        rounds.move_to_round(session, proposal, township, closed, today())
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    operations.apply_transition(session, proposal, Action.RETURN, make.user(Role.COUNTY, county=NANTOU), "補件")
    operations.apply_transition(session, proposal, Action.REVISE, township)
    with pytest.raises(DomainError) as submitted_once:
        rounds.move_to_round(session, proposal, township, current, today())

    assert str(to_closed.value) == "「115年度第1梯次」目前不開放送件，請選擇開放中的梯次。"
    assert str(submitted_once.value) == "這件提案已經送出過，不能改投其他梯次。"


def test_reminder_days_setting_checked_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        resolve(tmp_path, {"ENV": "testing"}, {"PORTAL_ROUND_REMINDER_DAYS": "7,一"})

    assert (
        str(refused.value)
        == "PORTAL_ROUND_REMINDER_DAYS：提醒天數必須是 0 到 365 的整數，以逗號分隔（例如 7,1），目前有「一」"
    )
