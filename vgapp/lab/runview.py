"""One run of the lab as the page reads it (``RunView``: its snapshot and label, the mean loss
F/n, where the rules stopped it), the lab's data by setting, and a loss in words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vgapp.formatting import sci
from vgapp.lab.controls import LAB_SAMPLES
from vgapp.lab.runs import RunSpec, lab_data
from vgapp.lab.training.jobs import NOT_A_RULE, Snapshot
from vgcore.datasets import Dataset

CACHED_SETTINGS = 64
"""Lab settings whose data and step-0 factors stay memoised (each a few kB to a MB)."""


@lru_cache(maxsize=CACHED_SETTINGS)
def data_of(dataset: str, seed: int) -> Dataset:
    """The lab's data for a run (seeded; the same for every session; the latest
    ``CACHED_SETTINGS`` kept: the seed comes from a link, so the cache must be bounded)."""
    return lab_data(dataset, seed)


def loss_text(value: float | None) -> str:
    """A mean loss for the page: 3 significant digits, tiny values in scientific notation."""
    if value is None or not math.isfinite(value):
        return "not finite"
    if value == 0 or 1e-3 <= value < 1e4:
        return f"{value:.3g}"
    return sci(value)


@dataclass(frozen=True)
class RunView:
    """One run as the page reads its snapshot."""

    snapshot: Snapshot[RunSpec]
    label: str

    @property
    def spec(self) -> RunSpec:
        return self.snapshot.spec

    @property
    def loss_mean(self) -> np.ndarray:
        return self.snapshot.loss / LAB_SAMPLES

    @property
    def stopped(self) -> bool:
        return self.snapshot.stopped_by is not None and self.snapshot.stop_step is not None

    @property
    def rule_stopped(self) -> bool:
        """Stopped by a stopping rule (not by the step limit or an overflow)."""
        return self.stopped and self.snapshot.stopped_by not in NOT_A_RULE

    @property
    def loss_at_stop(self) -> float | None:
        if not self.stopped or self.snapshot.stop_loss is None:
            return None
        return self.snapshot.stop_loss / LAB_SAMPLES

    @property
    def loss_now(self) -> float | None:
        return float(self.loss_mean[-1]) if self.snapshot.recorded else None

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.spec.sizes(data_of(self.spec.dataset, self.spec.seed).X.shape[1])
