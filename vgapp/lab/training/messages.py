"""What the engine and a worker say to each other (``vgapp.lab.training.worker`` lists the
messages): ``Rows`` of the trace and the ``Final`` state of a training, and the framing of a
pickled message on a pipe (an 8-byte little-endian length, then the pickle)."""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from vgapp.lab.training.trace import Trace

HEADER = struct.Struct("<Q")


@dataclass(frozen=True)
class Rows:
    """Trace rows of steps ``k = first .. first + n - 1`` and what is known of the stop."""

    first: int
    trace: Trace
    """n rows in every column (0 where a column has no value, e.g. a step's change at k = 0)."""
    first_fired: dict[str, int | None]
    stopped_by: str | None
    stop_iter: int
    x_stop: np.ndarray | None
    """Sent once, with the rows of the step where the rules stopped the run."""
    x_now: np.ndarray | None
    x_now_step: int
    seconds: float
    """Seconds since this training started (the child's clock), for the step rate."""

    @property
    def count(self) -> int:
        return int(self.trace.loss.size)


@dataclass(frozen=True)
class Final:
    """The end of a training (the budget reached, or an overflow)."""

    stopped_by: str
    stop_iter: int
    stop_step: int
    first_fired: dict[str, int | None]
    recorded: int
    x: np.ndarray
    x_stop: np.ndarray
    n_evaluations: int


def read_frame(stream: IO[bytes]) -> Any:
    """One pickled message; EOFError at the end of the stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def frame(message: Any) -> bytes:
    """``message`` pickled, with its length in front."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body
