"""The package stays a pure library and exposes its main names at the top."""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[3] / "certs"
FORBIDDEN = ("litestar", "piccolo", "approvals", "forms", "asyncpg", "aiosqlite")


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_certs_modules_import_no_web_framework_orm_or_sibling_package(path: pathlib.Path) -> None:
    offending = {name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN}
    assert not offending


def test_package_re_exports_every_name_in_its_all() -> None:
    certs = importlib.import_module("certs")
    if getattr(certs, "__file__", None) is None:
        pytest.skip(
            "certs imports as a namespace package: the editable install predates "
            "certs/__init__.py; run `pip install -e .` again"
        )
    missing = [name for name in certs.__all__ if not hasattr(certs, name)]
    assert not missing
    assert certs.sign_token.__module__ == "certs.tokens"
