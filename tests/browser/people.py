"""What people do in the portal, step by step, in a real browser: find fields by their
visible labels, press the buttons they would press. Shared by the journeys, the
accessibility checks and the HTML validity check."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD

TOWNSHIP = "township-10008020@demo.example.org"  # 南投縣埔里鎮
COUNTY = "county-10008@demo.example.org"  # 南投縣
ADMIN = "admin@demo.example.org"
# 陳委員 (reviewer1) teaches in Puli and is never assigned a Nantou case.
REVIEWERS = {"reviewer2@demo.example.org": "黃委員", "reviewer3@demo.example.org": "張委員"}


def login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("電子郵件").fill(email)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="登出").click()
    expect(page.get_by_role("link", name="登入", exact=True)).to_be_visible()


def flash(page: Page) -> str:
    """The text of the page's one message (e.g. 已儲存「我的DNA」。)."""
    return page.locator(".flash .flash-text").inner_text()


def group(page: Page, legend: str) -> Locator:
    """A fieldset, found by its legend (第 2 列, 事業 1, …)."""
    return page.get_by_role("group", name=legend, exact=True)


def task_list(page: Page) -> dict[str, str]:
    """The task list as a person reads it: each section with its state."""
    rows = page.locator(".task-list .task")
    # A click that navigates returns once the new page starts loading: wait for its rows.
    expect(rows.first).to_be_visible()
    return {
        rows.nth(i).get_by_role("link").inner_text(): rows.nth(i).locator(".badge").inner_text()
        for i in range(rows.count())
    }


def save_and_next(page: Page, saved: str) -> None:
    page.get_by_role("button", name="儲存並前往下一節").click()
    assert flash(page) == f"已儲存「{saved}」。"


def add_row(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    assert flash(page) == "已儲存，並新增一列。"


def start_proposal(page: Page, base: str, title: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="新增提案").click()
    page.get_by_label("提案名稱").fill(title)
    expect(page.get_by_label("鄉鎮單元")).to_be_checked()
    page.get_by_role("button", name="建立草稿").click()
    assert flash(page) == "已建立草稿，可以依任何順序填寫各節，每一節都會立即儲存。"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def fill_basics(page: Page) -> None:
    page.get_by_label("主題", exact=True).fill("水田生態與筊白筍加值")
    page.get_by_label("聯絡人姓名").fill("林○○")
    page.get_by_label("聯絡電話").fill("049-2991000")
    page.get_by_label("英文名稱（選填）").fill("Puli Water Bamboo Fields")
    page.get_by_label("英文摘要（選填）").fill("Water bamboo farmers, wetlands and a shared packing house.")
    save_and_next(page, "基本資料")


def fill_dna(page: Page) -> None:
    page.get_by_label("DNA 摘要").fill("埔里是**筊白筍**的故鄉，水田也是濕地。")
    page.get_by_label("人（人物、族群、社群）").fill("筍農世家\n返鄉青年")
    page.get_by_label("文（文化、歷史、祭典）").fill("𥕢仔地名")
    page.get_by_label("地（地理、環境）").fill("盆地湧泉")
    page.get_by_label("景（景觀、地標）").fill("夜間筍田燈海")
    save_and_next(page, "我的DNA")


def fill_stakeholders(page: Page) -> None:
    first = group(page, "第 1 列")
    first.get_by_label("單位或姓名").fill("埔里鎮農會")
    first.get_by_label("類別").select_option(label="產（產業）")
    first.get_by_label("角色").fill("集貨與包裝")
    first.get_by_label("投入（資金、土地、人力、知識）").fill("提供包裝場")
    add_row(page, "新增利害關係人")
    second = group(page, "第 2 列")
    expect(second.get_by_label("單位或姓名")).to_have_value("")
    second.get_by_label("單位或姓名").fill("暨南大學")
    second.get_by_label("類別").select_option(label="學（學校）")
    second.get_by_label("角色").fill("濕地生態調查")
    second.get_by_label("投入（資金、土地、人力、知識）").fill("派駐師生")
    page.get_by_role("button", name="儲存", exact=True).click()
    assert flash(page) == "已儲存「利害關係人」。"


def fill_consensus(page: Page) -> None:
    first = group(page, "第 1 場")
    first.get_by_label("日期").fill("2025-06-21")
    first.get_by_label("形式").select_option("說明會")
    first.get_by_label("參與人數").fill("80")
    first.get_by_label("結論").fill("確認以筊白筍為主軸")
    add_row(page, "新增一場會議")
    second = group(page, "第 2 場")
    second.get_by_label("日期").fill("2025-08-09")
    second.get_by_label("形式").select_option("工作坊")
    second.get_by_label("參與人數").fill("45")
    second.get_by_label("結論").fill("產出夜間遊程草案")
    page.get_by_label("共識願景").fill("筍田留得住青年，濕地留得住候鳥。")
    save_and_next(page, "形成共識願景過程")


def fill_businesses(page: Page) -> None:
    page.get_by_label("事業構想摘要").fill("從共同包裝到夜間遊程。")
    items = [
        ("筊白筍共同包裝場", "整建閒置倉庫為共同包裝與冷鏈。", "埔里鎮愛蘭里", "2026-03", "2027-12", "埔里鎮農會"),
        ("筍田夜遊", "設計夜間筍田燈海遊程。", "桃米社區", "2026-06", "2028-06", "山城共好工作室"),
    ]
    strategies = [["企業投資故鄉", "科技導入"], ["社會參與創生"]]
    for number, (name, what, where, start, end, lead) in enumerate(items, start=1):
        if number > 1:
            add_row(page, "新增事業")
        item = group(page, f"事業 {number}")
        item.get_by_label("事業名稱").fill(name)
        item.get_by_label("做什麼").fill(what)
        item.get_by_label("地點").fill(where)
        item.get_by_label("開始（年月）").fill(start)
        item.get_by_label("結束（年月）").fill(end)
        item.get_by_label("怎麼做").fill("農會出資，青年團隊經營。")
        item.get_by_label("主責單位").fill(lead)
        for strategy in strategies[number - 1]:
            item.get_by_label(strategy).check()
    save_and_next(page, "創生事業構想")


def fill_resources(page: Page) -> None:
    first = group(page, "第 1 筆")
    first.get_by_label("項目").fill("硬體")
    first.get_by_label("經費來源").select_option(label="中央部會計畫")
    first.get_by_label("部會計畫（來源為中央部會計畫時）").select_option("農村再生（第二期/第三期實施計畫）")
    first.get_by_label("年度（西元）").fill("2026")
    first.get_by_label("金額（新臺幣千元）").fill("8000")
    first.get_by_label("說明").fill("包裝場整建")
    add_row(page, "新增一筆經費")
    second = group(page, "第 2 筆")
    second.get_by_label("項目").fill("設備")
    second.get_by_label("經費來源").select_option(label="民間投資")
    second.get_by_label("年度（西元）").fill("2027")
    second.get_by_label("金額（新臺幣千元）").fill("6000")
    support = group(page, "第 1 項")
    support.get_by_label("協助類型").select_option("法規調適")
    support.get_by_label("需要的協助").fill("倉庫變更為食品加工使用。")
    save_and_next(page, "資源需求與協助")


def fill_kpis(page: Page) -> None:
    rows = [
        ("新增工作機會", "新增之全職勞保投保人數", "人", "0", "45", "增加（+）"),
        ("人口社會增加率", "遷入減遷出除以年中人口", "‰", "-3.2", "0", "增加（+）"),
    ]
    for number, (indicator, definition, unit, baseline, target, direction) in enumerate(rows, start=1):
        if number > 1:
            add_row(page, "新增指標")
        row = group(page, f"指標 {number}")
        # Exact labels: 指標類型, 現況值資料來源 and the yearly targets' 當年目標值 share words.
        row.get_by_label("指標", exact=True).fill(indicator)
        row.get_by_label("衡量標準", exact=True).fill(definition)
        row.get_by_label("單位", exact=True).fill(unit)
        row.get_by_label("現況值", exact=True).fill(baseline)
        row.get_by_label("現況年", exact=True).fill("2025")
        row.get_by_label("目標值", exact=True).fill(target)
        row.get_by_label("目標年", exact=True).fill("2028")
        row.get_by_label("期望方向").select_option(label=direction)
    page.get_by_role("button", name="儲存並前往下一節").click()
    assert flash(page) == "已儲存「KPI」。"


def open_task(page: Page, label: str) -> None:
    page.get_by_role("list").filter(has=page.locator(".task")).get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)


def submit_proposal(page: Page) -> None:
    """On the check page: nothing left to fix, so submit (accepting the confirmation)."""
    expect(page.get_by_role("heading", name="檢查通過")).to_be_visible()
    page.get_by_role("button", name="送出提案").click()
    assert flash(page) == "已送出第 1 版，等待縣市政府審閱。"
    expect(page.locator(".meta .badge")).to_have_text("已送出（待縣市審閱）")


def open_proposal(page: Page, base: str, title: str) -> None:
    """From the home page's list, as everyone finds their proposals."""
    page.goto(f"{base}/")
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(re.compile(r"/proposals/\d+"))
    page.wait_for_load_state()


def proposal_id(page: Page) -> int:
    match = re.search(r"/proposals/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))
