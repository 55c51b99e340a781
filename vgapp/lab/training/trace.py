"""The lab's per-step trace, defined once: the fields of ``Trace`` are the columns recorded at
every descent step k, float64, one value a step or one a layer. The worker's rows, a job's
arrays and a snapshot's per-step data are all built from these fields, by name.

A new per-step figure is one field here (with ``figure=True``, the objective computes it under
its name: ``vgcore.mlp``'s figures) and the code that shows it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vgcore.descent import DescentStep


@dataclass(frozen=True)
class Column:
    """How one trace field is recorded (its ``dataclasses.field`` metadata)."""

    first: int = 0
    """The first step with a value (1 for a change between steps: there is none at k = 0)."""
    layers: int | None = None
    """None: one value a step; n: ``depth + n`` values a step (one per layer)."""
    figure: bool = False
    """Computed by the objective (``DescentStep.extras[name]``), else a ``DescentStep`` field."""

    def shape(self, depth: int) -> tuple[int, ...]:
        """The shape of one step's value in a ``depth``-layer network."""
        return () if self.layers is None else (depth + self.layers,)


@dataclass(frozen=True)
class Trace:
    """The per-step columns of a run, one row per recorded step k (from the column's ``first``
    step); all float64."""

    loss: np.ndarray = field(metadata={"column": Column()})
    """F_k, the summed loss (F/n = loss / LAB_SAMPLES)."""
    grad_norm: np.ndarray = field(metadata={"column": Column()})
    """||grad F(x_k)||_2."""
    param_norm: np.ndarray = field(metadata={"column": Column()})
    step_norm: np.ndarray = field(metadata={"column": Column(first=1)})
    """||x_k - x_{k-1}||_2."""
    step_size: np.ndarray = field(metadata={"column": Column(first=1)})
    """t_{k-1}."""
    backprop_norms: np.ndarray = field(metadata={"column": Column(layers=1, figure=True)})
    """(steps, depth + 1): ||dF/dz_l||_F per layer, output last (the heatmap)."""
    saturation: np.ndarray = field(metadata={"column": Column(layers=0, figure=True)})
    """(steps, depth): share of saturated unit-samples per hidden layer."""


COLUMNS: tuple[tuple[str, Column], ...] = tuple(
    (each.name, each.metadata["column"]) for each in dataclasses.fields(Trace)
)
"""Each trace field's name and how it is recorded, in field order."""
FIGURES: tuple[str, ...] = tuple(name for name, column in COLUMNS if column.figure)
"""The figures the objective must compute at every step (``mlp_objective(figures=...)``)."""

Row = tuple[Any, ...]
"""One step's values in ``COLUMNS`` order (0.0 for a column that has none at that step)."""


def row_of(step: DescentStep) -> Row:
    """The trace values of one step of the descent."""
    extras = step.extras or {}
    values = (extras[name] if column.figure else getattr(step, name) for name, column in COLUMNS)
    return tuple(0.0 if value is None else value for value in values)


def stacked(rows: Sequence[Row]) -> Trace:
    """Consecutive rows as one trace chunk: every column has a row per step, its ``first``
    steps included (as 0)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    arrays: dict[str, np.ndarray] = {}
    for (name, column), values in zip(COLUMNS, columns, strict=True):
        array = np.array(values, dtype=np.float64)
        if column.layers is not None:
            array = array.reshape(len(values), len(values[0]) if values else 0)
        arrays[name] = array
    return Trace(**arrays)


def preallocated(budget: int, depth: int) -> Trace:
    """Room for steps 0 .. ``budget`` of a ``depth``-layer run (uninitialised)."""
    return Trace(
        **{
            name: np.empty((budget + 1 - column.first, *column.shape(depth)))
            for name, column in COLUMNS
        }
    )


def write(trace: Trace, chunk: Trace, first: int, start: int, stop: int) -> None:
    """Copy rows ``start .. stop - 1`` of ``chunk`` (whose row 0 is step ``first``) into
    ``trace`` (whose row 0 is each column's ``first`` step)."""
    for name, column in COLUMNS:
        low = max(start, column.first - first)
        if stop > low:
            target = getattr(trace, name)
            target[first + low - column.first : first + stop - column.first] = getattr(chunk, name)[
                low:stop
            ]


def head(trace: Trace, steps: int) -> dict[str, np.ndarray]:
    """Read-only views of the rows of steps 0 .. ``steps`` - 1, by field name."""
    return {
        name: read_only(getattr(trace, name)[: max(steps - column.first, 0)])
        for name, column in COLUMNS
    }


def nbytes(trace: Trace) -> int:
    return sum(getattr(trace, name).nbytes for name, _ in COLUMNS)


def read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
