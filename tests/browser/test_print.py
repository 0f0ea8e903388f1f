"""The one-page brief of a proposal filled to every field's maximum prints on one A4
sheet: the promise behind the field budgets in portal/domain/brief.py."""

from __future__ import annotations

import csv
import io
from typing import Any

from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import select

from portal import db, operations, text
from portal.config import PROJECT_ROOT
from portal.db.models import Proposal, Township, User
from portal.domain.brief import BUDGETS, CONSENSUS_KINDS, ROW_LIMITS, STRATEGIES, SUPPORT_KINDS
from portal.domain.proposal import ProposalType
from tests.browser.conftest import SCREENSHOTS, Portal
from tests.browser.people import TOWNSHIP, login
from tests.conftest import PULI

# Wide characters throughout: one code point each, and as wide as text gets.
WIDE = "國"


def full(key: str) -> str:
    return WIDE * BUDGETS[key]


def longest_programme() -> str:
    with (PROJECT_ROOT / "portal/reference/data/programmes.csv").open(encoding="utf-8") as handle:
        return max((row["programme"] for row in csv.DictReader(handle)), key=len)


# Eight budget lines, no two in the same row of the funding table.
WIDEST_SOURCES = ("central", "central", "ndf", "ndf", "county", "county", "private", "private")


def maximal_document() -> dict[str, Any]:
    """Every list at its row limit, every text at its budget, every number long."""
    per_group = ROW_LIMITS["dna.items_per_group"]
    document: dict[str, Any] = {
        "basics": {
            "theme": full("basics.theme"),
            "contact": {"name": "王○○", "phone": "049-2991000", "email": ""},
            "title_en": "E" * BUDGETS["basics.title_en"],
            "summary_en": "e" * BUDGETS["basics.summary_en"],
        },
        "dna": {
            "summary": full("dna.summary"),
            "items": {group: [full("dna.item")] * per_group for group in "人文地產景"},
        },
        "stakeholders": [
            {
                "name": full("stakeholder.name"),
                "sector": "產",
                "role": full("stakeholder.role"),
                "commitment": full("stakeholder.commitment"),
            }
        ]
        * ROW_LIMITS["stakeholders"],
        "consensus": {
            "events": [
                {
                    "date": "2025-12-31",
                    "kind": max(CONSENSUS_KINDS, key=len),
                    "participants": 100_000,
                    "outcome": full("consensus.outcome"),
                }
            ]
            * ROW_LIMITS["consensus.events"],
            "vision": full("consensus.vision"),
        },
        "businesses": {
            "summary": full("businesses.summary"),
            "items": [
                {
                    "name": full("business.name"),
                    "what": full("business.what"),
                    "where": full("business.where"),
                    "start": "2026-01",
                    "end": "2033-12",  # a year for each budget line
                    "how": full("business.how"),
                    "lead": full("business.lead"),
                    "strategies": list(STRATEGIES),
                }
            ]
            * ROW_LIMITS["businesses.items"],
        },
        "resources": {
            # The widest funding table: every line its own row (source, 自償 or not) and
            # its own year column, each amount the largest allowed.
            "lines": [
                {
                    "kind": full("resource.kind"),
                    "source": source,
                    "programme": longest_programme() if source == "central" else "",
                    "self_liquidating": n % 2 == 1,
                    "year": 2026 + n,
                    "amount": 100_000_000,
                    "note": full("resource.note"),
                }
                for n, source in enumerate(WIDEST_SOURCES)
            ],
            "support": [{"kind": max(SUPPORT_KINDS, key=len), "description": full("support.description")}]
            * ROW_LIMITS["resources.support"],
        },
        "kpis": [
            {
                "indicator": full("kpi.indicator"),
                "kind": "outcome",
                "definition": full("kpi.definition"),
                "unit": full("kpi.unit"),
                "baseline": -123456789.25,
                "baseline_year": 2025,
                "baseline_source": full("kpi.baseline_source"),
                "target": 987654321.75,
                "target_year": 2030,
                "direction": "+",
                "yearly": [{"year": 2026 + n, "value": -123456789.25 + n} for n in range(ROW_LIMITS["kpi.yearly"])],
            }
        ]
        * ROW_LIMITS["kpis"],
        "benefits": [full("benefit")] * ROW_LIMITS["benefits"],
    }
    document["html"] = text.render_fields(document, text.NARRATIVE_FIELDS)
    return document


def test_brief_filled_to_every_maximum_prints_on_one_a4_page(page: Page, portal: Portal) -> None:
    with portal.app.app_context():
        session = db.session()
        author = session.scalar(select(User).where(User.email == TOWNSHIP))
        assert author is not None
        neighbours = session.scalars(
            select(Township.code).where(Township.county_code == PULI[:5], Township.code != PULI).limit(6)
        )
        proposal = operations.create_proposal(
            session,
            author,
            cycle="2026",
            proposal_type=ProposalType.REGIONAL,
            lead_township_code=PULI,
            title=full("title"),
            participating_codes=list(neighbours),
        )
        proposal.content = maximal_document()
        session.commit()
        number = proposal.id

    login(page, portal.url, TOWNSHIP)
    page.goto(f"{portal.url}/proposals/{number}/brief")
    pdf = page.pdf(format="A4")

    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "brief-maximal.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    # The whole proposal is on that page, down to the last KPI.
    printed = reader.pages[0].extract_text()
    assert printed.count("987654321.75") == ROW_LIMITS["kpis"]
    # ...each with its last yearly target, and the non-quantifiable benefits below them.
    assert printed.count(f"{-123456789.25 + ROW_LIMITS['kpi.yearly'] - 1}") == ROW_LIMITS["kpis"]
    benefits = "不可量化效益：" + "；".join([full("benefit")] * ROW_LIMITS["benefits"])
    assert benefits in printed.replace("\n", "")
    # ...and the funding table to its grand total (the table's and the totals line's).
    assert (len(WIDEST_SOURCES), printed.count("800,000,000")) == (ROW_LIMITS["resources.lines"], 2)


# The printable width of an A4 sheet with the brief's 7 mm margins, in CSS pixels.
A4_PRINTABLE = {"width": 741, "height": 1070}
# Where the brief's columns part: list items, DNA lines or business headings cut in two,
# businesses whose heading is in one column and its text in the other, and lists whose
# last item stands alone in the second column.
COLUMN_BREAKS = """() => {
  const grid = document.querySelector(".brief-grid");
  const box = grid.getBoundingClientRect();
  const column = (el) => (el.getClientRects()[0].left - box.left < box.width / 2 ? 1 : 2);
  const name = (el) => el.textContent.trim().slice(0, 12);
  const split = [...grid.querySelectorAll("li, dd, .meta-line")].filter((el) => el.getClientRects().length > 1);
  const parted = [...grid.querySelectorAll(".business")].filter((b) => {
    const text = b.querySelector(".meta-line").nextElementSibling;
    return text && column(b.querySelector("h3")) !== column(text);
  });
  const lone = [...grid.querySelectorAll("ul, ol")].filter((list) => list.children.length > 1
    && column(list.lastElementChild) !== column(list.lastElementChild.previousElementSibling));
  return {split: split.map(name), parted: parted.map((b) => name(b.querySelector("h3"))),
          lone: lone.map((list) => name(list.lastElementChild))};
}"""


def test_the_brief_columns_part_between_whole_items(page: Page, portal: Portal) -> None:
    """The demo's 埔里 brief used to print its first business's heading at the foot of the
    first column and the business's text at the top of the second."""
    with portal.app.app_context():
        title = "埔里山城共好：生態旅遊與農產加值區域計畫"
        number = db.session().scalar(select(Proposal.id).where(Proposal.title == title))
    login(page, portal.url, TOWNSHIP)
    page.set_viewport_size(A4_PRINTABLE)
    page.emulate_media(media="print")
    page.goto(f"{portal.url}/proposals/{number}/brief")

    assert page.evaluate(COLUMN_BREAKS) == {"split": [], "parted": [], "lone": []}
