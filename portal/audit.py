"""Checking the audit log: the hash chain recomputed, and the database's guards present.

`portal audit verify` and the admin audit page both use `inspect`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db
from portal.cli_error import CliError
from portal.db import history
from portal.db.models import AuditEvent
from portal.domain.audit_chain import ChainedEvent, ChainState, check

BATCH = 2000


@dataclass(frozen=True)
class AuditState:
    chain: ChainState
    # Guard triggers that are absent or disabled; empty when the database refuses changes.
    missing_triggers: list[str]

    @property
    def sound(self) -> bool:
        return self.chain.whole and not self.missing_triggers


def _events(session: Session) -> Iterator[ChainedEvent]:
    columns = [getattr(AuditEvent, name) for name in ("id", *history.CONTENT, "hash")]
    rows = session.execute(select(*columns).order_by(AuditEvent.id).execution_options(yield_per=BATCH))
    for row in rows:
        yield ChainedEvent(*row)


def inspect(session: Session) -> AuditState:
    """Recompute the whole chain in id order and list missing guard triggers."""
    chain = check(_events(session))
    return AuditState(chain=chain, missing_triggers=history.missing_triggers(session.connection()))


def anchor_problem(session: Session, anchor: str) -> str | None:
    """Check an `ID:HASH` noted from an earlier check; None when the event still has it."""
    event_id, _, expected = anchor.partition(":")
    if not event_id.strip().isdigit() or len(expected.strip()) != 64:
        return f"錨點「{anchor}」格式應為 紀錄編號:64 位十六進位雜湊，例如 120:3f5a…"
    found = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == int(event_id)))
    if found is None:
        return f"紀錄 #{int(event_id)} 已不存在（錨點之後的紀錄被刪除或整條鏈被重建）"
    if found != expected.strip().lower():
        return f"紀錄 #{int(event_id)} 的雜湊與錨點不符（整條鏈被重新計算過）"
    return None


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """稽核紀錄。"""


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="ID:HASH",
    help="先前記下的 紀錄編號:雜湊（可多次）；確認該筆紀錄仍在且未被重算",
)
def verify_command(anchors: tuple[str, ...]) -> None:
    """重新計算稽核紀錄的雜湊鏈並檢查資料庫防護；有問題時以代碼 1 結束。"""
    dbs = db.session()
    state = inspect(dbs)
    chain = state.chain
    click.echo(f"已檢查 {chain.checked} 筆稽核紀錄。")
    problems: list[str] = []
    if chain.first_break is not None:
        problems.append(f"雜湊鏈在紀錄 #{chain.first_break.event_id} 斷開：{chain.first_break.problem}")
    if state.missing_triggers:
        problems.append(f"資料庫缺少防護觸發器：{'、'.join(state.missing_triggers)}")
    problems.extend(problem for anchor in anchors if (problem := anchor_problem(dbs, anchor)) is not None)
    if problems:
        raise CliError("；".join(problems))
    if chain.head_id is None:
        click.echo("雜湊鏈完整（尚無紀錄）；防護觸發器齊全。")
    else:
        click.echo(f"雜湊鏈完整；防護觸發器齊全。最新一筆：{chain.head_id}:{chain.head_hash}")
