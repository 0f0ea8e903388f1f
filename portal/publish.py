"""Publishing: an approved proposal's public projection, written to `proposals/`.

The projection (`project`) is built from the submitted revision the NDC approved,
never from the draft, plus the approval's meeting and matched resources; contact
details, reviewers, scores, comments and the audit log are not in it. Files are put in
place in two steps, so that the database and `proposals/` cannot disagree: `stage_*`
prepares the change beside the file before the commit, `commit` commits and then
finishes it (or undoes it if the commit fails).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from portal import results, snapshot
from portal.db.models import Decision, Proposal, Township
from portal.domain import brief, funding
from portal.domain.errors import DomainError
from portal.domain.proposal import DNA_GROUPS
from portal.domain.states import State
from portal.domain.workflow import Action
from portal.operations import TAIWAN


class PublishError(DomainError):
    """The case cannot be published or its file cannot be written; nothing was changed."""


def today() -> date:
    """Publication dates are Taiwan calendar days."""
    return datetime.now(TAIWAN).date()


def now() -> datetime:
    """The moment of a publication: Taiwan time, to the second (what case files record,
    so that cases published on one day are listed in the order they were published)."""
    return datetime.now(TAIWAN).replace(microsecond=0)


# --- slug and where the file goes ------------------------------------------------------


def _meta(proposal: Proposal) -> Mapping[str, Any]:
    meta = proposal.content.get("meta")
    return meta if isinstance(meta, Mapping) else {}


def slug_for(proposal: Proposal) -> str:
    """The case's slug: the one stored in the content's meta, or else the lead township's
    English name and the proposal id (`puli-township-12`). It is stored on first publish
    (`stage_case`) and never changes after that."""
    stored = _meta(proposal).get("slug")
    if stored is not None:
        if not isinstance(stored, str) or not snapshot.SLUG.fullmatch(stored) or len(stored) > snapshot.SLUG_MAX:
            raise PublishError(f"提案的網址代稱「{stored}」不正確：只能有小寫英文字母、數字和連字號。")
        return stored
    ascii_name = unicodedata.normalize("NFKD", proposal.lead_township.name_en).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower().replace("'", "")).strip("-")
    return f"{words or 'case'}-{proposal.id}"


def path_for(proposal: Proposal, proposals_dir: Path) -> Path:
    return proposals_dir / proposal.cycle / f"{slug_for(proposal)}.md"


def _check_slug_free(session: Session, proposal: Proposal, slug: str) -> None:
    """Slugs are unique across all cycles, so that one slug always means one case."""
    other = session.scalar(
        select(Proposal.id)
        .where(Proposal.id != proposal.id, Proposal.content["meta"]["slug"].as_string() == slug)
        .limit(1)
    )
    if other is not None:
        raise PublishError(f"網址代稱「{slug}」已由另一件提案（編號 {other}）使用，不能公開這件提案。")


# --- the projection --------------------------------------------------------------------


def _part(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    return value if isinstance(value, Mapping) else {}


def _rows(value: object) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _text(row: Mapping[str, Any], key: str) -> str:
    """A one-line field, trimmed."""
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _narrative(row: Mapping[str, Any], key: str) -> str:
    """Markdown, with line ends as written to the file, trimmed."""
    return _text(row, key).replace("\r\n", "\n").replace("\r", "\n")


def _day(value: object, what: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise PublishError(f"{what}的日期「{value}」無法辨識。") from exc


def approval_of(session: Session, proposal: Proposal) -> Decision:
    decision = session.scalar(
        select(Decision)
        .where(Decision.proposal_id == proposal.id, Decision.outcome == Action.APPROVE.value)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    if decision is None:
        raise PublishError("這件提案沒有核定紀錄，不能公開。")
    return decision


def project(session: Session, proposal: Proposal, *, on: date | None = None) -> snapshot.Case:
    """The public projection of the proposal's current (approved) revision.

    The slug and the published and updated dates come from the content's meta as
    `stage_case` stored them; before the first publish they default to `on` (today)."""
    revision = proposal.current_revision
    if revision is None:
        raise PublishError("這件提案沒有送出的版本，不能公開。")
    decision = approval_of(session, proposal)
    followed = results.case_results(session, [proposal.id])[proposal.id]
    if decision.revision_id != revision.id:  # results point into the approved revision's lists
        followed = results.CaseResults()
    content, meta, day = revision.content, _meta(proposal), on or today()
    basics, dna = _part(content, "basics"), _part(content, "dna")
    dna_items = _part(dna, "items")
    businesses = [
        snapshot.Business(
            name=_text(row, "name"),
            what=_narrative(row, "what"),
            where=_text(row, "where"),
            start=_text(row, "start"),
            end=_text(row, "end"),
            how=_narrative(row, "how"),
            lead=_text(row, "lead"),
            strategies=tuple(str(code) for code in row.get("strategies") or []),
            status=followed.businesses.get(index),
        )
        for index, row in enumerate(_rows(_part(content, "businesses").get("items")))
    ]
    lines = [dict(row) for row in _rows(_part(content, "resources").get("lines"))]
    totals = brief.resource_totals(lines)
    township, county = proposal.lead_township, proposal.county
    return snapshot.Case(
        slug=slug_for(proposal),
        cycle=proposal.cycle,
        title=revision.title.strip(),
        title_en=_text(basics, "title_en") or None,
        summary_en=_text(basics, "summary_en") or None,
        type=proposal.type,
        township=snapshot.Place(township.code, township.name_zh, township.name_en),
        county=snapshot.Place(county.code, county.name_zh, county.name_en),
        region=county.region.name,
        participating=tuple(_participant(session, code) for code in revision.participating_codes),
        theme=_text(basics, "theme"),
        strategies=snapshot.strategies_of(businesses),
        dna=snapshot.Dna(
            summary=_narrative(dna, "summary"),
            items={group: _items(dna_items.get(group)) for group in DNA_GROUPS},
        ),
        stakeholders=tuple(
            snapshot.Stakeholder(_text(r, "name"), _text(r, "sector"), _text(r, "role"), _text(r, "commitment"))
            for r in _rows(content.get("stakeholders"))
        ),
        consensus=snapshot.Consensus(
            events=tuple(_event(row) for row in _rows(_part(content, "consensus").get("events"))),
            vision=_narrative(_part(content, "consensus"), "vision"),
        ),
        businesses_summary=_narrative(_part(content, "businesses"), "summary"),
        businesses=tuple(businesses),
        resources=snapshot.Resources(
            totals.by_source,
            totals.by_year,
            totals.total,
            totals.private_share,
            grid=funding.cells(lines, brief.SOURCES),
        ),
        support=tuple(
            snapshot.Support(_text(row, "kind"), _text(row, "description"))
            for row in _rows(_part(content, "resources").get("support"))
            if _text(row, "kind") or _text(row, "description")
        ),
        matched=tuple(snapshot.Matched(m.ministry, m.programme, m.amount, m.year) for m in decision.resources),
        private_investment=decision.private_investment,
        kpis=tuple(
            _kpi(row, followed.actuals[index] if index < len(followed.actuals) else ())
            for index, row in enumerate(_rows(content.get("kpis")))
        ),
        benefits=tuple(brief.benefits_of(content)),
        progress=snapshot.Standing(followed.latest.year, followed.latest.rating) if followed.latest else None,
        closing=snapshot.Closing(followed.closing.rating, followed.closing.lessons.strip())
        if followed.closing
        else None,
        decision=snapshot.Approval(meeting=decision.meeting, date=decision.decided_on),
        published=_day(meta["published_on"], "首次公開") if "published_on" in meta else day,
        updated=_day(meta["updated_on"], "更新") if "updated_on" in meta else day,
        published_at=_time(meta.get("published_at"), "首次公開時間"),
        updated_at=_time(meta.get("updated_at"), "更新時間"),
        revision=revision.number,
    )


def _time(value: object, what: str) -> datetime | None:
    """A publication time stored in the meta (None: not recorded, as for cases first
    published before times were kept, or written for a given day)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as error:
        raise PublishError(f"提案的{what}「{value}」不是正確的時間。") from error


def _items(value: object) -> tuple[str, ...]:
    """The non-blank items of one DNA group; blank ones are unused inputs."""
    return (
        tuple(item.strip() for item in value if isinstance(item, str) and item.strip())
        if isinstance(value, list)
        else ()
    )


def _participant(session: Session, code: str) -> snapshot.Participant:
    township = session.get(Township, code)
    if township is None:
        raise PublishError(f"找不到參與鄉鎮市區代碼「{code}」。")
    return snapshot.Participant(code, township.full_name)


def _event(row: Mapping[str, Any]) -> snapshot.ConsensusEvent:
    participants = row.get("participants")
    return snapshot.ConsensusEvent(
        date=_day(row.get("date"), "共識活動"),
        kind=_text(row, "kind"),
        participants=participants if isinstance(participants, int) else 0,
        outcome=_text(row, "outcome"),
    )


def _kpi(row: Mapping[str, Any], actuals: Sequence[results.YearValue] = ()) -> snapshot.Kpi:
    # Numbers go through as stored: reading the text back (`stage_case`) checks them.
    number: Callable[[str], Any] = row.get
    return snapshot.Kpi(
        indicator=_text(row, "indicator"),
        definition=_text(row, "definition"),
        unit=_text(row, "unit"),
        baseline=number("baseline"),
        baseline_year=number("baseline_year"),
        target=number("target"),
        target_year=number("target_year"),
        direction=_text(row, "direction"),
        kind=_text(row, "kind") or brief.DEFAULT_KPI_KIND,
        baseline_source=_text(row, "baseline_source"),
        yearly=dict(_pairs(row.get("yearly"))),
        actuals=tuple(snapshot.Actual(a.year, a.value) for a in actuals),
    )


def _pairs(value: object) -> list[tuple[Any, Any]]:
    """A KPI's yearly targets as (year, value), as stored (reading the text back checks them)."""
    return [(entry.get("year"), entry.get("value")) for entry in _rows(value)]


# --- files -----------------------------------------------------------------------------

# What a staged change does to the file, for summaries.
CHANGES = {"added": "新增", "updated": "更新", "unchanged": "未變更", "removed": "移除", "absent": "原本就沒有檔案"}


@dataclass(frozen=True)
class Pending:
    """A file change prepared before the commit: a new text written to a hidden temporary
    file beside `target`, or `target` moved aside. `finish` completes it, `undo` takes it
    back; both are no-ops when nothing needed doing."""

    target: Path
    change: str
    staged: Path | None = None

    def finish(self) -> None:
        if self.staged is None:
            return
        if self.change == "removed":
            self.staged.unlink(missing_ok=True)
        else:
            os.replace(self.staged, self.target)

    def undo(self) -> None:
        if self.staged is None:
            return
        if self.change == "removed":
            os.replace(self.staged, self.target)
        else:
            self.staged.unlink(missing_ok=True)


def _record(proposal: Proposal, **values: str | None) -> None:
    """Store publication facts in the proposal's content meta (not in any revision);
    a None value removes the fact."""
    content = dict(proposal.content)
    meta = {**_meta(proposal), **values}
    content["meta"] = {key: value for key, value in meta.items() if value is not None}
    proposal.content = content
    flag_modified(proposal, "content")


def stage_case(
    session: Session,
    proposal: Proposal,
    proposals_dir: Path,
    *,
    on: date | None = None,
    touch: bool = True,
    touch_changed: bool = False,
) -> Pending:
    """Prepare the case file of a published proposal; the caller then uses `commit`.

    Side effects in the caller's transaction: on first publish the slug and the
    published date are stored in the content's meta; `touch` sets the updated date to
    `on` (today), while a re-write without `touch` (after a format change) keeps it.
    The text is read back through `snapshot.parse` before it is written, so the portal
    never writes a file the showcase would refuse. With `touch_changed`, a re-write
    without `touch` still sets the updated date when the file's text changes (new
    results of the follow-up are news for the feed). The exact time of the first and
    the last publication is stored beside its date, except when `on` names the day (a
    time of another day would be false). Raises PublishError, writing nothing."""
    if proposal.state != State.PUBLISHED:
        raise PublishError(f"提案目前為「{proposal.state.label}」，只有已公開的提案可以寫出公開檔案。")
    moment = None if on is not None else now()
    day = (on or cast(datetime, moment).date()).isoformat()
    stamp = moment.isoformat() if moment is not None else None
    slug = slug_for(proposal)
    _check_slug_free(session, proposal, slug)
    meta = _meta(proposal)
    first = "published_on" not in meta
    fresh = touch or "updated_on" not in meta
    _record(
        proposal,
        slug=slug,
        published_on=str(meta.get("published_on", day)),
        published_at=stamp if first else meta.get("published_at"),
        updated_on=day if fresh else str(meta["updated_on"]),
        updated_at=stamp if fresh else meta.get("updated_at"),
    )
    target = path_for(proposal, proposals_dir)
    text = snapshot.dump(project(session, proposal))
    if touch_changed and not fresh and target.exists() and target.read_bytes() != text.encode("utf-8"):
        _record(proposal, updated_on=day, updated_at=stamp)
        text = snapshot.dump(project(session, proposal))
    try:
        snapshot.parse(text, str(target))
    except snapshot.SnapshotError as error:
        raise PublishError(f"公開檔案的內容不正確，未寫出：{error}") from error
    data, temp = text.encode("utf-8"), None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and target.read_bytes() == data:
            return Pending(target, "unchanged")
        change = "updated" if target.exists() else "added"
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        temp = Path(name)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o644)  # mkstemp makes it owner-only; the static site must read it
    except OSError as error:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise PublishError(f"無法寫出公開檔案「{target}」：{error.strerror or error}") from error
    return Pending(target, change, temp)


def stage_removal(proposal: Proposal, proposals_dir: Path) -> Pending:
    """Move the case file aside before an unpublish is committed; `commit` deletes it."""
    target = path_for(proposal, proposals_dir)
    # Only a file this proposal wrote (its slug is stored on first publish) is removed.
    if "slug" not in _meta(proposal) or not target.exists():
        return Pending(target, "absent")
    aside = target.with_name(f".{target.name}.{secrets.token_hex(4)}.removed")
    try:
        os.replace(target, aside)
    except OSError as error:
        raise PublishError(f"無法移除公開檔案「{target}」：{error.strerror or error}") from error
    return Pending(target, "removed", aside)


def commit(session: Session, pending: Sequence[Pending]) -> None:
    """Commit the session, then finish the staged file changes; if the commit fails,
    undo them so that `proposals/` still matches the database."""
    try:
        session.commit()
    except BaseException:
        for change in pending:
            change.undo()
        raise
    for change in pending:
        change.finish()


def write_case(session: Session, proposal: Proposal, proposals_dir: Path, *, on: date | None = None) -> Path:
    """Write the case file now (atomically: temporary file, then rename). For callers
    that commit later anyway, such as the demo loader; views use `stage_case`."""
    pending = stage_case(session, proposal, proposals_dir, on=on)
    pending.finish()
    return pending.target


def remove_case(proposal: Proposal, proposals_dir: Path) -> bool:
    """Delete the case file now; False when there was none."""
    pending = stage_removal(proposal, proposals_dir)
    pending.finish()
    return pending.change == "removed"


def stage_all(
    session: Session, proposals_dir: Path, progress: Callable[[Pending], None], *, touch_changed: bool = False
) -> list[Pending]:
    """Stage every published case without touching its updated date (for re-writes after
    a format change), or, with `touch_changed`, touching it only where the text changes
    (for new follow-up results). If one fails, the others are undone and the error names
    the case."""
    staged: list[Pending] = []
    proposals = session.scalars(
        select(Proposal).where(Proposal.status == State.PUBLISHED.value).order_by(Proposal.cycle, Proposal.id)
    )
    for proposal in proposals:
        try:
            staged.append(stage_case(session, proposal, proposals_dir, touch=False, touch_changed=touch_changed))
        except DomainError as error:
            for change in staged:
                change.undo()
            raise PublishError(f"「{proposal.title}」（編號 {proposal.id}）：{error}") from error
        progress(staged[-1])
    return staged


def strays(proposals_dir: Path, kept: set[Path]) -> list[Path]:
    """Case files in `proposals_dir` that no published proposal wrote."""
    return sorted(path for path in proposals_dir.glob("*/*.md") if path not in kept)
