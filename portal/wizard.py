"""The proposal wizard's steps: each maps one form to its part of the content document.

A registry of small step objects (after pretalx's submission flow): identifier, label,
form class, and the two conversions. Views stay generic over the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal import operations
from portal.db.models import Proposal
from portal.domain import brief, funding
from portal.domain.proposal import DNA_GROUPS, ProposalType
from portal.forms import wizard as forms

Document = dict[str, Any]


def _number(value: Decimal | int | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _is_blank(row: dict[str, Any], defaults: tuple[str, ...] = ()) -> bool:
    return all(v in (None, "", [], "+") for k, v in row.items() if k != "csrf_token" and k not in defaults)


def _rows(
    entries: list[dict[str, Any]],
    convert: Callable[[dict[str, Any]], dict[str, Any]],
    defaults: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Form rows as document rows; rows left entirely blank are dropped (fields named in
    `defaults` always hold a value, so they say nothing about whether a row was used)."""
    return [convert(r) for r in entries if not _is_blank(r, defaults)]


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in row.items() if k != "csrf_token"}


@dataclass(frozen=True)
class Step:
    identifier: str
    label: str
    form_class: type[forms.SectionForm]
    to_form: Callable[[Proposal], dict[str, Any]]
    from_form: Callable[[forms.SectionForm], Any]
    row_lists: tuple[str, ...] = ()
    guide: str = ""


# --- basics -------------------------------------------------------------------------------


def basics_to_form(p: Proposal) -> dict[str, Any]:
    b = p.content.get("basics", {})
    contact = b.get("contact", {})
    return {
        "title": p.title,
        "type": p.type,
        "lead_township": p.lead_township_code,
        "participating": sorted(p.participating_codes),
        "theme": b.get("theme", ""),
        "contact_name": contact.get("name", ""),
        "contact_phone": contact.get("phone", ""),
        "contact_email": contact.get("email", ""),
        "title_en": b.get("title_en", ""),
        "summary_en": b.get("summary_en", ""),
    }


def basics_from_form(form: forms.SectionForm) -> dict[str, Any]:
    d = form.data
    return {
        "title": (d["title"] or "").strip(),
        "type": d["type"] or ProposalType.TOWNSHIP.value,
        "lead_township": d["lead_township"],
        "participating": list(d["participating"] or []),
        "basics": {
            "theme": (d["theme"] or "").strip(),
            "contact": {
                "name": (d["contact_name"] or "").strip(),
                "phone": (d["contact_phone"] or "").strip(),
                "email": (d["contact_email"] or "").strip(),
            },
            "title_en": (d["title_en"] or "").strip(),
            "summary_en": (d["summary_en"] or "").strip(),
        },
    }


# --- sections -----------------------------------------------------------------------------


def dna_to_form(p: Proposal) -> dict[str, Any]:
    dna = p.content.get("dna", {})
    items = dna.get("items", {})
    data = {"summary": dna.get("summary", "")}
    for group in DNA_GROUPS:
        data[brief.DNA_FIELDS[group]] = "\n".join(items.get(group, []))
    return data


def dna_from_form(form: forms.SectionForm) -> dict[str, Any]:
    d = form.data
    return {
        "summary": (d["summary"] or "").strip(),
        "items": {g: forms.split_lines(d[brief.DNA_FIELDS[g]]) for g in DNA_GROUPS},
    }


def stakeholders_to_form(p: Proposal) -> dict[str, Any]:
    return {"rows": p.content.get("stakeholders", [])}


def stakeholders_from_form(form: forms.SectionForm) -> list[dict[str, Any]]:
    return _rows(form.data["rows"], _strip)


def _event_in(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["date"] = date.fromisoformat(row["date"]) if row.get("date") else None
    return out


def _event_out(row: dict[str, Any]) -> dict[str, Any]:
    row = _strip(row)
    row["date"] = row["date"].isoformat() if row.get("date") else ""
    return row


def consensus_to_form(p: Proposal) -> dict[str, Any]:
    c = p.content.get("consensus", {})
    return {"events": [_event_in(e) for e in c.get("events", [])], "vision": c.get("vision", "")}


def consensus_from_form(form: forms.SectionForm) -> dict[str, Any]:
    d = form.data
    return {"events": _rows(d["events"], _event_out), "vision": (d["vision"] or "").strip()}


def _month_in(value: str) -> date | None:
    return datetime.strptime(value, "%Y-%m").date() if value else None


def _business_in(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "start": _month_in(row.get("start", "")), "end": _month_in(row.get("end", ""))}


def _business_out(row: dict[str, Any]) -> dict[str, Any]:
    row = _strip(row)
    for key in ("start", "end"):
        month = row.get(key)
        row[key] = f"{month.year:04d}-{month.month:02d}" if month else ""
    row["strategies"] = list(row.get("strategies") or [])
    return row


def businesses_to_form(p: Proposal) -> dict[str, Any]:
    b = p.content.get("businesses", {})
    return {"summary": b.get("summary", ""), "items": [_business_in(i) for i in b.get("items", [])]}


def businesses_from_form(form: forms.SectionForm) -> dict[str, Any]:
    d = form.data
    return {"summary": (d["summary"] or "").strip(), "items": _rows(d["items"], _business_out)}


def _line_in(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "self_liquidating": funding.kind_of(row)}


def _line_out(row: dict[str, Any]) -> dict[str, Any]:
    row = _strip(row)
    if row.get("source") != "central":
        row["programme"] = ""
    row["self_liquidating"] = row.get("self_liquidating") == funding.SELF
    return row


def resources_to_form(p: Proposal) -> dict[str, Any]:
    r = p.content.get("resources", {})
    return {"lines": [_line_in(line) for line in r.get("lines", [])], "support": r.get("support", [])}


def resources_from_form(form: forms.SectionForm) -> dict[str, Any]:
    d = form.data
    return {
        "lines": _rows(d["lines"], _line_out, defaults=("self_liquidating",)),
        "support": _rows(d["support"], _strip),
    }


def _yearly_out(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The yearly targets typed in, in year order (a pair left blank is not used)."""
    typed = [
        {"year": e.get("year"), "value": _number(e.get("value"))}
        for e in entries
        if e.get("year") is not None or e.get("value") is not None
    ]
    return sorted(typed, key=lambda e: (e["year"] is None, e["year"] or 0))


def _kpi_out(row: dict[str, Any]) -> dict[str, Any]:
    row = _strip(row)
    row["baseline"], row["target"] = _number(row.get("baseline")), _number(row.get("target"))
    row["kind"] = row.get("kind") or brief.DEFAULT_KPI_KIND
    row["yearly"] = _yearly_out(row.get("yearly") or [])
    return row


def _kpi_unused(row: dict[str, Any]) -> bool:
    """Nothing typed: the kind has a default, and blank yearly pairs are no input."""
    rest = {k: v for k, v in row.items() if k not in ("kind", "yearly")}
    return _is_blank(rest) and not _yearly_out(row.get("yearly") or [])


def kpis_to_form(p: Proposal) -> dict[str, Any]:
    benefits = p.content.get("benefits", [])
    return {
        "rows": p.content.get("kpis", []),
        "benefits": "\n".join(benefits) if isinstance(benefits, list) else "",
    }


def kpis_from_form(form: forms.SectionForm) -> dict[str, Any]:
    d = form.data
    return {
        "rows": [_kpi_out(row) for row in d["rows"] if not _kpi_unused(row)],
        "benefits": forms.split_lines(d["benefits"]),
    }


STEPS: tuple[Step, ...] = (
    Step("basics", "基本資料", forms.BasicsForm, basics_to_form, basics_from_form),
    Step("dna", "我的DNA", forms.DnaForm, dna_to_form, dna_from_form),
    Step(
        "stakeholders",
        "利害關係人",
        forms.StakeholdersForm,
        stakeholders_to_form,
        stakeholders_from_form,
        ("rows",),
    ),
    Step(
        "consensus",
        "形成共識願景過程",
        forms.ConsensusForm,
        consensus_to_form,
        consensus_from_form,
        ("events",),
    ),
    Step(
        "businesses",
        "創生事業構想",
        forms.BusinessesForm,
        businesses_to_form,
        businesses_from_form,
        ("items",),
    ),
    Step(
        "resources",
        "資源需求與協助",
        forms.ResourcesForm,
        resources_to_form,
        resources_from_form,
        ("lines", "support"),
    ),
    Step("kpis", "KPI", forms.KpisForm, kpis_to_form, kpis_from_form, ("rows",)),
)
BY_ID = {s.identifier: s for s in STEPS}


def section_version(proposal: Proposal, step: str) -> int:
    return operations.section_version(proposal.content, step)


def stored_value(step: Step, value: Any) -> Any:
    """What the step keeps in the content document: the basics step's other fields are
    the proposal's own columns."""
    if step.identifier == "basics":
        return value["basics"]
    if step.identifier == "kpis":
        return value["rows"]
    return value


def also_stored(step: Step, value: Any) -> dict[str, Any] | None:
    """Other parts of the content document the step saves: the KPI step's list of
    non-quantifiable benefits (不可量化效益), which belongs to the whole proposal."""
    return {"benefits": value["benefits"]} if step.identifier == "kpis" else None


def saved_at(proposal: Proposal, step: str) -> str | None:
    value = proposal.content.get("meta", {}).get("saved_at", {}).get(step)
    return str(value) if value else None
