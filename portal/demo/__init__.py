"""Demo data: one account per role and realistic proposals at every workflow stage.

The proposals in `proposals.yaml` are written for real townships; none is marked as a
priority area. Each is walked to its stage through the real workflow, so the audit
log and notifications look as they would in use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import accounts, operations, text
from portal.db.models import Proposal, ReviewAssignment, Township, User, utcnow
from portal.domain.proposal import ProposalType, empty_document
from portal.domain.roles import Role
from portal.domain.workflow import Action

DEMO_DOMAIN = "demo.example.org"
# Letters and digits without look-alikes (0/O, 1/l/I), so printed passwords type cleanly.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The moves that bring a new draft to each stage, and who makes each move.
PATHS: dict[str, list[Action]] = {
    "draft": [],
    "submitted": [Action.SUBMIT],
    "returned": [Action.SUBMIT, Action.RETURN],
    "forwarded": [Action.SUBMIT, Action.FORWARD],
    "in_review": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN],
    "revision_requested": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.REQUEST_REVISION],
    "approved": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.APPROVE],
    "not_approved": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.REJECT],
    "published": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.APPROVE, Action.PUBLISH],
}
COUNTY_MOVES = {Action.FORWARD, Action.RETURN}
ADMIN_MOVES = {
    Action.ASSIGN,
    Action.APPROVE,
    Action.REQUEST_REVISION,
    Action.REJECT,
    Action.PUBLISH,
}


@dataclass
class Login:
    email: str
    password: str
    role: Role
    scope: str


def demo_cases() -> list[dict[str, Any]]:
    text = resources.files("portal.demo").joinpath("proposals.yaml").read_text("utf-8")
    cases: list[dict[str, Any]] = yaml.safe_load(text)
    return cases


def _account(session: Session, logins: list[Login], email: str, name: str, role: Role, **scope: Any) -> User:
    """Create the demo account if missing and give it a fresh random password."""
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(session, email=email, name=name, role=role, **scope)
    password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    user.password_hash = accounts.hash_password(password)
    user.active = True
    logins.append(Login(email, password, role, user.scope_label))
    return user


def load(session: Session, cycle_default: str = "2026") -> list[Login]:
    """Create demo accounts and proposals; safe to run again (accounts get new passwords,
    proposals that exist already are left as they are)."""
    logins: list[Login] = []
    admin = _account(session, logins, f"admin@{DEMO_DOMAIN}", "林秘書（國發會）", Role.ADMIN)
    reviewers = [
        _account(session, logins, f"reviewer{n}@{DEMO_DOMAIN}", name, Role.REVIEWER, affiliation=org)
        for n, (name, org) in enumerate(
            [
                ("陳委員", "國立暨南國際大學"),
                ("黃委員", "地方創生輔導團（中區）"),
                ("張委員", "社會企業顧問"),
            ],
            start=1,
        )
    ]
    cases = demo_cases()
    for case in cases:
        lead = session.get(Township, case["lead_township"])
        if lead is None:
            raise ValueError(f"demo case {case['slug']}: unknown township {case['lead_township']}")
        township_user = _account(
            session,
            logins,
            f"township-{lead.code}@{DEMO_DOMAIN}",
            f"{lead.name_zh}公所承辦人",
            Role.TOWNSHIP,
            township_code=lead.code,
        )
        county_user = _account(
            session,
            logins,
            f"county-{lead.county_code}@{DEMO_DOMAIN}",
            f"{lead.county.name_zh}政府承辦人",
            Role.COUNTY,
            county_code=lead.county_code,
        )
        exists = session.scalar(
            select(Proposal).where(Proposal.title == case["title"], Proposal.lead_township_code == lead.code)
        )
        if exists is None:
            author = county_user if case["type"] == ProposalType.THEMATIC else township_user
            _walk(session, case, cycle_default, author, county_user, admin, reviewers)
    session.flush()
    return _unique(logins)


def _unique(logins: list[Login]) -> list[Login]:
    seen: dict[str, Login] = {}
    for login in logins:
        seen[login.email] = login  # the last password set is the one that works
    return list(seen.values())


def _walk(
    session: Session,
    case: dict[str, Any],
    cycle_default: str,
    author: User,
    county: User,
    admin: User,
    reviewers: list[User],
) -> Proposal:
    proposal = operations.create_proposal(
        session,
        author,
        cycle=str(case.get("cycle", cycle_default)),
        proposal_type=ProposalType(case["type"]),
        lead_township_code=case["lead_township"],
        title=case["title"],
        participating_codes=list(case.get("participating", [])),
    )
    document = empty_document()
    for key in document:
        if key in case:
            document[key] = case[key]
    saved = utcnow().isoformat()
    filled = [key for key in document if case.get(key)]
    document["meta"] = {"versions": dict.fromkeys(filled, 1), "saved_at": dict.fromkeys(filled, saved)}
    document["html"] = text.render_fields(document, text.NARRATIVE_FIELDS)
    proposal.content = document
    note = case.get("return_note") or "請補充說明。"
    for action in PATHS[case["stage"]]:
        actor = county if action in COUNTY_MOVES else admin if action in ADMIN_MOVES else author
        if action == Action.ASSIGN:
            for reviewer in reviewers[:2]:
                proposal.assignments.append(ReviewAssignment(reviewer_id=reviewer.id))
            session.flush()
        reason = note if action in {Action.RETURN, Action.REQUEST_REVISION, Action.REJECT} else ""
        operations.apply_transition(session, proposal, action, actor, reason)
    return proposal
