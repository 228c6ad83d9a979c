"""The layers stay where STYLE.md puts them, and the package ships what it needs."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_imports_neither_the_web_framework_nor_the_orm() -> None:
    for path in (ROOT / "approvals" / "domain").glob("*.py"):
        assert not imported_modules(path) & {"litestar", "piccolo", "asyncpg", "aiosqlite"}, path


def test_forms_and_certs_are_pure_libraries() -> None:
    for package in ("forms", "certs"):
        for path in (ROOT / package).rglob("*.py"):
            assert not imported_modules(path) & {"litestar", "piccolo", "approvals"}, path


def test_the_wheel_carries_migrations_catalogue_and_templates(tmp_path: Path) -> None:
    """A deployment installs the wheel (see the Dockerfile): everything `approvals setup`
    and `approvals serve` read at run time must be inside it. Built from a copy, so that
    setuptools' build/ directory never lands in the working tree."""
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "data",
            "artifacts",
            "build",
            "*.egg-info",
            ".*_cache",
            "__pycache__",
            "results",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("approvals-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("migrations/approvals/") and n.endswith(".py") for n in names)
    assert "forms/catalogue/public_place_hygiene.toml" in names
    assert "approvals/web/templates/verify.html" in names
