"""Benchmark: SQL statements and time per portal page with many proposals.

    python bench/portal_queries.py [--proposals 1000] [--repeat 7]

Builds a SQLite database in a temporary folder with N proposals spread over eight
townships in four counties and every state, with revisions, reviewers, reviews and
conflicts (tests/bulk.py), signs in as each role, and asks each page through the test
client: first once to warm up, then `--repeat` times. Prints, per page, the SQL
statements of one request and the median and fastest time in milliseconds. Nothing is
asserted: the figures are for comparing versions on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import event  # noqa: E402

from portal import accounts, create_app, db  # noqa: E402
from portal.cli import initialise  # noqa: E402
from tests import bulk  # noqa: E402

PASSWORD = "bench-fields-at-dawn"
# (role, page)
PAGES = [
    ("township", "/"),
    ("county", "/"),
    ("admin", "/"),
    ("reviewer", "/review/"),
    ("admin", "/review/manage?cycle=2026"),
    ("admin", "/review/ranking?cycle=2026"),
    ("admin", "/review/ranking.csv?cycle=2026"),
    ("township", "/proposals/1/brief"),
]


def portal(folder: Path, proposals: int, url: str | None = None) -> tuple[Flask, bulk.Cast]:
    """A migrated database (SQLite in `folder`, or the one at `url`) with the reference
    data, the accounts of tests/bulk.py and `proposals` proposals."""
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "DATABASE_URL": url or f"sqlite:///{folder / 'portal.db'}",
            "PROPOSALS_DIR": str(folder / "proposals"),
            "CONTENT_DIR": str(folder / "content"),
            "BUILD_DIR": str(folder / "build"),
            "UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    with app.app_context():
        initialise()
    with db.database(app).session() as session:
        people = bulk.cast(session, accounts.hash_password(PASSWORD))
        bulk.proposals(session, people, proposals)
    return app, people


def login(app: Flask, email: str) -> Any:
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"login of {email} failed"
    return client


def measure(app: Flask, client: Any, path: str, repeat: int) -> tuple[int, float, float]:
    """(statements of one request, median ms, fastest ms)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    assert client.get(path).status_code == 200, path
    engine = db.database(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    return len(statements), statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        app, people = portal(Path(folder), args.proposals)
        print(f"{args.proposals} proposals, database built in {time.perf_counter() - started:.1f} s")
        clients = {role: login(app, getattr(people, role).email) for role in {role for role, _ in PAGES}}
        print(f"{'role':<9} {'page':<32} {'queries':>7} {'median ms':>10} {'min ms':>8}")
        for role, path in PAGES:
            queries, median, fastest = measure(app, clients[role], path, args.repeat)
            print(f"{role:<9} {path:<32} {queries:>7} {median:>10.1f} {fastest:>8.1f}")
        db.database(app).engine.dispose()


if __name__ == "__main__":
    main()
