"""Pages of `portal.yearend`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("yearend", __name__)
