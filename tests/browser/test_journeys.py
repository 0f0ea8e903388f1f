"""Whole journeys in a real browser: a township writes and submits a proposal, the county
forwards it, the NDC assigns reviewers who score it, the NDC approves, publishes and
rebuilds the showcase, and a visitor finds the case there."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from portal import publish
from tests.browser import people
from tests.browser.conftest import Dialogs, Portal, open_context, screenshot
from tests.browser.people import ADMIN, COUNTY, REVIEWERS, TOWNSHIP, flash, group, login, logout
from tests.browser.servers import StaticServer

TITLE = "埔里筊白筍水田共好計畫"
MEETING = "第12次地方創生會報工作會議"
# The case is submitted today, and a decision's meeting may not be held before that.
TODAY = publish.today().isoformat()
NOT_STARTED = "未開始"
DONE = "已完成"


def write_and_submit(page: Page, base: str, title: str, shots: str | None = None) -> None:
    """The township's part: all six sections with added rows, leaving half-way and coming
    back in a new login, then the check page, submit and the one-page brief."""
    login(page, base, TOWNSHIP)
    people.start_proposal(page, base, title)
    assert people.task_list(page) == {
        "基本資料": "進行中",
        "我的DNA": NOT_STARTED,
        "利害關係人": NOT_STARTED,
        "形成共識願景過程": NOT_STARTED,
        "創生事業構想": NOT_STARTED,
        "資源需求與協助": NOT_STARTED,
        "KPI": NOT_STARTED,
    }
    if shots:
        screenshot(page, f"{shots}-task-list-new")
    people.open_task(page, "基本資料")
    people.fill_basics(page)
    people.fill_dna(page)
    people.fill_stakeholders(page)
    if shots:
        screenshot(page, f"{shots}-wizard-stakeholders")

    # Leave: back to the task list, sign out; come back another time.
    page.get_by_role("link", name="回提案任務清單").click()
    expect(page.get_by_text("已完成 3 / 7 節")).to_be_visible()
    logout(page)
    login(page, base, TOWNSHIP)
    people.open_proposal(page, base, title)
    assert people.task_list(page) == {
        "基本資料": DONE,
        "我的DNA": DONE,
        "利害關係人": DONE,
        "形成共識願景過程": NOT_STARTED,
        "創生事業構想": NOT_STARTED,
        "資源需求與協助": NOT_STARTED,
        "KPI": NOT_STARTED,
    }
    people.open_task(page, "利害關係人")
    expect(group(page, "第 2 列").get_by_label("單位或姓名")).to_have_value("暨南大學")
    page.get_by_role("navigation", name="提案各節").get_by_role("link", name="形成共識願景過程").click()
    people.fill_consensus(page)
    people.fill_businesses(page)
    people.fill_resources(page)
    if shots:
        screenshot(page, f"{shots}-wizard-resources")
    people.fill_kpis(page)

    # The last section's "save and next" leads to the check page.
    expect(page.get_by_role("heading", level=1)).to_have_text("檢查並送出")
    if shots:
        screenshot(page, f"{shots}-check")
    page.get_by_role("link", name="回提案任務清單").click()
    assert set(people.task_list(page).values()) == {DONE}
    page.get_by_role("link", name="檢查並送出").click()
    people.submit_proposal(page)

    page.get_by_role("link", name="一頁式簡報").click()
    brief = page.get_by_role("article")
    expect(brief.get_by_role("heading", level=1)).to_have_text(title)
    expect(brief.get_by_role("heading", level=2)).to_have_text(
        ["1. 我的DNA", "2. 利害關係人", "3. 形成共識願景過程", "4. 創生事業構想", "5. 資源需求與協助", "6. KPI"]
    )
    expect(brief).to_contain_text("埔里鎮農會〔產〕集貨與包裝；投入：提供包裝場")
    expect(brief).to_contain_text("經費需求及財源表（新臺幣千元）：合計 14,000 千元；民間投資 42.9%")
    grid = brief.get_by_role("table")
    expect(grid.get_by_role("row").filter(has_text="總計")).to_have_text(re.compile(r"總計\s*8,000\s*6,000\s*14,000"))
    if shots:
        screenshot(page, f"{shots}-brief")
    logout(page)


def assign_and_score(page: Page, base: str, title: str, shots: bool = False) -> None:
    """The NDC assigns the two suggested reviewers, and both score the case high enough
    for the 三高 screening (進行後續媒合)."""
    login(page, base, ADMIN)
    page.get_by_role("link", name="審查管理").click()
    page.get_by_role("row").filter(has_text=title).get_by_role("link", name="分派委員").click()
    for name in REVIEWERS.values():
        expect(page.get_by_label(name)).to_be_checked()
    if shots:
        screenshot(page, "desktop-assign")
    page.get_by_role("button", name="分派", exact=True).click()
    assert flash(page) == "已分派委員。"
    expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("0/2")
    logout(page)

    for number, email in enumerate(REVIEWERS):
        login(page, base, email)
        page.get_by_role("link", name="我的審查").click()
        page.get_by_role("link", name=title).click()
        for criterion in ("可行性", "創意性", "外溢性"):
            page.get_by_role("group", name=criterion).get_by_label(f"{5 - number} 分").check()
        page.get_by_role("group", name="是否跨領域").get_by_label("是").check()
        page.get_by_role("group", name="是否跨部會").get_by_label("是").check()
        page.get_by_label("高：熟悉這個領域").check()
        page.get_by_label("內部意見").fill("包裝場選址可再評估。")
        page.get_by_label("給公所的意見").fill("請補充夜間遊程的安全規劃。")
        page.get_by_label("我確認上面這段意見可以提供給公所").check()
        if shots and number == 0:
            screenshot(page, "desktop-score")
        page.get_by_role("button", name="送出評分").click()
        assert flash(page).startswith("已送出評分")
        logout(page)


def test_proposal_from_first_draft_to_the_public_showcase(page: Page, portal: Portal, dialogs: Dialogs) -> None:
    base = portal.url
    write_and_submit(page, base, TITLE, shots="desktop")
    assert dialogs.messages == ["確定送出提案？送出後不能修改。"]

    # The county forwards it to the NDC.
    login(page, base, COUNTY)
    people.open_proposal(page, base, TITLE)
    page.get_by_role("button", name="轉送國發會").click()
    assert flash(page) == "已完成「轉送國發會」，提案目前為「縣市已轉送國發會」。"
    logout(page)

    assign_and_score(page, base, TITLE, shots=True)

    # The NDC records today's working meeting, puts the screened case on its agenda,
    # and approves it there with matched resources, then publishes.
    login(page, base, ADMIN)
    page.get_by_role("link", name="審查管理").click()
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_contain_text("2/2")
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="會報會議").click()
    page.get_by_label("工作會議").check()
    page.get_by_label("次別（第幾次）").fill("12")
    page.get_by_label("會議日期").fill(TODAY)
    page.get_by_role("button", name="登錄會議").click()
    assert flash(page) == f"已登錄{MEETING}（{TODAY}）。"
    page.get_by_role("button", name="列入議程").click()
    assert flash(page) == f"已將「{TITLE}」列入議程。"
    screenshot(page, "desktop-meeting")
    page.locator("#agenda").get_by_role("link", name="做成決定").click()
    page.get_by_label("核定", exact=True).check()
    page.get_by_label(re.compile("^會議")).select_option(label=f"{MEETING}（{TODAY}）")
    page.get_by_label("部會計畫").first.select_option("農村再生（第二期/第三期實施計畫）")
    page.get_by_label("金額（千元）").first.fill("5000")
    page.get_by_label("年度").first.fill("2026")
    page.get_by_label("民間投資承諾（千元）").fill("3000")
    screenshot(page, "desktop-decide")
    page.get_by_role("button", name="記錄決定").click()
    assert flash(page) == "已記錄決定：核定。"
    page.get_by_role("button", name="公開於成果網站").click()
    assert flash(page) == "已完成「公開於成果網站」，提案目前為「已公開」。"
    screenshot(page, "desktop-detail-published")

    # ... and rebuilds the public site, which a visitor then opens from a static server.
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="展示網站").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公開展示網站")
    page.get_by_role("button", name="重新產生展示網站").click()
    assert flash(page).startswith("展示網站已重新產生：寫入")
    screenshot(page, "desktop-admin-showcase")
    logout(page)
    with StaticServer(portal.build_dir) as site:
        # Published the same day as the demo's sixteen cases, it is listed by its slug among
        # them: found under 所有案例, not necessarily among the home page's six newest.
        page.goto(site.url)
        page.get_by_role("navigation", name="主選單").get_by_role("link", name="所有案例").click()
        page.get_by_role("main").get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(page.get_by_role("main")).to_contain_text(f"{MEETING}（{TODAY}）")


# --- a cross-county plan ----------------------------------------------------------------------

CROSS_TITLE = "埔里古坑山城茶路區域計畫"
PARTNER_COUNTY = "county-10009@demo.example.org"  # 雲林縣, whose 古坑鄉 borders 南投縣
MINISTRY = "ministry@demo.example.org"
OFFERED_MINISTRY = "經濟部（中小及新創企業署）"
OFFERED = "推動中小企業城鄉創生轉型輔導計畫（SBTR）"
CROSS_MEETING = "第13次地方創生會報"


def write_cross_county_plan(page: Page, base: str) -> None:
    """埔里鎮 writes a regional plan with 國姓鄉 (南投縣) and 古坑鄉 (雲林縣) and submits it."""
    login(page, base, TOWNSHIP)
    people.start_proposal(page, base, CROSS_TITLE)
    people.open_task(page, "基本資料")
    page.get_by_label("區域型").check()
    partners = page.get_by_role("combobox", name="合作鄉鎮市區")
    for name in ("國姓", "古坑"):  # picked by typing, as a clerk does
        partners.fill(name)
        partners.press("Enter")
    expect(page.get_by_role("list", name="已選的合作鄉鎮市區").locator("> li > span")).to_have_text(
        ["南投縣國姓鄉", "雲林縣古坑鄉"]
    )
    people.fill_basics(page)
    people.fill_dna(page)
    people.fill_stakeholders(page)
    page.get_by_role("navigation", name="提案各節").get_by_role("link", name="形成共識願景過程").click()
    people.fill_consensus(page)
    people.fill_businesses(page)
    people.fill_resources(page)
    people.fill_kpis(page)
    people.submit_proposal(page)
    page.get_by_role("link", name="一頁式簡報").click()
    expect(page.get_by_role("article")).to_contain_text("（合作：國姓鄉、雲林縣古坑鄉）・跨縣市：南投縣、雲林縣")
    logout(page)


def test_cross_county_plan_is_co_signed_before_the_lead_county_forwards(
    page: Page, portal: Portal, dialogs: Dialogs
) -> None:
    base = portal.url
    write_cross_county_plan(page, base)
    cosign = page.get_by_role("region", name="跨縣市合作：同意參與")

    # The lead county cannot forward yet: 雲林縣 has not agreed.
    login(page, base, COUNTY)
    people.open_proposal(page, base, CROSS_TITLE)
    expect(cosign.get_by_role("listitem")).to_have_text(["雲林縣：尚未同意"])
    page.get_by_role("button", name="轉送國發會").click()
    assert flash(page) == "還需要雲林縣同意參與，才能轉送國發會。請聯繫尚未同意的縣市政府。"
    expect(page.locator(".meta .badge")).to_have_text("已送出（待縣市審閱）")
    logout(page)

    # 雲林縣 finds the case in its own list and agrees to take part.
    login(page, base, PARTNER_COUNTY)
    people.open_proposal(page, base, CROSS_TITLE)
    cosign.get_by_role("button", name="同意參與").click()
    assert flash(page) == "已同意參與這件跨縣市提案。"
    expect(cosign.get_by_role("listitem")).to_contain_text(["雲林縣：已同意參與（雲林縣政府承辦人，"])
    screenshot(page, "desktop-cosigned")
    logout(page)

    # Now the lead county forwards it.
    login(page, base, COUNTY)
    people.open_proposal(page, base, CROSS_TITLE)
    page.get_by_role("button", name="轉送國發會").click()
    assert flash(page) == "已完成「轉送國發會」，提案目前為「縣市已轉送國發會」。"
    logout(page)
    assert dialogs.messages[-2:] == ["確定代表貴縣市同意參與這件提案嗎？", "確定要「轉送國發會」嗎？"]

    # Scored high by both reviewers, it passes the 三高 screening and reaches the ministries.
    assign_and_score(page, base, CROSS_TITLE)
    login(page, base, MINISTRY)
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="媒合提案").click()
    page.get_by_role("link", name=CROSS_TITLE).click()
    expect(page.get_by_role("region", name=re.compile("^評分摘要"))).to_contain_text("篩選結果：進行後續媒合")
    # Aggregated scores only: no reviewer's name and no internal comment.
    for hidden in (*REVIEWERS.values(), "包裝場選址可再評估。"):
        expect(page.get_by_role("main")).not_to_contain_text(hidden)
    page.get_by_label("部會計畫").select_option(label=OFFERED)
    page.get_by_label("金額（千元）").fill("1800")
    page.get_by_label("年度").fill("2027")
    page.get_by_role("button", name="提出媒合計畫").click()
    assert flash(page) == "已提出媒合計畫，國發會將在做成決定時確認。"
    screenshot(page, "desktop-ministry-offer")
    logout(page)

    # The NDC records a 會報, puts the case on its agenda and approves it there, taking
    # the ministry's offer into the decision.
    login(page, base, ADMIN)
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="會報會議").click()
    page.get_by_label("會報", exact=True).check()
    page.get_by_label("次別（第幾次）").fill("13")
    page.get_by_label("會議日期").fill(TODAY)
    page.get_by_role("button", name="登錄會議").click()
    assert flash(page) == f"已登錄{CROSS_MEETING}（{TODAY}）。"
    page.get_by_label("列入議程的提案").select_option(label=f"{CROSS_TITLE}（南投縣埔里鎮，v1）")
    page.get_by_role("button", name="列入議程").click()
    assert flash(page) == f"已將「{CROSS_TITLE}」列入議程。"
    page.locator("#agenda").get_by_role("listitem").filter(has_text=CROSS_TITLE).get_by_role(
        "link", name="做成決定"
    ).click()
    page.get_by_label("核定", exact=True).check()
    page.get_by_label(re.compile("^會議")).select_option(label=f"{CROSS_MEETING}（{TODAY}）")
    page.get_by_label(re.compile(f"^{re.escape(OFFERED_MINISTRY)}：{re.escape(OFFERED)}")).check()
    page.get_by_role("button", name="記錄決定").click()
    assert flash(page) == "已記錄決定：核定。"
    expect(page.locator(".meta .badge")).to_have_text("核定")
    expect(page.get_by_role("main")).to_contain_text(f"{OFFERED_MINISTRY}：{OFFERED}")
    screenshot(page, "desktop-cross-county-decided")
    logout(page)


def test_wizard_without_javascript(browser: Browser, portal: Portal) -> None:
    """Every step of writing and submitting works with JavaScript off: rows are added by
    the server, and submitting needs no confirmation dialog."""
    context = open_context(browser, javascript=False)
    try:
        write_and_submit(context.new_page(), portal.url, "埔里無腳本測試計畫", shots="nojs")
    finally:
        context.close()


def test_wizard_on_a_phone(browser: Browser, portal: Portal) -> None:
    """Township staff fill sections on a phone: every page fits the screen's width."""
    context = open_context(browser, phone=True)
    try:
        page = context.new_page()
        login(page, portal.url, TOWNSHIP)
        people.start_proposal(page, portal.url, "埔里手機填寫測試計畫")
        widths = {"task-list": fits(page, "phone-task-list")}
        people.open_task(page, "基本資料")
        widths["basics"] = fits(page, "phone-wizard-basics")
        people.fill_basics(page)
        people.fill_dna(page)
        people.fill_stakeholders(page)
        widths["stakeholders"] = fits(page, "phone-wizard-stakeholders")
        page.get_by_role("link", name="檢查並送出").first.click()
        widths["check"] = fits(page, "phone-check")
        page.get_by_role("link", name="預覽一頁式簡報").click()
        widths["brief"] = fits(page, "phone-brief")

        assert widths == dict.fromkeys(widths, True)
    finally:
        context.close()


def fits(page: Page, shot: str) -> bool:
    """Screenshot the page; True when nothing makes it wider than the screen."""
    screenshot(page, shot)
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# --- after approval -------------------------------------------------------------------------

FOLLOWED = "望安綠蠵龜之島：花宅聚落慢活創生計畫"
FOLLOWED_SLUG = "wangan-turtle-island-2026"
FOLLOWED_TOWNSHIP = "township-10016050@demo.example.org"  # 澎湖縣望安鄉
COMPANION = "reviewer2@demo.example.org"  # 黃委員, who scored it and accompanies it
# The year's actual values, in the order of the case's KPIs: 觀光旅遊人次 42000 → 55000,
# 青年返鄉/移居人數 0 → 12, 新增工作機會 0 → 18, 產值 0 → 6000, 人口社會增加 −85 → 0.
ACTUALS = ["47,000", "3", "5", "1200", "-50"]


def open_followup(page: Page, base: str) -> None:
    people.open_proposal(page, base, FOLLOWED)
    page.get_by_role("link", name="前往執行追蹤").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"執行追蹤：{FOLLOWED}")


def test_after_approval_a_case_is_followed_up_and_its_accepted_results_published(
    page: Page, portal: Portal, dialogs: Dialogs
) -> None:
    base = portal.url
    year = publish.today().year

    # The accompanying reviewer logs a site visit with an issue for the township.
    login(page, base, COMPANION)
    open_followup(page, base)
    page.get_by_label("現地勘察").check()
    page.get_by_label(re.compile("^日期")).fill(TODAY)
    page.get_by_label("地點").fill("望安鄉中社村花宅聚落")
    page.get_by_label("出席人員").fill("輔導團委員、鄉公所、中社村社區發展協會")
    page.get_by_label("紀錄內容").fill("古厝修復第一批三棟完工，民宿預計明年春天試營運。")
    page.get_by_label("公所可見").check()
    issue = group(page, "第 1 項問題")
    issue.get_by_label("問題").fill("交通船夏季班次不足，請協調增開")
    issue.get_by_label("負責單位").select_option(label="縣市政府")
    page.get_by_role("button", name="登錄輔導紀錄").click()
    assert flash(page) == f"已登錄 {TODAY} 的現地勘察紀錄。"
    screenshot(page, "followup-counsel")
    logout(page)

    # The township sees the entry meant for it, and files the year's progress report.
    login(page, base, FOLLOWED_TOWNSHIP)
    open_followup(page, base)
    expect(page.get_by_role("main")).to_contain_text("交通船夏季班次不足，請協調增開")
    page.get_by_role("row").filter(has_text=f"{year}（").get_by_role("link", name="填寫報告").click()
    for field, value in zip(page.get_by_label("實際值").all(), ACTUALS, strict=True):
        field.fill(value)
    page.get_by_role("button", name="儲存並前往下一步").click()
    assert flash(page) == "已儲存「KPI 實際值」。"
    for status in page.get_by_label("執行狀態").all():
        status.select_option(label="進行中")
    page.get_by_role("button", name="儲存並前往下一步").click()
    assert flash(page) == "已儲存「事業執行狀態」。"
    page.get_by_role("button", name="儲存並前往下一步").click()
    assert flash(page) == "已儲存「經費實際到位」。"
    page.get_by_label("本年度執行概況").fill("古厝修復第一批完工；觀龜遊程試辦兩梯次；乾貨品牌完成包裝設計。")
    page.get_by_role("button", name="送出報告").click()
    assert flash(page) == f"已送出{year} 年第 1 版。"
    screenshot(page, "followup-report-submitted")
    logout(page)

    # The reviewer accepts the values with a rating, after confirming the comment.
    login(page, base, COMPANION)
    page.get_by_role("link", name="待年底檢核").click()
    page.get_by_role("row").filter(has_text=FOLLOWED).get_by_role("link", name=re.compile("^進行年底檢核")).click()
    page.get_by_label("符合進度").check()
    page.get_by_label("給公所的意見（會提供給提案單位）").fill("第一年進度符合計畫，請持續追蹤交通船班次。")
    page.get_by_label("我確認上面這段意見可以提供給公所").check()
    page.get_by_label("內部意見（只有國發會與陪伴委員看得到）").fill("社區協會人力充足。")
    screenshot(page, "followup-yearend-review")
    page.get_by_role("button", name="送出年底檢核").click()
    assert flash(page) == f"已送出{year} 年第 1 版的年底檢核。"
    logout(page)

    # The NDC writes the accepted results into the case files and rebuilds the site.
    login(page, base, ADMIN)
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="展示網站").click()
    page.get_by_role("link", name="執行成果").click()
    page.get_by_role("button", name="更新公開案例檔").click()
    assert flash(page).startswith("已更新公開案例檔：")
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="展示網站").click()
    page.get_by_role("button", name="重新產生展示網站").click()
    assert flash(page).startswith("展示網站已重新產生：寫入")
    logout(page)

    # The public case page shows each KPI's progress; the statistics page the totals.
    with StaticServer(portal.build_dir) as site:
        page.goto(f"{site.url}/cases/{FOLLOWED_SLUG}/")
        results = page.get_by_role("region", name="執行成果")
        expect(results).to_contain_text(f"最新年底檢核：{year} 年・符合進度")
        bars = results.get_by_role("progressbar")
        # 47,000 of 42,000 → 55,000 is 38 %; −50 of −85 → 0 is 41 % (rounded down).
        assert [
            (bars.nth(i).get_attribute("aria-label"), bars.nth(i).get_attribute("value")) for i in range(bars.count())
        ] == [
            ("達成目標進度：觀光旅遊人次", "38"),
            ("達成目標進度：青年返鄉/移居人數", "25"),
            ("達成目標進度：新增工作機會", "27"),
            ("達成目標進度：產值", "20"),
            ("達成目標進度：人口社會增加", "41"),
        ]
        screenshot(page, "followup-public-case")
        page.goto(f"{site.url}/statistics/")
        # This year's jobs: 望安 5 beside the demo's 阿里山 14, 池上 4 and 平溪 2, against
        # their targets for the year (18, 13, 20 and 3).
        totals = page.get_by_role("region", name="執行成果與目標").get_by_role("row")
        expect(totals.filter(has_text="新增工作機會").filter(has_text=f"{year}")).to_have_text(
            re.compile(rf"新增工作機會（人）\s*{year}\s*4\s*25\s*54")
        )
        screenshot(page, "followup-public-statistics")


def test_a_missing_reason_is_said_before_any_confirmation_is_asked(
    page: Page, portal: Portal, dialogs: Dialogs
) -> None:
    """退回補件 needs a reason: pressing it with none says so next to the field and asks
    nothing; with a reason, the confirmation comes and the case is returned."""
    title = "頭城老街再生：衝浪、搶孤與海港慢生活"
    login(page, portal.url, "county-10002@demo.example.org")  # 宜蘭縣
    people.open_proposal(page, portal.url, title)
    returning = page.locator("form").filter(has=page.get_by_role("button", name="退回補件"))

    returning.get_by_role("button", name="退回補件").click()

    reason = returning.get_by_label(re.compile("^理由"))
    expect(returning.locator(".error-message")).to_have_text("「退回補件」需要填寫理由。")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert dialogs.messages == []

    reason.fill("請補充衝浪季與搶孤祭典期間的人流管理方式。")
    returning.get_by_role("button", name="退回補件").click()
    assert flash(page) == "已完成「退回補件」，提案目前為「縣市退回補件」。"
    assert dialogs.messages == ["確定要「退回補件」嗎？"]


def test_a_word_typed_into_a_number_field_is_refused_beside_it_and_kept(page: Page, portal: Portal) -> None:
    """金額 「三千元」 used to reach the server empty (a number box sends nothing for a
    word): the page said 已儲存 and the amount was gone."""
    login(page, portal.url, TOWNSHIP)
    people.start_proposal(page, portal.url, "埔里數字欄位測試計畫")
    people.open_task(page, "資源需求與協助")
    amount = group(page, "第 1 筆").get_by_label("金額（新臺幣千元）")
    year = group(page, "第 1 筆").get_by_label("年度（西元）")

    amount.fill("三千元")
    year.fill("２０２６")  # full-width digits are the number they are
    page.get_by_role("button", name="儲存", exact=True).click()

    expect(page.locator("#lines-0-amount-error")).to_contain_text(
        "請填阿拉伯數字的整數（例如 3000），不要加單位或文字。"
    )
    expect(amount).to_have_value("三千元")
    expect(amount).to_have_attribute("inputmode", "numeric")
    expect(page.locator("#lines-0-year-error")).to_have_count(0)
    screenshot(page, "number-field-refused")


def test_the_live_private_share_and_the_saved_table_round_alike(page: Page, portal: Portal) -> None:
    """1 of 16 is 6.25 %: the live figure and the server's table both say 6.3%."""
    login(page, portal.url, TOWNSHIP)
    people.start_proposal(page, portal.url, "埔里比例測試計畫")
    people.open_task(page, "資源需求與協助")
    group(page, "第 1 筆").get_by_label("經費來源").select_option("private")
    group(page, "第 1 筆").get_by_label("金額（新臺幣千元）").fill("1")
    people.add_row(page, "新增一筆經費")
    group(page, "第 2 筆").get_by_label("經費來源").select_option("township")
    group(page, "第 2 筆").get_by_label("金額（新臺幣千元）").fill("1,5")  # a slip of the comma: 15
    live = page.locator("[data-live-totals]")

    expect(live).to_have_text("即時合計：16 千元・民間投資比例：6.3%")
    page.get_by_role("button", name="儲存", exact=True).click()
    expect(page.get_by_role("region", name="經費合計（系統計算，單位：千元）")).to_contain_text(
        "總計：16 千元・民間投資比例：6.3%"
    )
    expect(live).to_have_text("即時合計：16 千元・民間投資比例：6.3%")


def test_leaving_a_section_with_unsaved_edits_asks_first(context: BrowserContext, portal: Portal) -> None:
    """Following a link away from a section with typed, unsaved text asks before the
    page goes; staying keeps the text. Saving, then leaving, asks nothing."""
    page = context.new_page()  # without the fixture's handler, which accepts every dialog
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    login(page, portal.url, TOWNSHIP)
    people.start_proposal(page, portal.url, "埔里離開頁面測試計畫")
    people.open_task(page, "我的DNA")
    page.on("dialog", stay)
    summary = page.get_by_label(re.compile("^DNA 摘要"))
    summary.fill("還沒儲存的一段話")

    page.get_by_role("link", name="回提案任務清單").click(no_wait_after=True)
    page.wait_for_timeout(500)

    assert asked == ["beforeunload"]
    expect(summary).to_have_value("還沒儲存的一段話")
    page.get_by_role("button", name="儲存", exact=True).click()
    page.get_by_role("link", name="回提案任務清單").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("埔里離開頁面測試計畫")
    assert asked == ["beforeunload"]
