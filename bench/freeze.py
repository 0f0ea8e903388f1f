"""Benchmark: freezing the showcase with many cases, and re-freezing after one changes.

    python bench/freeze.py [--cases 368] [--keep DIR]

Makes one case per township (up to 368) from a demo case file, with the township,
county, region, slug, cycle and narrative text changed, then times:

1. a full build into an empty build/ (every page, the search index);
2. a second build with nothing changed;
3. a build after one case's file changed (the incremental path).

Prints the summary of each build, the wall time and the CPU time (this process and
Pagefind; on a shared machine the CPU time is the steadier figure). Nothing here is asserted: the
figures are for people to compare between versions on the same machine.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import snapshot  # noqa: E402
from portal.showcase import create_showcase_app  # noqa: E402
from portal.showcase.build import build  # noqa: E402

DATA = ROOT / "portal" / "reference" / "data"
# A demo case as `portal demo` publishes it.
SAMPLE = ROOT / "bench" / "sample" / "2026" / "chishang-rice-2026.md"


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def local(text: str, township: str) -> str:
    """The sample's narrative told for `township`: every case has its own text, so no
    cache of rendered Markdown can serve one case's text for another."""
    return f"{township}：{text}".replace("池上", township)


def make_cases(sample: snapshot.Case, folder: Path, count: int) -> list[Path]:
    regions = {row["county_code"]: row["region"] for row in read("regions.csv")}
    paths = []
    for number, town in enumerate(read("townships.csv")[:count]):
        cycle = str(2024 + number % 3)
        case = dataclasses.replace(
            sample,
            slug=f"case-{town['code']}",
            cycle=cycle,
            title=f"{town['township_zh']}{sample.title}",
            dna=dataclasses.replace(sample.dna, summary=local(sample.dna.summary, town["township_zh"])),
            consensus=dataclasses.replace(sample.consensus, vision=local(sample.consensus.vision, town["township_zh"])),
            businesses_summary=local(sample.businesses_summary, town["township_zh"]),
            businesses=tuple(
                dataclasses.replace(b, what=local(b.what, town["township_zh"]), how=local(b.how, town["township_zh"]))
                for b in sample.businesses
            ),
            township=snapshot.Place(code=town["code"], name=town["township_zh"], name_en=town["township_en"]),
            county=snapshot.Place(code=town["code"][:5], name=town["county_zh"], name_en=town["county_en"]),
            region=regions[town["code"][:5]],
            published=dt.date(int(cycle), 11, 1),
            updated=dt.date(int(cycle), 11, 1),
        )
        path = folder / cycle / f"{case.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot.dump(case), encoding="utf-8")
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of the children it waited for (Pagefind)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, proposals: Path, destination: Path) -> None:
    started, cpu = time.perf_counter(), cpu_seconds()
    app = create_showcase_app(
        {"PROPOSALS_DIR": str(proposals), "CONTENT_DIR": str(ROOT / "content"), "BUILD_DIR": str(destination)}
    )
    summary = build(app, destination)
    wall, used = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"{label:<20} {wall:7.2f} s wall {used:7.2f} s CPU   {summary.text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=368, help="how many cases (one per township, at most 368)")
    parser.add_argument("--keep", type=Path, help="build here and keep it, instead of a temporary folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-freeze-"))
    try:
        proposals, destination = work / "proposals", work / "build"
        paths = make_cases(snapshot.load(SAMPLE), proposals, args.cases)
        print(f"{len(paths)} cases")
        timed("full build", proposals, destination)
        timed("nothing changed", proposals, destination)
        changed = paths[len(paths) // 2]
        changed.write_text(changed.read_text("utf-8").replace("theme: ", "theme: 更新：", 1), "utf-8")
        timed("one case changed", proposals, destination)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
