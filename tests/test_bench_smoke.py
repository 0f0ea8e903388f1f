"""The benchmark suite still runs: `bench/run.py --quick` (20 cases, 30 proposals, one
repeat, 2 s of load per page) writes every figure with the right types. No timing is
asserted; the figures of a smoke run mean nothing."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
STEPS = ("full", "no_change", "one_change", "floor")
PAGES = ("section_save", "township_list", "ranking", "brief")


def is_figure(value: object, unit: str) -> bool:
    if not isinstance(value, dict) or set(value) != {"unit", "min", "median", "runs"}:
        return False
    runs = value["runs"]
    return (
        value["unit"] == unit
        and isinstance(runs, list)
        and len(runs) == 1
        and all(isinstance(r, float) and math.isfinite(r) and r > 0 for r in runs)
        and value["min"] == value["median"] == runs[0]
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not CHROMIUM.is_file():
        reason = f"the search part needs Chromium at {CHROMIUM}"
        if os.environ.get("PORTAL_BROWSER_REQUIRED"):
            pytest.fail(reason + " (PORTAL_BROWSER_REQUIRED is set)", pytrace=False)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "results.json"
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"]
    run = subprocess.run(
        [*command, "--work", str(folder / "work"), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("| figure | median | min | target | met |\n")
    loaded: dict[str, object] = json.loads(output.read_text("utf-8"))
    return loaded


def test_results_name_the_machine_the_sizes_and_the_load(results: dict[str, object]) -> None:
    machine = results["machine"]
    assert isinstance(machine, dict)
    assert isinstance(machine["cores"], int) and machine["cores"] >= 1
    assert isinstance(machine["memory_mb"], int) and machine["memory_mb"] > 0
    assert machine["python"] == ".".join(map(str, sys.version_info[:3]))
    assert isinstance(machine["versions"]["flask"], str)
    assert isinstance(machine["commit"], str) and isinstance(machine["uncommitted_changes"], list)
    assert results["n"] == {"freeze_cases": [20], "search_cases": 20, "proposals": 30}
    assert results["quick"] is True
    for key in ("load_average_start", "load_average_end"):
        load = results[key]
        assert isinstance(load, list) and len(load) == 3 and all(isinstance(x, float) for x in load)


def test_every_freeze_step_has_time_memory_and_the_ratio_to_the_floor(results: dict[str, object]) -> None:
    freeze = results["freeze"]
    assert isinstance(freeze, dict) and list(freeze) == ["20"]
    twenty = freeze["20"]
    assert twenty["cases"] == 20 and twenty["repeats"] == 1
    # Case pages in two languages, listings, facets and the site pages.
    assert isinstance(twenty["pages"], int) and twenty["pages"] > 40
    for name in STEPS:
        assert is_figure(twenty[f"{name}_wall_s"], "s"), name
        assert is_figure(twenty[f"{name}_cpu_s"], "s"), name
        assert is_figure(twenty[f"{name}_peak_mb"], "MB"), name
    for name, unit in [
        ("full_ms_per_page", "ms"),
        ("full_pages_per_s", "pages/s"),
        ("floor_ms_per_page", "ms"),
        ("full_over_floor", "×"),
        ("full_over_floor_cpu", "×"),
        ("no_change_share", "of full"),
    ]:
        assert is_figure(twenty[name], unit), name
    assert isinstance(twenty["one_change_files_written"], int) and twenty["one_change_files_written"] >= 1


def test_search_reports_first_query_bytes_and_finds_every_planted_word(results: dict[str, object]) -> None:
    search = results["search"]
    assert isinstance(search, dict)
    assert isinstance(search["first_query_pagefind_kb"], float) and search["first_query_pagefind_kb"] > 0
    assert search["first_query_page_kb"] > search["first_query_pagefind_kb"]
    assert isinstance(search["first_query_files"], int) and search["first_query_files"] >= 3
    # bench/gencases.py plants each rare word in exactly 1, 3, 5 and 10 cases.
    assert {word: r["expected"] for word, r in search["recall"].items()} == {
        "鵝鑾鼻星砂": 1,
        "翡翠水蛙": 3,
        "七股鹽雕": 5,
        "魯凱石板雞": 10,
    }
    assert search["recall_expected"] == 19
    assert search["recall_found"] == 19


def test_portal_pages_have_percentiles_and_error_counts(results: dict[str, object]) -> None:
    portal = results["portal"]
    assert isinstance(portal, list) and [p["database"] for p in portal] == ["sqlite"]
    sqlite = portal[0]
    assert (sqlite["proposals"], sqlite["clients"], sqlite["workers"]) == (30, 4, 4)
    for page in PAGES:
        figures = sqlite[page]
        assert isinstance(figures["requests"], int) and figures["requests"] > 0, page
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"], page
        assert figures["errors"] == 0, (page, figures["error_kinds"])


def test_every_target_has_a_verdict(results: dict[str, object]) -> None:
    verdicts = results["targets"]
    assert isinstance(verdicts, list)
    assert [v["figure"] for v in verdicts] == [
        "full freeze, ms per page (20 cases)",
        "full freeze ÷ floor (20 cases)",
        "no-change build ÷ full (20 cases)",
        "one case changed, s (20 cases)",
        "peak memory, MB (20 cases)",
        "first Chinese search, kB transferred",
        "search recall, cases found",
        *[f"portal {kind}, {page} (sqlite)" for page in PAGES for kind in ("p95", "errors")],
    ]
    assert all(isinstance(v["met"], bool) and isinstance(v["median"], float) for v in verdicts)
