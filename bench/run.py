"""The benchmark suite: freeze, search and portal figures against stated targets.

    python bench/run.py [--freeze] [--search] [--portal] [--quick]
                        [--cases 1000,5000] [--repeats 3] [--big-repeats 1]
                        [--search-cases 1000] [--proposals 1000] [--clients 16]
                        [--seconds 15] [--database-url URL] [--output bench/results.json]

Without a part flag every part runs. `--quick` is a smoke run (20 cases, 30 proposals,
one repeat, 2 s of load per page) that only shows the suite still works.

Freeze: N generated cases (bench/gencases.py: varied Chinese text over the 368
townships and four cycles). Each repeat, interleaved: a full build into an empty
folder, a build with nothing changed, a build after one case changed, and the floor
(the same URLs through the showcase's test client, bodies written to disk). Every step
runs in a fresh process (bench/buildstep.py); the peak memory is the sum of the resident
memory of that process and its children (Pagefind), sampled from /proc every 50 ms.

Search: on the N-case site, a loopback HTTP server that gzips text responses as a
static host would, and Chromium (Playwright, /usr/bin/chromium) opening the search page
with a query in its address: the bytes sent for everything under /pagefind/. Recall:
each rare word of bench/gencases.py is in exactly k cases; found k of k?

Portal: a fresh database with N proposals (tests/bulk.py), `portal serve --workers 4`
on 127.0.0.1, and for each page in turn, `--clients` concurrent clients for
`--seconds`: p50/p95/p99 and errors. SQLite always, PostgreSQL with `--database-url`
(a new database on that server, dropped afterwards).

Writes `--output` (machine, versions, N, load average, every figure's runs, min and
median) and prints a Markdown table with each target met or not met.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH), str(ROOT / "tools")]

import gencases  # noqa: E402

HOST = "127.0.0.1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "bench-fields-at-dawn"
LIBRARIES = (
    "flask",
    "frozen-flask",
    "jinja2",
    "werkzeug",
    "markdown",
    "bleach",
    "pyyaml",
    "pagefind",
    "pagefind-bin",
    "sqlalchemy",
    "gunicorn",
    "psycopg",
    "playwright",
)
# A common word for the first-query figure (one of gencases.CROPS, in many cases).
COMMON_WORD = "咖啡"


def figure(values: list[float], unit: str) -> dict[str, Any]:
    """A measured figure: every run, the fastest (min) and the median."""
    return {"unit": unit, "min": min(values), "median": statistics.median(values), "runs": values}


# --- freeze ------------------------------------------------------------------------------------


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and every process below it, from /proc."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total / 1024


def step(*arguments: str) -> dict[str, Any]:
    """Run bench/buildstep.py in a fresh process, sampling its process tree's memory."""
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "buildstep.py"), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"buildstep {arguments[0]} failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_tree_mb"] = max(peak, result["maxrss_self_mb"], result["maxrss_children_mb"])
    return result


def site_urls(site: Path) -> list[str]:
    """The URLs of a frozen site's files, except the search index and service files."""
    urls = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site)
        if not path.is_file() or relative.parts[0] == "pagefind" or path.name in ("_headers", ".gitkeep"):
            continue
        url = "/" + relative.as_posix()
        urls.append(url[: -len("index.html")] if url.endswith("/index.html") or url == "/index.html" else url)
    return urls


def clear_build(build_dir: Path) -> None:
    """An empty start: no site and none of the caches a build keeps beside it."""
    shutil.rmtree(build_dir, ignore_errors=True)
    shutil.rmtree(build_dir.parent / ".showcase-cache", ignore_errors=True)
    for leftover in build_dir.parent.glob(f".{build_dir.name}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink()


def freeze_folder(work: Path, count: int) -> tuple[Path, Path, list[Path]]:
    folder = work / f"freeze-{count}"
    proposals = folder / "proposals"
    if not proposals.is_dir():
        started = time.perf_counter()
        gencases.generate(proposals, count)
        log(f"  generated {count} cases in {time.perf_counter() - started:.1f} s")
    return proposals, folder / "build", sorted(proposals.glob("*/*.md"))


def freeze_part(work: Path, sizes: list[int], repeats: int, big_repeats: int) -> dict[str, Any]:
    runs: dict[int, dict[str, list[dict[str, Any]]]] = {n: {} for n in sizes}
    largest = max(sizes)
    for repeat in range(repeats):
        for count in sizes:
            if count == largest and len(sizes) > 1 and repeat >= big_repeats:
                continue
            proposals, build_dir, paths = freeze_folder(work, count)
            log(f"freeze N={count}, repeat {repeat + 1}")
            clear_build(build_dir)
            measured = {"full": step("build", str(proposals), str(build_dir))}
            measured["no_change"] = step("build", str(proposals), str(build_dir))
            changed = paths[(count // 2 + 7919 * repeat) % len(paths)]
            changed.write_text(changed.read_text("utf-8").replace("theme: ", f"theme: 更新{repeat}", 1), "utf-8")
            measured["one_change"] = step("build", str(proposals), str(build_dir))
            urls = build_dir.parent / "urls.txt"
            urls.write_text("\n".join(site_urls(build_dir)), "utf-8")
            floor_dir = build_dir.parent / "floor"
            shutil.rmtree(floor_dir, ignore_errors=True)
            measured["floor"] = step("floor", str(proposals), str(floor_dir), str(urls))
            for name, result in measured.items():
                runs[count].setdefault(name, []).append(result)
                log(
                    f"  {name:<10} {result['wall']:7.2f} s wall {result['cpu']:7.2f} s CPU "
                    f"{result['peak_tree_mb']:7.0f} MB {result.get('pages', 0)} pages"
                )
    figures: dict[str, Any] = {}
    for count, steps in runs.items():
        full, floor = steps["full"], steps["floor"]
        pages = full[0]["pages"]
        mine: dict[str, Any] = {"cases": count, "pages": pages, "repeats": len(full)}
        for name, results in steps.items():
            mine[f"{name}_wall_s"] = figure([r["wall"] for r in results], "s")
            mine[f"{name}_cpu_s"] = figure([r["cpu"] for r in results], "s")
            mine[f"{name}_peak_mb"] = figure([r["peak_tree_mb"] for r in results], "MB")
        mine["full_ms_per_page"] = figure([1000 * r["wall"] / pages for r in full], "ms")
        mine["full_pages_per_s"] = figure([pages / r["wall"] for r in full], "pages/s")
        mine["floor_ms_per_page"] = figure([1000 * r["wall"] / pages for r in floor], "ms")
        mine["full_over_floor"] = figure([f["wall"] / g["wall"] for f, g in zip(full, floor, strict=True)], "×")
        mine["full_over_floor_cpu"] = figure([f["cpu"] / g["cpu"] for f, g in zip(full, floor, strict=True)], "×")
        mine["no_change_share"] = figure(
            [n["wall"] / f["wall"] for n, f in zip(steps["no_change"], full, strict=True)], "of full"
        )
        mine["one_change_files_written"] = steps["one_change"][0]["written"]
        mine["steps"] = steps  # every step's own report, for reading the figures above
        figures[str(count)] = mine
    if len(sizes) > 1:
        small, big = str(min(sizes)), str(largest)
        figures["scale"] = {
            "from": int(small),
            "to": int(big),
            "cases_ratio": int(big) / int(small),
            "pages_ratio": figures[big]["pages"] / figures[small]["pages"],
            "wall_ratio": figures[big]["full_wall_s"]["median"] / figures[small]["full_wall_s"]["median"],
            "cpu_ratio": figures[big]["full_cpu_s"]["median"] / figures[small]["full_cpu_s"]["median"],
        }
    return figures


# --- search -------------------------------------------------------------------------------------

COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".csv", ".geojson")
QUERY = """async (word) => {
  const pagefind = await import(new URL("pagefind/pagefind.js", document.baseURI.replace(/(en\\/)?search\\/.*$/, "")));
  // As the search page asks: Chinese spaced into characters, in order (static/js/search.js).
  const found = await pagefind.search(window.showcaseSearch.term(word));
  const pages = await Promise.all(found.results.map((result) => result.data()));
  return pages.map((page) => page.url).sort();
}"""


def static_server(site: Path) -> tuple[Any, list[tuple[str, int]]]:
    """A loopback server for `site` that gzips text files as a static host would and
    records (path, bytes sent, headers included) of every response."""
    import gzip
    import http.server
    import mimetypes

    sent: list[tuple[str, int]] = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            target = site / path.lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or ".." in Path(path).parts:
                self.send_error(404)
                return
            body = target.read_bytes()
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if target.suffix == ".wasm":
                kind = "application/wasm"
            headers = [("Content-Type", kind)]
            if target.suffix in COMPRESSIBLE and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, compresslevel=6)
                headers.append(("Content-Encoding", "gzip"))
            headers.append(("Content-Length", str(len(body))))
            self.send_response(200)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            head = len(f"HTTP/1.1 200 OK\r\n{''.join(f'{n}: {v}' + chr(13) + chr(10) for n, v in headers)}\r\n")
            with lock:
                sent.append((path, head + len(body)))

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sent


def search_part(work: Path, count: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    proposals, build_dir, _paths = freeze_folder(work, count)
    if not (build_dir / "pagefind").is_dir():
        clear_build(build_dir)
        step("build", str(proposals), str(build_dir))
    log(f"search N={count}")
    server, sent = static_server(build_dir)
    base = f"http://{HOST}:{server.server_address[1]}/"
    expected = gencases.rare_cases(count)
    slugs = sorted(proposals.glob("*/*.md"), key=lambda p: p.stem)
    by_number = {int(p.stem.split("-")[1]): p.stem for p in slugs}
    recall: dict[str, Any] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                sent.clear()
                page.goto(base + "search/?q=" + urllib.parse.quote(COMMON_WORD))
                page.locator(".pagefind-ui__result-link").first.wait_for(timeout=30_000)
                page.wait_for_load_state("networkidle")
                first = list(sent)
                page.close()
                for word, numbers in expected.items():
                    page = browser.new_page()
                    page.goto(base + "search/")
                    found = page.evaluate(QUERY, word)
                    page.close()
                    want = sorted(f"/cases/{by_number[n]}/" for n in numbers)
                    recall[word] = {
                        "expected": len(want),
                        "found": len(set(want) & set(found)),
                        "results": len(found),
                    }
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    pagefind = sum(size for path, size in first if path.startswith("/pagefind/"))
    return {
        "cases": count,
        "query": COMMON_WORD,
        "first_query_pagefind_kb": pagefind / 1000,
        "first_query_page_kb": sum(size for _path, size in first) / 1000,
        "first_query_files": len([p for p, _s in first if p.startswith("/pagefind/")]),
        "first_query_sent": [{"path": p, "bytes": size} for p, size in first],
        "recall": recall,
        "recall_found": sum(r["found"] for r in recall.values()),
        "recall_expected": sum(r["expected"] for r in recall.values()),
    }


# --- portal -------------------------------------------------------------------------------------

PAGES = ("section_save", "township_list", "ranking", "brief")
SECTIONS = (("dna", "summary"), ("consensus", "vision"), ("businesses", "summary"))


def portal_setup(folder: Path, url: str, count: int, clients: int) -> dict[str, Any]:
    """A migrated database with the reference data and `count` proposals; the drafts of
    the township account, for the section saves (one section of one draft per client,
    so no two clients save the same section; drafts are added when there are too few)."""
    from portal_queries import portal
    from sqlalchemy import select

    from portal import db, operations
    from portal.db.models import Proposal
    from portal.domain.proposal import ProposalType
    from tests import bulk

    app, people = portal(folder, count, url)
    database = db.database(app)
    with database.session() as session:
        drafts = list(
            session.scalars(
                select(Proposal.id)
                .where(Proposal.status == "draft", Proposal.lead_township_code == bulk.PULI)
                .where(Proposal.author_county_code.is_(None))
                .order_by(Proposal.id)
            )
        )
        while len(drafts) * len(SECTIONS) < clients:
            extra = operations.create_proposal(
                session,
                people.township,
                cycle="2026",
                proposal_type=ProposalType.TOWNSHIP,
                lead_township_code=bulk.PULI,
                title=f"壓測草稿 {len(drafts) + 1}",
            )
            session.commit()
            drafts.append(extra.id)
        emails = {"township": people.township.email, "admin": people.admin.email}
        brief = session.scalar(
            select(Proposal.id).where(Proposal.lead_township_code == bulk.PULI).order_by(Proposal.id)
        )
    database.engine.dispose()
    return {"drafts": drafts, "emails": emails, "brief": brief}


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def load_phase(base: str, setup: dict[str, Any], page: str, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` threads on one page for `seconds`; latencies of the measured request."""
    import loadcheck

    tally = loadcheck.Tally()
    latencies: list[float] = []
    unexpected: list[str] = []
    lock = threading.Lock()
    deadline = [0.0]

    def start_clock() -> None:  # run once by the barrier, before any client is let go
        deadline[0] = time.perf_counter() + seconds

    ready = threading.Barrier(clients + 1, action=start_clock)
    slots = [(d, s) for d in setup["drafts"] for s in SECTIONS]

    def worker(number: int) -> None:
        role = "admin" if page == "ranking" else "township"
        client = loadcheck.Client(base, setup["emails"][role], PASSWORD, tally)
        logged_in = client.login()
        proposal, (section, field) = slots[number % len(slots)]

        def once(count: int) -> tuple[float, int, int]:
            if page == "section_save":
                path = f"/proposals/{proposal}/edit/{section}"
                status, html = client.request(path)
                form = [(k, v) for k, v in loadcheck.form_of(html) if k != field]
                form.append((field, f"壓測 {number} 第 {count} 次儲存"))
                started = time.perf_counter()
                status, _ = client.request(path, form)
                return time.perf_counter() - started, status, 302
            path = {
                "township_list": "/",
                "ranking": "/review/ranking?cycle=2026",
                "brief": f"/proposals/{setup['brief']}/brief",
            }[page]
            started = time.perf_counter()
            status, _ = client.request(path)
            return time.perf_counter() - started, status, 200

        if logged_in:
            once(0)  # warm up
        ready.wait()
        count = 1
        while logged_in and time.perf_counter() < deadline[0]:
            took, status, want = once(count)
            count += 1
            with lock:
                latencies.append(took * 1000)
                if status != want:
                    unexpected.append(f"HTTP {status}")
        if not logged_in:
            with lock:
                unexpected.append("login failed")

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if not latencies:
        latencies = [float("nan")]
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "errors": sum(tally.errors.values()) + len(unexpected),
        "error_kinds": sorted(set(tally.errors) | set(unexpected)),
    }


def portal_part(work: Path, count: int, clients: int, seconds: float, server_url: str | None) -> dict[str, Any]:
    import loadcheck
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.pool import NullPool

    folder = work / ("portal-postgresql" if server_url else "portal-sqlite")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    drop = None
    if server_url:
        drop = f"portal_bench_{os.getpid()}"
        admin = create_engine(make_url(server_url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{drop}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{drop}"')
        url = make_url(server_url).set(database=drop).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'portal.db'}"
    kind = "postgresql" if server_url else "sqlite"
    log(f"portal ({kind}): {count} proposals")
    try:
        setup = portal_setup(folder, url, count, clients)
        port = loadcheck.free_port()
        environment = {
            **os.environ,
            "PORTAL_ENV": "development",
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
            "PORTAL_DATABASE_URL": url,
            "PORTAL_PROPOSALS_DIR": str(folder / "proposals"),
            "PORTAL_BUILD_DIR": str(folder / "build"),
            "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
        }
        command = [sys.executable, "-m", "portal", "serve", "--workers", "4", "--bind", f"{HOST}:{port}"]
        with (folder / "serve.log").open("ab") as log_file:
            server = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        base = f"http://{HOST}:{port}"
        try:
            wait_for(base + "/auth/login", server)
            pages = {}
            for page in PAGES:
                pages[page] = load_phase(base, setup, page, clients, seconds)
                log(
                    f"  {page:<14} p50 {pages[page]['p50_ms']:7.1f} p95 {pages[page]['p95_ms']:7.1f} "
                    f"p99 {pages[page]['p99_ms']:7.1f} ms, {pages[page]['requests']} requests, "
                    f"{pages[page]['errors']} errors"
                )
        finally:
            import signal

            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    finally:
        if drop:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
            admin.dispose()
    return {"database": kind, "proposals": count, "clients": clients, "seconds": seconds, "workers": 4, **pages}


def wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("portal serve exited; see serve.log")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"the portal did not answer on {url}")


# --- targets and the table ----------------------------------------------------------------------


def _get(results: dict[str, Any], path: str) -> float | None:
    value: Any = results
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if isinstance(value, dict):
        value = value.get("median")
    return float(value) if isinstance(value, int | float) else None


# (row label, path into results, "≤" or "=", the target value, how it is printed)
Target = tuple[str, str, str, float, str]


def targets(results: dict[str, Any]) -> list[Target]:
    """The targets of issue 11, item 4 (2-core machine, the run's medians)."""
    rows: list[Target] = []
    freeze = results.get("freeze", {})
    sizes = sorted(int(k) for k in freeze if k.isdigit())
    for n in sizes:
        rows += [
            (f"full freeze, ms per page ({n:,} cases)", f"freeze.{n}.full_ms_per_page", "≤", 4, "≤ 4 ms"),
            (f"full freeze ÷ floor ({n:,} cases)", f"freeze.{n}.full_over_floor", "≤", 2, "≤ 2×"),
            (f"no-change build ÷ full ({n:,} cases)", f"freeze.{n}.no_change_share", "≤", 0.10, "≤ 10 %"),
        ]
    if sizes:
        small, big = min(sizes), max(sizes)
        rows.append((f"one case changed, s ({small:,} cases)", f"freeze.{small}.one_change_wall_s", "≤", 2, "≤ 2 s"))
        rows.append((f"peak memory, MB ({big:,} cases)", f"freeze.{big}.full_peak_mb", "≤", 600, "≤ 600 MB"))
    if "scale" in freeze:
        s = freeze["scale"]
        label = f"full freeze {s['to']:,} ÷ {s['from']:,} cases, wall"
        rows.append((label, "freeze.scale.wall_ratio", "≤", 5.5, "≤ 5.5×"))
        rows.append((label.replace("wall", "CPU"), "freeze.scale.cpu_ratio", "≤", 5.5, "≤ 5.5×"))
    if "search" in results:
        rows.append(("first Chinese search, kB transferred", "search.first_query_pagefind_kb", "≤", 300, "≤ 300 kB"))
        total = results["search"]["recall_expected"]
        rows.append(("search recall, cases found", "search.recall_found", "=", total, f"{total} of {total}"))
    for portal in results.get("portal", []):
        for page in PAGES:
            where = f"portal.{portal['database']}.{page}"
            rows.append((f"portal p95, {page} ({portal['database']})", f"{where}.p95_ms", "≤", 150, "≤ 150 ms"))
            rows.append((f"portal errors, {page} ({portal['database']})", f"{where}.errors", "=", 0, "0"))
    return rows


def table(results: dict[str, Any]) -> str:
    flat = {**results, "portal": {p["database"]: p for p in results.get("portal", [])}}
    lines = ["| figure | median | min | target | met |", "|---|---:|---:|---|---|"]
    verdicts = []
    for label, path, kind, limit, shown in targets(results):
        value = _get(flat, path)
        fastest: Any = flat
        for key in path.split("."):
            fastest = fastest.get(key) if isinstance(fastest, dict) else None
        low = fastest.get("min") if isinstance(fastest, dict) else value
        met = value is not None and (value <= limit if kind == "≤" else value == limit)
        verdicts.append({"figure": label, "median": value, "target": shown, "met": met})
        lines.append(f"| {label} | {number(value)} | {number(low)} | {shown} | {'met' if met else '**not met**'} |")
    results["targets"] = verdicts
    return "\n".join(lines)


def number(value: Any) -> str:
    if value is None:
        return "–"
    value = float(value)
    if value != value:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def machine() -> dict[str, Any]:
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    except OSError:
        pass
    versions = {}
    for library in LIBRARIES:
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            versions[library] = None

    def git(*arguments: str) -> str:
        try:
            return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    commit = git("rev-parse", "--short", "HEAD").strip()
    # Files changed but not committed when the run started (the figures may include them).
    changed = sorted(line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines())
    return {
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit,
        "uncommitted_changes": changed,
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--freeze", action="store_true", help="run the freeze part")
    parser.add_argument("--search", action="store_true", help="run the search part")
    parser.add_argument("--portal", action="store_true", help="run the portal part")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (20 cases, 30 proposals, 2 s)")
    parser.add_argument("--cases", default="1000,5000", help="freeze sizes, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="freeze repeats")
    parser.add_argument("--big-repeats", type=int, default=1, help="repeats of the largest freeze size")
    parser.add_argument("--search-cases", type=int, default=1000)
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15, help="load time per portal page")
    parser.add_argument("--database-url", help="also measure the portal on this PostgreSQL server")
    parser.add_argument("--work", type=Path, help="work folder (kept); a temporary one by default")
    parser.add_argument("--output", type=Path, default=BENCH / "results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.cases, args.repeats, args.big_repeats, args.search_cases = "20", 1, 1, 20
        args.proposals, args.clients, args.seconds = 30, 4, 2
    everything = not (args.freeze or args.search or args.portal)
    sizes = sorted({int(n) for n in args.cases.split(",")})
    work = args.work or Path(tempfile.mkdtemp(prefix="portal-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": machine(),
        "load_average_start": list(os.getloadavg()),
        "quick": args.quick,
        "n": {},
    }
    started = time.perf_counter()
    parts: list[tuple[str, Callable[[], Any]]] = []
    if everything or args.freeze:
        results["n"]["freeze_cases"] = sizes
        parts.append(("freeze", lambda: freeze_part(work, sizes, args.repeats, args.big_repeats)))
    if everything or args.search:
        results["n"]["search_cases"] = args.search_cases
        parts.append(("search", lambda: search_part(work, args.search_cases)))
    if everything or args.portal:
        results["n"]["proposals"] = args.proposals

        def portal() -> list[dict[str, Any]]:
            found = [portal_part(work, args.proposals, args.clients, args.seconds, None)]
            if args.database_url:
                found.append(portal_part(work, args.proposals, args.clients, args.seconds, args.database_url))
            return found

        parts.append(("portal", portal))
    try:
        for name, part in parts:
            results[name] = part()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    results["load_average_end"] = list(os.getloadavg())
    results["seconds"] = time.perf_counter() - started
    shown = table(results)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(shown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
