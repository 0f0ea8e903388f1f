"""One measured step of the freeze benchmark, in a fresh process (so its peak memory is
its own): `build` freezes the showcase as `portal freeze` does; `floor` fetches the
same URLs through the showcase's test client and writes the bodies to disk, the least
any freeze of this design can cost.

    python bench/buildstep.py build PROPOSALS BUILD
    python bench/buildstep.py floor PROPOSALS OUT URLS_FILE

Prints one JSON object: wall and CPU seconds (this process and its children, i.e.
Pagefind), peak resident memory of this process and of its largest child, and counts.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def config(proposals: Path, build_dir: Path) -> dict[str, str]:
    return {"PROPOSALS_DIR": str(proposals), "CONTENT_DIR": str(ROOT / "content"), "BUILD_DIR": str(build_dir)}


def html_pages(site: Path) -> int:
    return sum(1 for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


def main() -> int:
    from portal.showcase import create_showcase_app

    kind, proposals = sys.argv[1], Path(sys.argv[2])
    started, cpu = time.perf_counter(), cpu_seconds()
    result: dict[str, object] = {}
    if kind == "build":
        from portal.showcase.build import build

        destination = Path(sys.argv[3])
        summary = build(create_showcase_app(config(proposals, destination)), destination)
        result.update(written=summary.written, unchanged=summary.unchanged, removed=summary.removed)
        wall, used = time.perf_counter() - started, cpu_seconds() - cpu
        result["pages"] = html_pages(destination)
    elif kind == "floor":
        out, urls = Path(sys.argv[3]), Path(sys.argv[4]).read_text("utf-8").split()
        app = create_showcase_app(config(proposals, out))
        client = app.test_client()
        failed = 0
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                failed += 1
                continue
            target = out / (url.lstrip("/") + "index.html" if url.endswith("/") else url.lstrip("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.get_data())
        wall, used = time.perf_counter() - started, cpu_seconds() - cpu
        result.update(urls=len(urls), failed=failed, pages=sum(1 for u in urls if u.endswith((".html", "/"))))
    else:
        raise SystemExit(f"unknown step {kind}")
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result.update(
        wall=wall,
        cpu=used,
        maxrss_self_mb=own.ru_maxrss / 1024,
        maxrss_children_mb=children.ru_maxrss / 1024,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
