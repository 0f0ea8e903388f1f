"""Reference data: counties, regions, townships, strategies, programmes, priority areas.

The CSV files in `data/` ship with the package (sources in `data/SOURCES.md`). This
module only reads them, with no database, so the public showcase can use it; loading
them into the portal's database is `portal.reference.store`.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

PRIORITY_KINDS = ("農山漁村", "中介城鎮", "原鄉")


def read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("portal.reference").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))
