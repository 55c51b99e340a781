"""Two replicas behind a real HAProxy on loopback (``deploy.replicas``): sticky cookie, TLS,
health checks that take a killed replica out, and its visitors served by the other one.

Skipped without haproxy, except under ``CI=true`` (``.ci/run`` installs Debian's haproxy).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import time
import urllib.request
from collections.abc import Iterator

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from deploy.replicas import Deployment
from pagetools.harness import free_port, run_coroutine

if not shutil.which("haproxy"):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and haproxy is missing (apt-get install haproxy)", pytrace=False)
    pytest.skip("haproxy is not installed (apt-get install haproxy)", allow_module_level=True)

UNVERIFIED = ssl._create_unverified_context()  # the self-signed loopback certificate


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    ports = [free_port() for _ in range(2)]
    served = Deployment(2, "127.0.0.1", *ports, first_replica_port=ports[0] + 100)
    served.start()
    yield served
    served.stop()
    assert all(p.poll() is not None for p in served.processes.values())


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str]]:
    """Status and headers (names in lower case) of a GET through the proxy."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10, context=UNVERIFIED) as answer:
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}


async def page_runs(url: str, cookie: str) -> bool:
    """A visitor's first run over the proxy's WebSocket, pinned by ``cookie``."""
    async with connect(
        url, subprotocols=["streamlit"], additional_headers={"Cookie": cookie}
    ) as ws:
        await ws.send(BackMsg(rerun_script={"query_string": "depth=55"}).SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
            if reply.WhichOneof("type") == "script_finished":
                return reply.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY


def test_the_proxy_pins_each_visitor_with_a_cookie_over_http_and_tls(deployment):
    seen = set()
    for url in (deployment.url, deployment.tls_url, deployment.url):
        status, headers = get(url)
        assert status == 200
        assert headers["content-security-policy"] == "frame-ancestors 'self'"
        seen.add(headers["set-cookie"].split(";")[0])
    assert seen <= {"VGREPLICA=r0", "VGREPLICA=r1"}
    assert len(seen) == 2  # leastconn spreads new visitors over both replicas


def test_a_killed_replicas_visitors_are_served_by_the_other(deployment):
    """A visitor pinned to replica 1; replica 1 is killed: within the health check's two
    failures (about 2 s) the proxy re-pins the visitor to replica 0, whose page runs."""
    stream = f"ws://127.0.0.1:{deployment.port}/_stcore/stream"
    assert run_coroutine(page_runs(stream, "VGREPLICA=r1"))
    deployment.kill_replica(1)
    log = deployment.folder / "haproxy.log"
    deadline = time.monotonic() + 10
    while "Server replicas/r1 is DOWN" not in log.read_text().split("r1 is UP")[-1]:
        assert time.monotonic() < deadline, "the health check never took the dead replica out"
        time.sleep(0.25)
    status, headers = get(deployment.url, "VGREPLICA=r1")
    assert status == 200
    assert headers["set-cookie"].startswith("VGREPLICA=r0")
    assert run_coroutine(page_runs(stream, "VGREPLICA=r1"))
