"""A complete proposal document that passes every check, shared by the tests."""

from __future__ import annotations

import copy
from typing import Any

# A complete proposal with no problems; each test breaks one thing in a fresh copy.
GOOD: dict[str, Any] = {
    "basics": {
        "theme": "生態旅遊與農產加值",
        "contact": {"name": "王○○", "phone": "049-2991000", "email": "puli@example.org"},
        "title_en": "Puli Eco-town",
        "summary_en": "Shared processing and seasonal routes.",
    },
    "dna": {
        "summary": "埔里位居臺灣地理中心，水質純淨。",
        "items": {
            "人": ["返鄉青年"],
            "文": ["紹興酒與手工紙", "𥕢仔地名"],
            "地": ["盆地"],
            "產": [],
            "景": ["桃米生態村"],
        },
    },
    "stakeholders": [
        {"name": "埔里鎮農會", "sector": "產", "role": "加工與通路", "commitment": "提供倉庫"},
        {"name": "暨南大學", "sector": "學", "role": "生態監測", "commitment": "派駐師生"},
    ],
    "consensus": {
        "events": [
            {"date": "2025-06-21", "kind": "說明會", "participants": 80, "outcome": "確認提案方向"},
            {"date": "2025-08-09", "kind": "工作坊", "participants": 45, "outcome": "產出遊程草案"},
        ],
        "vision": "青年留得下、遊客慢下來、農產賣得好。",
    },
    "businesses": {
        "summary": "加工、遊程到品牌的完整價值鏈。",
        "items": [
            {
                "name": "山城共享加工中心",
                "what": "整建閒置倉庫為共享加工與冷鏈中心。",
                "where": "埔里鎮愛蘭里",
                "start": "2026-03",
                "end": "2027-12",
                "how": "農會出資整建並營運。",
                "lead": "埔里鎮農會",
                "strategies": ["hometown_investment", "technology"],
            },
            {
                "name": "四季慢遊遊程",
                "what": "設計跨鄉鎮的季節遊程。",
                "where": "桃米社區",
                "start": "2026-06",
                "end": "2028-06",
                "how": "青年團隊成立社會企業經營。",
                "lead": "山城共好工作室",
                "strategies": ["social_participation"],
            },
        ],
    },
    "resources": {
        "lines": [
            {
                "kind": "硬體",
                "source": "central",
                "programme": "農村再生（第二期/第三期實施計畫）",
                "self_liquidating": False,
                "year": 2026,
                "amount": 8000,
                "note": "加工中心整建",
            },
            {
                "kind": "硬體",
                "source": "private",
                "programme": "",
                "self_liquidating": True,
                "year": 2027,
                "amount": 6000,
                "note": "",
            },
        ],
        "support": [{"kind": "法規調適", "description": "倉庫變更為食品加工使用。"}],
    },
    "kpis": [
        {
            "indicator": "新增工作機會",
            "definition": "新增之全職勞保投保人數",
            "unit": "人",
            "baseline": 0,
            "baseline_year": 2025,
            "target": 45,
            "target_year": 2028,
            "direction": "+",
            "kind": "outcome",
            "baseline_source": "",
            "yearly": [],
        },
        {
            "indicator": "養殖損失率",
            "definition": "寒害與缺氧之年損失比例",
            "unit": "%",
            "baseline": 18.5,
            "baseline_year": 2025,
            "target": 8,
            "target_year": 2028,
            "direction": "-",
            "kind": "outcome",
            "baseline_source": "",
            "yearly": [],
        },
    ],
    "benefits": ["凝聚社區認同"],
}


def complete_document() -> dict[str, Any]:
    """A fresh copy of GOOD, safe to change."""
    return copy.deepcopy(GOOD)
