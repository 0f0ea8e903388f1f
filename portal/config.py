"""Configuration: defaults, `PORTAL_*` environment overrides and the secret key.

Everything is resolved inside `create_app`, never at import time, so tests can point
every path at a temporary directory.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from portal.domain.rounds import reminder_days
from portal.rarefont import DEFAULT_SOURCE as DEFAULT_RARE_FONT

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "production", "testing")

# Settings that may be overridden from the environment as PORTAL_<NAME>.
ENV_KEYS = (
    "ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "PROPOSALS_DIR",
    "CONTENT_DIR",
    "BUILD_DIR",
    "UPLOAD_DIR",
    "BASE_URL",
    "SITE_URL",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "SESSION_IDLE_MINUTES",
    "MAX_CONTENT_LENGTH",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "MAIL_FROM",
    "MAIL_MAX_ATTEMPTS",
    "TRUSTED_HOSTS",
    "PROXY_HOPS",
    "ROUND_REMINDER_DAYS",
    "REPORT_REMINDER_DAYS",
    "RARE_FONT",
)

INT_KEYS = {
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "SESSION_IDLE_MINUTES",
    "MAX_CONTENT_LENGTH",
    "SMTP_PORT",
    "MAIL_MAX_ATTEMPTS",
    "PROXY_HOPS",
}


MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def defaults(instance_path: Path) -> dict[str, Any]:
    """The built-in settings: SQLite in the instance folder, project folders for content."""
    return {
        "ENV": "development",
        "DATABASE_URL": f"sqlite:///{instance_path / 'portal.db'}",
        "PROPOSALS_DIR": str(PROJECT_ROOT / "proposals"),
        "CONTENT_DIR": str(PROJECT_ROOT / "content"),
        "BUILD_DIR": str(PROJECT_ROOT / "build"),
        "UPLOAD_DIR": str(instance_path / "uploads"),
        "BASE_URL": "http://127.0.0.1:5000",
        # The public showcase's address, for links from a published case to its page.
        "SITE_URL": "https://example.org/",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "SESSION_IDLE_MINUTES": 120,
        # A whole proposal is a few tens of kilobytes; 2 MB leaves room and stops abuse.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # Outgoing mail (`portal notifications send`); checked by portal.mail.SmtpSettings.
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": 25,
        "SMTP_TLS": "none",
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "MAIL_FROM": "地方創生提案平台 <noreply@localhost>",
        "MAIL_MAX_ATTEMPTS": 5,
        # Host names the portal answers to (Flask's TRUSTED_HOSTS); empty accepts any.
        "TRUSTED_HOSTS": None,
        # Reverse proxies in front of the portal whose X-Forwarded-* headers are believed.
        "PROXY_HOPS": 0,
        # Days before each round deadline that `portal rounds remind` sends a reminder.
        "ROUND_REMINDER_DAYS": "7,1",
        # Days before each year's progress-report due date that `portal reports remind` reminds.
        "REPORT_REMINDER_DAYS": "14,3",
        # The font the rare-character subsets are cut from (portal/rarefont.py); none: no subsets.
        "RARE_FONT": DEFAULT_RARE_FONT,
    }


def from_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    """Settings named `PORTAL_<KEY>` in the environment, with integers parsed."""
    found: dict[str, Any] = {}
    for key in ENV_KEYS:
        raw = environ.get(f"PORTAL_{key}")
        if raw is None or raw == "":
            continue
        if key in INT_KEYS:
            try:
                found[key] = int(raw)
            except ValueError as exc:
                raise ConfigError(f"PORTAL_{key} 必須是整數，目前是「{raw}」") from exc
        else:
            found[key] = raw
    return found


def resolve(
    instance_path: Path,
    override: dict[str, Any] | None,
    environ: dict[str, str] | os._Environ[str] | None = None,
) -> dict[str, Any]:
    """Merge defaults < environment < explicit override and check the result."""
    settings = defaults(instance_path)
    settings.update(from_environment(os.environ if environ is None else environ))
    settings.update(override or {})
    env = settings["ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"PORTAL_ENV 必須是 {', '.join(ENVIRONMENTS)} 之一，目前是「{env}」")
    settings["SECRET_KEY"] = settings.get("SECRET_KEY") or _secret_key(env, instance_path)
    if env == "production" and len(settings["SECRET_KEY"]) < MIN_SECRET_LENGTH:
        raise ConfigError(f"PORTAL_SECRET_KEY 太短：正式環境至少需要 {MIN_SECRET_LENGTH} 個字元的隨機字串")
    settings["SESSION_COOKIE_SECURE"] = env == "production"
    settings["TRUSTED_HOSTS"] = trusted_hosts(settings.get("TRUSTED_HOSTS"))
    if settings["PROXY_HOPS"] < 0:
        raise ConfigError(f"PORTAL_PROXY_HOPS 不可為負數，目前是「{settings['PROXY_HOPS']}」")
    for key in ("ROUND_REMINDER_DAYS", "REPORT_REMINDER_DAYS"):
        try:
            reminder_days(str(settings[key]))
        except ValueError as error:
            raise ConfigError(f"PORTAL_{key}：{error}") from error
    settings["TESTING"] = env == "testing" or bool(settings.get("TESTING"))
    return settings


def trusted_hosts(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    """`PORTAL_TRUSTED_HOSTS` as a list: names separated by commas or spaces, a leading
    dot accepts every subdomain. None (no check) when empty."""
    if value is None:
        return None
    names = value.replace(",", " ").split() if isinstance(value, str) else [str(name).strip() for name in value]
    names = [name.lower() for name in names if name]
    return names or None


def _secret_key(env: str, instance_path: Path) -> str:
    """Production must be given a key; elsewhere one is generated once per instance."""
    if env == "production":
        raise ConfigError("正式環境必須設定 PORTAL_SECRET_KEY（至少 32 個字元的隨機字串）")
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created owner-only from the start: no moment where others could read it.
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
