"""Every link and asset reference inside the frozen showcase resolves to a file of the
build, at the root of a host and under a sub-path; the sitemap's and the feed's
addresses too. A pure-Python check over build/, plus a plain static file server."""

from __future__ import annotations

import posixpath
import re
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.browser.servers import StaticServer, freeze_demo
from tests.conftest import TemplateDatabase

SUB_PATH = "/sub/path/"
LINK_ATTRIBUTES = {"href", "src", "xlink:href", "poster", "data"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in LINK_ATTRIBUTES:
                self.links.append((self.getpos()[0], value.strip()))
            elif name == "srcset":
                self.links.extend((self.getpos()[0], part.split()[0]) for part in value.split(",") if part.strip())
            elif name in ("id", "name"):
                self.ids.add(value)

    handle_startendtag = handle_starttag


@dataclass
class Site:
    """The build folder as a host serves it under `base` (a path ending in /)."""

    root: Path
    base: str
    ids: dict[Path, set[str]] = field(default_factory=dict)

    def url_of(self, path: Path) -> str:
        relative = path.relative_to(self.root).as_posix()
        if relative == "index.html" or relative.endswith("/index.html"):
            relative = relative[: -len("index.html")]
        return self.base + relative

    def file_of(self, url_path: str) -> Path | None:
        """The file a static host serves for `url_path`, or None when it is outside the
        site or missing (a directory URL means its index.html)."""
        path = posixpath.normpath(unquote(url_path))
        if url_path.endswith("/") and not path.endswith("/"):
            path += "/"
        if not (path + "/").startswith(self.base) and path != self.base.rstrip("/"):
            return None
        target = self.root / path[len(self.base) :]
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def parse(self, path: Path) -> _Collector:
        collector = _Collector()
        collector.feed(path.read_text("utf-8"))
        self.ids[path] = collector.ids
        return collector

    def broken_links(self) -> list[str]:
        """Every href/src of every HTML page that does not lead to a file of the build
        (or to an id missing from it), as 'file:line: link -> why'."""
        pages = sorted(self.root.rglob("*.html"))
        parsed = {page: self.parse(page) for page in pages}
        broken = []
        for page, collector in parsed.items():
            here = self.url_of(page)
            for line, link in collector.links:
                parts = urlsplit(link)
                if parts.scheme or parts.netloc or link.startswith(("mailto:", "tel:", "data:")):
                    continue  # external: not ours to check here
                resolved = urlsplit(urljoin(here, link))
                target = self.file_of(resolved.path)
                where = f"{page.relative_to(self.root)}:{line}: {link}"
                if target is None:
                    broken.append(f"{where} -> {resolved.path} is not a file of the site")
                elif resolved.fragment and target in parsed and unquote(resolved.fragment) not in self.ids[target]:
                    broken.append(f"{where} -> no id {resolved.fragment!r} in {target.relative_to(self.root)}")
        return broken


def absolute_addresses(build: Path, site_url: str) -> list[str]:
    """The sitemap's <loc> and the feed's links, all absolute under the site's address."""
    sitemap = (build / "sitemap.xml").read_text("utf-8")
    feed = (build / "feed.xml").read_text("utf-8")
    addresses = re.findall(r"<loc>([^<]+)</loc>", sitemap) + re.findall(r'<link[^>]* href="([^"]+)"', feed)
    assert addresses and all(a.startswith(site_url) for a in addresses), addresses
    return addresses


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase) -> Path:
    return freeze_demo(tmp_path_factory.mktemp("links"), template_db, site_url="https://example.org/")


def test_every_link_in_the_build_resolves_at_the_root_of_a_host(demo_build: Path) -> None:
    site = Site(demo_build, "/")

    assert site.broken_links() == []
    missing = [
        a for a in absolute_addresses(demo_build, "https://example.org/") if site.file_of(urlsplit(a).path) is None
    ]
    assert missing == []


def test_every_link_resolves_under_a_sub_path(tmp_path: Path, template_db: TemplateDatabase) -> None:
    """Served under /sub/path/ by a plain static server: every link a page holds, and
    every sitemap and feed address, is fetched and found."""
    folder = tmp_path / "site"
    folder.mkdir()
    with StaticServer(folder / "build", prefix=SUB_PATH) as server:
        build = freeze_demo(folder, template_db, site_url=server.url)
        site = Site(build, SUB_PATH)

        assert site.broken_links() == []
        urls = set(absolute_addresses(build, server.url))
        for page in build.rglob("*.html"):
            here = server.url + site.url_of(page)[len(SUB_PATH) :]
            for _, link in site.parse(page).links:
                if not urlsplit(link).scheme and not link.startswith("#"):
                    urls.add(urljoin(here, link).split("#")[0])
        failed = []
        for url in sorted(urls):
            try:
                with urllib.request.urlopen(url) as response:
                    response.read()
            except OSError as error:
                failed.append(f"{url}: {error}")
        assert failed == []
        assert len(urls) > 50  # the check really walked the site
