"""Load and crash check: many clerks saving sections of shared proposals at once, and
afterwards every acknowledged save must be in the database.

    python tools/loadcheck.py [--clients 20] [--seconds 30] [--workers 4] [--kill]
                              [--proposals 3] [--database-url URL]

Sets up a fresh database (SQLite in a temporary folder, or with `--database-url` /
`PORTAL_DATABASE_URL` naming a PostgreSQL server, a new database on it that is dropped
afterwards) with the demo data, one shared draft per `--proposals` and a clerk account
for every client, then starts the portal under gunicorn on 127.0.0.1 and a free port.

Each client logs in and, until the time is up, opens one section of a shared proposal,
types a value no other save uses, presses 儲存, and reads the task list and the one-page
brief. Clients of one proposal work on different sections at the same moment (the case
where saves used to be lost); each (proposal, section) slot has one owner, so every save
of a slot is based on the one before it. A 302 after the save is an acknowledged save.

With `--kill` the whole server (master and workers) is SIGKILLed at a random moment in
the middle third of the run and started again; clients keep going, counting refused
connections as errors. A save whose reply never arrived may or may not be stored.

At the end, for every slot: the stored value must be the last acknowledged one (or one
sent later whose reply was lost), and the section's save count must be at least the
number of acknowledged saves. Prints requests, errors, acknowledged saves and saves
found; exits 1 if any acknowledged save is missing. Loopback only; clients, seconds and
workers are bounded.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

HOST = "127.0.0.1"
# One text field per section: (section, the form field, also its key in the section).
SLOTS = (("dna", "summary"), ("consensus", "vision"), ("businesses", "summary"))
MAX_CLIENTS, MAX_SECONDS, MAX_WORKERS = 100, 600, 16
REQUEST_TIMEOUT = 30.0


# --- set-up ---------------------------------------------------------------------------------


@dataclass
class Slot:
    """One section of one shared proposal, saved by one client."""

    proposal_id: int
    section: str
    field_name: str
    acknowledged: list[str] = field(default_factory=list)
    # Values sent after the last acknowledged one whose reply never came (server killed).
    unanswered: list[str] = field(default_factory=list)


@dataclass
class Setup:
    environment: dict[str, str]
    url: str
    clerks: list[tuple[str, str]]  # (email, password)
    proposal_ids: list[int]
    drop: str | None = None  # a PostgreSQL database to drop at the end


def prepare(folder: Path, server_url: str | None, clients: int, proposals: int) -> Setup:
    """A fresh database with the demo data, shared drafts and one clerk per client."""
    environment = {
        "PORTAL_ENV": "development",
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
        "PORTAL_PROPOSALS_DIR": str(folder / "proposals"),
        "PORTAL_BUILD_DIR": str(folder / "build"),
        "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
    }
    drop = None
    if server_url:
        drop = f"portal_loadcheck_{os.getpid()}"
        server = make_url(server_url)
        admin = create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{drop}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{drop}"')
        admin.dispose()
        url = server.set(database=drop).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'portal.db'}"
    environment["PORTAL_DATABASE_URL"] = url
    os.environ.update(environment)

    from portal import accounts, create_app, db, demo, operations, review
    from portal.cli import initialise
    from portal.db.models import Township, User
    from portal.domain.proposal import ProposalType
    from portal.domain.roles import Role

    app = create_app()
    with app.app_context():
        initialise()
        session = db.session()
        demo.load(session, review.rubric())
        session.commit()
        township = session.get(Township, "10008020")  # 南投縣埔里鎮
        assert township is not None
        clerks: list[tuple[str, str]] = []
        users: list[User] = []
        for number in range(clients):
            email = f"loadcheck-{number:03d}@loadcheck.example.org"
            user = accounts.create_user(
                session, email=email, name=f"壓測承辦人{number}", role=Role.TOWNSHIP, township_code=township.code
            )
            password = secrets.token_urlsafe(12)
            accounts.set_password(session, user, password)
            clerks.append((email, password))
            users.append(user)
        drafts = [
            operations.create_proposal(
                session,
                users[0],
                cycle=operations.current_cycle(),
                proposal_type=ProposalType.TOWNSHIP,
                lead_township_code=township.code,
                title=f"壓力測試共用提案 {number + 1}",
            )
            for number in range(proposals)
        ]
        session.commit()
        proposal_ids = [p.id for p in drafts]
        db.database().engine.dispose()
    return Setup(environment, url, clerks, proposal_ids, drop)


def stored_slots(url: str, slots: list[Slot]) -> dict[tuple[int, str], tuple[str, int]]:
    """(value, save count) of each slot as the database has it now."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from portal.db import make_engine
    from portal.db.models import Proposal

    engine = make_engine(url)
    found: dict[tuple[int, str], tuple[str, int]] = {}
    with Session(engine) as session:
        ids = {s.proposal_id for s in slots}
        documents = {p.id: p.content for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}
    engine.dispose()
    for slot in slots:
        content = documents[slot.proposal_id]
        value = content.get(slot.section, {}).get(slot.field_name, "")
        count = int(content.get("meta", {}).get("versions", {}).get(slot.section, 0))
        found[(slot.proposal_id, slot.section)] = (value, count)
    return found


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """gunicorn with the portal, in a process group of its own so a kill takes every worker."""

    def __init__(self, environment: dict[str, str], workers: int, log: Path) -> None:
        self.environment, self.workers, self.log = environment, workers, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "--workers",
            str(self.workers),
            "--bind",
            f"{HOST}:{self.port}",
            "--timeout",
            "60",
            "portal:create_app()",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **self.environment},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/auth/login", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"the portal did not start on {self.base}; see {self.log}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# --- the clients ---------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The values of the first form on a page that posts to its own address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.in_form = self.done = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.options: list[str] = []
        self.chosen = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and a.get("method", "").lower() == "post" and "action" not in a:
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), []
        elif tag == "select":
            self.select, self.options, self.chosen = a.get("name"), [], False
        elif tag == "option" and self.select:
            self.options.append(a.get("value", ""))
            if "selected" in a:
                self.fields.append((self.select, a.get("value", "")))
                self.chosen = True

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, "".join(self.text).removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            if not self.chosen and self.options:  # a browser sends the first option
                self.fields.append((self.select, self.options[0]))
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 is the answer we want to see


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0

    def count(self, error: str | None = None) -> None:
        with self.lock:
            self.requests += 1
            if error:
                self.errors[error] += 1


class Client:
    def __init__(self, base: str, email: str, password: str, tally: Tally) -> None:
        self.base, self.email, self.password, self.tally = base, email, password, tally
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def request(self, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        """(status, page); status 0 when no reply came (refused, reset, timed out)."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(f"{self.base}{path}", data=data, timeout=REQUEST_TIMEOUT) as response:
                status, page = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            try:
                status, page = error.code, error.read().decode("utf-8", "replace")
            except (http.client.HTTPException, OSError) as broken:
                # The server died while sending the reply: the browser would show an
                # error, not 已儲存, so this counts as no reply (the save may or may not
                # have been committed; the check accepts either).
                self.tally.count(f"no reply ({type(broken).__name__})")
                return 0, ""
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            self.tally.count(f"no reply ({type(getattr(error, 'reason', error)).__name__})")
            return 0, ""
        method = "POST" if form is not None else "GET"
        self.tally.count(None if status < 500 and status != 400 else f"HTTP {status} {method} {path}")
        return status, page

    def login(self) -> bool:
        status, page = self.request("/auth/login")
        if status != 200:
            return False
        form = dict(form_of(page))
        form.update(email=self.email, password=self.password)
        status, _ = self.request("/auth/login", list(form.items()))
        return status == 302


def form_of(page: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(page)
    return reader.fields


def client_loop(client: Client, slot: Slot, deadline: float, tally: Tally, name: str) -> None:
    """Log in, then save the slot with a new value, read two pages, until the deadline."""
    chance = random.Random(name)
    number = 0
    logged_in = False
    path = f"/proposals/{slot.proposal_id}/edit/{slot.section}"
    while time.monotonic() < deadline:
        if not logged_in:
            logged_in = client.login()
            if not logged_in:
                time.sleep(0.2)
                continue
        status, page = client.request(path)
        if status != 200:
            logged_in = status != 302  # a redirect to the login page: sign in again
            time.sleep(0.05 if status else 0.2)
            continue
        number += 1
        value = f"{name} 第 {number} 次儲存"
        form = [(k, v) for k, v in form_of(page) if k != slot.field_name] + [(slot.field_name, value)]
        status, _ = client.request(path, form)
        if status == 302:
            slot.acknowledged.append(value)
            slot.unanswered.clear()
        elif status == 0:
            slot.unanswered.append(value)
        elif status == 409:
            with tally.lock:
                tally.conflicts += 1
        client.request(f"/proposals/{slot.proposal_id}/edit")
        client.request(f"/proposals/{slot.proposal_id}/brief")
        time.sleep(chance.uniform(0, 0.05))


# --- the run -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    server_url = args.database_url
    with tempfile.TemporaryDirectory(prefix="portal-loadcheck-") as tmp:
        folder = Path(tmp)
        setup = prepare(folder, server_url, args.clients, args.proposals)
        server = Server(setup.environment, args.workers, folder / "gunicorn.log")
        # Clients of one proposal each own one of its sections: every slot has one writer.
        slots = [Slot(setup.proposal_ids[i // len(SLOTS)], *SLOTS[i % len(SLOTS)]) for i in range(args.clients)]
        tally = Tally()
        kills = 0
        try:
            server.start()
            started = time.monotonic()
            deadline = started + args.seconds
            threads = [
                threading.Thread(
                    target=client_loop,
                    args=(Client(server.base, *setup.clerks[i], tally), slot, deadline, tally, f"c{i:02d}"),
                )
                for i, slot in enumerate(slots)
            ]
            for thread in threads:
                thread.start()
            if args.kill:
                time.sleep(random.uniform(args.seconds / 3, args.seconds * 2 / 3))
                server.kill()
                kills += 1
                server.start()
            for thread in threads:
                thread.join(timeout=args.seconds + 2 * REQUEST_TIMEOUT)
            elapsed = time.monotonic() - started
        finally:
            server.stop()
        found = stored_slots(setup.url, slots)
        if setup.drop and not args.keep:
            admin = create_engine(make_url(server_url or ""), poolclass=NullPool, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{setup.drop}" WITH (FORCE)')
            admin.dispose()
    return report(args, slots, found, tally, kills, elapsed)


def report(
    args: argparse.Namespace,
    slots: list[Slot],
    found: dict[tuple[int, str], tuple[str, int]],
    tally: Tally,
    kills: int,
    elapsed: float,
) -> int:
    acknowledged = sum(len(s.acknowledged) for s in slots)
    lost: list[str] = []
    present = 0
    for slot in slots:
        value, count = found[(slot.proposal_id, slot.section)]
        expected = slot.acknowledged[-1:] + slot.unanswered
        if (not slot.acknowledged and not value) or (value in expected and count >= len(slot.acknowledged)):
            present += len(slot.acknowledged)
            continue
        lost.append(
            f"  提案 {slot.proposal_id} {slot.section}: 已確認 {len(slot.acknowledged)} 次，"
            f"最後是「{slot.acknowledged[-1] if slot.acknowledged else ''}」；資料庫是「{value}」（{count} 次）"
        )
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{database}, gunicorn {args.workers} workers, {args.clients} clients, {elapsed:.0f} s"
        f"{f', server killed {kills} time(s)' if kills else ''}"
    )
    print(f"requests: {tally.requests}")
    print(f"errors: {sum(tally.errors.values())}" + "".join(f"\n  {k}: {n}" for k, n in sorted(tally.errors.items())))
    print(f"edit conflicts: {tally.conflicts}")
    print(f"acknowledged saves: {acknowledged}")
    print(f"saves found: {present}")
    if lost:
        print("LOST acknowledged saves:\n" + "\n".join(lost))
        return 1
    return 0


def bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=bounded(1, MAX_CLIENTS), default=20)
    parser.add_argument("--seconds", type=bounded(1, MAX_SECONDS), default=30)
    parser.add_argument("--workers", type=bounded(1, MAX_WORKERS), default=4)
    parser.add_argument("--proposals", type=bounded(1, 50), default=0, help="default: enough for one slot each")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server mid-run and restart it")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a role that may create databases)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    args = parser.parse_args(argv)
    args.database_url = args.database_url or os.environ.get("PORTAL_DATABASE_URL")
    if not args.proposals:
        args.proposals = -(-args.clients // len(SLOTS))
    if args.proposals * len(SLOTS) < args.clients:
        parser.error(
            f"--proposals {args.proposals} has {args.proposals * len(SLOTS)} sections for {args.clients} clients"
        )
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL server (SQLite is the default)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
