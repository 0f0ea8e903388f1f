"""Pages of `portal.counsel`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counsel", __name__)
