"""Password policy: long enough, not a commonly used password, not the e-mail itself."""

from __future__ import annotations

from functools import cache
from importlib import resources

MIN_LENGTH = 8
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    """Passwords seen again and again in published breach lists, lower-cased."""
    text = resources.files("portal.domain").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#")


def password_problem(password: str, email: str = "") -> str | None:
    """Why `password` is not acceptable, in words for the user, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"密碼至少需要 {MIN_LENGTH} 個字元。"
    if len(password) > MAX_LENGTH:
        return f"密碼不可超過 {MAX_LENGTH} 個字元。"
    lowered = password.lower()
    if lowered in common_passwords():
        return "這是常見密碼，很容易被猜中，請換一個。"
    if len(set(password)) <= 2:
        return "密碼不可只由一兩種字元重複組成。"
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return "密碼不可包含您的電子郵件帳號名稱。"
    return None
