"""The XSS corpus (tests/xss_payloads.py) through every free-text field, read back by an
HTML parser wherever the text is shown: the portal's pages, the published case files, the
frozen showcase, its feed, its open data and its search index.

One module-scoped world keeps it fast: a harmless baseline proposal and a dozen payload
proposals go through the real forms (wizard, submit, forward, assign, score, decide,
publish), then the showcase is frozen once. Every check compares a page with the same page
of the harmless baseline, so the page's own scripts and forms are allowed and nothing else.
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# bleach's own copy of html5lib: the WHATWG parsing algorithm, as a browser builds the tree
# (foreign SVG/MathML content, raw-text elements, implied tags), not a tokenizer.
from bleach._vendor import html5lib  # type: ignore[attr-defined]
from flask import Flask
from flask.testing import FlaskClient

from portal import db, publish, snapshot
from portal.config import PROJECT_ROOT
from portal.db.models import Meeting, Proposal
from portal.domain.roles import Role
from portal.rebuild import showcase_config
from portal.showcase import create_showcase_app
from portal.showcase.build import build
from portal.showcase.search import spaced
from tests.conftest import NANTOU, PULI, Auth, Factory, TemplateDatabase, make_app
from tests.xss_payloads import (
    ATTRIBUTE_BREAKOUTS,
    BROKEN_TAGS,
    CONTROL,
    CSS,
    EVENT_HANDLERS,
    HTML_LINKS,
    MARKDOWN_LINKS,
    MULTI_LINE,
    MUTATION,
    ONE_LINE,
    SCRIPT_TAGS,
    SHORT,
    SVG_MATHML,
    UNICODE,
)

CLASSES = {
    "script": SCRIPT_TAGS,
    "event handler": EVENT_HANDLERS,
    "Markdown link": MARKDOWN_LINKS,
    "HTML link": HTML_LINKS,
    "SVG and MathML": SVG_MATHML,
    "mutation": MUTATION,
    "broken tag": BROKEN_TAGS,
    "attribute breakout": ATTRIBUTE_BREAKOUTS,
    "CSS": CSS,
    "Unicode": UNICODE,
    "multi-line Markdown": MULTI_LINE,
    "short fragment": SHORT,
}

# --- where the payloads go ------------------------------------------------------------------

# Markdown fields: (section, form field, budget). Several payloads share one field as
# separate paragraphs, so a dozen proposals carry the whole corpus.
MARKDOWN_FIELDS: list[tuple[str, str, int]] = [
    ("dna", "summary", 200),
    ("consensus", "vision", 100),
    ("businesses", "summary", 150),
    *(("businesses", f"items-{i}-{name}", 100) for i in range(3) for name in ("what", "how")),
]

# Single-line fields, one payload each: (section, form field, budget).
PLAIN_FIELDS: list[tuple[str, str, int]] = [
    ("basics", "title", 40),
    ("basics", "theme", 30),
    ("basics", "contact_name", 40),
    ("basics", "contact_phone", 30),
    ("basics", "title_en", 120),
    *(
        (
            ("stakeholders", f"rows-{i}-{name}", size)
            for i in range(6)
            for name, size in (("name", 40), ("role", 30), ("commitment", 30))
        )
    ),
    *(("consensus", f"events-{i}-outcome", 40) for i in range(4)),
    *(("businesses", f"items-{i}-{name}", 30) for i in range(3) for name in ("name", "where", "lead")),
    *((("resources", f"lines-{i}-{name}", size) for i in range(8) for name, size in (("kind", 12), ("note", 20)))),
    *(("resources", f"support-{i}-description", 40) for i in range(3)),
    *(
        ("kpis", f"rows-{i}-{name}", size)
        for i in range(5)
        for name, size in (("indicator", 16), ("definition", 20), ("unit", 5))
    ),
]
DNA_FIELDS = ("items_people", "items_culture", "items_land", "items_industry", "items_landscape")
DNA_ITEM = 20
SUMMARY_EN = 600  # plain-text field that takes the long payloads no single-line field fits

STEPS = ("basics", "dna", "stakeholders", "consensus", "businesses", "resources", "kpis")


@dataclass
class Plan:
    """What one proposal's forms receive: form values per section, and the payloads in it."""

    values: dict[str, dict[str, Any]] = field(default_factory=lambda: {step: {} for step in STEPS})
    markdown: list[str] = field(default_factory=list)
    placed: list[tuple[str, str, str]] = field(default_factory=list)  # (section, field, payload)
    review: dict[str, str] = field(default_factory=dict)

    @property
    def plain(self) -> list[str]:
        return [payload for _, _, payload in self.placed]

    @property
    def public(self) -> list[str]:
        """The single-line payloads a case file publishes: not the contact, not budget lines."""
        return [p for step, name, p in self.placed if not name.startswith(("contact_", "lines-"))]


def _fixed_values(plan: Plan) -> None:
    """The choices, numbers and dates every complete proposal needs, never payloads."""
    v = plan.values
    v["basics"].update({"type": "township", "lead_township": PULI, "contact_email": ""})
    v["basics"].setdefault("summary_en", "")
    for i in range(6):
        v["stakeholders"][f"rows-{i}-sector"] = "產官學研社金"[i]
    for i in range(4):
        v["consensus"].update(
            {f"events-{i}-date": f"2025-0{i + 3}-1{i}", f"events-{i}-kind": "說明會", f"events-{i}-participants": "30"}
        )
    for i in range(3):
        v["businesses"].update(
            {f"items-{i}-start": "2026-03", f"items-{i}-end": "2027-12", f"items-{i}-strategies": ["brand"]}
        )
    for i in range(8):
        v["resources"].update(
            {
                f"lines-{i}-source": "township",
                f"lines-{i}-programme": "",
                f"lines-{i}-year": "2026",
                f"lines-{i}-amount": str(100 + i),
            }
        )
    for i in range(3):
        v["resources"][f"support-{i}-kind"] = "其他"
    for i in range(5):
        v["kpis"].update(
            {
                f"rows-{i}-baseline": "1",
                f"rows-{i}-baseline_year": "2025",
                f"rows-{i}-target": "9",
                f"rows-{i}-target_year": "2028",
                f"rows-{i}-direction": "+",
            }
        )


def _pack(payloads: list[str], bins: list[tuple[Plan, str, str, int]], separator: str) -> list[str]:
    """Best-fit decreasing: each payload into the fullest field that still has room, noted in
    its plan's `markdown` or `placed` list; the payloads that fit nowhere are returned."""
    filled: dict[int, list[str]] = {n: [] for n in range(len(bins))}
    left = []
    for payload in sorted(payloads, key=len, reverse=True):

        def room(n: int, payload: str = payload) -> int:
            used = len(separator.join([*filled[n], payload]))
            return bins[n][3] - used

        fits = [n for n in filled if room(n) >= 0]
        if not fits:
            left.append(payload)
            continue
        filled[min(fits, key=room)].append(payload)
    for n, (plan, step, name, _) in enumerate(bins):
        if filled[n]:
            plan.values[step][name] = separator.join(filled[n])
            if separator == "\n\n":
                plan.markdown.extend(filled[n])
            else:
                plan.placed.extend((step, name, payload) for payload in filled[n])
    return left


def plan_proposals(count: int) -> list[Plan]:
    """Spread the corpus over `count` proposals: every payload into a Markdown field and,
    alone, into a single-line field (or, if too long for every one, the English summary)."""
    plans = [Plan() for _ in range(count)]
    markdown_bins = [(plan, step, name, size) for plan in plans for step, name, size in MARKDOWN_FIELDS]
    if _pack([*ONE_LINE, *MULTI_LINE], markdown_bins, "\n\n"):
        raise ValueError("not enough Markdown fields")
    plain_bins = [(plan, step, name, size) for plan in plans for step, name, size in PLAIN_FIELDS]
    plain_bins += [(plan, "dna", name, DNA_ITEM) for plan in plans for name in DNA_FIELDS for _ in range(3)]
    # One payload per single-line field: a bin as small as the payload is the best fit.
    slots = sorted(range(len(plain_bins)), key=lambda n: plain_bins[n][3])
    free = set(slots)
    overflow = []
    dna_lines: dict[tuple[int, str], list[str]] = {}
    for payload in sorted(ONE_LINE, key=len, reverse=True):
        slot = next((n for n in slots if n in free and plain_bins[n][3] >= len(payload)), None)
        if slot is None:
            overflow.append(payload)
            continue
        free.discard(slot)
        plan, step, name, _ = plain_bins[slot]
        plan.placed.append((step, name, payload))
        if step == "dna":
            dna_lines.setdefault((id(plan), name), []).append(payload)
            plan.values[step][name] = "\r\n".join(dna_lines[(id(plan), name)])
        else:
            plan.values[step][name] = payload
    if _pack(overflow, [(plan, "basics", "summary_en", SUMMARY_EN) for plan in plans], " "):
        raise ValueError("not enough room for the long payloads")
    for plan in plans:
        _fixed_values(plan)
        for step, name, _ in PLAIN_FIELDS:
            # Required text left over after packing: a harmless word.
            plan.values[step].setdefault(name, "空白")
        for step, name, _ in MARKDOWN_FIELDS:
            plan.values[step].setdefault(name, "空白段落")
        for name in DNA_FIELDS:
            plan.values["dna"].setdefault(name, "空")
    # Reviewers' and the NDC's text: the corpus again, rotated over the proposals.
    for n, plan in enumerate(plans):
        mine = ONE_LINE[n::count]
        plan.review = {
            "comment_to_township": "\n".join(mine[: len(mine) // 2]),
            "internal_comment": "\n".join(mine[len(mine) // 2 :]),
            "reasons": "\n\n".join(MULTI_LINE[n::count] + mine[:3]),
            "meeting": next(p for p in ONE_LINE[n * 7 :] if len(p) <= 120),
            "return": "\n".join(ONE_LINE[n + count // 2 :: count]),
        }
    return plans


def harmless_plan(shape: Plan) -> Plan:
    """The same fields as `shape`, filled with plain words: the baseline every page is compared with."""
    plan = Plan()
    for step, values in shape.values.items():
        for name, value in values.items():
            if isinstance(value, str) and (value in ONE_LINE or any(p in value for p in [*ONE_LINE, *MULTI_LINE])):
                plan.values[step][name] = "\r\n".join(f"安全文字{n}" for n, _ in enumerate(value.split("\r\n")))
            else:
                plan.values[step][name] = value
    plan.review = {key: f"安全的{key}" for key in shape.review}
    return plan


# --- reading HTML as a browser would ---------------------------------------------------------

URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "poster",
        "background",
        "ping",
        "srcset",
        "codebase",
        "cite",
        "lowsrc",
        "dynsrc",
        "manifest",
        "icon",
        "to",
        "values",
        "from",
        "by",
    }
)
DANGEROUS_SCHEMES = ("javascript", "vbscript", "data", "livescript", "mocha")
# Elements that run code, load a document, change where links go or post somewhere; SVG's
# animation elements can set any attribute (an on… handler, an href) after the page loads.
ACTIVE_ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "style", "link", "portal"}
    | {"set", "animate", "animatetransform", "animatemotion", "handler", "listener"}
)
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")
_DIGITS = re.compile(r"\d+")


def parse_html(page: str) -> Any:
    """The tree a browser with JavaScript on builds: <noscript> content is then raw text,
    so markup hidden in it (mutation XSS) shows up as the elements it really makes."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    return parser.parse(page, scripting=True)


def _name(raw: str) -> str:
    """`{namespace}local` as the prefix a page would use: xlink:href stays recognisable."""
    if raw.startswith("{http://www.w3.org/1999/xlink}"):
        return "xlink:" + raw.split("}", 1)[1]
    return raw.split("}", 1)[-1].lower()


def elements(tree: Any) -> Iterator[tuple[str, dict[str, str]]]:
    for element in tree.iter():
        if isinstance(element.tag, str):
            yield _name(element.tag), {_name(k): v for k, v in element.attrib.items()}


def scheme(url: str) -> str:
    """The scheme a browser would see: whitespace and control characters removed (the
    parser has already decoded character references), lower-cased."""
    cleaned = _CONTROL_OR_SPACE.sub("", url).lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned else ""


def _css(value: str) -> str:
    """A style value as CSS reads it: comments gone, backslash escapes decoded, lower case."""
    value = re.sub(r"/\*.*?\*/", "", value, flags=re.S)
    value = re.sub(r"\\([0-9a-fA-F]{1,6})\s?", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\", "").lower()


@dataclass(frozen=True)
class Active:
    """What in a page can run code or send the browser elsewhere, and its text."""

    elements: Counter[tuple[str, str]]
    findings: frozenset[str]
    scripts: frozenset[str]
    text: str


@functools.cache
def active_content(page: str) -> Active:
    """Parsed once per distinct page: html5lib is thorough, not fast."""
    found: Counter[tuple[str, str]] = Counter()
    findings, scripts, texts = set(), set(), []
    tree = parse_html(page)
    for element in tree.iter():
        texts.extend((element.text or "", element.tail or "", *element.attrib.values()))
    for tag, attrs in elements(tree):
        if tag in ACTIVE_ELEMENTS or (tag == "meta" and "http-equiv" in attrs):
            signature = {k: _DIGITS.sub("N", v) for k, v in attrs.items() if k not in ("value", "nonce")}
            found[(tag, json.dumps(signature, sort_keys=True))] += 1
        for name, value in attrs.items():
            if name.startswith("on"):
                findings.add(f"<{tag} {name}={value!r}>")
            elif name == "srcdoc":
                findings.add(f"<{tag} srcdoc={value!r}>")
            elif name in URL_ATTRIBUTES:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                urls = value.split(";") if name == "values" else urls
                findings.update(f"<{tag} {name}={url!r}>" for url in urls if scheme(url) in DANGEROUS_SCHEMES)
            elif name == "style" and ("expression" in _css(value) or "url(" in _css(value)):
                findings.add(f"<{tag} style={value!r}>")
            elif name == "content" and tag == "meta" and "url" in value.lower():
                findings.add(f"<meta content={value!r}>")
    for element in tree.iter("script"):
        scripts.add(_DIGITS.sub("N", (element.text or "").strip()))
    return Active(found, frozenset(findings), frozenset(scripts), "\n".join(texts))


# The style sheet of the rare-character font, which the portal and the showcase add to a
# page that shows characters outside the BMP (several payloads have some): the server's
# own link to its own file, named by code points or a content hash, never by the payload.
OWN_FONT_LINK = re.compile(
    r'<link \{"href": "(?:\.\./)*(?:/fonts/rare-[0-9a-fN-]+\.css|static/fonts/rare\.css\?v=[0-9a-zA-Z]+)", '
    r'"rel": "stylesheet"\}>'
)


def unexpected(page: str, baseline: str, *, per_row: bool = False) -> list[str]:
    """Active content in `page` that the harmless `baseline` page does not have.

    `per_row`: a list page shows one form per proposal; compare which kinds occur, not how often."""
    seen, known = active_content(page), active_content(baseline)
    extra = set(seen.elements) - set(known.elements) if per_row else (seen.elements - known.elements)
    return sorted(
        [f"<{tag} {signature}>" for tag, signature in extra if not OWN_FONT_LINK.fullmatch(f"<{tag} {signature}>")]
        + [f"script text {text[:60]!r}" for text in seen.scripts - known.scripts]
        + sorted(seen.findings - known.findings)
    )


PAGE = (
    '<!doctype html><html><head><script src="/static/js/portal.js"></script></head>'
    '<body><form method="post" action="/proposals/7/edit"></form><p>BODY</p></body></html>'
)


@pytest.mark.parametrize(
    "injected",
    [
        "<script>alert(1)</script>",
        "<svg><script>alert(1)</script></svg>",
        "<img src=x onerror=alert(1)>",
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" &#14;JaVaScRiPt:alert(1)">x</a>',
        "<svg><a xlink:href='javascript:alert(1)'>x</a></svg>",
        "<math><a href='vbscript:msgbox(1)'>x</a></math>",
        "<img srcset='x 1x, data:text/html,x 2x'>",
        "<iframe srcdoc=x></iframe>",
        "<object data=x></object>",
        "<embed src=x>",
        "<base href=//xss.test/>",
        "<meta http-equiv=refresh content='0;url=//xss.test/'>",
        "<form action=javascript:alert(1)></form>",
        '<form method="post" action="/proposals/8/edit"></form>',
        "<p style='x:\\65xpression(alert(1))'>x</p>",
        "<p style='background:u/**/rl(x)'>x</p>",
        "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
        "<svg><set attributeName=onmouseover to=alert(1) /></svg>",
    ],
)
def test_the_check_finds_what_a_harmless_page_does_not_have(injected: str) -> None:
    """The checker itself: each of these, added to a page, is reported; escaped text is not."""
    assert unexpected(PAGE.replace("BODY", injected), PAGE) != []
    assert unexpected(PAGE.replace("BODY", html.escape(injected)), PAGE) == []


# --- driving the portal ------------------------------------------------------------------------


class Person:
    """A signed-in browser."""

    def __init__(self, app: Flask, email: str) -> None:
        self.auth = Auth(app.test_client())
        self.auth.login(email)
        self.client: FlaskClient = self.auth.client
        self.token = self.auth.csrf("/notifications/")

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, f"GET {path} gave {response.status_code}"
        return response.get_data(as_text=True)

    def post(self, path: str, data: dict[str, Any], expect: int = 302) -> str:
        """Send a form: the address it redirects to, or the page it shows."""
        response = self.client.post(path, data={**data, "csrf_token": self.token})
        body = response.get_data(as_text=True)
        assert response.status_code == expect, f"POST {path} gave {response.status_code}: {errors_in(body)}"
        return response.location if expect == 302 else body

    def flashes(self) -> list[tuple[str, str]]:
        """The messages waiting for the next page, taken as that page would take them."""
        with self.client.session_transaction() as session:
            return [(kind, str(text)) for kind, text in session.pop("_flashes", [])]


def errors_in(page: str) -> list[str]:
    """The flash messages and the messages next to fields, as text."""
    return [
        " ".join(" ".join(element.itertext()).split())
        for element in parse_html(page).iter()
        if {"error-message", "flash-text"} & set(element.get("class", "").split())
    ]


@dataclass
class Case:
    plan: Plan
    proposal_id: int = 0
    pages: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    app: Flask
    folder: Path
    baseline: Case
    cases: list[Case]
    aggregate: dict[str, str]
    aggregate_baseline: dict[str, str]
    stored: dict[int, tuple[str, dict[str, Any]]]
    build_dir: Path
    baseline_build: Path
    people: dict[str, Person]


def fill(township: Person, case: Case) -> None:
    """Create the draft, save every section, and read every page that shows it."""
    v = case.plan.values
    case.proposal_id = pid = new_draft(township, v["basics"]["title"])
    for step in STEPS:
        township.post(f"/proposals/{pid}/edit/{step}", {**v[step], "version": "0"})
        case.pages[f"section:{step}"] = township.get(f"/proposals/{pid}/edit/{step}")
    # A second tab that opened the section before the save: the side-by-side conflict
    # screen shows the saved text and the typed text.
    for step in ("dna", "businesses", "stakeholders"):
        case.pages[f"conflict:{step}"] = township.post(
            f"/proposals/{pid}/edit/{step}", {**v[step], "version": "0"}, expect=409
        )
    # A form error: the page comes back with everything typed.
    case.pages["invalid:basics"] = township.post(
        f"/proposals/{pid}/edit/basics", {**v["basics"], "contact_email": "不是電子郵件", "version": "1"}, expect=400
    )
    for name, path in (("overview", "edit"), ("check", "check"), ("brief", "brief")):
        case.pages[f"township:{name}"] = township.get(f"/proposals/{pid}/{path}")
    case.pages["township:detail"] = township.get(f"/proposals/{pid}")


def new_draft(township: Person, title: str) -> int:
    location = township.post("/proposals/new", {"title": title, "type": "township", "lead_township": PULI})
    match = re.fullmatch(r"/proposals/(\d+)/edit", location)
    assert match, location
    return int(match.group(1))


def succeeded(person: Person) -> None:
    """The form just sent said it was done (forms redirect with an error message too)."""
    flashes = person.flashes()
    assert [kind for kind, _ in flashes] == ["success"], flashes


def move(person: Person, pid: int, action: str, reason: str = "") -> None:
    assert person.post(f"/proposals/{pid}/transition", {"action": action, "reason": reason}) == f"/proposals/{pid}"
    succeeded(person)


def legacy_meeting(app: Flask, name: str) -> int:
    """A meeting from before meetings were records: migration 0009 named it with the text
    once typed beside each decision, so its name (and note) may hold anything typed."""
    with db.database(app).session() as session:
        meeting = Meeting(kind="working", number=None, held_on=publish.today(), name=name.strip(), note=name)
        session.add(meeting)
        session.commit()
        return meeting.id


def approve_and_publish(case: Case, people: dict[str, Person], reviewer_id: int) -> None:
    """Submit, forward, assign, score, decide and publish through the forms, reading the
    pages of each person on the way."""
    pid, review_text = case.proposal_id, case.plan.review
    township, county, admin, reviewer = (people[k] for k in ("township", "county", "admin", "reviewer"))
    assert township.post(f"/proposals/{pid}/submit", {}) == f"/proposals/{pid}"
    case.pages["county:detail"] = county.get(f"/proposals/{pid}")
    case.pages["county:brief"] = county.get(f"/proposals/{pid}/brief")
    # The county returns it once with a note, which the township reads before resubmitting.
    move(county, pid, "return", review_text["return"])
    case.pages["township:returned"] = township.get(f"/proposals/{pid}")
    case.pages["list:township:returned"] = township.get("/")
    move(township, pid, "revise")
    assert township.post(f"/proposals/{pid}/submit", {}) == f"/proposals/{pid}"
    move(county, pid, "forward")
    admin.post(f"/review/manage/{pid}/assign", {"reviewers": [str(reviewer_id)]})
    succeeded(admin)
    case.pages["reviewer:score"] = reviewer.get(f"/review/{pid}")
    scores = {f"score_{code}": "5" for code in ("feasibility", "creativity", "spillover")}
    reviewer.post(
        f"/review/{pid}",
        {
            **scores,
            "cross_domain": "yes",
            "cross_ministry": "yes",
            "confidence": "3",
            "comment_to_township": review_text["comment_to_township"],
            "confirm_comment": "y",
            "internal_comment": review_text["internal_comment"],
        },
    )
    succeeded(reviewer)
    case.pages["reviewer:scored"] = reviewer.get(f"/review/{pid}")
    meeting_id = legacy_meeting(admin.client.application, review_text["meeting"])
    case.pages["admin:decide"] = admin.get(f"/review/decide/{pid}")
    admin.post(
        f"/review/decide/{pid}",
        {
            "outcome": "approve",
            "reasons": review_text["reasons"],
            "meeting": str(meeting_id),
            "private_investment": "0",
            **{f"resources-{i}-programme": "" for i in range(3)},
        },
    )
    succeeded(admin)
    case.pages["admin:meeting"] = admin.get(f"/admin/meetings/{meeting_id}")
    case.pages["admin:detail"] = admin.get(f"/proposals/{pid}")
    case.pages["township:decided"] = township.get(f"/proposals/{pid}")
    case.pages["county:decided"] = county.get(f"/proposals/{pid}")
    move(admin, pid, "publish")


AGGREGATE_PAGES = {
    "township": ["/", "/notifications/"],
    "county": ["/", "/notifications/"],
    "reviewer": ["/review/"],
    "admin": ["/", "/review/manage", "/review/ranking", "/admin/audit", "/admin/showcase", "/admin/users"],
}


def aggregate_pages(people: dict[str, Person]) -> dict[str, str]:
    return {f"{who}:{path}": people[who].get(path) for who, paths in AGGREGATE_PAGES.items() for path in paths}


PROPOSALS = 13


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("xss")
    template_db.copy_to(folder)
    shutil.copytree(PROJECT_ROOT / "content", folder / "content")
    app = make_app(folder)
    with db.database(app).session() as session:
        make = Factory(session)
        users = {
            "township": make.user(Role.TOWNSHIP, township=PULI),
            "county": make.user(Role.COUNTY, county=NANTOU),
            "admin": make.user(Role.ADMIN),
            "reviewer": make.user(Role.REVIEWER),
        }
        make.round()  # open, so that drafts can be started through the form
        emails = {k: u.email for k, u in users.items()}
        reviewer_id = users["reviewer"].id
    people = {k: Person(app, email) for k, email in emails.items()}

    plans = plan_proposals(PROPOSALS)
    baseline = Case(harmless_plan(plans[0]))
    fill(people["township"], baseline)
    approve_and_publish(baseline, people, reviewer_id)
    aggregate_baseline = aggregate_pages(people)
    baseline_build = folder / "baseline-build"
    build(create_showcase_app(showcase_config(app.config)), baseline_build)

    cases = [Case(plan) for plan in plans]
    for case in cases:
        fill(people["township"], case)
        approve_and_publish(case, people, reviewer_id)
    people["admin"].post("/admin/showcase/rebuild", {})
    succeeded(people["admin"])
    aggregate = aggregate_pages(people)

    with db.database(app).session() as session:
        stored = {
            case.proposal_id: (p.title, p.content)
            for case in cases
            if (p := session.get(Proposal, case.proposal_id)) is not None
        }
    yield World(
        app, folder, baseline, cases, aggregate, aggregate_baseline, stored, folder / "build", baseline_build, people
    )
    db.database(app).engine.dispose()


# --- the corpus itself ---------------------------------------------------------------------


def test_corpus_has_every_class_and_every_payload_goes_to_markdown_and_single_line_fields() -> None:
    plans = plan_proposals(PROPOSALS)

    in_markdown = Counter(p for plan in plans for p in plan.markdown)
    in_plain = Counter(p for plan in plans for p in plan.plain)

    assert len(ONE_LINE) + len(MULTI_LINE) >= 150
    assert {name: len(payloads) >= 10 for name, payloads in CLASSES.items()} == dict.fromkeys(CLASSES, True)
    assert len(set(ONE_LINE)) == len(ONE_LINE)
    assert [p for p in ONE_LINE if "\n" in p or "\r" in p or len(p) > 100] == []
    assert set(in_markdown) == {*ONE_LINE, *MULTI_LINE}
    assert set(in_plain) == set(ONE_LINE)


# --- what was saved ----------------------------------------------------------------------------


def test_every_payload_is_stored_as_typed(world: World) -> None:
    """The forms keep text as typed (trimmed): the payloads really reached the pages below."""
    found = {}
    for case in world.cases:
        title, content = world.stored[case.proposal_id]
        found[case.proposal_id] = (
            title,
            content["dna"]["summary"],
            content["stakeholders"][0]["name"],
            content["basics"]["title_en"],
            content["businesses"]["items"][2]["how"],
        )
    expected = {
        case.proposal_id: (
            case.plan.values["basics"]["title"].strip(),
            case.plan.values["dna"]["summary"].strip(),
            case.plan.values["stakeholders"]["rows-0-name"].strip(),
            case.plan.values["basics"]["title_en"].strip(),
            case.plan.values["businesses"]["items-2-how"].strip(),
        )
        for case in world.cases
    }
    assert found == expected


def test_control_characters_are_refused_by_the_forms(world: World) -> None:
    township = world.people["township"]
    pid = world.cases[0].proposal_id
    # Published proposals cannot be edited: use a new draft.
    draft = new_draft(township, "控制字元測試")
    assert draft != pid
    messages = []
    for payload in CONTROL:
        page = township.post(f"/proposals/{draft}/edit/dna", {"summary": payload, "version": "0"}, expect=400)
        messages.append([m for m in errors_in(page) if m.startswith("錯誤：")])
    assert messages == [["錯誤： 含有無法顯示的控制字元，請重新輸入。"]] * len(CONTROL)


# --- the portal's pages -----------------------------------------------------------------------


def test_portal_pages_show_payloads_without_active_content(world: World) -> None:
    survivors = {
        (case.proposal_id, name): found
        for case in world.cases
        for name, page in case.pages.items()
        if (found := unexpected(page, world.baseline.pages[name], per_row=name.startswith("list:")))
    }
    assert survivors == {}


def test_portal_list_pages_show_payloads_without_active_content(world: World) -> None:
    survivors = {
        name: found
        for name, page in world.aggregate.items()
        if (found := unexpected(page, world.aggregate_baseline[name], per_row=True))
    }
    assert survivors == {}


def test_every_single_line_payload_is_on_the_pages_as_text(world: World) -> None:
    """Not vacuous: each single-line payload is in the pages' text or a form value,
    character for character (trimmed, as the forms keep it), not turned into markup."""
    missing = {
        case.proposal_id: [
            p
            for p in case.plan.plain
            if not any(p.strip() in active_content(page).text for page in case.pages.values())
        ]
        for case in world.cases
    }
    assert missing == {case.proposal_id: [] for case in world.cases}


def test_conflict_screen_shows_the_saved_and_the_typed_text(world: World) -> None:
    """The side-by-side screen holds each stakeholder name twice: as saved and as typed."""
    shown = {
        case.proposal_id: [
            active_content(case.pages["conflict:stakeholders"]).text.count(value.strip()) >= 2
            for key, value in case.plan.values["stakeholders"].items()
            if key.endswith("-name")
        ]
        for case in world.cases
    }
    assert shown == {case.proposal_id: [True] * 6 for case in world.cases}


def test_notes_comments_and_reasons_are_on_the_pages_as_text(world: World) -> None:
    """The county's return note, the reviewer's comment to the township and the decision's
    reasons and meeting reach the township's pages, each line as text."""

    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    missing = {}
    for case in world.cases:
        review_text, pages = case.plan.review, case.pages
        wanted = [
            ("township:returned", lines(review_text["return"])),
            ("township:decided", lines(review_text["comment_to_township"])),
            ("township:decided", lines(review_text["reasons"])),
            ("admin:detail", [review_text["meeting"].strip()]),
        ]
        missing[case.proposal_id] = [
            (name, line) for name, texts in wanted for line in texts if line not in active_content(pages[name]).text
        ]
    assert missing == {case.proposal_id: [] for case in world.cases}


# --- the published case files -----------------------------------------------------------------


def typed_text(plan: Plan) -> dict[str, Any]:
    """The public text fields as the case file should hold them: what was typed, trimmed."""
    v = {
        step: {k: val.strip() if isinstance(val, str) else val for k, val in values.items()}
        for step, values in plan.values.items()
    }
    return {
        "title": v["basics"]["title"],
        "title_en": v["basics"]["title_en"] or None,
        "summary_en": v["basics"]["summary_en"] or None,
        "theme": v["basics"]["theme"],
        "dna": [line.strip() for name in DNA_FIELDS for line in v["dna"][name].split("\r\n") if line.strip()],
        "stakeholders": [
            [v["stakeholders"][f"rows-{i}-{k}"] for k in ("name", "role", "commitment")] for i in range(6)
        ],
        "outcomes": [v["consensus"][f"events-{i}-outcome"] for i in range(4)],
        "businesses": [[v["businesses"][f"items-{i}-{k}"] for k in ("name", "where", "lead")] for i in range(3)],
        "support": [v["resources"][f"support-{i}-description"] for i in range(3)],
        "kpis": [[v["kpis"][f"rows-{i}-{k}"] for k in ("indicator", "definition")] for i in range(5)],
        "meeting": plan.review["meeting"].strip(),
        # The case file has Unix line ends.
        "narrative": [
            text.replace("\r\n", "\n")
            for text in [v["dna"]["summary"], v["consensus"]["vision"], v["businesses"]["summary"]]
            + [v["businesses"][f"items-{i}-{k}"] for i in range(3) for k in ("what", "how")]
        ],
    }


def front_matter_text(front: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": front["title"],
        "title_en": front["title_en"],
        "summary_en": front["summary_en"],
        "theme": front["theme"],
        "dna": [item for group in "人文地產景" for item in front["dna"]["items"][group]],
        "stakeholders": [[s["name"], s["role"], s["commitment"]] for s in front["stakeholders"]],
        "outcomes": [e["outcome"] for e in front["consensus"]["events"]],
        "businesses": [[b["name"], b["where"], b["lead"]] for b in front["businesses"]],
        "support": [s["description"] for s in front["support"]],
        "kpis": [[k["indicator"], k["definition"]] for k in front["kpis"]],
        "meeting": front["decision"]["meeting"],
    }


def case_file(world: World, case: Case) -> Path:
    return world.folder / "proposals" / "2026" / f"puli-township-{case.proposal_id}.md"


def test_case_files_hold_the_payloads_as_plain_yaml_strings_and_markdown(world: World) -> None:
    """The front matter parses with a plain YAML loader (no tags, no aliases), every text
    value is a string equal to what was typed, and the narrative reads back unchanged."""
    read, expected = {}, {}
    for case in world.cases:
        text = case_file(world, case).read_text("utf-8")
        front_text = text.split("\n---\n", 1)[0].removeprefix("---\n")
        loaded = snapshot.load(case_file(world, case))
        narrative = [loaded.dna.summary, loaded.consensus.vision, loaded.businesses_summary]
        narrative += [text for b in loaded.businesses for text in (b.what, b.how)]
        typed = typed_text(case.plan)
        read[case.proposal_id] = {**front_matter_text(yaml.safe_load(front_text)), "narrative": narrative}
        expected[case.proposal_id] = typed
    assert read == expected


# --- the frozen showcase ------------------------------------------------------------------------

_SLUG = re.compile(r"puli-township-\d+")


def test_frozen_showcase_pages_show_payloads_without_active_content(world: World) -> None:
    baseline = {
        _SLUG.sub("SLUG", str(p.relative_to(world.baseline_build))): p.read_text("utf-8")
        for p in world.baseline_build.rglob("*.html")
    }
    survivors: dict[str, list[str]] = {}
    pages = sorted(world.build_dir.rglob("*.html"))
    for path in pages:
        name = str(path.relative_to(world.build_dir))
        found = unexpected(path.read_text("utf-8"), baseline[_SLUG.sub("SLUG", name)])
        if found:
            survivors[name] = found
    case_pages = [p for p in pages if _SLUG.search(str(p))]
    assert survivors == {}
    assert len(case_pages) == 2 * (len(world.cases) + 1)


def test_case_pages_show_every_payload_as_text(world: World) -> None:
    missing = {}
    for case in world.cases:
        folder = f"cases/puli-township-{case.proposal_id}"
        text = "\n".join(
            active_content((world.build_dir / path / "index.html").read_text("utf-8")).text
            for path in (folder, f"en/{folder}")
        )
        missing[case.proposal_id] = [p for p in case.plan.public if p.strip() not in text]
    assert missing == {case.proposal_id: [] for case in world.cases}


ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_is_well_formed_and_holds_titles_as_plain_text(world: World) -> None:
    """Atom text constructs without a type are plain text to every reader: the titles and
    summaries (with the theme) are exactly what was typed, and nothing is typed as HTML."""
    root = ET.parse(world.build_dir / "feed.xml").getroot()

    entries = sorted(
        (entry.findtext(f"{ATOM}title") or "", entry.findtext(f"{ATOM}summary") or "")
        for entry in root.iter(f"{ATOM}entry")
    )
    tags = {element.tag for element in root.iter()}
    markup = [element.get("type") for element in root.iter() if element.get("type") not in (None, "text")]

    expected = sorted(
        (basics["title"].strip(), f"南投縣埔里鎮：{basics['theme'].strip()}")
        for basics in [case.plan.values["basics"] for case in [world.baseline, *world.cases]]
    )
    assert entries == expected
    assert markup == []
    assert tags <= {
        f"{ATOM}{name}"
        for name in ("feed", "title", "id", "link", "updated", "author", "name", "entry", "published", "summary")
    }


def test_open_data_holds_the_payloads_as_the_plain_text_typed(world: World) -> None:
    """cases.json and cases.geojson: strings, equal to what was typed, never markup."""
    records = json.loads((world.build_dir / "data/cases.json").read_text("utf-8"))["cases"]
    features = json.loads((world.build_dir / "data/cases.geojson").read_text("utf-8"))["features"]

    def texts(record: dict[str, Any]) -> tuple[str, str, str, str]:
        return record["title"], record["title_en"], record["theme"], record["decision_meeting"]

    by_slug = {r["slug"]: texts(r) for r in records}
    geo = {f["properties"]["slug"]: texts(f["properties"]) for f in features}
    expected = {
        f"puli-township-{case.proposal_id}": (
            case.plan.values["basics"]["title"].strip(),
            case.plan.values["basics"]["title_en"].strip(),
            case.plan.values["basics"]["theme"].strip(),
            case.plan.review["meeting"].strip(),
        )
        for case in world.cases
    }
    baseline = f"puli-township-{world.baseline.proposal_id}"
    assert {slug: value for slug, value in by_slug.items() if slug != baseline} == expected
    assert {slug: value for slug, value in geo.items() if slug != baseline} == expected


def fragments(build_dir: Path) -> list[dict[str, Any]]:
    """Pagefind's per-page records: gzip, a signature, then JSON."""
    found = []
    for path in sorted((build_dir / "pagefind" / "fragment").glob("*.pf_fragment")):
        raw = gzip.decompress(path.read_bytes()).decode("utf-8")
        found.append(json.loads(raw[raw.index("{") :]))
    return found


def test_search_fragments_hold_no_active_content(world: World) -> None:
    """Pagefind's interface shows a result's title as text and its excerpt and filters as
    HTML; the excerpt is cut from `content` after Pagefind escapes < and > in it (its
    pagefind.js, 1.5.2). As the interface does it, none may carry anything active, and the
    case pages' titles are exactly the typed ones, with the space between Chinese characters
    the index is built with (portal/showcase/search.py), which the search page takes out."""
    records = fragments(world.build_dir)

    def shown(record: dict[str, Any]) -> list[str]:
        content = record["content"].replace("<", "&lt;").replace(">", "&gt;")
        return [content, *(name for name in record["filters"]), *(v for vs in record["filters"].values() for v in vs)]

    survivors = {
        record["url"]: found
        for record in records
        for value in shown(record)
        if (
            found := [
                *sorted(active_content(value).findings),
                *sorted(tag for tag, _ in active_content(value).elements),
            ]
        )
    }
    titles = {record["url"]: record["meta"]["title"] for record in records if "/cases/puli-township-" in record["url"]}
    expected = {}
    for case in [world.baseline, *world.cases]:
        basics = {k: v.strip() for k, v in case.plan.values["basics"].items() if isinstance(v, str)}
        expected[f"/cases/puli-township-{case.proposal_id}/"] = spaced(basics["title"])
        expected[f"/en/cases/puli-township-{case.proposal_id}/"] = spaced(basics["title_en"] or basics["title"])
    assert survivors == {}
    assert titles == expected
