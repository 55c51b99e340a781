"""The server's guard (vgserve.guard): its settings and budget alone, then in the served page
(``streamlit run app.py`` on loopback, with tight limits from the environment)."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pagetools.harness import StreamlitServer, run_coroutine, start_streamlit
from vgserve.guard import Budget, Guard, GuardSettings, message_type

TIGHT = {
    "VG_GUARD_RATE": "5",
    "VG_GUARD_BURST": "20",
    "VG_GUARD_BACKLOG": "40",
    "VG_GUARD_CLOSE_AFTER_S": "1",
    "VG_GUARD_CONNECTIONS_PER_ADDRESS": "3",
    "VG_METRICS_FROM": "192.0.2.0/24",  # a documentation network: never this test's loopback
}


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("VG_GUARD_RATE", "0", "rate must be > 0"),
        ("VG_GUARD_BURST", "0", "burst must be at least 1"),
        ("VG_GUARD_BACKLOG", "0", "backlog must be at least 1"),
        ("VG_GUARD_CLOSE_AFTER_S", "-1", "close_after_s must be > 0"),
        ("VG_GUARD_CONNECTS_PER_S", "0", "connects_per_s must be > 0"),
        ("VG_GUARD_CONNECTIONS_PER_ADDRESS", "0", "connections_per_address must be at least 1"),
        ("VG_TRUSTED_PROXIES", "not-an-address", "not-an-address"),
        ("VG_GUARD_RATE", "fast", "fast"),
    ],
)
def test_bad_settings_name_the_setting(name, value, words):
    with pytest.raises(ValueError, match=words):
        GuardSettings.from_environment({name: value})


def test_settings_from_the_environment():
    settings = GuardSettings.from_environment(
        {
            "VG_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
            "VG_FRAME_ANCESTORS": "'self' https://x.org",
        }
    )
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert settings.frame_ancestors == "'self' https://x.org"
    assert settings.rate == GuardSettings().rate


def test_budget_lets_a_burst_through_then_paces_at_its_rate():
    now = [0.0]
    budget = Budget(rate=10.0, burst=3, clock=lambda: now[0])

    async def takes(n: int) -> list[float]:
        return [await budget.take() for _ in range(n)]

    waits = run_coroutine(takes(5))
    assert waits[:3] == [0.0, 0.0, 0.0]
    # the clock stood still: each later taker reserves the next token, 0.1 s apart at 10/s
    assert waits[3:] == [pytest.approx(0.1), pytest.approx(0.2)]


def test_forwarded_address_is_believed_only_from_a_trusted_proxy():
    guard = Guard(lambda *_: None, GuardSettings(trusted_proxies=("127.0.0.1",)))  # type: ignore[arg-type,return-value]
    forwarded = [(b"x-forwarded-for", b"198.51.100.7, 127.0.0.1")]
    assert (
        guard.client_address({"client": ("127.0.0.1", 1), "headers": forwarded}) == "198.51.100.7"
    )
    assert (
        guard.client_address({"client": ("203.0.113.5", 1), "headers": forwarded}) == "203.0.113.5"
    )


def test_message_types_are_read_before_streamlit_decodes_them():
    message = BackMsg()
    message.clear_cache = True
    assert message_type(message.SerializeToString()) == "clear_cache"
    assert message_type(b"\xff\xff\xff\xff") is None


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[StreamlitServer]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TIGHT.items():
            patch.setenv(name, value)
        server = start_streamlit()
    yield server
    server.stop()


def stream_url(server: StreamlitServer) -> str:
    return f"ws://127.0.0.1:{server.port}/_stcore/stream"


async def first_run(ws) -> int:
    """Ask for the page's first run; the number of messages up to ``script_finished``."""
    return (await run(ws, BackMsg(rerun_script={"query_string": ""})))[0]


async def run(ws, message: BackMsg) -> tuple[int, dict[str, tuple[str, str]], list[str]]:
    """Send ``message``; read up to ``script_finished``: the number of messages, the widgets
    drawn (kind → (id, fragment id), the first of each kind) and the exceptions shown."""
    await ws.send(message.SerializeToString())
    count, widgets, exceptions = 0, {}, []
    while True:
        reply = ForwardMsg()
        reply.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
        count += 1
        kind = reply.WhichOneof("type")
        if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
            element = reply.delta.new_element
            name = element.WhichOneof("type")
            if name == "exception":
                exceptions.append(element.exception.type)
            elif name in ("slider", "selectbox", "button_group"):
                widgets.setdefault(name, (getattr(element, name).id, reply.delta.fragment_id))
        if kind == "script_finished":
            return count, widgets, exceptions


HOSTILE = {
    "text": lambda s: setattr(s, "string_value", "abc"),
    "not a number": lambda s: s.double_array_value.data.append(float("nan")),
    "infinity": lambda s: s.double_array_value.data.append(float("inf")),
    "empty list": lambda s: s.double_array_value.SetInParent(),
    "three numbers": lambda s: s.double_array_value.data.extend([1, 2, 3]),
    "integer": lambda s: setattr(s, "int_value", 10**12),
    "boolean": lambda s: setattr(s, "bool_value", True),
    "bad JSON": lambda s: setattr(s, "json_value", "{not json"),
    "bytes": lambda s: setattr(s, "bytes_value", bytes(10)),
    "trigger": lambda s: setattr(s, "trigger_value", True),
    "list of text": lambda s: s.string_array_value.data.append("zzz"),
    "list of integers": lambda s: s.int_array_value.data.append(99_999),
}


@pytest.mark.parametrize("widget", ["slider", "selectbox", "button_group"])
def test_unreadable_widget_values_never_break_the_session(guarded_server, widget):
    """Each kind of hostile value sent straight over the WebSocket for a slider, a select box
    and a segmented control: no exception in that run or the next (without the guard's filter
    Streamlit 1.67 raised on 17 of 39 such values, and every later run of that session too)."""

    async def scenario() -> list[str]:
        shown = []
        for name, make in HOSTILE.items():
            async with connect(stream_url(guarded_server), subprotocols=["streamlit"]) as ws:
                _, widgets, _ = await run(ws, BackMsg(rerun_script={"query_string": ""}))
                widget_id, fragment = widgets[widget]
                state = WidgetState(id=widget_id)
                make(state)
                message = BackMsg(rerun_script={"query_string": "", "fragment_id": fragment})
                message.rerun_script.widget_states.widgets.append(state)
                _, _, first = await run(ws, message)
                _, _, later = await run(ws, BackMsg(rerun_script={"query_string": ""}))
                shown += [f"{name}: {e}" for e in first + later]
        return shown

    assert run_coroutine(scenario()) == []


def test_every_answer_says_who_may_frame_it(guarded_server):
    with urllib.request.urlopen(guarded_server.url, timeout=10) as answer:
        assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_metrics_are_closed_to_visitors(guarded_server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{guarded_server.url}_stcore/metrics", timeout=10)
    assert refused.value.code == 404


def test_clear_cache_is_refused_and_the_session_goes_on(guarded_server):
    async def scenario() -> int:
        async with connect(stream_url(guarded_server), subprotocols=["streamlit"]) as ws:
            await first_run(ws)
            await ws.send(BackMsg(clear_cache=True).SerializeToString())
            await ws.send(b"\x08\xff\xff")  # not a BackMsg
            return await first_run(ws)

    assert run_coroutine(scenario()) > 0
    log = guarded_server.log()
    assert "refused a clear_cache message" in log
    assert "refused a malformed message" in log


def test_a_flood_is_closed_and_others_still_open_the_page(guarded_server):
    async def flood() -> tuple[int | None, float]:
        started = time.monotonic()
        async with connect(stream_url(guarded_server), subprotocols=["streamlit"]) as ws:
            message = BackMsg(rerun_script={"query_string": ""}).SerializeToString()
            try:
                for _ in range(5_000):  # bounded: at most 5,000 messages, 30 s
                    await ws.send(message)
                    if time.monotonic() - started > 30:
                        break
                while time.monotonic() - started < 30:  # read the answers up to the close
                    await asyncio.wait_for(ws.recv(), 30)
            except ConnectionClosed:
                pass
            return ws.close_code, time.monotonic() - started

    async def visitor() -> int:
        async with connect(stream_url(guarded_server), subprotocols=["streamlit"]) as ws:
            return await first_run(ws)

    async def both() -> tuple[tuple[int | None, float], int]:
        return await asyncio.gather(flood(), visitor())

    (code, seconds), messages = run_coroutine(both())
    assert code == 1008
    assert seconds < 30
    assert messages > 0


def test_connections_per_address_are_capped(guarded_server):
    """Three WebSockets open (once the server has let go of earlier tests' closed ones, which
    takes it under a second), the fourth is refused with 403."""

    async def open_three() -> list:
        deadline = time.monotonic() + 10
        while True:
            sockets = []
            try:
                for _ in range(3):
                    sockets.append(
                        await connect(stream_url(guarded_server), subprotocols=["streamlit"])
                    )
                return sockets
            except InvalidStatus:
                for ws in sockets:
                    await ws.close()
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def scenario() -> int:
        sockets = await open_three()
        try:
            with pytest.raises(InvalidStatus) as refused:
                await connect(stream_url(guarded_server), subprotocols=["streamlit"])
            return refused.value.response.status_code
        finally:
            for ws in sockets:
                await ws.close()

    assert run_coroutine(scenario()) == 403
