"""HTTP headers for the frozen showcase: the `_headers` file every freeze writes into
`build/` (the format Netlify and Cloudflare Pages read), and the values that
`tools/deploy/nginx-showcase.conf` repeats for nginx.

The policy is the portal's, plus `'wasm-unsafe-eval'`: Pagefind compiles its search
index reader from WebAssembly (`pagefind/wasm.*.pagefind`), which a CSP blocks without
it. Pagefind's scripts, styles, worker and index files all come from `pagefind/` on the
same site, so `'self'` covers them.

Caching: Pagefind's index chunks (`fragment/`, `index/`, `filter/`) have a hash in
their names and never change, so they are kept a year; `static/` (style sheet, scripts,
icon: fixed names) a day; pages, feed, data and Pagefind's scripts and entry file five
minutes, so a rebuild shows within minutes.
"""

from __future__ import annotations

import re
from pathlib import Path

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Static hosts serve over HTTPS; browsers ignore this header on plain HTTP.
    "Strict-Transport-Security": "max-age=31536000",
}

IMMUTABLE = "public, max-age=31536000, immutable"
STATIC = "public, max-age=86400"
SHORT = "public, max-age=300"

# Folders of Pagefind's index whose file names carry a content hash.
HASHED_FOLDERS = ("fragment", "index", "filter")
# pagefind.zh-hant-tw_241efc68a9f835cbb7.pf_meta: a language's metadata, named by its
# hash, so its name changes with every index. It gets no rule of its own (the host's
# default, revalidate on each use, applies to these few hundred bytes): a rule naming it
# would make `_headers` change, and count as written, on every build.
HASHED_META = re.compile(r"pagefind\.[^/]+_[0-9a-f]{6,}\.pf_meta")

FILE_NAME = "_headers"
# Written by the build itself, not pages: left out of the build summary's counts.
SERVICE_FILES = frozenset({FILE_NAME, ".gitkeep"})


def cache_rules(site: Path) -> list[tuple[str, str]]:
    """(path rule, Cache-Control) for everything in `site`, one rule per top-level entry,
    so that no two rules match one file (a host that merges rules would otherwise join
    two Cache-Control values into one)."""
    rules: list[tuple[str, str]] = [("/", SHORT)]
    for entry in sorted(site.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name in SERVICE_FILES:
            continue
        if name == "static":
            rules.append(("/static/*", STATIC))
        elif name == "pagefind" and entry.is_dir():
            rules += _pagefind_rules(entry)
        elif entry.is_dir():
            rules.append((f"/{name}/*", SHORT))
        else:
            rules.append((f"/{name}", SHORT))
    return rules


def _pagefind_rules(folder: Path) -> list[tuple[str, str]]:
    rules = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            rules.append((f"/pagefind/{entry.name}/*", IMMUTABLE if entry.name in HASHED_FOLDERS else SHORT))
        elif not HASHED_META.fullmatch(entry.name):
            rules.append((f"/pagefind/{entry.name}", SHORT))
    return rules


def headers_file(site: Path) -> str:
    """The `_headers` file for the site frozen in `site`."""
    lines = [
        "# HTTP headers for static hosts that read this file (Netlify, Cloudflare Pages).",
        "# Written by every build; tools/deploy/nginx-showcase.conf sets the same for nginx.",
        "/*",
        *(f"  {name}: {value}" for name, value in SECURITY_HEADERS.items()),
    ]
    for rule, cache in cache_rules(site):
        lines += [rule, f"  Cache-Control: {cache}"]
    return "\n".join(lines) + "\n"


def write_headers_file(site: Path) -> None:
    (site / FILE_NAME).write_text(headers_file(site), encoding="utf-8")
