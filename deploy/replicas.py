"""N replicas of ``streamlit run app.py`` behind HAProxy on one machine, started and stopped
together.

    python -m deploy.replicas --replicas 2 [--port 8500] [--tls-port 8443]

Each replica serves on its own loopback port with the same ``server.cookieSecret`` (generated
here unless ``VG_COOKIE_SECRET`` is set) and ``VG_TRUSTED_PROXIES=127.0.0.1`` (its guard then
reads the visitor's address from the proxy's ``X-Forwarded-For``), and gets its share of the
machine's cores for training (``VG_MAX_TRAININGS`` = cores // N, at least 1, unless set). HAProxy
(``deploy/haproxy.cfg``) listens on ``--port`` (http) and ``--tls-port`` (https, with the
certificate ``--pem`` or a self-signed one made here for loopback), pins each visitor to a
replica with a cookie and checks ``/_stcore/health`` every second. Debian's ``haproxy`` is
installed with apt-get when it is missing and this runs as root. SIGTERM or Ctrl-C stops the
proxy, then the replicas (each stops its training processes).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("haproxy.cfg")
HEALTH_TIMEOUT_S = 60.0


def ensure_haproxy() -> str:
    """The haproxy executable; installed from Debian's packages when missing (as root)."""
    found = shutil.which("haproxy")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("haproxy is not installed: apt-get install haproxy (Debian/Ubuntu)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "haproxy"], check=True, env=env, capture_output=True
    )
    found = shutil.which("haproxy")
    if not found:
        raise RuntimeError("apt-get installed haproxy but it is not on PATH")
    return found


def self_signed_pem(folder: Path, host: str = "127.0.0.1") -> Path:
    """A self-signed certificate and key for ``host`` in one PEM file (HAProxy's format)."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    pem = folder / "explorer.pem"
    pem.write_text(cert.read_text() + key.read_text())
    return pem


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@dataclass
class Deployment:
    """The proxy and its replicas; ``start`` returns once the proxy answers for each."""

    replicas: int = 2
    address: str = "127.0.0.1"
    port: int = 8500
    tls_port: int = 8443
    first_replica_port: int = 8601
    pem: Path | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vg-deploy-")))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= 64:
            raise ValueError(f"replicas must be from 1 to 64; got {self.replicas!r}")

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/"

    @property
    def tls_url(self) -> str:
        return f"https://{self.address}:{self.tls_port}/"

    def replica_port(self, index: int) -> int:
        return self.first_replica_port + index

    def replica_env(self) -> dict[str, str]:
        share = max(1, (os.cpu_count() or 1) // self.replicas)
        return {
            **os.environ,
            "VG_TRUSTED_PROXIES": os.environ.get("VG_TRUSTED_PROXIES", self.address),
            "VG_MAX_TRAININGS": os.environ.get("VG_MAX_TRAININGS", str(share)),
        }

    def start_replica(self, index: int, secret: str) -> None:
        log = open(self.folder / f"replica{index}.log", "wb")  # noqa: SIM115 (the child's)
        self.processes[f"r{index}"] = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.headless=true", f"--server.address={self.address}",
             f"--server.port={self.replica_port(index)}", ],
            cwd=ROOT, env={**self.replica_env(), "STREAMLIT_SERVER_COOKIE_SECRET": secret},
            stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def write_config(self) -> Path:
        servers = "".join(
            f"    server r{i} {self.address}:{self.replica_port(i)} check cookie r{i}\n"
            for i in range(self.replicas)
        )
        config = self.folder / "haproxy.cfg"
        config.write_text(CONFIG.read_text() + servers)
        return config

    def start(self) -> None:
        haproxy = ensure_haproxy()
        secret = os.environ.get("VG_COOKIE_SECRET") or secrets.token_hex(32)
        pem = self.pem or self_signed_pem(self.folder, self.address)
        for index in range(self.replicas):
            self.start_replica(index, secret)
        env = {
            **os.environ,
            "VG_PROXY_ADDRESS": self.address,
            "VG_PROXY_PORT": str(self.port),
            "VG_PROXY_TLS_PORT": str(self.tls_port),
            "VG_TLS_PEM": str(pem),
        }
        log = open(self.folder / "haproxy.log", "wb")  # noqa: SIM115 (the child's)
        self.processes["proxy"] = subprocess.Popen(
            [haproxy, "-db", "-f", str(self.write_config())],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        replicas = [f"http://{self.address}:{self.replica_port(i)}/_stcore/health"
                    for i in range(self.replicas)]  # fmt: skip
        while not (all(map(healthy, replicas)) and healthy(self.url + "_stcore/health")):
            if time.monotonic() > deadline or any(
                p.poll() is not None for p in self.processes.values()
            ):
                self.stop()
                raise RuntimeError(f"the deployment did not become healthy; logs in {self.folder}")
            time.sleep(0.2)
        time.sleep(2.5)  # two health checks 1 s apart: every replica marked up in the proxy

    def kill_replica(self, index: int) -> None:
        """A replica dies (SIGKILL), as a crash would end it."""
        process = self.processes[f"r{index}"]
        process.kill()
        process.wait(timeout=10)

    def stop(self) -> None:
        """The proxy first (no new requests), then each replica with SIGTERM (Streamlit stops
        its sessions and the page's training processes), SIGKILL after 15 s."""
        order = ["proxy"] + [name for name in self.processes if name != "proxy"]
        for name in order:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--tls-port", type=int, default=8443)
    parser.add_argument("--first-replica-port", type=int, default=8601)
    parser.add_argument("--pem", type=Path, help="certificate and key in one PEM file")
    options = parser.parse_args()
    deployment = Deployment(
        options.replicas, options.address, options.port, options.tls_port,
        options.first_replica_port, options.pem,
    )  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deployment.start()
    print(f"serving {deployment.url} and {deployment.tls_url} ({options.replicas} replicas; "
          f"logs in {deployment.folder}); Ctrl-C stops", flush=True)  # fmt: skip
    try:
        while all(p.poll() is None for p in deployment.processes.values()):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        deployment.stop()


if __name__ == "__main__":
    main()
