"""Answers to a wizard section's background save (autosave), sent by the page's script.

The script posts the same form, with the same CSRF token and section version, to the
same address as the 儲存 button, asking for JSON (`Accept: application/json`). It then
gets a short reply instead of a page, and no flash message is left for the next page.
A post without that header (no JavaScript) is answered exactly as before.
"""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from portal import operations

SAVED = "已自動儲存 {time}"
CONFLICT = (
    "自動儲存已停止：這一節在您編輯時已被另一個分頁或同事儲存，為了不覆蓋對方的內容，這次沒有儲存。"
    "您輸入的內容都還在；按「儲存」可以並排比對兩個版本再決定。"
)
INVALID = "有欄位的格式需要修正，這次沒有自動儲存。按「儲存」可以看到每個欄位的說明；您輸入的內容都還在。"
TOKEN = "安全驗證已更新，稍後會再自動儲存。"
REFUSED = "這次沒有自動儲存：{reason}"


def wanted() -> bool:
    """Whether this post is a background save: it asks for JSON before HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def saved(version: int, saved_at: str | None) -> Response:
    """The save went through: the section's new version, for the form's next save."""
    when = datetime.fromisoformat(saved_at).astimezone(operations.TAIWAN) if saved_at else None
    time = when.strftime("%H:%M") if when else ""
    return jsonify(
        status="saved",
        version=str(version),
        saved_at=when.strftime("%Y-%m-%d %H:%M") if when else "",
        message=SAVED.format(time=time),
    )


def conflict() -> tuple[Response, int]:
    """Someone saved this section after the form was opened: nothing was written."""
    return jsonify(status="conflict", message=CONFLICT), 409


def invalid() -> tuple[Response, int]:
    """A format error (a word in a number field, text over its budget): nothing was written."""
    return jsonify(status="invalid", message=INVALID), 400


def token() -> tuple[Response, int]:
    """The form's CSRF token had expired: a fresh one, for the script to send again."""
    return jsonify(status="token", message=TOKEN, csrf_token=generate_csrf()), 400


def refused(reason: str) -> tuple[Response, int]:
    """Refused for a reason stated in words (a rule of the operation): nothing was written."""
    return jsonify(status="refused", message=REFUSED.format(reason=reason)), 400
