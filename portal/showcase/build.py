"""Freezing the showcase into `build/`: all or nothing, crash-safe, and only what changed.

The new site is frozen into a temporary folder next to `build/` (`.build-new-*`),
starting from a copy of the previous build (modification times kept, so Frozen-Flask
rewrites only files whose content changed), indexed for search, and swapped in only
when every page rendered. A failure leaves the previous site exactly as it was.

A build killed at any moment (power cut, OOM killer, `kill -9`) also leaves a complete
`build/`, old or new: the swap exchanges the two folders in one atomic step
(`renameat2(RENAME_EXCHANGE)` on Linux), so `build/` always exists. Where the file
system cannot exchange, it falls back to two renames, and the next build puts the old
site back if a crash came between them. The next build also removes the folders a
killed build left behind, and the Pagefind process dies with the build that started it.
Every file of `build/` is world-readable (folders 0755, files 0644), so a web server
running as another user can serve it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import signal
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

from portal import rarefont, text
from portal.showcase import fonts, search, site
from portal.showcase.cases import cache_file
from portal.showcase.headers import SERVICE_FILES, write_headers_file
from portal.snapshot import FrontMatterCache


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
        if path.is_file() and str(path.relative_to(root)) not in SERVICE_FILES
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


# The steps of a build, in order ("indexing": Pagefind is running, only when there are
# cases; "swapping": the new site is in place and the old one not yet deleted, or between
# the two renames of the fallback; not on a first build). `checkpoint` is called after
# each one; tests replace it to stop a build there the way a kill would, and check that
# build/ is still whole.
STEPS = ("cleaned", "staged", "copied", "frozen", "indexing", "indexed", "finished", "swapping", "done")


def checkpoint(step: str) -> None:
    """Called after each step of `STEPS`; does nothing."""


def build(app: Flask, destination: Path, progress: Callable[[str], None] | None = None) -> BuildSummary:
    """Freeze `app` into `destination`, atomically. Raises whatever broke the build."""
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(destination):
        _recover(destination)
        checkpoint("cleaned")
        return _build(app, destination, progress)


def _leftovers(destination: Path, kind: str) -> list[Path]:
    """Folders of earlier builds: `kind` "new" (staging) or "old" (a retired site)."""
    return sorted(destination.parent.glob(f".{destination.name}-{kind}-*"))


def _recover(destination: Path) -> None:
    """Run with the lock held, so no other build is using these folders: put back the
    old site if a crash came between the two renames of the fallback swap, then remove
    whatever killed builds left behind."""
    retired = _leftovers(destination, "old")
    if not destination.exists() and retired:
        os.replace(max(retired, key=lambda p: p.stat().st_mtime), destination)
    for leftover in _leftovers(destination, "new") + _leftovers(destination, "old"):
        shutil.rmtree(leftover, ignore_errors=True)


def _build(app: Flask, destination: Path, progress: Callable[[str], None] | None) -> BuildSummary:
    started = time.monotonic()
    before = _fingerprints(destination)
    inputs = _inputs(app)
    if _manifest(destination) == {"inputs": inputs, "output": _digest(before)}:
        # Nothing the site is made from changed, and build/ is what the last build left.
        return BuildSummary(written=0, unchanged=len(before), removed=0, seconds=time.monotonic() - started)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-new-", dir=destination.parent))
    try:
        checkpoint("staged")
        if destination.is_dir():
            shutil.copytree(destination, staging, dirs_exist_ok=True, copy_function=shutil.copy2)
        checkpoint("copied")
        app.config["FREEZER_DESTINATION"] = str(staging)
        freezer = Freezer(app, with_static_files=False)
        freezer.register_generator(site.url_generators)
        freezer.register_generator(fonts.url_generators)
        freezer.register_generator(lambda: _static_files(app))
        with warnings.catch_warnings():
            # No published case yet means no case pages: a valid, if small, site.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            for page in freezer.freeze_yield():
                if progress is not None:
                    progress(page.url)
        checkpoint("frozen")
        index_search(staging)
        checkpoint("indexed")
        write_headers_file(staging)
        (staging / ".gitkeep").touch()
        _make_readable(staging)
        checkpoint("finished")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    after = _fingerprints(staging)
    _swap(staging, destination)
    _keep_renderings(app, destination)
    _write_manifest(destination, {"inputs": inputs, "output": _digest(after)})
    checkpoint("done")
    return BuildSummary(
        written=sum(1 for name, digest in after.items() if before.get(name) != digest),
        unchanged=sum(1 for name, digest in after.items() if before.get(name) == digest),
        removed=len(before.keys() - after.keys()),
        seconds=time.monotonic() - started,
    )


# Files of the shared static folder that only the portal's forms use: the site has no
# forms, so the build leaves them out.
PORTAL_ONLY_STATIC = frozenset({"css/autosave.css", "js/autosave.js", "js/picker.js"})


def _static_files(app: Flask) -> Iterator[tuple[str, dict[str, str]]]:
    """Every file of the static folder the site may use, for the freezer."""
    root = Path(app.static_folder or "")
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name not in PORTAL_ONLY_STATIC:
            yield "static", {"filename": name}


# Libraries whose version can change what a build writes.
_LIBRARIES = (
    "flask",
    "frozen-flask",
    "jinja2",
    "werkzeug",
    "markdown",
    "bleach",
    "pyyaml",
    "pagefind",
    "babel",
    "fonttools",
    "brotli",
)


def _inputs(app: Flask) -> str:
    """A digest of everything a build is made from: the case files, the site pages, the
    templates, this package's code and data (static files included), the library
    versions, the rare-character source font (its size and time: it is large), the
    app's URL rules and its plain configuration values. Equal digests
    mean an equal site, so a build with nothing changed renders nothing."""
    digest = hashlib.sha256()
    roots = {
        "proposals": Path(app.config["PROPOSALS_DIR"]),
        "content": Path(app.config["CONTENT_DIR"]),
        "templates": Path(app.template_folder or ""),
        "static": Path(app.static_folder or ""),
        "code": Path(__file__).resolve().parent.parent,
    }
    for name, root in roots.items():
        paths = sorted(root.rglob("*")) if root.is_dir() else []
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{name}/{path.relative_to(root)}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library} {importlib.metadata.version(library)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{library} -\0".encode())
    source = rarefont.source_font(app.config.get("RARE_FONT"))
    if source is not None:
        stat = source.stat()
        digest.update(f"rare-font {stat.st_size} {stat.st_mtime_ns}\0".encode())
    rules = sorted((rule.rule, rule.endpoint, sorted(rule.methods or ())) for rule in app.url_map.iter_rules())
    config = {k: v for k, v in app.config.items() if isinstance(v, str | int | float | bool | type(None))}
    digest.update(json.dumps([rules, sorted(config.items())], default=str).encode())
    return digest.hexdigest()


def _digest(fingerprints: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(fingerprints.items())).encode()).hexdigest()


def _manifest_file(destination: Path) -> Path:
    return cache_file(destination, "manifest")


def _manifest(destination: Path) -> dict[str, str] | None:
    """What the last successful build was made from and what it wrote, or None."""
    try:
        found = json.loads(_manifest_file(destination).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _write_manifest(destination: Path, manifest: dict[str, str]) -> None:
    """Written after the swap: a build killed before it leaves the previous manifest,
    which no longer matches build/, so the next build does the work again."""
    path = _manifest_file(destination)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}-{os.getpid()}")
        temporary.write_text(json.dumps(manifest), "utf-8")
        os.replace(temporary, path)


def _keep_renderings(app: Flask, destination: Path) -> None:
    """Keep the narrative this build rendered and the front matter it parsed for the
    next one. Only an optimisation: a cache that cannot be written costs the next
    build time, never the site."""
    cache: text.RenderCache | None = app.extensions.get("showcase.render_cache")
    if cache is not None:
        with contextlib.suppress(OSError):
            cache.save(cache_file(destination))
    front: FrontMatterCache | None = app.extensions.get("showcase.front_cache")
    if front is not None:
        with contextlib.suppress(OSError):
            front.save(cache_file(destination, "front"))


def _make_readable(root: Path) -> None:
    """Folders 0755 and files 0644: the site is public, and the web server may run as
    another user (mkdtemp makes 0700, and a copied earlier build keeps its modes)."""
    os.chmod(root, 0o755)
    for folder, folders, names in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)


# The pages the search covers: every case, in Chinese and in English.
CASE_PAGES = "{cases,en/cases}/*/index.html"


class SearchIndexError(RuntimeError):
    """Pagefind could not index the site; the build stops and the old site stays."""


def index_search(site: Path) -> None:
    """Index the frozen case pages with Pagefind (the build that segments Chinese words)
    into `site/pagefind/`. The freezer removes the previous index with every other file
    it did not write, so each build indexes again and the index always matches the pages.
    Only case pages are indexed, from copies with a space between Chinese characters
    (`search.spaced_html`; the pages themselves are untouched); a site without cases has
    no index (the search page says so)."""
    pages = sorted(site.glob("cases/*/index.html")) + sorted(site.glob("en/cases/*/index.html"))
    if not any(site.glob("cases/*/index.html")):
        return
    # Named after the staging folder, so the next build removes it if this one is killed.
    source = site.parent / f"{site.name}-search"
    shutil.rmtree(source, ignore_errors=True)
    try:
        for page in pages:
            copy = source / page.relative_to(site)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(search.spaced_html(page.read_text("utf-8")), "utf-8")
        _run_pagefind(source, site / "pagefind")
    finally:
        shutil.rmtree(source, ignore_errors=True)


def _run_pagefind(source: Path, output: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(source),
        "--glob",
        CASE_PAGES,
        "--output-path",
        str(output),
        "--silent",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent(),
    )
    try:
        checkpoint("indexing")
        out, err = process.communicate()
    finally:
        # An exception here (Ctrl-C, a server shutting down) must not leave it running.
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0 or not (output / "pagefind.js").is_file():
        raise SearchIndexError(f"Pagefind 建立搜尋索引失敗：{(err or out).strip()[-500:]}")


# prctl(2): the signal the kernel sends a child when the thread that started it ends.
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a function for Popen's preexec_fn that has the kernel kill the child
    (Pagefind) when this process dies, even by SIGKILL, where no `finally` runs.
    `python -m pagefind` execs the Pagefind binary, which keeps the setting."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return set_death_signal


def _swap(staging: Path, destination: Path) -> None:
    """Put the finished site in place of `destination`, which exists throughout."""
    if not destination.exists():
        os.replace(staging, destination)  # the first build: nothing to keep
    elif _exchange(staging, destination):
        checkpoint("swapping")
        shutil.rmtree(staging, ignore_errors=True)  # now the old site
    else:
        # Two renames; a crash between them leaves the old site as .build-old-*, which
        # the next build puts back before it starts.
        retired = destination.parent / f".{destination.name}-old-{os.getpid()}"
        os.replace(destination, retired)
        checkpoint("swapping")
        os.replace(staging, destination)
        shutil.rmtree(retired, ignore_errors=True)


# renameat2(2) on Linux: swap two paths in one atomic step.
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically; False where the system or file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))
