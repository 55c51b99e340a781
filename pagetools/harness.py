"""Serve a Streamlit script on a free local port and launch headless Chromium for it.

Shared by the browser tests (``tests/browser``) and the benchmarks (``bench/``); reading and
driving the page is ``pagetools.driver``. Nothing here imports Streamlit or Playwright: the
caller passes its Playwright object in. Readiness is always read from the server
(``/_stcore/health``) or from the page itself (the ``stApp`` element's ``data-test-*``
attributes, the changed content), never from fixed sleeps.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_SCRIPT = REPO_ROOT / "app.py"

CHROMIUM_ENV = "VG_CHROMIUM"
"""Environment variable naming a Chromium/Chrome executable to use instead of the defaults."""

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# No sandbox as root; the rest keeps Chromium from making any connection of its own.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

VIEWPORT = {"width": 1440, "height": 900}

APP = "[data-testid='stApp']"
RUN_FINISHED = f"{APP}[data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"

SERVER_START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 30_000


# ----------------------------------------------------------------------------- the browser


def find_chromium() -> str | None:
    """A Chromium executable: ``$VG_CHROMIUM``, else the first of CHROMIUM_NAMES on PATH.

    None when neither exists; the caller may still try Playwright's own downloaded browser.
    """
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override if Path(override).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def bundled_chromium(playwright: Any) -> str | None:
    """Playwright's own Chromium (``playwright install chromium``) when it is installed."""
    try:
        path = playwright.chromium.executable_path
    except Exception:  # Playwright raises its plain Error when it has no browser
        return None
    return path if path and Path(path).is_file() else None


def launch_chromium(playwright: Any, executable: str | None) -> Any:
    """Headless Chromium with the offline flags; ``executable`` None means Playwright's own."""
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
    )


# ----------------------------------------------------------------------------- the server


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StreamlitServer:
    """A ``streamlit run`` child process serving one script on 127.0.0.1."""

    script: Path
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def is_local(self, url: str) -> bool:
        """Whether ``url`` points at this server (any path, http or ws)."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return parts.hostname in ("127.0.0.1", "localhost") and parts.port == self.port

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_bytes(self) -> int:
        """Resident memory of the server process (Linux ``/proc``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmRSS not found")

    def children(self) -> list[int]:
        """Process ids of the server's child processes (its training workers; Linux ``/proc``)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended while we looked
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server process so far (Linux ``/proc``)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_streamlit(
    script: Path = APP_SCRIPT,
    *,
    cwd: Path = REPO_ROOT,
    extra_args: tuple[str, ...] = (),
    timeout_s: float = SERVER_START_TIMEOUT_S,
    attempts: int = 3,
) -> StreamlitServer:
    """Start ``streamlit run script`` on a free port and return once ``/_stcore/health`` is ok.

    ``cwd`` is the repository root so the project's ``.streamlit/config.toml`` applies. A
    specific ``server.address`` also keeps Streamlit from looking up the machine's external IP.
    """
    last_log = ""
    for _ in range(attempts):
        port = free_port()
        log_fd, log_name = tempfile.mkstemp(prefix="streamlit-", suffix=".log")
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--server.fileWatcherType=none",
            *extra_args,
        ]
        try:
            process = subprocess.Popen(
                command, cwd=cwd, stdout=log_fd, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        finally:
            os.close(log_fd)  # the child holds its own copy
        server = StreamlitServer(Path(script), port, process, Path(log_name))
        if _wait_healthy(server, timeout_s):
            return server
        last_log = server.log()
        server.stop()
        if "is not available" not in last_log:  # anything but a lost race for the port
            break
    raise RuntimeError(f"streamlit did not become healthy; its log:\n{last_log}")


def _wait_healthy(server: StreamlitServer, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    health = f"{server.url}_stcore/health"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling interval of the health check, not a readiness guess
    return False


# ----------------------------------------------------------------------------- the page


def wait_for_run(page: Any, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until the page is connected, no script run is in progress and nothing is stale.

    Right after an interaction the page may still show the previous, finished run: wait for
    the changed content first, then call this.
    """
    page.wait_for_selector(RUN_FINISHED, state="attached", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stElementContainer'][data-stale='true']\")",
        timeout=timeout_ms,
    )


def open_app(page: Any, base_url: str, query: str = "", timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Load the page (``query`` without the leading ``?``) and wait for its first run."""
    page.goto(base_url + (f"?{query}" if query else ""), timeout=timeout_ms)
    wait_for_run(page, timeout_ms)


def run_coroutine(coroutine: Any) -> Any:
    """``asyncio.run(coroutine)`` in a thread of its own: in a test session that has used
    Playwright's sync API, the main thread already runs an event loop, and asyncio.run there
    raises."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
