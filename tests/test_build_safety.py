"""Crash-safe showcase builds: a build killed at any step leaves a whole build/, the next
build cleans up after it, Pagefind dies with its build, the site is world-readable, and
build/_headers plus the nginx snippet carry the showcase's headers."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from portal import snapshot
from portal.config import PROJECT_ROOT
from portal.showcase import build as build_module
from portal.showcase import create_showcase_app
from portal.showcase.build import STEPS, build
from portal.showcase.headers import IMMUTABLE, SECURITY_HEADERS, SHORT, STATIC
from tests.test_publish import expected_case

CRASHED = 9  # the exit code of a build stopped at a step


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", folder)
    return folder


def showcase(tmp_path: Path, content: Path) -> Flask:
    return create_showcase_app({"CONTENT_DIR": str(content), "PROPOSALS_DIR": str(tmp_path / "proposals")})


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def publish_case(tmp_path: Path) -> None:
    """One published case, so that the build runs Pagefind."""
    target = tmp_path / "proposals" / "2026" / "puli-township-7.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(snapshot.dump(expected_case("puli-township-7", date(2026, 11, 2))), "utf-8")


def change_a_page(content: Path) -> None:
    faq = content / "faq.md"
    faq.write_text(faq.read_text("utf-8") + "\n## 新問題\n\n新的回答。\n", "utf-8")


def leftovers(tmp_path: Path) -> list[str]:
    """What builds left next to build/ (the lock file stays by design)."""
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".build") and p.name != ".build.lock")


def build_in_a_child(app: Flask, destination: Path, stop: Callable[[str], None]) -> int:
    """Run a build in a forked process whose `checkpoint` is `stop`; its exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves by os._exit, never returns to pytest
        code = 0
        try:
            build_module.checkpoint = stop
            build(app, destination)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def crash_at(step: str) -> Callable[[str], None]:
    """Stop the process at `step` the way a kill does: no `finally`, no cleanup."""

    def stop(reached: str) -> None:
        if reached == step:
            os._exit(CRASHED)

    return stop


def test_a_build_passes_every_step_in_order(tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publish_case(tmp_path)
    reached: list[str] = []
    monkeypatch.setattr(build_module, "checkpoint", reached.append)

    build(showcase(tmp_path, content), tmp_path / "build")
    first = list(reached)
    reached.clear()
    change_a_page(content)  # with nothing changed a build stops after "cleaned" (test_freeze_cache)
    build(showcase(tmp_path, content), tmp_path / "build")

    # A first build has no old site to swap out.
    assert first == [step for step in STEPS if step != "swapping"]
    assert reached == list(STEPS)


# Without a case there is no Pagefind run; "indexing" is crashed into below, with a case.
STEPS_WITHOUT_SEARCH = [step for step in STEPS if step != "indexing"]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("step", STEPS_WITHOUT_SEARCH)
def test_a_crash_at_any_step_leaves_the_old_or_the_new_site(
    tmp_path: Path, content: Path, step: str, exchange: bool
) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    old = files(destination)
    change_a_page(content)
    build(showcase(tmp_path, content), tmp_path / "reference")
    new = files(tmp_path / "reference")
    assert old != new

    def stop(reached: str) -> None:
        if not exchange:
            # A file system that cannot exchange two folders: the two-rename fallback.
            build_module._exchange = lambda first, second: False
        crash_at(step)(reached)

    code = build_in_a_child(showcase(tmp_path, content), destination, stop)

    assert code == CRASHED
    if step == "swapping" and not exchange:
        # Between the two renames: the old site waits beside build/ for the next build.
        [retired] = [p for p in tmp_path.iterdir() if p.name.startswith(".build-old-")]
        assert (destination.exists(), files(retired)) == (False, old)
    else:
        assert files(destination) == (new if step in ("swapping", "done") else old)
    # The next build finds the site whole again and leaves nothing behind.
    build(showcase(tmp_path, content), destination)
    assert files(destination) == new
    assert leftovers(tmp_path) == []


def test_a_crash_during_indexing_kills_pagefind_and_keeps_the_old_site(tmp_path: Path, content: Path) -> None:
    publish_case(tmp_path)
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    old = files(destination)
    change_a_page(content)
    record = tmp_path / "children.txt"

    def stop(reached: str) -> None:
        if reached == "indexing":
            # Note Pagefind's process id, then die by SIGKILL: no `finally` runs.
            me = str(os.getpid())
            children = [
                entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit() and _parent_of(entry.name) == me
            ]
            record.write_text(" ".join(children))
            os.kill(os.getpid(), signal.SIGKILL)

    code = build_in_a_child(showcase(tmp_path, content), destination, stop)

    assert code == -signal.SIGKILL
    [pagefind] = record.read_text().split()
    assert _ended(pagefind, within=10)
    # Pagefind was killed before it wrote its index into the unfinished build.
    # The unfinished build and the copies of its pages Pagefind was reading.
    staging, source = sorted(p for p in tmp_path.iterdir() if p.name.startswith(".build-new-"))
    assert source.name == f"{staging.name}-search"
    assert not (staging / "pagefind" / "pagefind.js").exists()
    assert files(destination) == old
    build(showcase(tmp_path, content), destination)
    assert (destination / "pagefind" / "pagefind.js").is_file()
    assert "新的回答。" in (destination / "faq" / "index.html").read_text("utf-8")
    assert leftovers(tmp_path) == []


def _parent_of(pid: str) -> str | None:
    try:
        # /proc/PID/stat: "pid (name) state ppid ..."; the name may hold spaces.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None


def _ended(pid: str, within: float) -> bool:
    """True once the process is gone or a zombie (a container's init may not reap it)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_stale_folders_are_removed_only_once_no_build_holds_the_lock(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    stale_new = tmp_path / ".build-new-k1ll3d"
    stale_old = tmp_path / ".build-old-4242"
    for folder in (stale_new, stale_old):
        (folder / "cases").mkdir(parents=True)
        (folder / "cases" / "index.html").write_text("半套網站")
    other_site = tmp_path / ".site-new-busy"  # another destination's build: not ours to remove
    other_site.mkdir()

    with (tmp_path / ".build.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a build in progress
        waiting = threading.Thread(target=build, args=(showcase(tmp_path, content), destination))
        waiting.start()
        time.sleep(0.5)
        still_there = (stale_new.exists(), stale_old.exists())
        fcntl.flock(lock, fcntl.LOCK_UN)
    waiting.join(timeout=60)

    assert still_there == (True, True)
    assert (waiting.is_alive(), leftovers(tmp_path), other_site.exists()) == (False, [], True)


def test_build_is_world_readable_whatever_the_umask_and_earlier_modes(tmp_path: Path, content: Path) -> None:
    publish_case(tmp_path)
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    os.chmod(destination, 0o700)  # as the earlier mkdtemp-made builds were
    os.chmod(destination / "index.html", 0o600)
    change_a_page(content)

    previous = os.umask(0o077)
    try:
        build(showcase(tmp_path, content), destination)
    finally:
        os.umask(previous)

    modes = {
        str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in [destination, *destination.rglob("*")]
    }
    assert modes == {name: 0o755 if (tmp_path / name).is_dir() else 0o644 for name in modes}
    assert len(modes) > 100 and "build/pagefind/pagefind.js" in modes


# --- the showcase's headers ------------------------------------------------------------------


def parse_headers_file(text: str) -> list[tuple[str, dict[str, str]]]:
    rules: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("/"):
            rules.append((line.strip(), {}))
        else:
            name, _, value = line.strip().partition(": ")
            rules[-1][1][name] = value
    return rules


def matches(rule: str, url: str) -> bool:
    """A rule of `_headers` as Netlify and Cloudflare Pages read one: exact, or a prefix
    ending in a splat."""
    return url.startswith(rule[:-1]) if rule.endswith("*") else url == rule


def test_headers_file_has_the_security_headers_and_one_cache_rule_per_file(tmp_path: Path, content: Path) -> None:
    publish_case(tmp_path)
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)

    rules = parse_headers_file((destination / "_headers").read_text("utf-8"))

    assert rules[0] == ("/*", SECURITY_HEADERS)
    assert "script-src 'self' 'wasm-unsafe-eval'" in SECURITY_HEADERS["Content-Security-Policy"]
    assert all(list(headers) == ["Cache-Control"] for _, headers in rules[1:])
    urls = ["/", *("/" + name for name in files(destination) if name not in ("_headers", ".gitkeep"))]
    cache = {url: [h["Cache-Control"] for rule, h in rules[1:] if matches(rule, url)] for url in urls}

    def expected(url: str) -> list[str]:
        if re.fullmatch(r"/pagefind/(fragment|index|filter)/.+", url):
            return [IMMUTABLE]
        if re.fullmatch(r"/pagefind/pagefind\..+\.pf_meta", url):
            return []  # named by its hash: the host's default (revalidate) applies
        if url.startswith("/static/"):
            return [STATIC]
        return [SHORT]

    assert cache == {url: expected(url) for url in urls}
    assert {
        "/index.html",
        "/cases/puli-township-7/index.html",
        "/pagefind/pagefind.js",
        "/static/css/portal.css",
    } < set(urls)
    assert any(url.endswith(".pf_fragment") for url in urls)


def test_headers_file_is_the_same_when_nothing_changed(tmp_path: Path, content: Path) -> None:
    publish_case(tmp_path)
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    before = files(destination)

    build(showcase(tmp_path, content), destination)

    after = files(destination)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    # Pagefind names some index files differently on each run; nothing else changes, the
    # headers file included (it names none of those files).
    assert after["_headers"] == before["_headers"]
    assert {name for name in changed if not name.startswith("pagefind/")} == set()


NGINX = PROJECT_ROOT / "tools" / "deploy" / "nginx-showcase.conf"


def test_nginx_snippet_sends_the_same_headers_and_pagefind_types() -> None:
    text = NGINX.read_text("utf-8")

    added = dict(re.findall(r'^\s*add_header\s+(\S+)\s+"?(.*?)"?\s+always;$', text, re.M))
    types = dict(re.findall(r"^\s*(application/\S+)\s+([^;]+);$", text, re.M))
    cache = dict(re.findall(r'^\s*(default|~\S+)\s+"([^"]+)";$', text, re.M))

    assert added == {**SECURITY_HEADERS, "Cache-Control": "$showcase_cache_control"}
    assert types == {
        "application/wasm": "pagefind",
        "application/octet-stream": "pf_fragment pf_index pf_meta pf_filter",
        "application/geo+json": "geojson",
    }
    assert cache == {
        "default": SHORT,
        "~^/static/": STATIC,
        "~^/pagefind/(fragment|index|filter)/": IMMUTABLE,
    }
