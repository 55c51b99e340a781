"""Server memory over many sessions, one after the other: does anything grow per session?

``--sessions`` sessions (1,000 by default) open the page over its WebSocket in turn, each in a
section of its own (cycling through every section) at a setting no other session uses (a
slider value, or for the lab a seed of its own on a small network, so that each lab session
trains a new run), follow the page's own live reruns until the lab is done, and close. The
server's RSS is sampled after every session; printed every 100 sessions, with the spread over
the last half (target: within ±10 % of its mean) and the training processes left at the end.

    python -m bench.memory [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from bench.load import MB
from pagetools.harness import StreamlitServer, start_streamlit
from vgapp.page import CONTROLS, SECTION_KEYS

RUN_TIMEOUT_S = 120.0
MAX_POLLS = 200
"""Live reruns a lab session follows at most (bounded: a run of 30 steps needs a few)."""
SLIDERS = {
    "answer": "depth",
    "hessian": "pt_x",
    "descent": "gd_x0",
    "floating_point": "fp_grad_exp",
}


def query_of(index: int) -> str:
    """Session ``index``'s link: its section and a value of its own."""
    section = SECTION_KEYS[index % len(SECTION_KEYS)]
    rank = index // len(SECTION_KEYS)
    if section == "lab":
        seed_control = CONTROLS["lab_seed"]
        seed = int(seed_control.low) + rank % int(seed_control.high - seed_control.low + 1)
        return f"section=lab&lab_depth=2&lab_width=8&lab_steps=30&lab_seed={seed}"
    control = CONTROLS[SLIDERS[section]]
    steps = round((control.high - control.low) / control.step)
    value = control.canonical(control.low + (rank % (steps + 1)) * control.step)
    return f"section={section}&{control.key}={control.url_text(value)}"


async def session(server: StreamlitServer, query: str) -> list[str]:
    """One visit: the first run, then the page's live reruns until it stops asking; problems."""
    problems: list[str] = []
    url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
    async with connect(url, subprotocols=["streamlit"], max_size=None) as ws:
        message = BackMsg(rerun_script={"query_string": query})
        for _ in range(MAX_POLLS):
            await ws.send(message.SerializeToString())
            timer: tuple[float, str] | None = None
            while True:
                reply = ForwardMsg()
                reply.ParseFromString(await asyncio.wait_for(ws.recv(), RUN_TIMEOUT_S))
                kind = reply.WhichOneof("type")
                if kind == "auto_rerun":
                    timer = (reply.auto_rerun.interval, reply.auto_rerun.fragment_id)
                elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                    if reply.delta.new_element.WhichOneof("type") == "exception":
                        problems.append(reply.delta.new_element.exception.type)
                elif (
                    kind == "script_finished"
                    and reply.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
                ):
                    break
            if timer is None:
                return problems
            await asyncio.sleep(timer[0])
            message = BackMsg(rerun_script={"query_string": query, "fragment_id": timer[1]})
    return [*problems, "the lab never stopped asking for reruns"]


async def main_async(count: int) -> bool:
    server = start_streamlit()
    rss: list[int] = []
    failed = 0
    started = time.monotonic()
    try:
        for index in range(count):
            problems = await session(server, query_of(index))
            failed += bool(problems)
            if problems and failed <= 5:
                print(f"  session {index} ({query_of(index)}): {problems}")
            rss.append(server.rss_bytes())
            if (index + 1) % 100 == 0:
                print(f"  {index + 1:5d} sessions  RSS {rss[-1] / MB:7.1f} MB  "
                      f"({time.monotonic() - started:6.0f} s)", flush=True)  # fmt: skip
        await asyncio.sleep(10)
        left = len(server.children())
    finally:
        server.stop()
    half = rss[len(rss) // 2 :]
    mean = statistics.fmean(half)
    spread = max(abs(v - mean) for v in half) / mean
    low, high = min(half) / MB, max(half) / MB
    print(f"\n  RSS over the last {len(half)} sessions: {low:.1f}-{high:.1f} MB, "
          f"mean {mean / MB:.1f} MB, at most {spread:.1%} from it (target <= 10 %): "
          f"{'PASS' if spread <= 0.10 else 'MISS'}")  # fmt: skip
    print(f"  first session {rss[0] / MB:.1f} MB, last {rss[-1] / MB:.1f} MB; sessions with an "
          f"exception: {failed}; training processes 10 s after the last: {left}")  # fmt: skip
    return spread <= 0.10 and failed == 0 and left == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args()
    if not 10 <= args.sessions <= 5000:
        raise SystemExit("--sessions must be from 10 to 5,000")
    if not asyncio.run(main_async(args.sessions)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
