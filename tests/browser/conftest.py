"""A real Chromium (Debian's, driven by Playwright) against a real server process.

Without Chromium the browser tests are skipped *with a reason*, unless
``APPROVALS_REQUIRE_BROWSER=1`` (CI), where that is an error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("APPROVALS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("APPROVALS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; APPROVALS_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(f"SKIPPED browser tests: {message}")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def screens() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
