"""Accounts: creating and editing users, one-time password links, password checks,
login throttling and server-side sessions. All state lives in the database so that it holds
across worker processes."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from portal import operations
from portal.db.models import (
    County,
    LoginThrottle,
    PasswordToken,
    Programme,
    Township,
    User,
    UserSession,
    utcnow,
)
from portal.domain.errors import DomainError
from portal.domain.passwords import password_problem
from portal.domain.roles import Role

# Argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")

PASSWORD_LINK_HOURS = 72
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(DomainError):
    """An account request was refused; `field` names the input it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass(frozen=True)
class AccountFields:
    """What an admin sets on an account besides its e-mail, checked by `checked_fields`:
    only the scope its role needs is filled in, the others are None."""

    name: str
    role: Role
    township_code: str | None
    county_code: str | None
    ministry: str | None
    affiliation: str

    @classmethod
    def of(cls, user: User) -> AccountFields:
        return cls(
            user.name, user.role_enum, user.township_code, user.county_code, user.ministry, user.affiliation or ""
        )


def checked_email(session: Session, email: str) -> str:
    """A new account's address, normalised; refused when malformed or already taken."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise AccountError(f"電子郵件格式不正確：「{email}」", "email")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"已有帳號使用電子郵件 {email}", "email")
    return email


def checked_fields(
    session: Session,
    *,
    name: str,
    role: Role,
    township_code: str | None = None,
    county_code: str | None = None,
    affiliation: str = "",
    ministry: str | None = None,
) -> AccountFields:
    """The rules of an account, the same when it is created and when it is edited: a
    name; a township account has a township, a county account a county, a ministry
    account a ministry of the programme list. A scope the role does not use is dropped."""
    if not name.strip():
        raise AccountError("請填寫姓名", "name")
    if role == Role.TOWNSHIP:
        if not township_code:
            raise AccountError("鄉鎮市區公所承辦人的帳號必須選擇所屬鄉鎮市區", "township")
        if session.get(Township, township_code) is None:
            raise AccountError(f"找不到鄉鎮市區代碼「{township_code}」", "township")
        county_code = None
    elif role == Role.COUNTY:
        if not county_code:
            raise AccountError("縣市政府窗口的帳號必須選擇所屬縣市", "county")
        if session.get(County, county_code) is None:
            raise AccountError(f"找不到縣市代碼「{county_code}」", "county")
        township_code = None
    else:
        township_code = county_code = None
    if role == Role.MINISTRY:
        ministry = (ministry or "").strip()
        if ministry not in ministries(session):
            raise AccountError(f"請從部會計畫清單中的部會選擇（找不到「{ministry}」）", "ministry")
    else:
        ministry = None
    return AccountFields(name.strip(), role, township_code, county_code, ministry, affiliation.strip())


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    township_code: str | None = None,
    county_code: str | None = None,
    affiliation: str = "",
    ministry: str | None = None,
) -> User:
    """Add an account without a password; `issue_password_link` lets its owner set one.
    A ministry account names its ministry as the programme list spells it."""
    email = checked_email(session, email)
    fields = checked_fields(
        session,
        name=name,
        role=role,
        township_code=township_code,
        county_code=county_code,
        affiliation=affiliation,
        ministry=ministry,
    )
    user = User(email=email)
    _apply(user, fields)
    session.add(user)
    session.flush()
    return user


def _apply(user: User, fields: AccountFields) -> None:
    user.name, user.role, user.affiliation = fields.name, fields.role.value, fields.affiliation
    user.township_code, user.county_code, user.ministry = fields.township_code, fields.county_code, fields.ministry


def ministries(session: Session) -> list[str]:
    """The ministries that run at least one programme: those a ministry account may name."""
    return list(session.scalars(select(Programme.ministry).distinct().order_by(Programme.ministry)))


def issue_password_link(session: Session, user: User, now: datetime | None = None) -> str:
    """Return a fresh one-time token; earlier unused links of the user stop working."""
    now = now or utcnow()
    session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordToken(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=PASSWORD_LINK_HOURS),
        )
    )
    session.flush()
    return token


def find_password_token(session: Session, token: str, now: datetime | None = None) -> PasswordToken | None:
    """The unused, unexpired token row for `token`, or None."""
    row = session.scalar(select(PasswordToken).where(PasswordToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= (now or utcnow()):
        return None
    if not row.user.active:
        return None
    return row


def set_password(session: Session, user: User, password: str, now: datetime | None = None) -> None:
    """Set a new password and end every existing login of the account."""
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    revoke_sessions(session, user, now)


def use_password_token(session: Session, token: str, password: str) -> User:
    row = find_password_token(session, token)
    if row is None:
        raise AccountError("這個設定密碼連結無效或已過期，請向管理者索取新連結。")
    set_password(session, row.user, password)
    row.used_at = utcnow()
    session.flush()
    return row.user


# --- login ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """Login throttling that slows guessing without handing anyone a way to lock a
    victim out: per account, a wait that doubles after `max_failures` failures and never
    exceeds `max_delay_seconds`; per client address, at most `address_max_failures`
    failures across all accounts in `address_minutes`."""

    max_failures: int = 5
    max_delay_seconds: int = 300
    address_max_failures: int = 30
    address_minutes: int = 15

    def delay_after(self, failures: int) -> int:
        """Seconds the account must wait after its `failures`-th failure in a row."""
        if failures < self.max_failures:
            return 0
        doubled: int = 2 ** min(failures - self.max_failures, 30)
        return min(doubled, self.max_delay_seconds)


@dataclass(frozen=True)
class LoginResult:
    """The signed-in user, or why not: `wait_seconds` > 0 when throttled (the password
    was then not checked), and which limit applied."""

    user: User | None
    wait_seconds: int = 0
    limit: str = ""  # "account" or "address" when throttled


def _account_key(email: str) -> str:
    # Hashed so any typed address fits the column; unknown addresses are throttled alike.
    return "account:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _address_key(address: str) -> str:
    return "address:" + address[:200]


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None or moment <= now:
        return 0
    return max(int((moment - now).total_seconds() + 0.999), 1)


def throttle_wait(
    session: Session, email: str, address: str, policy: ThrottlePolicy, now: datetime | None = None
) -> tuple[int, str]:
    """Seconds before this account may try again from this address, and which limit."""
    now = now or utcnow()
    row = session.get(LoginThrottle, _address_key(address))
    if row is not None and row.failures >= policy.address_max_failures:
        wait = _seconds_until(row.window_started_at + timedelta(minutes=policy.address_minutes), now)
        if wait:
            return wait, "address"
    row = session.get(LoginThrottle, _account_key(email))
    wait = _seconds_until(row.locked_until if row else None, now)
    return (wait, "account") if wait else (0, "")


def _count(session: Session, key: str, now: datetime, window: timedelta | None) -> int:
    """Add one failure under `key` and return the new count. The row is created with
    INSERT ... ON CONFLICT DO NOTHING and incremented in SQL, so failures counted by
    concurrent workers are never lost; a window that has run out starts again at one."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0, window_started_at=now).on_conflict_do_nothing())
    session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=LoginThrottle.failures + 1))
    row = session.get(LoginThrottle, key, populate_existing=True)
    assert row is not None
    if window is not None and row.window_started_at + window <= now:
        row.failures, row.window_started_at = 1, now
        session.flush()
    return row.failures


def record_failure(
    session: Session, email: str, address: str, policy: ThrottlePolicy, now: datetime | None = None
) -> None:
    """Count a failed login against the account (known or not, so the delay reveals
    nothing) and against the client address."""
    now = now or utcnow()
    # Forget counters idle for a day, so guessed addresses do not pile up forever.
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - timedelta(days=1),
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )
    _count(session, _address_key(address), now, timedelta(minutes=policy.address_minutes))
    failures = _count(session, _account_key(email), now, None)
    row = session.get(LoginThrottle, _account_key(email))
    assert row is not None
    row.window_started_at = now  # the last failure: a day without one forgets the account
    delay = policy.delay_after(failures)
    row.locked_until = now + timedelta(seconds=delay) if delay else None
    session.flush()


def clear_failures(session: Session, email: str) -> None:
    """A correct password ends the account's delay; the address count stays."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == _account_key(email)))


def authenticate(
    session: Session,
    email: str,
    password: str,
    policy: ThrottlePolicy,
    address: str = "",
    now: datetime | None = None,
) -> LoginResult:
    """Check a login. While the account or the address must wait, the password is not
    checked and the attempt is not counted; otherwise failures are counted."""
    now = now or utcnow()
    wait, limit = throttle_wait(session, email, address, policy, now)
    if wait:
        return LoginResult(None, wait, limit)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password) and stored is not _DUMMY_HASH
    except (VerificationError, InvalidHashError):
        ok = False  # a wrong password and an unknown address look the same
    if not ok or user is None or not user.active:
        record_failure(session, email, address, policy, now)
        return LoginResult(None)
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    clear_failures(session, email)
    user.last_login_at = now
    return LoginResult(user)


def start_session(session: Session, user: User, now: datetime | None = None) -> UserSession:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    row.token = token
    user.current_session = row
    return row


def load_session(session: Session, token: str, idle: timedelta, now: datetime | None = None) -> User | None:
    """The user behind a session token, if the session is live; touches last_seen."""
    now = now or utcnow()
    # The account comes in the same query: every request asks for both.
    row = session.scalar(
        select(UserSession).options(joinedload(UserSession.user)).where(UserSession.token_hash == token_hash(token))
    )
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if row.last_seen_at + idle < now:
        # Idle expiry needs no write: last_seen_at never moves again. `revoked_at` is
        # kept for logins ended on purpose (logout, disabling, a new password).
        return None
    # Touch at most once a minute: most requests then need no write.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        session.commit()
    row.token = token
    row.user.current_session = row
    return row.user


def end_session(session: Session, user_session: UserSession, now: datetime | None = None) -> None:
    user_session.revoked_at = now or utcnow()
    session.flush()


def revoke_sessions(session: Session, user: User, now: datetime | None = None) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def disable_user(session: Session, user: User) -> None:
    """Disable the account and end all its logins at once."""
    user.active = False
    revoke_sessions(session, user)
    session.flush()


# --- editing accounts -------------------------------------------------------------------

FIELD_LABELS = {
    "name": "姓名",
    "role": "角色",
    "township_code": "所屬鄉鎮市區",
    "county_code": "所屬縣市",
    "ministry": "所屬部會",
    "affiliation": "服務單位",
}


@dataclass(frozen=True)
class Change:
    """One field of an account as it was and as it becomes, in words."""

    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}：{self.old} → {self.new}"


def shown_version(user: User) -> str:
    """A fingerprint of what the edit page showed of the account. An edit made from a page
    whose fingerprint no longer matches the account is refused: accounts have no
    `lock_version` column, so the values themselves are compared after a re-read."""
    values = json.dumps([*astuple(AccountFields.of(user))], ensure_ascii=False)
    return hashlib.sha256(values.encode()).hexdigest()[:24]


def _words(session: Session, key: str, value: object) -> str:
    if value is None or value == "":
        return "（無）"
    if key == "role":
        return Role(str(value)).label
    if key == "township_code":
        township = session.get(Township, value)
        return township.full_name if township else str(value)
    if key == "county_code":
        county = session.get(County, value)
        return county.name_zh if county else str(value)
    return str(value)


def changes(session: Session, user: User, fields: AccountFields) -> list[Change]:
    """What an edit to `fields` would change on `user`, field by field."""
    before = AccountFields.of(user)
    return [
        Change(label, _words(session, key, getattr(before, key)), _words(session, key, getattr(fields, key)))
        for key, label in FIELD_LABELS.items()
        if getattr(before, key) != getattr(fields, key)
    ]


def described(session: Session, fields: AccountFields) -> list[Change]:
    """A new account's fields in words, as rows with nothing before them."""
    return [
        Change(label, "", _words(session, key, getattr(fields, key)))
        for key, label in FIELD_LABELS.items()
        if getattr(fields, key) not in (None, "")
    ]


def check_edit(user: User, fields: AccountFields, actor: User) -> None:
    """An admin keeps their own role: demoting oneself could leave the NDC without an admin
    (as disabling oneself is refused on the accounts page)."""
    if user.id == actor.id and fields.role != user.role_enum:
        raise AccountError("不能變更自己的角色；如有需要，請另一位管理者處理，以免國發會沒有管理者。", "role")


def lock_accounts(session: Session, user: User) -> None:
    """Take the write lock on `user` and on every admin account until the transaction
    ends, then re-read `user`. Two admins changing accounts at once are then applied one
    after the other, and `keep_an_admin` sees the roles the other one committed.
    (SQLite: a write as the first statement takes the database's one write lock.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(User).where(User.id == user.id).values(name=User.name).execution_options(synchronize_session=False)
        )
    else:
        session.flush()
        session.execute(
            select(User.id)
            .where(or_(User.role == Role.ADMIN.value, User.id == user.id))
            .order_by(User.id)
            .with_for_update()
        )
    session.refresh(user)


def keep_an_admin(session: Session, actor: User) -> None:
    """Refuse a change after which the acting admin is no longer an active admin: another
    admin demoted or disabled them meanwhile. Since an admin can neither demote nor
    disable themself, the NDC then always keeps at least one active admin."""
    session.flush()
    session.refresh(actor)
    if actor.role != Role.ADMIN.value or not actor.active:
        raise AccountError("您的帳號在這段期間已被其他管理者變更，已不是啟用中的國發會管理者，這次沒有變更。")


def edit_user(session: Session, user: User, fields: AccountFields, *, shown: str, actor: User) -> list[Change]:
    """Store an admin's edit of `user` (from `checked_fields`) and audit it with the old
    and new values. Refused, changing nothing, when the account changed after the page
    showed it (`shown` is its `shown_version` then) or when the rules above say no."""
    lock_accounts(session, user)
    if shown_version(user) != shown:
        raise StaleAccount(user.email)
    check_edit(user, fields, actor)
    found = changes(session, user, fields)
    if found:
        _apply(user, fields)
        keep_an_admin(session, actor)
        operations.audit(session, actor, "user_edit", reason=f"{user.email}：" + "；".join(map(str, found)))
    return found


class StaleAccount(AccountError):
    """The account changed after the edit page was opened; nothing was written."""

    def __init__(self, email: str) -> None:
        super().__init__(
            f"帳號 {email} 在您開啟頁面後已被其他管理者修改，這次沒有儲存。"
            "下方仍是您輸入的內容，「目前資料」已更新為最新；請比對後再按一次「檢查變更」。"
        )


# --- forgotten passwords ----------------------------------------------------------------

# How many reset links one account may be sent, and one address may ask for, per hour.
RESET_PER_ACCOUNT = 3
RESET_PER_ADDRESS = 10
RESET_WINDOW = timedelta(hours=1)


def _reset_keys(email: str, address: str) -> tuple[str, str]:
    return "reset-" + _account_key(email), "reset-" + _address_key(address)


def request_password_reset(
    session: Session, email: str, address: str, now: datetime | None = None
) -> tuple[User | None, str | None]:
    """A 「忘記密碼」 request: the active account of `email` and a fresh one-time token,
    or (None, None) when there is no such account or the hour's limit is reached. The
    caller answers the same either way, so nobody learns which addresses have accounts.
    Each request counts, for the address and for the account, known or not."""
    now = now or utcnow()
    account_key, address_key = _reset_keys(email, address)
    by_account = _count(session, account_key, now, RESET_WINDOW)
    by_address = _count(session, address_key, now, RESET_WINDOW)
    if by_account > RESET_PER_ACCOUNT or by_address > RESET_PER_ADDRESS:
        return None, None
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        return None, None
    return user, issue_password_link(session, user, now)
