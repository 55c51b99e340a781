"""What the training engine asks of the lab and of its workers, as types: the ``Spec`` it keys
jobs by, the ``Recipe`` that trains one (given by the lab as a ``"module:name"`` string, which a
worker process imports) and the ``WorkerEvents`` through which a worker reports to the engine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from vgcore.descent import DescentStep

Observer = Callable[[DescentStep], None]
"""Sees every step of a training (the worker streams the trace from it, and holds or abandons
the training there by blocking or raising)."""


class Spec(Hashable, Protocol):
    """A training's definition, hashable and picklable (the lab's ``RunSpec``)."""

    @property
    def budget(self) -> int:
        """The step limit: the trace holds steps 0 .. budget at most."""
        ...

    @property
    def depth(self) -> int:
        """Hidden layers (a per-layer trace column has ``depth`` plus a few values a step)."""
        ...


class Outcome(Protocol):
    """How ``Recipe.train`` ended (``vgcore.descent.DescentResult``)."""

    @property
    def stopped_by(self) -> str: ...
    @property
    def stop_iter(self) -> int: ...
    @property
    def first_fired(self) -> Mapping[str, int | None]: ...
    @property
    def x(self) -> np.ndarray: ...
    @property
    def n_evaluations(self) -> int: ...


class TrainedRun(Protocol):
    """A finished training (the lab's ``LabRun``)."""

    @property
    def result(self) -> Outcome: ...
    @property
    def stop_step(self) -> int:
        """The step of ``x_stop``."""
        ...

    @property
    def recorded(self) -> int:
        """Finite steps in the trace."""
        ...

    @property
    def x_stop(self) -> np.ndarray: ...


@dataclass(frozen=True)
class Recipe:
    """How the workers train: ``train(spec, observer)`` trains a spec to its budget, calling
    ``observer`` at every step; ``warm_up()`` trains something tiny once, so that a fresh worker
    process has loaded everything; the engine accepts instances of ``spec_type`` only."""

    spec_type: type
    train: Callable[[Any, Observer], TrainedRun]
    warm_up: Callable[[], None]


def load_recipe(target: str) -> Recipe:
    """The ``Recipe`` named ``"module:name"`` (the module is imported)."""
    module, _, name = target.partition(":")
    recipe = getattr(importlib.import_module(module), name)
    if not isinstance(recipe, Recipe):
        raise TypeError(f"{target} is not a training Recipe: {recipe!r:.80}")
    return recipe


W_contra = TypeVar("W_contra", contravariant=True)


class WorkerEvents(Protocol[W_contra]):
    """What a worker tells the engine that started it (from the worker's own thread)."""

    def worker_message(self, worker: W_contra, message: tuple[Any, ...]) -> None:
        """A message of the worker protocol (``vgapp.lab.training.messages``)."""

    def worker_exited(self, worker: W_contra, text: str) -> None:
        """The worker has ended or stopped answering; ``text`` says how."""
