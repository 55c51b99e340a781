"""Step 4: the training lab, live. The controls make two run specs (yours and the remedy's);
the training engine (``vgapp.lab.training``) trains them and the page polls their snapshots, from
which ``vgapp.lab.view`` composes the blocks (memoised per snapshot version: a poll that finds
nothing new costs a dictionary lookup)."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from vgapp.blocks import PanelView
from vgapp.lab.controls import LAB_CONTROLS, LAB_DEFAULTS
from vgapp.lab.cursor import LIVE, Cursor
from vgapp.lab.run_charts import LAB_CHART
from vgapp.lab.runs import RunSpec, remedy_spec, spec_from_controls
from vgapp.lab.training.jobs import Snapshot
from vgapp.lab.view import lab_view
from vgapp.layout import Panel

DEFAULTS = LAB_DEFAULTS
VIEW_MEMO_ENTRIES = 64

Viewer = Callable[[Sequence[RunSpec]], Sequence[Snapshot[RunSpec]]]
"""``engine.view`` for this session: the snapshots of the runs it watches now."""


def specs(values: dict[str, Any]) -> tuple[RunSpec, RunSpec | None, str]:
    """Your run, the remedy's run (None when the remedy changes nothing) and the remedy, from
    the control values (a control that does not apply, None, takes its default, which the run
    ignores)."""
    chosen = {key: DEFAULTS[key] if values.get(key) is None else values[key] for key in DEFAULTS}
    mine = spec_from_controls(chosen)
    remedy = str(chosen["lab_remedy"])
    theirs = remedy_spec(mine, remedy)
    # a remedy whose network is yours changes nothing (its Armijo steps are not a remedy)
    same = dataclasses.replace(theirs, step_rule=mine.step_rule) == mine
    return mine, (None if same else theirs), remedy


_MEMO: OrderedDict[tuple[Any, ...], PanelView] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def compose(
    snapshots: Sequence[Snapshot[RunSpec]],
    remedy: str,
    chart: str = LAB_CHART.default,
    requested_steps: int | None = None,
    cursor: Cursor = LIVE,
) -> PanelView:
    """The lab's blocks for these snapshots (as this session's ``cursor`` shows them), each
    run with its ``chart`` (a ``LAB_CHART`` option), memoised on their specs, versions and
    shown steps (shared by every session that sees the same); ``requested_steps``: the step
    control's value (the budget may be capped below it)."""
    key = (
        remedy,
        chart,
        requested_steps,
        cursor,
        *((s.spec, s.version, s.step, s.status, s.queue_position) for s in snapshots),
    )
    with _MEMO_LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    mine, *rest = snapshots
    result = lab_view(
        mine,
        rest[0] if rest else None,
        remedy=remedy,
        chart=chart,
        requested_steps=requested_steps,
        paused_at=cursor.until(0),
    )
    with _MEMO_LOCK:
        _MEMO[key] = result
        while len(_MEMO) > VIEW_MEMO_ENTRIES:
            _MEMO.popitem(last=False)
    return result


def chart_of(values: dict[str, Any]) -> str:
    """The chart each run shows (``LAB_CHART``'s value, its default where unset)."""
    chart = values.get(LAB_CHART.key)
    return LAB_CHART.default if chart is None else str(chart)


def requested_steps(values: dict[str, Any]) -> int:
    """The step budget asked for (the runs' may be capped below it)."""
    steps = values.get("lab_steps")
    return int(DEFAULTS["lab_steps"] if steps is None else steps)


def view(*, viewer: Viewer, **values: Any) -> PanelView:
    """The lab as it stands: the runs of these controls, watched through ``viewer``."""
    mine, theirs, remedy = specs(values)
    snapshots = viewer((mine,) if theirs is None else (mine, theirs))
    return compose(snapshots, remedy, chart_of(values), requested_steps(values))


GROUPS = (
    ("What the page shows", (LAB_CHART.key,)),
    ("The data and the network", ("lab_dataset", "lab_depth", "lab_width", "lab_activation",
                                  "lab_init", "lab_init_scale", "lab_seed")),
    ("Training", ("lab_step_rule", "lab_eta", "lab_steps", "lab_dtype", "lab_loss_scale")),
    ("The stopping rules", ("lab_eps", "lab_gatol", "lab_gttol", "lab_fatol", "lab_frtol",
                            "lab_stagnation", "lab_combine")),
    ("The comparison run", ("lab_remedy",)),
)  # fmt: skip
FOLDS = (
    ("The data and the network", True),
    ("Training", False),
    ("The stopping rules", False),
    ("The comparison run", True),
)
"""Every group but the chart choice in a fold; the network and the remedy open (a control
costs the browser as much to draw whether it is moved or not: README, figures behind the
constants)."""
PANEL = Panel(
    "lab",
    "Training lab: does it happen in a real network?",
    (*LAB_CONTROLS, LAB_CHART),
    view,
    GROUPS,
    FOLDS,
    live=True,
)
