"""The import contracts in `.importlinter` hold, and breaking one fails `lint-imports`.

The broken cases are checked on a copy of the package with one import added, so the
test shows that CI would stop such a change, not only that today's tree is clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run `lint-imports` over the `portal` package found in `tree`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / ".importlinter"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def broken_contracts(output: str) -> list[str]:
    """The names of the contracts a `lint-imports` report marks BROKEN."""
    return [line.removesuffix(" BROKEN").strip() for line in output.splitlines() if line.endswith(" BROKEN")]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, to break."""
    shutil.copytree(ROOT / "portal", tmp_path / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    source = module.read_text(encoding="utf-8")
    marker = "from __future__ import annotations\n"
    assert marker in source
    module.write_text(source.replace(marker, marker + "\n" + line + "\n", 1), encoding="utf-8")


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert broken_contracts(result.stdout) == []
    assert "Contracts: 5 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "showcase/site.py",
            "from portal.db.models import Proposal  # noqa",
            "showcase reaches no database and no portal code",
        ),
        (
            "showcase/cases.py",
            "import sqlalchemy  # noqa",
            "showcase reaches no database and no portal code",
        ),
        (
            "domain/scoring.py",
            "from flask import current_app  # noqa",
            "domain is plain Python",
        ),
        (
            "db/models.py",
            "from portal.forms import PortalForm  # noqa",
            "db imports no forms or views",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tree: Path, module: str, line: str, contract: str) -> None:
    add_import(tree / "portal" / module, line)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout
    assert contract in broken_contracts(result.stdout)


def test_an_operation_importing_a_view_breaks_the_layers(tree: Path) -> None:
    add_import(tree / "portal/operations.py", "from portal.views import require_admin  # noqa")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "layers: views > forms > operations > db > domain" in broken_contracts(result.stdout)
    assert "portal.operations -> portal.views" in result.stdout


def test_an_import_circle_breaks_the_circle_contract(tree: Path) -> None:
    add_import(tree / "portal/text.py", "from portal import snapshot  # noqa")
    add_import(tree / "portal/snapshot.py", "from portal import text  # noqa")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "no import circles" in broken_contracts(result.stdout)
