"""The proposal wizard over HTTP, as a browser drives it: real CSRF tokens, forms posted
field by field the way the templates render them, buttons pressed by name."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from portal.db.models import FormStash, Proposal, Revision, User, UserSession, utcnow
from portal.domain.roles import Role
from tests.conftest import DAREN, GUOXING, NANTOU, PASSWORD, PULI, Auth, Factory
from tests.documents import complete_document

Value = str | list[str]

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
RETURN_NOTE = "資源需求表缺少年度分配，請補充。"
CSRF_FLASH = "頁面開啟太久，安全驗證已更新。您輸入的內容都還在，請再按一次「儲存」。"
STASHED_FLASH = "登入已逾時。您剛才輸入的內容已暫存，重新登入後會回到原頁面並自動還原。"
RESTORED_FLASH = "已還原您登入逾時前輸入的內容，尚未儲存，請確認後按「儲存」。"
NOT_EDITABLE_FLASH = "這件提案目前不能修改：只有草稿可以修改。"
CONFLICT_HEADING = "這一節在您編輯時已被另一個分頁或同事儲存"
STEP_LABELS = ["基本資料", "我的DNA", "利害關係人", "形成共識願景過程", "創生事業構想", "資源需求與協助", "KPI"]
SECTION_KEYS = ("basics", "dna", "stakeholders", "consensus", "businesses", "resources", "kpis")

# What a township officer types into each page: tests/documents.py's GOOD (e-mail aside),
# so the saved document can be compared with typed_document() as a whole.
TYPED: dict[str, dict[str, Value]] = {
    "basics": {
        "title": "埔里生態城鄉共好計畫",
        "type": "township",
        "lead_township": PULI,
        "theme": "生態旅遊與農產加值",
        "contact_name": "王○○",
        "contact_phone": "049-2991000",
        # Left blank: any address crashes the save (test_basics_contact_email_is_checked_and_saved).
        "contact_email": "",
        "title_en": "Puli Eco-town",
        "summary_en": "Shared processing and seasonal routes.",
    },
    "dna": {
        "summary": "埔里位居臺灣地理中心，水質純淨。",
        "items_people": "返鄉青年",
        "items_culture": "紹興酒與手工紙\r\n𥕢仔地名",
        "items_land": "盆地",
        "items_industry": "",
        "items_landscape": "桃米生態村",
    },
    "stakeholders": {
        "rows-0-name": "埔里鎮農會",
        "rows-0-sector": "產",
        "rows-0-role": "加工與通路",
        "rows-0-commitment": "提供倉庫",
        "rows-1-name": "暨南大學",
        "rows-1-sector": "學",
        "rows-1-role": "生態監測",
        "rows-1-commitment": "派駐師生",
    },
    "consensus": {
        "events-0-date": "2025-06-21",
        "events-0-kind": "說明會",
        "events-0-participants": "80",
        "events-0-outcome": "確認提案方向",
        "events-1-date": "2025-08-09",
        "events-1-kind": "工作坊",
        "events-1-participants": "45",
        "events-1-outcome": "產出遊程草案",
        "vision": "青年留得下、遊客慢下來、農產賣得好。",
    },
    "businesses": {
        "summary": "加工、遊程到品牌的完整價值鏈。",
        "items-0-name": "山城共享加工中心",
        "items-0-what": "整建閒置倉庫為共享加工與冷鏈中心。",
        "items-0-where": "埔里鎮愛蘭里",
        "items-0-start": "2026-03",
        "items-0-end": "2027-12",
        "items-0-how": "農會出資整建並營運。",
        "items-0-lead": "埔里鎮農會",
        "items-0-strategies": ["hometown_investment", "technology"],
        "items-1-name": "四季慢遊遊程",
        "items-1-what": "設計跨鄉鎮的季節遊程。",
        "items-1-where": "桃米社區",
        "items-1-start": "2026-06",
        "items-1-end": "2028-06",
        "items-1-how": "青年團隊成立社會企業經營。",
        "items-1-lead": "山城共好工作室",
        "items-1-strategies": ["social_participation"],
    },
    "resources": {
        "lines-0-kind": "硬體",
        "lines-0-source": "central",
        "lines-0-programme": "農村再生（第二期/第三期實施計畫）",
        "lines-0-year": "2026",
        "lines-0-amount": "8000",
        "lines-0-note": "加工中心整建",
        "lines-1-kind": "硬體",
        "lines-1-source": "private",
        "lines-1-self_liquidating": "self",
        "lines-1-programme": "",
        "lines-1-year": "2027",
        "lines-1-amount": "6000",
        "lines-1-note": "",
        "support-0-kind": "法規調適",
        "support-0-description": "倉庫變更為食品加工使用。",
    },
    "kpis": {
        "rows-0-indicator": "新增工作機會",
        "rows-0-definition": "新增之全職勞保投保人數",
        "rows-0-unit": "人",
        "rows-0-baseline": "0",
        "rows-0-baseline_year": "2025",
        "rows-0-target": "45",
        "rows-0-target_year": "2028",
        "rows-0-direction": "+",
        "rows-1-indicator": "養殖損失率",
        "rows-1-definition": "寒害與缺氧之年損失比例",
        "rows-1-unit": "%",
        "rows-1-baseline": "18.5",
        "rows-1-baseline_year": "2025",
        "rows-1-target": "8",
        "rows-1-target_year": "2028",
        "rows-1-direction": "-",
    },
}


# --- reading pages the way a browser does ---------------------------------------------------


class _FormReader(HTMLParser):
    """Collects each <form>: its attributes, the values a browser would send (buttons
    aside) and the names of all its controls, checked or not."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str | None], list[tuple[str, str]], set[str]]] = []
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self._option: list[Any] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a, [], set()))
            return
        if not self.forms:
            return
        _, values, names = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            names.add(name)
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    values.append((name, a.get("value") or "on"))
            else:
                values.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            names.add(name)
            self._select = (name, "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, []]
        elif tag == "textarea" and name:
            names.add(name)
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select[2].append((value if value is not None else "".join(text), selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected]
            if not chosen and not multiple and options:
                chosen = [options[0][0]]
            self.forms[-1][1].extend((name, v) for v in (chosen if multiple else chosen[:1]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # HTML drops one newline right after <textarea>.
            text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
            self.forms[-1][1].append((name, text))
            self._textarea = None


def read_form(page: str, action: str | None = None) -> tuple[MultiDict[str, str], set[str]]:
    """The one form posting to `action` (None: the form without an action, i.e. the page's own)."""
    reader = _FormReader()
    reader.feed(page)
    matches = [(values, names) for attrs, values, names in reader.forms if attrs.get("action") == action]
    assert len(matches) == 1, f"expected one form with action={action!r}, found {len(matches)}"
    values, names = matches[0]
    return MultiDict(values), names


def typed_values(fields: MultiDict[str, str]) -> dict[str, list[str]]:
    """What a form holds, without the CSRF token (which is meant to change)."""
    return {k: v for k, v in fields.lists() if k != "csrf_token"}


def field_errors(page: str) -> dict[str, list[str]]:
    """The messages shown next to each field, keyed by the field's id."""
    found = {}
    for field_id, body in re.findall(r'<p class="error-message" id="([^"]+)-error">(.*?)</p>', page, re.S):
        body = body.replace('<span class="visually-hidden">錯誤：</span>', "")
        found[field_id] = [html.unescape(m.strip()) for m in body.split("<br>")]
    return found


def flashes(page: str) -> list[tuple[str, str]]:
    pattern = (
        r'<div class="flash (\w+)"[^>]*>\s*<span class="flash-kind">.*?</span>\s*<span class="flash-text">(.*?)</span>'
    )
    return [(kind, html.unescape(text)) for kind, text in re.findall(pattern, page, re.S)]


BLOCK = re.compile(r"<(?:br|/?(?:p|li|dt|dd|td|th|tr|h\d|div|ul|ol|dl|section|table))\b[^>]*>")


def visible_text(fragment: str) -> str:
    """Text as read on screen: block boundaries are spaces, inline tags vanish."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", BLOCK.sub(" ", fragment))).split())


def missing_in_order(text: str, parts: list[str]) -> list[str]:
    """The parts not found in `text` one after another (empty when all are, in order)."""
    missing, position = [], 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            missing.append(part)
        else:
            position = found + len(part)
    return missing


def tasks(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The overview's progress line and each task's (label, state)."""
    line = re.search(r"<strong>(已完成 \d+ / \d+ 節)</strong>", page)
    rows = re.findall(r'<li class="task">\s*<a [^>]*>(.*?)</a>\s*<span class="badge [^"]*">(.*?)</span>', page, re.S)
    return (line.group(1) if line else ""), rows


def brief_section(page: str, name: str) -> str:
    match = re.search(rf'<section class="b-{name}">(.*?)</section>', page, re.S)
    assert match, f"no {name} section in the brief"
    return match.group(1)


def brief_texts(page: str) -> dict[str, str]:
    """Each of the brief's six sections as visible text."""
    return {name: visible_text(brief_section(page, name)) for name in SECTION_KEYS[1:]}


def problems(page: str) -> list[str]:
    summary = re.search(r'<section class="error-summary".*?</section>', page, re.S)
    return [visible_text(li) for li in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)] if summary else []


def note_on_dashboard(page: str) -> list[str]:
    return [visible_text(n) for n in re.findall(r'<p class="note">(.*?)</p>', page, re.S)]


# --- driving the wizard ---------------------------------------------------------------------


def section_path(proposal_id: int, step: str) -> str:
    return f"/proposals/{proposal_id}/edit/{step}"


class Tab:
    """One browser tab showing a form: what it last rendered, what was typed, and buttons."""

    def __init__(self, client: FlaskClient, path: str) -> None:
        self.client, self.path = client, path
        self.show(client.get(path))
        assert self.response.status_code == 200, f"GET {path} gave {self.response.status_code}"

    def show(self, response: TestResponse) -> None:
        self.response = response
        self.page = response.get_data(as_text=True)
        self.fields, self.names = read_form(self.page)

    def knows(self, name: str) -> bool:
        return name in self.names

    def type(self, values: Mapping[str, Value]) -> None:
        for name, value in values.items():
            assert self.knows(name), f"no field {name} on {self.path}"
            self.fields.setlist(name, list(value) if isinstance(value, list) else [value])

    def press(self, button: str | None = None, value: str = "1") -> TestResponse:
        """Send the form, with the named button if any (add=rows, remove=rows-1, next=1).
        A page rendered in place (re-shown form, conflict) becomes what the tab shows."""
        data = MultiDict(self.fields)
        if button:
            data.add(button, value)
        response = self.client.post(self.path, data=data)
        if response.status_code in (200, 400, 409):
            self.show(response)
        return response


def rows_in(values: Mapping[str, Value]) -> list[tuple[str, int]]:
    return sorted({(m.group(1), int(m.group(2))) for k in values if (m := re.match(r"(\w+)-(\d+)-", k))})


def fill_section(client: FlaskClient, proposal_id: int, step: str, values: Mapping[str, Value]) -> TestResponse:
    """Type `values` into a section as a person without JavaScript would: press the add
    button until every row named exists, then press 儲存並前往下一節."""
    tab = Tab(client, section_path(proposal_id, step))
    for list_name, index in rows_in(values):
        while not any(n.startswith(f"{list_name}-{index}-") for n in tab.names):
            tab.type({k: v for k, v in values.items() if tab.knows(k)})
            added = tab.press("add", list_name)
            assert added.status_code == 200, f"add {list_name} on {step} gave {added.status_code}"
    tab.type(values)
    return tab.press("next")


def fill_every_section(client: FlaskClient, proposal_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """Fill the seven pages in order; the overview as seen after each save."""
    seen = []
    for step in SECTION_KEYS:
        saved = fill_section(client, proposal_id, step, TYPED[step])
        assert saved.status_code == 302, f"saving {step} gave {saved.status_code}"
        seen.append(tasks(client.get(f"/proposals/{proposal_id}/edit").get_data(as_text=True)))
    return seen


def create_through_form(client: FlaskClient, title: str = "埔里生態城鄉共好計畫") -> int:
    tab = Tab(client, "/proposals/new")
    tab.type({"title": title, "type": "township", "lead_township": PULI})
    created = tab.press()
    assert created.status_code == 302, created.get_data(as_text=True)
    match = re.fullmatch(r"/proposals/(\d+)/edit", created.location)
    assert match, created.location
    return int(match.group(1))


def submit_through_check_page(client: FlaskClient, proposal_id: int) -> TestResponse:
    check = client.get(f"/proposals/{proposal_id}/check").get_data(as_text=True)
    fields, _ = read_form(check, action=f"/proposals/{proposal_id}/submit")
    return client.post(f"/proposals/{proposal_id}/submit", data=fields)


def transition(auth: Auth, proposal_id: int, action: str, reason: str = "") -> TestResponse:
    token = auth.csrf(f"/proposals/{proposal_id}")
    return auth.client.post(
        f"/proposals/{proposal_id}/transition", data={"action": action, "reason": reason, "csrf_token": token}
    )


def fresh(session: Session, proposal_id: int) -> Proposal:
    session.expire_all()
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    return proposal


def stored(session: Session, proposal_id: int) -> tuple[str, list[str], int, dict[str, Any]]:
    """Everything a section save may change, to show that nothing did."""
    p = fresh(session, proposal_id)
    return p.title, sorted(p.participating_codes), p.lock_version, p.content


def without(values: Mapping[str, list[str]], names: set[str]) -> dict[str, list[str]]:
    return {k: v for k, v in values.items() if k not in names}


def sections_of(content: Mapping[str, Any]) -> dict[str, Any]:
    """The user's content without the wizard's bookkeeping (meta, cached html)."""
    return {k: content[k] for k in SECTION_KEYS}


def typed_document() -> dict[str, Any]:
    """The sections TYPED saves to: complete_document() without the contact e-mail."""
    document = complete_document()
    document["basics"]["contact"]["email"] = ""
    return {k: document[k] for k in SECTION_KEYS}


def revisions(session: Session, proposal_id: int) -> list[Revision]:
    session.expire_all()
    return list(session.scalars(select(Revision).where(Revision.proposal_id == proposal_id).order_by(Revision.number)))


@pytest.fixture
def township(make: Factory, auth: Auth) -> User:
    """A Puli township officer, logged in on `auth.client`, with a round open to submit in."""
    make.round()
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    return user


@pytest.fixture
def draft(make: Factory, township: User, session: Session) -> Proposal:
    """A complete draft of the logged-in township, as the forms would have saved it."""
    proposal = make.proposal(township)
    proposal.content = typed_document()
    session.commit()
    return proposal


def save(client: FlaskClient, proposal_id: int, step: str, values: Mapping[str, Value]) -> TestResponse:
    """Open a section, type `values`, press 儲存."""
    tab = Tab(client, section_path(proposal_id, step))
    tab.type(values)
    return tab.press()


def other_browser(app: Flask, make: Factory, role: Role, **scope: str) -> Auth:
    """Another person, logged in on their own browser."""
    user = make.user(role, **scope)
    browser = Auth(app.test_client())
    browser.login(user.email)
    return browser


# --- 1. the whole journey --------------------------------------------------------------------


def test_journey_township_fills_every_section_checks_and_submits(auth: Auth, township: User, session: Session) -> None:
    proposal_id = create_through_form(auth.client)
    before = tasks(auth.client.get(f"/proposals/{proposal_id}/edit").get_data(as_text=True))

    after_each_save = fill_every_section(auth.client, proposal_id)
    check = auth.client.get(f"/proposals/{proposal_id}/check").get_data(as_text=True)
    submitted = submit_through_check_page(auth.client, proposal_id)
    detail = auth.client.get(submitted.location).get_data(as_text=True)

    # The title exists from creation, so the basics page starts as in progress.
    assert before == ("已完成 0 / 7 節", list(zip(STEP_LABELS, ["進行中"] + ["未開始"] * 6, strict=True)))
    assert after_each_save == [
        (f"已完成 {n} / 7 節", list(zip(STEP_LABELS, ["已完成"] * n + ["未開始"] * (7 - n), strict=True)))
        for n in range(1, 8)
    ]
    assert (problems(check), "<h2>檢查通過</h2>" in check) == ([], True)
    assert (submitted.status_code, submitted.location) == (302, f"/proposals/{proposal_id}")
    assert flashes(detail) == [("success", "已送出第 1 版，等待縣市政府審閱。")]
    proposal = fresh(session, proposal_id)
    [v1] = revisions(session, proposal_id)
    assert (proposal.status, proposal.revision_count) == ("submitted", 1)
    assert (v1.label, v1.title, sections_of(v1.content)) == ("v1", "埔里生態城鄉共好計畫", typed_document())


def test_journey_county_returns_township_revises_resubmits_county_forwards(
    app: Flask, auth: Auth, township: User, make: Factory, session: Session
) -> None:
    proposal_id = create_through_form(auth.client)
    fill_every_section(auth.client, proposal_id)
    submit_through_check_page(auth.client, proposal_id)
    county = other_browser(app, make, Role.COUNTY, county=NANTOU)
    v1_content = revisions(session, proposal_id)[0].content

    returned = transition(county, proposal_id, "return", RETURN_NOTE)
    status_after_return = fresh(session, proposal_id).status
    dashboard = auth.client.get("/").get_data(as_text=True)
    revised = transition(auth, proposal_id, "revise")
    tab = Tab(auth.client, section_path(proposal_id, "kpis"))
    tab.type({"rows-0-indicator": "觀光旅遊人次"})
    edited = tab.press()
    resubmitted = submit_through_check_page(auth.client, proposal_id)
    forwarded = transition(county, proposal_id, "forward")

    assert [r.status_code for r in (returned, revised, edited, resubmitted, forwarded)] == [302] * 5
    assert status_after_return == "returned"
    assert note_on_dashboard(dashboard) == [f"退回補件意見：{RETURN_NOTE}"]
    v1, v2 = revisions(session, proposal_id)
    expected_v2 = typed_document()
    expected_v2["kpis"][0]["indicator"] = "觀光旅遊人次"
    assert (v1.label, v1.content) == ("v1", v1_content)
    assert (v2.label, sections_of(v2.content)) == ("v2", expected_v2)
    proposal = fresh(session, proposal_id)
    assert (proposal.status, proposal.revision_count) == ("forwarded", 2)


# --- 2. validation: message next to the field, input kept, nothing saved ------------------

# What each bad input shows next to its field; `echoed` says the typed text is shown back
# (a select cannot show an option it does not offer).
AMOUNT = "金額必須是正整數（千元）"
CONTROL = "含有無法顯示的控制字元，請重新輸入。"
INVALID = [
    # id, step, field (its id is its name), what is typed, the messages, echoed
    (
        "amount-not-a-number",
        "resources",
        "lines-0-amount",
        "abc",
        ["請填阿拉伯數字的整數（例如 3000），不要加單位或文字。"],
        True,
    ),
    ("amount-negative", "resources", "lines-0-amount", "-5", [AMOUNT], True),
    ("amount-zero", "resources", "lines-0-amount", "0", [AMOUNT], True),
    ("year-after-2040", "resources", "lines-0-year", "2041", ["請填 2019 到 2040"], True),
    ("year-before-2019", "resources", "lines-0-year", "2018", ["請填 2019 到 2040"], True),
    ("date-malformed", "consensus", "events-0-date", "2025-13-45", ["不是有效的日期值。"], True),
    ("date-in-1900", "consensus", "events-0-date", "1900-06-01", ["日期必須在 2000 年到 2040 年之間"], True),
    ("month-malformed", "businesses", "items-0-start", "2026/03", ["不是有效的日期值。"], True),
    ("lead-unknown", "basics", "lead_township", "99999999", ["不是有效的選擇。"], False),
    ("lead-not-theirs", "basics", "lead_township", GUOXING, ["不是有效的選擇。"], False),
    ("participating-unknown", "basics", "participating", ["99999999"], ["「99999999」不是此欄位的有效選擇。"], False),
    ("programme-unknown", "resources", "lines-0-programme", "不存在的計畫", ["不是有效的選擇。"], False),
    ("sector-unknown", "stakeholders", "rows-0-sector", "農", ["不是有效的選擇。"], False),
    ("strategy-unknown", "businesses", "items-0-strategies", ["fly"], ["「fly」不是此欄位的有效選擇。"], False),
    ("title-41-characters", "basics", "title", "埔" * 41, ["超過 40 字（目前 41 字），請精簡。"], True),
    ("dna-group-4-items", "dna", "items_people", "甲\r\n乙\r\n丙\r\n丁", ["每一類最多 3 項（目前 4 項）。"], True),
    ("name-control-character", "stakeholders", "rows-0-name", "埔里\x07農會", [CONTROL], True),
    ("summary-nul-character", "dna", "summary", "埔里\x00水質", [CONTROL], True),
]


@pytest.mark.parametrize(("step", "field", "value", "echoed"), [pytest.param(*c[1:4], c[5], id=c[0]) for c in INVALID])
def test_section_invalid_input_is_refused_with_the_rest_kept(
    auth: Auth, draft: Proposal, session: Session, step: str, field: str, value: Value, echoed: bool
) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, step))
    tab.type({field: value})
    sent = typed_values(tab.fields)

    response = tab.press()

    unshown = set() if echoed else {field}
    assert response.status_code == 400
    assert list(field_errors(tab.page)) == [field]
    assert without(typed_values(tab.fields), unshown) == without(sent, unshown)
    assert stored(session, draft.id) == before


@pytest.mark.parametrize(("step", "field", "value", "messages"), [pytest.param(*c[1:5], id=c[0]) for c in INVALID])
def test_section_invalid_input_shows_exact_chinese_message(
    auth: Auth, draft: Proposal, step: str, field: str, value: Value, messages: list[str]
) -> None:
    tab = Tab(auth.client, section_path(draft.id, step))
    tab.type({field: value})

    tab.press()

    assert field_errors(tab.page) == {field: messages}


def test_basics_title_of_40_rare_characters_is_accepted(auth: Auth, draft: Proposal, session: Session) -> None:
    title = "𥕢" * 40  # 40 code points but 80 UTF-16 units: the budget counts code points

    saved = save(auth.client, draft.id, "basics", {"title": title})

    assert (saved.status_code, fresh(session, draft.id).title) == (302, title)
    assert Tab(auth.client, section_path(draft.id, "basics")).fields["title"] == title


@pytest.mark.parametrize(
    ("address", "status", "errors", "kept"),
    [
        ("service@puli.gov.tw", 302, {}, "service@puli.gov.tw"),
        ("not-an-address", 400, {"contact_email": ["電子郵件格式不正確"]}, ""),
    ],
    ids=["valid", "malformed"],
)
def test_basics_contact_email_is_checked_and_saved(
    auth: Auth, draft: Proposal, session: Session, address: str, status: int, errors: dict[str, list[str]], kept: str
) -> None:
    tab = Tab(auth.client, section_path(draft.id, "basics"))
    tab.type({"contact_email": address})

    response = tab.press()

    assert (response.status_code, field_errors(tab.page)) == (status, errors)
    assert fresh(session, draft.id).content["basics"]["contact"]["email"] == kept


@pytest.mark.parametrize("typed", ["Infinity", "-Infinity", "NaN", "sNaN", "1e5000"])
def test_kpi_value_that_is_not_a_finite_number_is_refused(
    auth: Auth, draft: Proposal, session: Session, typed: str
) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "kpis"))
    tab.type({"rows-0-baseline": typed})

    response = tab.press()

    assert (response.status_code, list(field_errors(tab.page))) == (400, ["rows-0-baseline"])
    assert stored(session, draft.id) == before


def test_business_month_before_year_1000_is_refused(auth: Auth, draft: Proposal, session: Session) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "businesses"))
    tab.type({"items-0-start": "0001-01"})

    response = tab.press()
    reopened = auth.client.get(section_path(draft.id, "businesses"))

    assert (response.status_code, list(field_errors(tab.page))) == (400, ["items-0-start"])
    assert (reopened.status_code, stored(session, draft.id)) == (200, before)


# --- 3. HTML, script and Markdown in fields ----------------------------------------------------


@pytest.mark.parametrize("page", ["edit/stakeholders", "edit/dna", "edit/basics", "brief", "check"])
def test_script_typed_into_fields_is_stored_raw_and_shown_escaped(
    auth: Auth, draft: Proposal, session: Session, page: str
) -> None:
    saves = [
        save(auth.client, draft.id, "stakeholders", {"rows-0-name": SCRIPT}),
        save(auth.client, draft.id, "dna", {"summary": SCRIPT}),
        save(auth.client, draft.id, "basics", {"title": SCRIPT}),
    ]

    shown = auth.client.get(f"/proposals/{draft.id}/{page}").get_data(as_text=True)

    proposal = fresh(session, draft.id)
    assert [r.status_code for r in saves] == [302, 302, 302]
    assert (proposal.content["stakeholders"][0]["name"], proposal.content["dna"]["summary"], proposal.title) == (
        SCRIPT,
        SCRIPT,
        SCRIPT,
    )
    assert (SCRIPT in shown, ESCAPED_SCRIPT in shown) == (False, True)


def test_markdown_in_dna_summary_is_bold_in_the_brief(auth: Auth, draft: Proposal) -> None:
    save(auth.client, draft.id, "dna", {"summary": "山城的**粗體**特色"})

    brief = auth.client.get(f"/proposals/{draft.id}/brief").get_data(as_text=True)

    assert "<p>山城的<strong>粗體</strong>特色</p>" in brief_section(brief, "dna")
    assert "**" not in brief_section(brief, "dna")


# --- 4. characters outside the Basic Multilingual Plane ---------------------------------------


def test_rare_characters_round_trip_through_form_database_page_and_brief(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    save(auth.client, draft.id, "stakeholders", {"rows-0-name": "𥕢仔埔農會"})
    save(auth.client, draft.id, "dna", {"summary": "𡘙與𥕢", "items_people": "𡘙山青年"})

    stakeholders = Tab(auth.client, section_path(draft.id, "stakeholders")).fields
    dna = Tab(auth.client, section_path(draft.id, "dna")).fields
    brief = auth.client.get(f"/proposals/{draft.id}/brief").get_data(as_text=True)

    content = fresh(session, draft.id).content
    assert (content["stakeholders"][0]["name"], content["dna"]["summary"], content["dna"]["items"]["人"]) == (
        "𥕢仔埔農會",
        "𡘙與𥕢",
        ["𡘙山青年"],
    )
    assert (stakeholders["rows-0-name"], dna["summary"], dna["items_people"]) == ("𥕢仔埔農會", "𡘙與𥕢", "𡘙山青年")
    texts = brief_texts(brief)
    assert missing_in_order(texts["dna"], ["𡘙與𥕢", "人", "𡘙山青年"]) == []
    assert missing_in_order(texts["stakeholders"], ["𥕢仔埔農會", "產", "加工與通路", "提供倉庫"]) == []


# --- 5. an oversized post ----------------------------------------------------------------------


def test_section_post_of_10_mb_gets_413_page_and_saves_nothing(auth: Auth, draft: Proposal, session: Session) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "stakeholders"))
    tab.type({"rows-0-role": "x" * (10 * 1024 * 1024)})

    response = tab.press()

    heading = re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True))
    assert (response.status_code, heading.group(1) if heading else None) == (413, "送出的資料太大")
    assert stored(session, draft.id) == before


# --- 6. two tabs, one section ------------------------------------------------------------------


def stakeholder_rows(content: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(r["name"], r["role"]) for r in content["stakeholders"]]


def test_conflict_stale_tab_gets_409_keeps_its_input_then_overwrites(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    path = section_path(draft.id, "stakeholders")
    tab_a, tab_b = Tab(auth.client, path), Tab(auth.client, path)
    tab_a.type({"rows-0-name": "甲分頁農會", "rows-0-role": "甲的角色"})
    tab_b.type({"rows-0-name": "乙分頁農會", "rows-0-role": "乙的角色"})
    typed_in_b = typed_values(tab_b.fields)

    saved_a = tab_a.press()
    refused_b = tab_b.press()
    after_refusal = stakeholder_rows(fresh(session, draft.id).content)
    overwritten_b = tab_b.press()  # the conflict page's 以我的內容覆蓋 button: overwrite=<current version>

    heading = re.search(r'<h2 id="conflict-heading">(.*?)</h2>', tab_b.page)
    assert [saved_a.status_code, refused_b.status_code, overwritten_b.status_code] == [302, 409, 302]
    assert heading is not None and heading.group(1) == CONFLICT_HEADING
    assert typed_values(tab_b.fields) == {**typed_in_b, "overwrite": ["1"]}
    assert after_refusal == [("甲分頁農會", "甲的角色"), ("暨南大學", "生態監測")]
    assert stakeholder_rows(fresh(session, draft.id).content) == [("乙分頁農會", "乙的角色"), ("暨南大學", "生態監測")]
    assert fresh(session, draft.id).content["meta"]["versions"]["stakeholders"] == 2


def test_conflict_is_per_section_stale_tab_of_another_section_saves(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    dna_tab = Tab(auth.client, section_path(draft.id, "dna"))
    save(auth.client, draft.id, "stakeholders", {"rows-0-name": "另一分頁農會"})
    dna_tab.type({"summary": "舊分頁寫的摘要"})

    saved = dna_tab.press()

    content = fresh(session, draft.id).content
    assert saved.status_code == 302
    assert (content["dna"]["summary"], content["stakeholders"][0]["name"]) == ("舊分頁寫的摘要", "另一分頁農會")
    assert content["meta"]["versions"] == {"stakeholders": 1, "dna": 1}


# One field per section that tab B types before its stale save.
STALE_EDITS = [
    ("basics", "theme", "乙分頁主題"),
    ("dna", "summary", "乙分頁摘要"),
    ("stakeholders", "rows-0-name", "乙分頁農會"),
    ("consensus", "vision", "乙分頁願景"),
    ("businesses", "items-0-name", "乙分頁事業"),
    ("resources", "lines-0-kind", "乙分頁"),
    ("kpis", "rows-0-indicator", "乙分頁指標"),
]


@pytest.mark.parametrize(("step", "field", "value"), STALE_EDITS, ids=[edit[0] for edit in STALE_EDITS])
def test_conflict_page_shows_for_every_section(
    auth: Auth, draft: Proposal, session: Session, step: str, field: str, value: str
) -> None:
    path = section_path(draft.id, step)
    tab_a, tab_b = Tab(auth.client, path), Tab(auth.client, path)
    tab_a.press()
    saved_by_a = stored(session, draft.id)
    tab_b.type({field: value})

    refused = tab_b.press()

    heading = re.search(r'<h2 id="conflict-heading">(.*?)</h2>', tab_b.page)
    assert (refused.status_code, heading.group(1) if heading else None) == (409, CONFLICT_HEADING)
    assert tab_b.fields[field] == value
    assert stored(session, draft.id) == saved_by_a


# --- 7. an expired CSRF token ------------------------------------------------------------------


class _NineHoursAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 9 * 3600


def expired_token(app: Flask, client: FlaskClient) -> str:
    """The session's own CSRF token, signed nine hours ago (the limit is eight)."""
    with client.session_transaction() as cookie:
        raw = cookie["csrf_token"]
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=_NineHoursAgo)
    return serializer.dumps(raw)


@pytest.mark.parametrize("token", ["expired", "wrong"])
def test_csrf_failure_reshows_form_with_input_then_fresh_token_saves(
    app: Flask, auth: Auth, draft: Proposal, session: Session, token: str
) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "stakeholders"))
    tab.type({"rows-0-name": "埔里鎮農會（改）", "rows-1-role": "長期監測"})
    tab.type({"csrf_token": expired_token(app, auth.client) if token == "expired" else "not-a-token"})
    typed = typed_values(tab.fields)

    reshown = tab.press()
    after_reshow = stored(session, draft.id)
    saved = tab.press()

    assert reshown.status_code == 200
    assert flashes(reshown.get_data(as_text=True)) == [("warning", CSRF_FLASH)]
    assert typed_values(read_form(reshown.get_data(as_text=True))[0]) == typed
    assert after_reshow == before
    assert saved.status_code == 302
    assert stakeholder_rows(fresh(session, draft.id).content) == [
        ("埔里鎮農會（改）", "加工與通路"),
        ("暨南大學", "長期監測"),
    ]


# --- 8. an expired login -----------------------------------------------------------------------


def expire_login(session: Session, user_id: int) -> None:
    """Make the user's logins idle for three hours (the limit is two)."""
    session.execute(
        update(UserSession).where(UserSession.user_id == user_id).values(last_seen_at=utcnow() - timedelta(hours=3))
    )
    session.commit()


def log_in_at(client: FlaskClient, login_url: str, email: str) -> tuple[list[tuple[str, str]], TestResponse]:
    """Use the login page the redirect led to: its flashes, then the login's response."""
    page = Tab(client, login_url)
    shown = flashes(page.page)
    page.type({"email": email, "password": PASSWORD})
    return shown, page.press()


def test_login_expiry_stashes_typing_and_restores_it_after_login(
    auth: Auth, draft: Proposal, township: User, session: Session
) -> None:
    before = stored(session, draft.id)
    path = section_path(draft.id, "stakeholders")
    tab = Tab(auth.client, path)
    expire_login(session, township.id)
    tab.type({"rows-0-name": "逾時前打的字", "rows-1-commitment": "提供田區"})
    typed = typed_values(tab.fields)

    expired = tab.press()
    login_flashes, logged_in = log_in_at(auth.client, expired.location, township.email)
    restored = Tab(auth.client, logged_in.location)
    before_save = stored(session, draft.id)
    saved = restored.press()

    assert (expired.status_code, expired.location) == (302, f"/auth/login?next={quote(path, safe='')}")
    assert login_flashes == [("warning", STASHED_FLASH)]
    assert (logged_in.status_code, logged_in.location) == (302, path)
    assert flashes(restored.page) == [("info", RESTORED_FLASH)]
    assert typed_values(restored.fields) == typed
    assert before_save == before
    assert saved.status_code == 302
    assert [(r["name"], r["commitment"]) for r in fresh(session, draft.id).content["stakeholders"]] == [
        ("逾時前打的字", "提供倉庫"),
        ("暨南大學", "提供田區"),
    ]


def test_login_expiry_stash_is_not_given_to_another_user_on_the_browser(
    auth: Auth, draft: Proposal, township: User, make: Factory, session: Session
) -> None:
    colleague = make.user(Role.TOWNSHIP, township=PULI)
    path = section_path(draft.id, "stakeholders")
    tab = Tab(auth.client, path)
    saved_values = typed_values(tab.fields)
    expire_login(session, township.id)
    tab.type({"rows-0-name": "不該被同事看到"})

    expired = tab.press()
    _, logged_in = log_in_at(auth.client, expired.location, colleague.email)
    page = Tab(auth.client, logged_in.location)

    assert (logged_in.status_code, logged_in.location) == (302, path)
    assert flashes(page.page) == []
    assert typed_values(page.fields) == saved_values
    assert session.scalars(select(FormStash)).all() == []


# --- 9. the one-page brief ---------------------------------------------------------------------

# What TYPED puts in each section of the brief, in reading order.
BRIEF_CONTENT = {
    "dna": [
        "埔里位居臺灣地理中心，水質純淨。",
        "人",
        "返鄉青年",
        "文",
        "紹興酒與手工紙",
        "𥕢仔地名",
        "地",
        "盆地",
        "景",
        "桃米生態村",
    ],
    "stakeholders": ["埔里鎮農會", "產", "加工與通路", "提供倉庫", "暨南大學", "學", "生態監測", "派駐師生"],
    "consensus": [
        "2025-06-21",
        "說明會",
        "80",
        "確認提案方向",
        "2025-08-09",
        "工作坊",
        "45",
        "產出遊程草案",
        "青年留得下、遊客慢下來、農產賣得好。",
    ],
    "businesses": [
        "加工、遊程到品牌的完整價值鏈。",
        "山城共享加工中心",
        "2026-03",
        "2027-12",
        "埔里鎮愛蘭里",
        "埔里鎮農會",
        "企業投資故鄉",
        "科技導入",
        "整建閒置倉庫為共享加工與冷鏈中心。",
        "農會出資整建並營運。",
        "四季慢遊遊程",
        "2026-06",
        "2028-06",
        "桃米社區",
        "山城共好工作室",
        "社會參與創生",
        "設計跨鄉鎮的季節遊程。",
        "青年團隊成立社會企業經營。",
    ],
    # Years, sources and amounts are in the funding table across the brief's foot
    # (tests/test_funding.py reads it); section 5 names the items and the other help.
    "resources": [
        "硬體",
        "農村再生（第二期/第三期實施計畫）",
        "加工中心整建",
        "硬體",
        "法規調適",
        "倉庫變更為食品加工使用。",
    ],
    "kpis": [
        "新增工作機會",
        "新增之全職勞保投保人數",
        "0",
        "人",
        "2025",
        "45",
        "2028",
        "增加",
        "養殖損失率",
        "寒害與缺氧之年損失比例",
        "18.5",
        "%",
        "2025",
        "8",
        "2028",
        "減少",
    ],
}
BRIEF_HEADINGS = [
    "1. 我的DNA",
    "2. 利害關係人",
    "3. 形成共識願景過程",
    "4. 創生事業構想",
    "5. 資源需求與協助",
    "6. KPI",
]


def test_brief_has_six_sections_with_the_typed_content(auth: Auth, township: User) -> None:
    proposal_id = create_through_form(auth.client)
    fill_every_section(auth.client, proposal_id)

    brief = auth.client.get(f"/proposals/{proposal_id}/brief").get_data(as_text=True)

    headings = re.findall(r'<section class="b-\w+"><h2>(.*?)</h2>', brief)
    texts = brief_texts(brief)
    assert headings == BRIEF_HEADINGS
    assert {name: missing_in_order(texts[name], parts) for name, parts in BRIEF_CONTENT.items()} == {
        name: [] for name in BRIEF_CONTENT
    }


def test_brief_county_sees_submitted_revision_not_later_draft(
    app: Flask, auth: Auth, draft: Proposal, make: Factory, session: Session
) -> None:
    assert submit_through_check_page(auth.client, draft.id).status_code == 302
    county = other_browser(app, make, Role.COUNTY, county=NANTOU)
    transition(county, draft.id, "return", RETURN_NOTE)
    transition(auth, draft.id, "revise")
    save(auth.client, draft.id, "kpis", {"rows-0-indicator": "草稿裡改的指標"})

    seen_by_county = county.client.get(f"/proposals/{draft.id}/brief").get_data(as_text=True)
    seen_by_author = auth.client.get(f"/proposals/{draft.id}/brief").get_data(as_text=True)

    assert fresh(session, draft.id).content["kpis"][0]["indicator"] == "草稿裡改的指標"
    county_kpis, author_kpis = brief_texts(seen_by_county)["kpis"], brief_texts(seen_by_author)["kpis"]
    assert ("新增工作機會" in county_kpis, "草稿裡改的指標" in county_kpis) == (True, False)
    assert ("新增工作機會" in author_kpis, "草稿裡改的指標" in author_kpis) == (False, True)


# --- 10. who may edit --------------------------------------------------------------------------

PAGES = [
    ("GET", "edit"),
    ("GET", "edit/dna"),
    ("POST", "edit/stakeholders"),
    ("GET", "check"),
    ("POST", "submit"),
]


@pytest.mark.parametrize(("method", "page"), [*PAGES, ("GET", "brief")])
def test_other_township_gets_404_and_changes_nothing(
    app: Flask, draft: Proposal, make: Factory, session: Session, method: str, page: str
) -> None:
    before = stored(session, draft.id)
    outsider = other_browser(app, make, Role.TOWNSHIP, township=DAREN)
    data = {"csrf_token": outsider.csrf("/"), "version": "0", "rows-0-name": "外人寫的"}

    response = outsider.client.open(
        f"/proposals/{draft.id}/{page}", method=method, data=data if method == "POST" else None
    )

    assert response.status_code == 404
    assert "找不到這個頁面" in response.get_data(as_text=True)
    assert (stored(session, draft.id), fresh(session, draft.id).status) == (before, "draft")


@pytest.mark.parametrize(("method", "page"), PAGES)
def test_submitted_proposal_redirects_to_detail_with_warning_and_changes_nothing(
    auth: Auth, draft: Proposal, session: Session, method: str, page: str
) -> None:
    submit_through_check_page(auth.client, draft.id)
    before = stored(session, draft.id)
    data = {"csrf_token": auth.csrf("/"), "version": "0", "rows-0-name": "送出後才改"}

    response = auth.client.open(f"/proposals/{draft.id}/{page}", method=method, data=data if method == "POST" else None)
    detail = auth.client.get(response.location).get_data(as_text=True)

    assert (response.status_code, response.location) == (302, f"/proposals/{draft.id}")
    assert flashes(detail) == [("warning", NOT_EDITABLE_FLASH)]
    assert stored(session, draft.id) == before


# --- 11. rows without JavaScript ---------------------------------------------------------------


def test_remove_button_drops_that_row_and_keeps_the_others_in_order(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    content = fresh(session, draft.id).content
    third = {"name": "桃米社區發展協會", "sector": "社", "role": "遊程接待", "commitment": "培訓解說員"}
    draft.content = {**content, "stakeholders": [*content["stakeholders"], third]}
    session.commit()
    first = content["stakeholders"][0]
    tab = Tab(auth.client, section_path(draft.id, "stakeholders"))

    removed = tab.press("remove", "rows-1")
    shown = Tab(auth.client, section_path(draft.id, "stakeholders"))

    rows = {k: v for k, v in typed_values(shown.fields).items() if k.startswith("rows-")}
    assert removed.status_code == 302
    assert fresh(session, draft.id).content["stakeholders"] == [first, third]
    assert rows == {f"rows-{n}-{key}": [row[key]] for n, row in enumerate([first, third]) for key in row}


def test_add_button_saves_typed_row_and_shows_a_blank_one(
    auth: Auth, make: Factory, township: User, session: Session
) -> None:
    proposal = make.proposal(township, complete=False)
    tab = Tab(auth.client, section_path(proposal.id, "stakeholders"))
    tab.type(
        {
            "rows-0-name": "埔里鎮農會",
            "rows-0-sector": "產",
            "rows-0-role": "加工與通路",
            "rows-0-commitment": "提供倉庫",
        }
    )

    added = tab.press("add", "rows")

    rows = {k: v for k, v in typed_values(tab.fields).items() if k.startswith("rows-")}
    assert (added.status_code, flashes(tab.page)) == (200, [("success", "已儲存，並新增一列。")])
    assert rows == {
        "rows-0-name": ["埔里鎮農會"],
        "rows-0-sector": ["產"],
        "rows-0-role": ["加工與通路"],
        "rows-0-commitment": ["提供倉庫"],
        "rows-1-name": [""],
        "rows-1-sector": [""],
        "rows-1-role": [""],
        "rows-1-commitment": [""],
    }
    assert fresh(session, proposal.id).content["stakeholders"] == [
        {"name": "埔里鎮農會", "sector": "產", "role": "加工與通路", "commitment": "提供倉庫"}
    ]


def test_add_button_for_unknown_list_saves_nothing(auth: Auth, draft: Proposal, session: Session) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "stakeholders"))
    tab.type({"rows-0-name": "不該存的"})
    data = MultiDict(tab.fields)
    data.add("add", "version")

    response = auth.client.post(tab.path, data=data)

    assert (response.status_code, stored(session, draft.id)) == (400, before)
