"""The container image (deploy/Containerfile) built and started with podman: it serves the page
as a non-root user. Slow (a base image from Debian's packages when missing, then the build), so
it runs only with ``VG_CONTAINER_TESTS=1`` and a working podman (``runc`` as its runtime: this
machine's cgroups are hybrid, which crun refuses)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request

import pytest

from pagetools.harness import REPO_ROOT, free_port

if os.environ.get("VG_CONTAINER_TESTS") != "1":
    pytest.skip("container tests run with VG_CONTAINER_TESTS=1", allow_module_level=True)
if not (shutil.which("podman") and shutil.which("runc")):
    pytest.skip("podman and runc are needed (apt-get install podman runc)", allow_module_level=True)

PODMAN = ["podman", "--runtime", "runc"]
# this sandbox refuses crun's default rlimits; explicit ones are allowed
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
IMAGE = "localhost/vanishing-gradient-explorer-test"


def podman(*args: str, timeout: float = 900) -> str:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def image() -> str:
    """The image built from this checkout (podman's layer cache keeps a rebuild short)."""
    if "vg-debian-base" not in podman("images", "--format", "{{.Repository}}"):
        subprocess.run(["bash", str(REPO_ROOT / "deploy" / "debian_base.sh")], check=True)
    cert = "/etc/ssl/certs/ca-certificates.crt"
    secret = ["--secret", f"id=pip_cert,src={cert}"] if os.path.exists(cert) else []
    containerfile = str(REPO_ROOT / "deploy" / "Containerfile")
    podman("build", "--network", "host", *LIMITS, *secret,
           "--build-arg", "BASE=localhost/vg-debian-base",
           "-f", containerfile, "-t", IMAGE, str(REPO_ROOT))  # fmt: skip
    return IMAGE


def test_the_image_serves_the_page_as_a_non_root_user(image):
    port = free_port()
    container = podman("run", "-d", "--rm", "--network", "host", *LIMITS,
                       "-e", f"STREAMLIT_SERVER_PORT={port}", image).strip()  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, podman("logs", container)
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.status == 200
            assert answer.headers["content-security-policy"] == "frame-ancestors 'self'"
        assert podman("exec", container, "id", "-u").strip() == "10001"
    finally:
        podman("stop", "-t", "5", container, timeout=60)
