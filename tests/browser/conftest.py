"""Fixtures of the browser tests: one headless Chromium per session, one Streamlit server per
module (started once, stopped after the module), a fresh browser session per test.

Every page runs offline: a request to anything but the local server is recorded and aborted,
and ``assert_clean`` fails a test that made one. Without any Chromium the tests skip with the
reason, except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pagetools.driver import AppPage, new_app_page
from pagetools.harness import (
    StreamlitServer,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    start_streamlit,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
NO_BROWSER = (
    "no Chromium found: install one (Debian/Ubuntu: apt-get install chromium), or point "
    "VG_CHROMIUM at a Chromium/Chrome executable, or run `playwright install chromium`"
)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session) -> Iterator[object]:
    executable = find_chromium() or bundled_chromium(playwright_session)
    if executable is None:
        _unavailable(NO_BROWSER)
    chromium = launch_chromium(playwright_session, executable)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def app_server(browser) -> Iterator[StreamlitServer]:
    """``streamlit run app.py`` on a free port with the project's config, for one module."""
    server = start_streamlit()
    yield server
    server.stop()


@pytest.fixture
def app(browser, app_server) -> Iterator[AppPage]:
    """A new session of the page at 1440x900, not loaded yet (call ``app.open(query)``)."""
    page = new_app_page(browser, app_server)
    yield page
    page.close()


@pytest.fixture
def fresh_server(browser) -> Iterator[StreamlitServer]:
    """A server of its own for one test (e.g. one whose training processes it breaks)."""
    server = start_streamlit()
    yield server
    server.stop()


@pytest.fixture
def fresh_app(browser, fresh_server) -> Iterator[AppPage]:
    """A new session of ``fresh_server``'s page, not loaded yet."""
    page = new_app_page(browser, fresh_server)
    yield page
    page.close()
