"""Freezing the showcase into `build/`: all or nothing, and only what changed.

The new site is frozen into a temporary folder next to `build/`, starting from a copy
of the previous build (modification times kept, so Frozen-Flask rewrites only files
whose content changed), and swapped in only when every page rendered. A failure
leaves the previous site exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_frozen import Freezer, MissingURLGeneratorWarning

from portal.showcase import site


@dataclass(frozen=True)
class BuildSummary:
    written: int
    unchanged: int
    removed: int
    seconds: float

    @property
    def text(self) -> str:
        return (
            f"完成：寫入 {self.written} 個檔案，未變動 {self.unchanged} 個，"
            f"移除 {self.removed} 個，耗時 {self.seconds:.1f} 秒。"
        )


def _fingerprints(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file() and path.name != ".gitkeep"
    }


@contextlib.contextmanager
def _exclusive(destination: Path) -> Iterator[None]:
    """One build at a time per destination (two admins pressing "rebuild", or the button
    during a `portal freeze`): the second waits, then builds on the first one's result."""
    with (destination.parent / f".{destination.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(app: Flask, destination: Path, progress: Callable[[str], None] | None = None) -> BuildSummary:
    """Freeze `app` into `destination`, atomically. Raises whatever broke the build."""
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(destination):
        return _build(app, destination, progress)


def _build(app: Flask, destination: Path, progress: Callable[[str], None] | None) -> BuildSummary:
    started = time.monotonic()
    before = _fingerprints(destination)
    staging = Path(tempfile.mkdtemp(prefix=".build-new-", dir=destination.parent))
    try:
        if destination.is_dir():
            shutil.copytree(destination, staging, dirs_exist_ok=True, copy_function=shutil.copy2)
        app.config["FREEZER_DESTINATION"] = str(staging)
        freezer = Freezer(app, with_static_files=True)
        freezer.register_generator(site.url_generators)
        with warnings.catch_warnings():
            # No published case yet means no case pages: a valid, if small, site.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            for page in freezer.freeze_yield():
                if progress is not None:
                    progress(page.url)
        index_search(staging)
        (staging / ".gitkeep").touch()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    after = _fingerprints(staging)
    _swap(staging, destination)
    return BuildSummary(
        written=sum(1 for name, digest in after.items() if before.get(name) != digest),
        unchanged=sum(1 for name, digest in after.items() if before.get(name) == digest),
        removed=len(before.keys() - after.keys()),
        seconds=time.monotonic() - started,
    )


# The pages the search covers: every case, in Chinese and in English.
CASE_PAGES = "{cases,en/cases}/*/index.html"


class SearchIndexError(RuntimeError):
    """Pagefind could not index the site; the build stops and the old site stays."""


def index_search(site: Path) -> None:
    """Index the frozen case pages with Pagefind (the build that segments Chinese words)
    into `site/pagefind/`. The freezer removes the previous index with every other file
    it did not write, so each build indexes again and the index always matches the pages.
    Only case pages are indexed; a site without cases has no index (the search page says so)."""
    if not any(site.glob("cases/*/index.html")):
        return
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--glob", CASE_PAGES, "--silent"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (site / "pagefind" / "pagefind.js").is_file():
        raise SearchIndexError(f"Pagefind 建立搜尋索引失敗：{(done.stderr or done.stdout).strip()[-500:]}")


def _swap(staging: Path, destination: Path) -> None:
    """Two renames on one file system; the old site is deleted only after the new one is in."""
    retired = destination.parent / f".build-old-{os.getpid()}"
    if destination.exists():
        os.replace(destination, retired)
    os.replace(staging, destination)
    shutil.rmtree(retired, ignore_errors=True)
