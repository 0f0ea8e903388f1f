"""The audit log's hash chain: how one event is hashed, and how a chain is checked.

Each audit event stores the hash of the event before it (`prev_hash`, a row of zeros
for the first) and its own hash: SHA-256 over a canonical serialisation of its content
and `prev_hash`. Changing an event's content changes its hash; deleting, inserting or
reordering events breaks the link the next event holds. The serialisation below is
part of every stored hash: changing it breaks every chain already written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64
# The first element of every serialisation, so that a later format can be told apart.
FORMAT = "audit-event/1"


@dataclass(frozen=True)
class ChainedEvent:
    """An audit event's content as the chain sees it, with the hashes stored beside it."""

    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    proposal_id: int | None
    from_state: str | None
    to_state: str | None
    reason: str
    prev_hash: str
    hash: str


def _utc_text(at: datetime) -> str:
    # Stored values come back naive on some databases; they are UTC by convention.
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: str | None) -> str | None:
    # str() of a StrEnum is its value, the same text the database hands back.
    return None if value is None else str(value)


def event_hash(
    *,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    proposal_id: int | None,
    from_state: str | None,
    to_state: str | None,
    reason: str,
    prev_hash: str,
) -> str:
    """The SHA-256, as 64 hex digits, of an event's canonical serialisation: a JSON array
    in a fixed order, UTF-8, no spaces."""
    fields = [
        FORMAT,
        _utc_text(at),
        actor_id,
        _text(actor_label),
        _text(action),
        proposal_id,
        _text(from_state),
        _text(to_state),
        _text(reason),
        prev_hash,
    ]
    data = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def recompute(event: ChainedEvent) -> str:
    """The hash `event` should have, from its content and its stored `prev_hash`."""
    return event_hash(
        at=event.at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        proposal_id=event.proposal_id,
        from_state=event.from_state,
        to_state=event.to_state,
        reason=event.reason,
        prev_hash=event.prev_hash,
    )


@dataclass(frozen=True)
class ChainBreak:
    """The first event at which the chain does not hold, and why."""

    event_id: int
    problem: str


@dataclass(frozen=True)
class ChainState:
    checked: int
    first_break: ChainBreak | None
    # The last event's id and hash: noting them elsewhere lets a later check notice a
    # chain that was cut short at its end or recomputed from start to end.
    head_id: int | None
    head_hash: str

    @property
    def whole(self) -> bool:
        return self.first_break is None


def check(events: Iterable[ChainedEvent]) -> ChainState:
    """Walk `events` in id order and report the first broken link, if any.

    Every event is counted; the walk goes on after a break so that `checked` is the
    length of the whole log."""
    expected_prev = GENESIS
    checked = 0
    first_break: ChainBreak | None = None
    head_id: int | None = None
    for event in events:
        checked += 1
        if first_break is None:
            if event.prev_hash != expected_prev:
                first_break = ChainBreak(event.id, "與前一筆紀錄的連結不符（前一筆紀錄被刪除、插入或改動）")
            elif recompute(event) != event.hash:
                first_break = ChainBreak(event.id, "內容與其雜湊不符（紀錄被改動）")
        expected_prev = event.hash
        head_id = event.id
    return ChainState(checked=checked, first_break=first_break, head_id=head_id, head_hash=expected_prev)
