"""The page's server defends itself before the script runs: an ASGI middleware on the ``st.App``.

Streamlit 1.67 has no limit on what one WebSocket client sends, answers ``clear_cache`` from
anyone and serves ``/_stcore/metrics`` to anyone (``shared/STREAMLIT.md``). This middleware, run
before Streamlit's own for every request:

- gives each WebSocket a budget of incoming messages (a token bucket: ``rate`` a second, ``burst``
  at once): past it, a message waits for a token, at most ``backlog`` of them; beyond that the
  guard stops reading (TCP's back-pressure slows the sender), and a connection held there for
  ``close_after_s`` is closed (1008). Closing at once would be worse: a flooding client that
  reconnects costs the server a whole page run per connection;
- paces new WebSockets per client address (``connects_per_s`` after a burst of
  ``connects_burst``: a class behind one NAT address opens at once; a client that reconnects in a
  loop to restart its flood waits);
- refuses the developer-only messages (``clear_cache``, ``set_run_on_save``, the ``debug_*``
  ones) and messages that do not parse, before Streamlit decodes them;
- drops a widget value of a kind the widget never sends (``WidgetValues``: learnt from the
  elements the server drew on that connection): Streamlit 1.67 raised while decoding such a
  value and kept it, so every later run of that session failed;
- caps the WebSockets open at once per client address, the address taken after trusted proxies
  (``X-Forwarded-For`` is read only from a proxy listed in ``trusted_proxies``);
- answers ``/_stcore/metrics`` only to ``metrics_from`` addresses (loopback by default);
- sends ``Content-Security-Policy: frame-ancestors …`` with every HTTP answer (this site only by
  default; a course page that embeds the explorer is added by ``VG_FRAME_ANCESTORS``).

Settings come from the environment (``GuardSettings.from_environment``), so that one image serves
a laptop, a replica behind a proxy and a course page's embed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOG = logging.getLogger("vgserve.guard")
REFUSED_MESSAGES = frozenset(
    {"clear_cache", "set_run_on_save", "debug_disconnect_websocket", "debug_shutdown_runtime"}
)
"""BackMsg types a visitor's browser never needs: the developer menu's and the test hooks'."""
POLICY_VIOLATION = 1008
"""WebSocket close code for a connection that broke the guard's rules (RFC 6455)."""


@dataclass(frozen=True)
class GuardSettings:
    """The guard's limits; every figure is per WebSocket unless it says per address."""

    rate: float = 5.0
    """Messages a second a connection may send for as long as it likes (each rerun request
    costs a page run: at 20 a second one flooding client took a core, ``bench.flood``)."""
    burst: int = 30
    """Messages a connection may send at once before the rate applies."""
    backlog: int = 100
    """Messages a connection may have waiting for its budget; beyond them nothing is read."""
    close_after_s: float = 10.0
    """Seconds a connection may keep its backlog full before it is closed."""
    connects_per_s: float = 5.0
    """New WebSockets a second from one client address, after ``connects_burst``."""
    connects_burst: int = 300
    """New WebSockets one client address may open at once."""
    connections_per_address: int = 1000
    """WebSockets open at once from one client address: a lecture hall behind one NAT address,
    or every visitor of a host whose proxy cannot be listed in ``trusted_proxies`` (Streamlit
    Community Cloud), fits."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks) of proxies whose ``X-Forwarded-For`` is believed."""
    metrics_from: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    """Client addresses (or networks) allowed to read ``/_stcore/metrics``."""
    frame_ancestors: str = "'self'"
    """The ``frame-ancestors`` sources: who may show the page in a frame."""

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"rate must be > 0 messages a second; got {self.rate!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1 message; got {self.burst!r}")
        if not self.close_after_s > 0:
            raise ValueError(f"close_after_s must be > 0 seconds; got {self.close_after_s!r}")
        if self.backlog < 1:
            raise ValueError(f"backlog must be at least 1 message; got {self.backlog!r}")
        if not self.connects_per_s > 0:
            raise ValueError(f"connects_per_s must be > 0 a second; got {self.connects_per_s!r}")
        if self.connects_burst < 1:
            raise ValueError(f"connects_burst must be at least 1; got {self.connects_burst!r}")
        if self.connections_per_address < 1:
            raise ValueError(
                f"connections_per_address must be at least 1; got {self.connections_per_address!r}"
            )
        for network in (*self.trusted_proxies, *self.metrics_from):
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad address

    @classmethod
    def from_environment(cls, environ: MutableMapping[str, str] | None = None) -> GuardSettings:
        """Settings from ``VG_GUARD_RATE``, ``VG_GUARD_BURST``, ``VG_GUARD_BACKLOG``,
        ``VG_GUARD_CLOSE_AFTER_S``,
        ``VG_GUARD_CONNECTS_PER_S``, ``VG_GUARD_CONNECTS_BURST``,
        ``VG_GUARD_CONNECTIONS_PER_ADDRESS``, ``VG_TRUSTED_PROXIES`` and ``VG_METRICS_FROM``
        (comma-separated addresses) and ``VG_FRAME_ANCESTORS``; unset ones keep the defaults."""
        env = os.environ if environ is None else environ
        default = cls()

        def addresses(name: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
            text = env.get(name)
            if text is None:
                return fallback
            return tuple(part.strip() for part in text.split(",") if part.strip())

        try:
            return cls(
                rate=float(env.get("VG_GUARD_RATE", default.rate)),
                burst=int(env.get("VG_GUARD_BURST", default.burst)),
                backlog=int(env.get("VG_GUARD_BACKLOG", default.backlog)),
                close_after_s=float(env.get("VG_GUARD_CLOSE_AFTER_S", default.close_after_s)),
                connects_per_s=float(env.get("VG_GUARD_CONNECTS_PER_S", default.connects_per_s)),
                connects_burst=int(env.get("VG_GUARD_CONNECTS_BURST", default.connects_burst)),
                connections_per_address=int(
                    env.get("VG_GUARD_CONNECTIONS_PER_ADDRESS", default.connections_per_address)
                ),
                trusted_proxies=addresses("VG_TRUSTED_PROXIES", default.trusted_proxies),
                metrics_from=addresses("VG_METRICS_FROM", default.metrics_from),
                frame_ancestors=env.get("VG_FRAME_ANCESTORS", default.frame_ancestors),
            )
        except ValueError as error:
            raise ValueError(f"the guard's settings in the environment: {error}") from None


def address_of(peer: str, forwarded: Sequence[str], trusted: tuple[str, ...]) -> str:
    """A client's address: ``peer``, or, when the peer is a trusted proxy, the last address in
    its ``X-Forwarded-For`` headers (``forwarded``, each comma-separated) that is not itself a
    trusted proxy. The guard and the lab's fair share (one visitor, one share) both use it."""
    if not _in(peer, trusted):
        return peer
    parts = [part.strip() for header in forwarded for part in header.split(",")]
    for address in reversed(parts):
        if not _in(address, trusted):
            return address
    return peer


class Budget:
    """A token bucket: ``burst`` tokens, refilled at ``rate`` a second; ``take`` waits for one
    and returns the seconds it waited."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.stamp = clock()

    def refill(self) -> None:
        """Add the tokens earned since the last refill (up to ``burst``)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    async def take(self) -> float:
        """Take a token, waiting for it if the bucket is empty; the seconds waited. A token is
        reserved before the wait (the count may go below zero), so that waiters queue up in
        order instead of all taking the same refill."""
        self.refill()
        self.tokens -= 1
        if self.tokens >= 0:
            return 0.0
        wait = -self.tokens / self.rate
        await asyncio.sleep(wait)
        return wait


def _in(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def parse_back_message(data: bytes) -> BackMsg | None:
    """The BackMsg in ``data``, or None if it does not parse as one."""
    message = BackMsg()
    try:
        message.ParseFromString(data)
    except Exception:  # protobuf raises its own DecodeError (and others on bad wire types)
        return None
    return message


def message_type(data: bytes) -> str | None:
    """The BackMsg's type (``"rerun_script"``, ``"clear_cache"``, …), or None if it does not
    parse as a BackMsg."""
    message = parse_back_message(data)
    return None if message is None else message.WhichOneof("type")


ACCEPTED_VALUES: dict[str, frozenset[str]] = {
    "slider": frozenset({"double_array_value"}),
    "select_slider": frozenset({"string_array_value"}),
    "button_group": frozenset({"string_array_value"}),
    "selectbox": frozenset({"string_value"}),
    "radio": frozenset({"string_value"}),
    "number_input": frozenset({"double_value", "int_value"}),
    "checkbox": frozenset({"bool_value"}),
    "expandable": frozenset({"bool_value"}),
    "popover": frozenset({"bool_value"}),
    "button": frozenset({"trigger_value"}),
    "download_button": frozenset({"trigger_value"}),
}
"""The value kinds Streamlit's own frontend sends for each element (seen in Chromium on this
page, Streamlit 1.67); any other kind for a known widget is dropped."""
MAX_WIDGETS = 10_000
"""Widget ids remembered per connection (a page draws about a hundred)."""


class WidgetValues:
    """The widgets the server drew on one connection (id → element kind), read from the
    outgoing messages, and the check of an incoming widget value against its kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}

    def learn(self, data: bytes) -> None:
        """Remember the widgets a ForwardMsg draws (ignored if it does not parse)."""
        message = ForwardMsg()
        try:
            message.ParseFromString(data)
        except Exception:  # protobuf's DecodeError and others: not ours to judge
            return
        if message.WhichOneof("type") != "delta" or len(self.kinds) >= MAX_WIDGETS:
            return
        delta = message.delta
        which = delta.WhichOneof("type")
        kind: str | None
        if which == "new_element":
            kind = delta.new_element.WhichOneof("type")
            element = getattr(delta.new_element, kind) if kind else None
        elif which == "add_block":
            kind = delta.add_block.WhichOneof("type")
            element = getattr(delta.add_block, kind) if kind else None
        else:
            return
        widget_id = getattr(element, "id", "")
        if kind in ACCEPTED_VALUES and widget_id:
            options = getattr(element, "options", None)
            self.kinds[widget_id] = "select_slider" if kind == "slider" and options else kind

    def acceptable(self, state: WidgetState) -> bool:
        """Whether a value sent for a widget is one its element can hold: of the kind the
        frontend sends, and finite where it is a number. Unknown ids pass (Streamlit ignores
        values of widgets it did not draw)."""
        kind = self.kinds.get(state.id)
        if kind is None:
            return True
        field = state.WhichOneof("value")
        if field not in ACCEPTED_VALUES[kind]:
            return False
        if field == "double_array_value":
            data = state.double_array_value.data
            return 1 <= len(data) <= 2 and all(math.isfinite(v) for v in data)
        if field == "double_value":
            return math.isfinite(state.double_value)
        return True

    def filtered(self, data: bytes, message: BackMsg) -> tuple[bytes, int]:
        """``data`` without the widget values that are not acceptable, and how many went."""
        states = message.rerun_script.widget_states.widgets
        keep = [state for state in states if self.acceptable(state)]
        dropped = len(states) - len(keep)
        if not dropped:
            return data, 0
        del states[:]
        states.extend(keep)
        return message.SerializeToString(), dropped


class Guard:
    """The ASGI middleware; see the module's docstring."""

    def __init__(self, app: ASGIApp, settings: GuardSettings | None = None) -> None:
        self.app = app
        self.settings = settings or GuardSettings.from_environment()
        self.open: Counter[str] = Counter()
        self.connects: dict[str, Budget] = {}
        """Per address, the budget of new WebSockets (forgotten once it is full again)."""

    def client_address(self, scope: Scope) -> str:
        """The client's address: the peer, or, from a trusted proxy, the last address in
        ``X-Forwarded-For`` that is not itself a trusted proxy."""
        peer = str((scope.get("client") or ("unknown", 0))[0])
        forwarded = [
            value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name.lower() == b"x-forwarded-for"
        ]
        return address_of(peer, forwarded, self.settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].rstrip("/").endswith("/_stcore/metrics") and not _in(
            self.client_address(scope), self.settings.metrics_from
        ):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain")]})  # fmt: skip
            await send({"type": "http.response.body", "body": b"Not found"})
            return
        policy = f"frame-ancestors {self.settings.frame_ancestors}".encode("latin-1")

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    h for h in message.get("headers", []) if h[0].lower() != b"x-frame-options"
                ]
                headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)

    async def pace_connects(self, address: str) -> None:
        """Wait for this address's budget of new WebSockets (full budgets are forgotten, so
        the table holds only addresses that connected lately)."""
        for known, bucket in list(self.connects.items()):
            bucket.refill()
            if bucket.tokens >= bucket.burst:
                del self.connects[known]
        bucket = self.connects.setdefault(
            address, Budget(self.settings.connects_per_s, self.settings.connects_burst)
        )
        waited = await bucket.take()
        if waited:
            LOG.warning("paced a new WebSocket from %s by %.1f s", address, waited)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = self.client_address(scope)
        if self.open[address] >= self.settings.connections_per_address:
            LOG.warning("refused a WebSocket from %s: %d open", address, self.open[address])
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        await self.pace_connects(address)
        self.open[address] += 1
        budget = Budget(self.settings.rate, self.settings.burst)
        widgets = WidgetValues()
        backlog: asyncio.Queue[Message] = asyncio.Queue(maxsize=self.settings.backlog)
        closing = False

        async def read_ahead() -> None:
            """Take incoming messages as they come, up to the backlog; a sender that keeps the
            backlog full for ``close_after_s`` is closed."""
            nonlocal closing
            full_since: float | None = None
            while True:
                message = await receive()
                await backlog.put(message)  # waits while the backlog is full: nothing is read
                if message["type"] == "websocket.disconnect":
                    return
                if not backlog.full():
                    full_since = None
                    continue
                now = time.monotonic()
                full_since = full_since or now
                if now - full_since > self.settings.close_after_s:
                    LOG.warning("closed a flooding WebSocket from %s", address)
                    closing = True
                    await send({"type": "websocket.close", "code": POLICY_VIOLATION})
                    while not backlog.empty():  # what waits is the flood's: drop it
                        backlog.get_nowait()
                    backlog.put_nowait({"type": "websocket.disconnect", "code": POLICY_VIOLATION})
                    return

        reader: asyncio.Task[None] | None = None

        async def guarded_receive() -> Message:
            nonlocal reader
            if reader is None:  # ASGI allows one reader: this task, from the first call on
                reader = asyncio.create_task(read_ahead())
            while True:
                message = await backlog.get()
                if message["type"] != "websocket.receive" or closing:
                    return message
                await budget.take()
                data: bytes = message.get("bytes") or b""
                parsed = parse_back_message(data) if data else None
                kind = parsed.WhichOneof("type") if parsed is not None else None
                if parsed is None or kind is None or kind in REFUSED_MESSAGES:
                    LOG.warning("refused a %s message from %s", kind or "malformed", address)
                    continue
                if kind == "rerun_script":
                    data, dropped = widgets.filtered(data, parsed)
                    if dropped:
                        LOG.warning(
                            "dropped %d unreadable widget value(s) from %s", dropped, address
                        )
                        message = {**message, "bytes": data}
                return message

        async def guarded_send(message: Message) -> None:
            if closing:  # after the guard's close nothing more may be sent
                return
            if message["type"] == "websocket.send" and message.get("bytes"):
                widgets.learn(message["bytes"])
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        finally:
            if reader is not None:
                reader.cancel()
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]
