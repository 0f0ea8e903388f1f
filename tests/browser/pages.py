"""Every page type of the portal and of the frozen showcase, as (name, account, path),
for the checks that run over all of them (axe-core, the Nu HTML Checker)."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Select, select

from portal import db, operations, wizard
from portal.db.models import Programme, Proposal, Review, ReviewAssignment, User
from portal.domain.proposal import ProposalType
from portal.domain.states import State
from portal.domain.workflow import Action
from tests.browser.conftest import Portal, open_context
from tests.browser.people import ADMIN, COUNTY, TOWNSHIP, login
from tests.conftest import PULI
from tests.documents import complete_document

PortalPage = tuple[str, str | None, str]


def draft(portal: Portal, title: str) -> int:
    """A new empty draft of the demo's 埔里鎮 township; its id."""
    with portal.app.app_context():
        session = db.session()
        author = session.scalar(select(User).where(User.email == TOWNSHIP))
        assert author is not None
        proposal = operations.create_proposal(
            session, author, cycle="2026", proposal_type=ProposalType.TOWNSHIP, lead_township_code=PULI, title=title
        )
        session.commit()
        return proposal.id


def portal_pages(portal: Portal) -> list[PortalPage]:
    """Three fresh drafts (one complete, one empty, one whose saved business ends before
    it starts, so its page shows warnings) and the demo's proposals give every page type
    its realistic content."""
    with portal.app.app_context():
        session = db.session()

        def one(query: Select[int]) -> int:
            value = session.scalar(query)
            assert value is not None, query
            return int(value)

        author = session.scalar(select(User).where(User.email == TOWNSHIP))
        assert author is not None
        drafts = []
        warned = complete_document()
        warned["businesses"]["items"][0]["end"] = "2026-01"
        for title, content in (
            ("無障礙檢查用草稿", complete_document()),
            ("無障礙檢查用空白草稿", None),
            ("無障礙檢查用提醒草稿", warned),
        ):
            draft = operations.create_proposal(
                session, author, cycle="2026", proposal_type=ProposalType.TOWNSHIP, lead_township_code=PULI, title=title
            )
            if content is not None:
                draft.content = content
            drafts.append(draft)
        # A cross-county plan waiting for 雲林縣 to agree: its page shows the co-sign form.
        cross = operations.create_proposal(
            session,
            author,
            cycle="2026",
            proposal_type=ProposalType.REGIONAL,
            lead_township_code=PULI,
            title="無障礙檢查用跨縣市提案",
            participating_codes=["10008100", "10009070"],
        )
        cross.content = complete_document()
        operations.apply_transition(session, cross, Action.SUBMIT, author)
        session.commit()
        cross_id = cross.id
        complete, empty, with_warnings = (d.id for d in drafts)
        in_review = one(
            select(Proposal.id).where(Proposal.status == State.IN_REVIEW, Proposal.lead_township_code == PULI)
        )
        forwarded = one(select(Proposal.id).where(Proposal.status == State.FORWARDED))
        published = one(select(Proposal.id).where(Proposal.status == State.PUBLISHED))
        scored = {r.reviewer_id for r in session.scalars(select(Review).where(Review.proposal_id == in_review))}
        panel = list(session.scalars(select(ReviewAssignment).where(ReviewAssignment.proposal_id == in_review)))
        to_score = next(a.reviewer.email for a in panel if a.reviewer_id not in scored)
        has_scored = next(a.reviewer.email for a in panel if a.reviewer_id in scored)
        programme = one(select(Programme.id).order_by(Programme.id))
        # 陳委員, whose page lists the conflict of interest recorded for 南投縣.
        reviewer = one(select(User.id).where(User.email == "reviewer1@demo.example.org"))

    pages: list[PortalPage] = [
        ("login", None, "/auth/login"),
        ("home-township", TOWNSHIP, "/"),
        ("new-proposal", TOWNSHIP, "/proposals/new"),
        ("task-list", TOWNSHIP, f"/proposals/{complete}/edit"),
        *((f"wizard-{s.identifier}", TOWNSHIP, f"/proposals/{complete}/edit/{s.identifier}") for s in wizard.STEPS),
        ("wizard-warnings", TOWNSHIP, f"/proposals/{with_warnings}/edit/businesses"),
        ("check-passed", TOWNSHIP, f"/proposals/{complete}/check"),
        ("check-problems", TOWNSHIP, f"/proposals/{empty}/check"),
        ("brief", TOWNSHIP, f"/proposals/{complete}/brief"),
        ("detail-township", TOWNSHIP, f"/proposals/{in_review}"),
        ("notifications", TOWNSHIP, "/notifications/"),
        ("home-county", COUNTY, "/"),
        ("detail-county", COUNTY, f"/proposals/{in_review}"),
        ("detail-partner-county", "county-10009@demo.example.org", f"/proposals/{cross_id}"),
        ("review-assigned", to_score, "/review/"),
        ("review-score", to_score, f"/review/{in_review}"),
        ("review-scored", has_scored, f"/review/{in_review}"),
        ("home-admin", ADMIN, "/"),
        ("detail-admin", ADMIN, f"/proposals/{published}"),
        ("review-manage", ADMIN, "/review/manage"),
        ("review-assign", ADMIN, f"/review/manage/{forwarded}/assign"),
        ("review-decide", ADMIN, f"/review/decide/{in_review}"),
        ("review-history", ADMIN, f"/review/manage/{in_review}/reviews"),
        ("review-ranking", ADMIN, "/review/ranking"),
        ("admin-users", ADMIN, "/admin/users"),
        ("admin-user-edit", ADMIN, f"/admin/users/{reviewer}"),
        ("admin-reference", ADMIN, "/admin/reference"),
        ("admin-programme", ADMIN, f"/admin/programmes/{programme}"),
        ("admin-audit", ADMIN, "/admin/audit"),
        ("admin-showcase", ADMIN, "/admin/showcase"),
        ("not-found", ADMIN, "/no-such-page"),
    ]
    return pages


SHOWCASE_PAGES = [
    ("showcase-home", "index.html"),
    ("showcase-home-en", "en/index.html"),
    ("showcase-case", "cases/chishang-rice-2026/index.html"),
    ("showcase-case-en", "en/cases/chishang-rice-2026/index.html"),
    ("showcase-cases", "cases/index.html"),
    ("showcase-county", "county/10014/index.html"),
    ("showcase-region", "region/hualien-taitung/index.html"),
    ("showcase-strategy", "strategy/brand/index.html"),
    ("showcase-type", "type/township/index.html"),
    ("showcase-year", "year/2026/index.html"),
    ("showcase-browse", "browse/index.html"),
    ("showcase-data", "data/index.html"),
    ("showcase-data-en", "en/data/index.html"),
    ("showcase-statistics-en", "en/statistics/index.html"),
    ("showcase-search", "search/index.html"),
    ("showcase-about", "about/index.html"),
    ("showcase-faq-en", "en/faq/index.html"),
    ("showcase-404", "404.html"),
]


@dataclass
class Sessions:
    """One signed-in browser context per account, reused across a module's checks."""

    browser: Browser
    portal: Portal
    contexts: dict[str | None, BrowserContext] = field(default_factory=dict)

    def page(self, account: str | None) -> Page:
        if account not in self.contexts:
            context = open_context(self.browser)
            if account is not None:
                login(context.new_page(), self.portal.url, account)
            self.contexts[account] = context
        context = self.contexts[account]
        for old in context.pages:
            old.close()
        return context.new_page()
