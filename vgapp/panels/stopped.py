"""The answer's picture: gradient descent stopped on a plateau by the parameter-change rule, and
the same run continued to its budget.

The run is lesson ④'s (``LESSON``: 4 sigmoid layers of 16, standard initialisation, η = 3·10⁻³,
ε = 10⁻³, 3,000 steps, float32), trained exactly as the lab trains it (``vgapp.lab.runs.train``:
the core's ``gradient_descent`` with ``run_past_stop``, on ``vgcore.mlp``'s objective), so the
picture and the lesson show one trace. It takes about half a second: it is trained once per
process (``picture_run``), when the server starts (``app.py``), never while a visitor waits.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Chart, PanelView, Text
from vgapp.formatting import superscript
from vgapp.lab.controls import LAB_DEFAULTS, LAB_LESSONS
from vgapp.lab.runs import LabRun, RunSpec, lab_data, spec_from_controls, train
from vgapp.lab.runview import loss_text
from vgapp.layout import Panel
from vgapp.panels.stopped_chart import chart
from vgapp.words import ACTIVATION_LABELS, DATASET_LABELS, RULE_TEXT

LESSON = "lab_deep_sigmoid"
"""The lab lesson whose run the picture shows (the button beside it opens that lesson)."""
PLATEAU_BAND = 0.01
"""The alt text says how long the continued loss stays within this fraction of the loss at the
stop: the plateau the rule stopped on."""
SENTENCE = (
    "The gradient was small, so the steps were tiny and the rule stopped the run at a coin flip. "
    "Continued, the same run learns."
)


def lesson_spec(key: str = LESSON) -> RunSpec:
    """A lab lesson's run: every lab control at its default, then the lesson's values."""
    lesson = next(lesson for lesson in LAB_LESSONS if lesson.key == key)
    return spec_from_controls({**LAB_DEFAULTS, **lesson.values})


_TRAINING = threading.Lock()


@cache
def _trained() -> LabRun:
    spec = lesson_spec()
    return train(spec, lab_data(spec.dataset, spec.seed), "")


def picture_run() -> LabRun:
    """The picture's run, trained to its budget once per process (a second caller waits for the
    first instead of training it again)."""
    with _TRAINING:
        return _trained()


@dataclass(frozen=True)
class Picture:
    """What the picture says: the mean loss F/n at every step k = 0..n, where the rule stopped
    the run, and how long the continued loss stays on the plateau."""

    loss: np.ndarray
    stop: int
    rule: str
    plateau_end: int
    """The first step after the stop whose loss is more than ``PLATEAU_BAND`` away from the
    loss at the stop."""

    @property
    def at_stop(self) -> float:
        return float(self.loss[self.stop])

    @property
    def end(self) -> int:
        return int(self.loss.size - 1)

    @property
    def at_end(self) -> float:
        return float(self.loss[-1])


def picture_of(run: LabRun) -> Picture:
    """The picture's figures from a lab run trained to its budget."""
    loss = np.asarray(run.loss_mean, dtype=np.float64)
    stop = run.stop_step
    off = np.abs(loss[stop:] - loss[stop]) > PLATEAU_BAND * loss[stop]
    plateau_end = stop + int(np.argmax(off)) if off.any() else int(loss.size - 1)
    return Picture(loss, stop, run.result.stopped_by, plateau_end)


def frame_of(picture: Picture) -> pd.DataFrame:
    """The CSV: every step's mean loss, and whether the rule had stopped the run by then."""
    steps = np.arange(picture.loss.size)
    return pd.DataFrame(
        {
            "step_k": steps,
            "mean_loss_nats": picture.loss,
            "part": np.where(steps <= picture.stop, "until the stop", "continued"),
        }
    )


def title_text(picture: Picture) -> str:
    return (
        f"Stopped on a plateau at step {picture.stop} (loss {loss_text(picture.at_stop)}); "
        f"continued, it reaches {loss_text(picture.at_end)}"
    )


def alt_text(picture: Picture, spec: RunSpec) -> str:
    """The chart in words (for screen readers, and the chart's caption)."""
    network = (
        f"{spec.depth} {ACTIVATION_LABELS[spec.activation]} layers of {spec.width} units on "
        f"the {DATASET_LABELS[spec.dataset].lower()} data"
    )
    stay = (
        f"stays within {PLATEAU_BAND:.0%} of it until step {picture.plateau_end:,}"
        if picture.plateau_end < picture.end
        else f"stays within {PLATEAU_BAND:.0%} of it to the end"
    )
    return (
        f"Mean loss against step of gradient descent on {network}: "
        f"{RULE_TEXT[picture.rule].phrase} (ε = {eps_text(spec)}) stops the run at step "
        f"{picture.stop}, loss {loss_text(picture.at_stop)}. Continued, the loss {stay}, then "
        f"falls to {loss_text(picture.at_end)} at step {picture.end:,}."
    )


def eps_text(spec: RunSpec) -> str:
    """``10⁻³``: the rule's threshold as a power of ten."""
    eps = spec.rules.eps
    if eps is None:
        raise ValueError("the picture's run needs the parameter-change rule")
    return f"10{superscript(round(math.log10(eps)))}"


def view() -> PanelView:
    """The picture: the loss of the run the rule stopped, and of the same run continued."""
    run = picture_run()
    picture = picture_of(run)
    spec = chart(
        picture.loss,
        stop=picture.stop,
        title=vl.title(title_text(picture)),
        stop_label=[
            "the rule stops here:",
            f"step {picture.stop}, loss {loss_text(picture.at_stop)}",
        ],
        end_label=[f"continued: {loss_text(picture.at_end)}", f"at step {picture.end:,}"],
    )
    blocks = (
        Chart("stopped", spec, alt_text(picture, run.spec), lambda: frame_of(picture),
              caption=False),
        Text(SENTENCE, "caption"),
    )  # fmt: skip
    return PanelView(blocks, facts={"picture": picture, "spec": run.spec})


PANEL = Panel(
    "stopped",
    "",  # no heading: the chart's title states the finding
    (),
    view,
    lesson=LESSON,
)
