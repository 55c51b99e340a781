"""The hardened Streamlit configuration: read from the file, and seen in a browser."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagetools.driver import AppPage, new_app_page
from pagetools.harness import REPO_ROOT, StreamlitServer, start_streamlit

CONFIG = REPO_ROOT / ".streamlit" / "config.toml"
SECRET = "secret-detail-7f3a"  # must never reach the visitor
FAILING_SCRIPT = f"""
import streamlit as st

st.markdown("before the failure")
raise ValueError("{SECRET}: /home/someone/private/path.py")
"""


def test_config_is_hardened() -> None:
    """No usage statistics, XSRF on, errors shown by type only, minimal toolbar."""
    config = tomllib.loads(CONFIG.read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "type"
    assert config["client"]["toolbarMode"] == "minimal"


@pytest.fixture(scope="module")
def failing_server(browser, tmp_path_factory) -> Iterator[StreamlitServer]:
    """A script that raises, served from the repository root, so with the project's config."""
    script: Path = tmp_path_factory.mktemp("failing") / "failing_app.py"
    script.write_text(FAILING_SCRIPT)
    server = start_streamlit(script)
    yield server
    server.stop()


@pytest.fixture
def failing_page(browser, failing_server) -> Iterator[AppPage]:
    app = new_app_page(browser, failing_server)
    app.open()
    app.page.get_by_test_id("stException").wait_for()
    yield app
    app.close()


@pytest.mark.browser
def test_unexpected_error_shows_only_its_type(failing_page: AppPage, failing_server) -> None:
    """An uncaught exception shows its type to the visitor, never its message or traceback;
    the details go to the server log instead."""
    shown = failing_page.page.locator("body").inner_text()
    assert "ValueError" in failing_page.page.get_by_test_id("stException").inner_text()
    for hidden in (SECRET, "private/path", "Traceback", "raise ValueError"):
        assert hidden not in shown
    assert SECRET in failing_server.log()
    assert failing_page.blocked == []
