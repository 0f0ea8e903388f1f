"""Security headers on every portal response, and safe download names.

The Content-Security-Policy allows scripts, styles and images from the portal itself
only: no inline script, no `style` attribute, no plug-ins, no `<base>`, and no framing
(so no button of the portal can be clickjacked). Templates keep every script and style
in files under `portal/static/`; tests/test_security_headers.py checks both.
"""

from __future__ import annotations

import re
import urllib.parse

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

# One year; sent only in production, where the portal is served over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def init_app(app: Flask) -> None:
    production = app.config.get("ENV") == "production"

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        if production:
            response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        return response


# Control characters (CR and LF above all), quotes, backslashes and slashes never reach
# a download name.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/]')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]")


def attachment(filename: str) -> str:
    """A Content-Disposition value for downloading `filename` (RFC 6266): an ASCII
    `filename` for old clients and the exact name as `filename*=UTF-8''…`. Whatever
    `filename` holds, the result is one header line that names one file."""
    name = _UNSAFE.sub("_", filename).strip(" .") or "download"
    fallback = _NOT_ASCII_NAME.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"
