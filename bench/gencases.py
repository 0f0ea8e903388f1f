"""A deterministic generator of N published case files with varied Chinese text.

Each case's narrative is composed from vocabulary lists (landmarks, crops, crafts,
festivals, people, actions) by a random generator seeded with the case number, so no
two cases share a text and the same N always gives the same files. Cases are spread
over the 368 townships and four cycles, and written in the published format
(`portal/snapshot.py`), starting from the demo case in `bench/sample/`.

A few rare words (`RARE`) are each placed in exactly k cases, so a search for one of
them has a known answer: the benchmark's recall figure.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "portal" / "reference" / "data"
SAMPLE = ROOT / "bench" / "sample" / "2026" / "chishang-rice-2026.md"
CYCLES = ("2023", "2024", "2025", "2026")

LANDMARKS = (
    "老街",
    "漁港",
    "溪谷",
    "茶園",
    "梯田",
    "濕地",
    "海岸",
    "古道",
    "舊糖廠",
    "火車站",
    "廟埕",
    "市場",
    "水圳",
    "林場",
    "溫泉",
    "山城",
    "石板屋",
    "眷村",
    "碼頭",
    "燈塔",
    "防風林",
    "河口",
    "竹林",
    "果園",
)
CROPS = (
    "稻米",
    "茶葉",
    "鳳梨",
    "香蕉",
    "芒果",
    "柑橘",
    "咖啡",
    "可可",
    "紅藜",
    "小米",
    "芋頭",
    "地瓜",
    "金針花",
    "梅子",
    "竹筍",
    "香菇",
    "蓮霧",
    "花生",
    "洛神花",
    "愛玉",
    "柿子",
    "高麗菜",
    "紅豆",
    "牛樟芝",
)
CRAFTS = (
    "藍染",
    "竹編",
    "陶藝",
    "木雕",
    "藺草編織",
    "漆器",
    "剪黏",
    "皮雕",
    "織布",
    "石雕",
    "交趾陶",
    "紙傘",
    "刺繡",
    "金工",
    "月桃編",
    "漂流木創作",
)
FESTIVALS = (
    "豐年祭",
    "媽祖遶境",
    "燈會",
    "收穫祭",
    "花季",
    "音樂節",
    "賞鯨季",
    "螢火蟲季",
    "鬼月祭典",
    "搶孤",
    "元宵踩街",
    "義民祭",
    "龍舟賽",
    "小米收穫節",
    "海洋音樂祭",
    "咖啡節",
)
PEOPLE = (
    "青農",
    "返鄉青年",
    "部落耆老",
    "社區媽媽",
    "退休教師",
    "新住民",
    "漁民",
    "茶農",
    "職人",
    "大學生",
    "文史工作者",
    "民宿業者",
    "小農",
    "廟方",
    "地方創業者",
    "國中小學生",
)
ACTIONS = (
    "共同經營",
    "開設工作坊",
    "發展體驗行程",
    "建立共同品牌",
    "推出伴手禮",
    "整理閒置空間",
    "培訓導覽員",
    "串連在地店家",
    "辦理市集",
    "設計遊程",
    "建立產銷平台",
    "成立合作社",
    "開發加工品",
    "記錄口述歷史",
)
GOALS = (
    "讓年輕人願意留下",
    "延長旅客停留時間",
    "提高農產品附加價值",
    "讓老手藝有人傳承",
    "創造在地工作機會",
    "分散觀光人潮",
    "讓社區長輩有收入",
    "吸引移居人口",
    "減少農業廢棄物",
    "讓孩子認識家鄉",
)
PROBLEMS = (
    "人口外流嚴重",
    "觀光集中在假日",
    "農產品價格不穩",
    "傳統產業後繼無人",
    "閒置空間日漸增加",
    "交通不便",
    "在地品牌知名度不足",
    "長輩獨居比例高",
)
KINDS = ("說明會", "工作坊", "座談會")

# Words used nowhere else, each placed in exactly k cases: (word, k).
RARE = (("鵝鑾鼻星砂", 1), ("翡翠水蛙", 3), ("七股鹽雕", 5), ("魯凱石板雞", 10))


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rare_cases(count: int) -> dict[str, list[int]]:
    """Which case numbers carry each rare word (k clamped to `count`)."""
    return {word: sorted(random.Random(word).sample(range(count), min(k, count))) for word, k in RARE}


def _sentence(rng: random.Random, town: str) -> str:
    templates = (
        "{town}的{landmark}周邊，{people}以{crop}為核心{action}，希望{goal}。",
        "過去{problem}，如今{people}結合{craft}與{crop}，{action}。",
        "每年{festival}期間人潮湧入{landmark}，但平日冷清，{problem}。",
        "{people}與{people2}合作，把{crop}加工成伴手禮，並在{landmark}{action}。",
        "以**{craft}**串起{town}的{landmark}與{festival}，{goal}。",
        "{town}{people}自發{action}，盼以{crop}與{craft}{goal}。",
    )
    return rng.choice(templates).format(
        town=town,
        landmark=rng.choice(LANDMARKS),
        people=rng.choice(PEOPLE),
        people2=rng.choice(PEOPLE),
        crop=rng.choice(CROPS),
        craft=rng.choice(CRAFTS),
        festival=rng.choice(FESTIVALS),
        action=rng.choice(ACTIONS),
        goal=rng.choice(GOALS),
        problem=rng.choice(PROBLEMS),
    )


def _paragraph(rng: random.Random, town: str, sentences: int) -> str:
    return "".join(_sentence(rng, town) for _ in range(sentences))


def make_case(sample, number: int, town: dict[str, str], region: str, extra: str = ""):  # type: ignore[no-untyped-def]
    from portal import snapshot

    rng = random.Random(number)
    name = town["township_zh"]
    cycle = CYCLES[number % len(CYCLES)]
    crop, craft, festival = rng.choice(CROPS), rng.choice(CRAFTS), rng.choice(FESTIVALS)
    month, day = 1 + number % 12, 1 + number % 28
    published = dt.date(int(cycle), month, day)
    factor = 1 + number % 5
    businesses = tuple(
        dataclasses.replace(
            business,
            name=f"{rng.choice(CROPS)}{rng.choice(CRAFTS)}{rng.choice(('工坊', '基地', '學校', '市集', '小旅行'))}",
            what=_paragraph(rng, name, 2),
            how=_paragraph(rng, name, 1),
            where=f"{name}{rng.choice(LANDMARKS)}",
        )
        for business in sample.businesses
    )
    dna_items = {
        "人": tuple(rng.sample(PEOPLE, 3)),
        "文": (*rng.sample(FESTIVALS, 2), rng.choice(CRAFTS)),
        "地": tuple(f"{name}{w}" for w in rng.sample(LANDMARKS, 3)),
        "產": tuple(rng.sample(CROPS, 3)),
        "景": tuple(rng.sample(LANDMARKS, 3)),
    }
    resources = sample.resources
    resources = dataclasses.replace(
        resources,
        by_source={k: v * factor for k, v in resources.by_source.items()},
        by_year={k: v * factor for k, v in resources.by_year.items()},
        total=resources.total * factor,
    )
    kpis = tuple(
        dataclasses.replace(kpi, target=kpi.baseline + rng.randint(5, 60) * (1 + int(kpi.target - kpi.baseline) // 50))
        for kpi in sample.kpis
    )
    return dataclasses.replace(
        sample,
        slug=f"case-{number:05d}-{town['code']}",
        cycle=cycle,
        title=f"{name}{crop}與{craft}共好：{festival}創生計畫",
        title_en=f"{town['township_en']} {number}",
        theme=f"{crop}與{craft}",
        dna=dataclasses.replace(sample.dna, summary=_paragraph(rng, name, 3) + extra, items=dna_items),
        consensus=dataclasses.replace(sample.consensus, vision=_paragraph(rng, name, 2)),
        businesses_summary=_paragraph(rng, name, 1),
        businesses=businesses,
        resources=resources,
        private_investment=sample.private_investment * factor,
        kpis=kpis,
        township=snapshot.Place(code=town["code"], name=name, name_en=town["township_en"]),
        county=snapshot.Place(code=town["code"][:5], name=town["county_zh"], name_en=town["county_en"]),
        region=region,
        decision=dataclasses.replace(sample.decision, date=published - dt.timedelta(days=30)),
        published=published,
        updated=published,
    )


def generate(folder: Path, count: int) -> list[Path]:
    """Write `count` case files under `folder/<cycle>/`; return their paths in case order."""
    from portal import snapshot

    sample = snapshot.load(SAMPLE)
    regions = {row["county_code"]: row["region"] for row in read("regions.csv")}
    towns = read("townships.csv")
    rare = rare_cases(count)
    paths = []
    for number in range(count):
        town = towns[number % len(towns)]
        extra = "".join(f"今年試辦{word}體驗。" for word, numbers in rare.items() if number in numbers)
        case = make_case(sample, number, town, regions[town["code"][:5]], extra)
        path = folder / case.cycle / f"{case.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot.dump(case), encoding="utf-8")
        paths.append(path)
    return paths
