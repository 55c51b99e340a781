"""Predict, then see: one question per panel that the student answers before the page shows
the answer (``predict=1`` in the link, or the "Predict first" toggle).

Pure (no Streamlit): each ``Question`` asks from the control values and the panel's own facts
(``PanelView.facts``, the same vgcore figures the panel shows), so its answer is computed, never
stored; ``covered`` hides the blocks that give the answer away until it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from vgapp import vegalite as vl
from vgapp.blocks import Block, Chart, Columns, Fold, Metrics, PanelView, Table, Text
from vgapp.formatting import num, sci, sci_from_log10
from vgapp.panels.chain import zero_cut
from vgapp.panels.curvature import explain_point
from vgapp.panels.precision import Outcome, rule_text, stored_text, typed_text
from vgapp.words import ACTIVATION_LABELS, SURFACE_FORMULAS
from vgcore.precision import float_facts

TOGGLE_HELP = (
    "The deep chain, the Hessian and the floating-point sections each ask you a question and "
    "hide the part that answers it until you have answered. Kept in the link, and by the "
    'lessons, "Next" and "Reset all controls".'
)
COVER = "Hidden until you answer the question above: this part gives the answer away."
NEVER = "never"
"""The chain's answer when float32 is not exactly 0 at any depth up to L."""
CHAIN_DTYPE = "float32"


@dataclass(frozen=True)
class Asked:
    """A question for one setting: its words, its choices ``(key, label)`` and, for a number
    question, the range of whole numbers it takes; the page's answer and why."""

    text: str
    choices: tuple[tuple[str, str], ...]
    answer: str | int
    shown: str
    """The answer as the reveal says it."""
    reason: str
    numbers: tuple[int, int] | None = None

    def label(self, given: str | int) -> str:
        """A given answer as the reveal says it."""
        if isinstance(given, int):
            return f"L = {given:,}"
        return dict(self.choices)[given]


@dataclass(frozen=True)
class Question:
    """One panel's question: the controls that decide its answer (a change asks again), how it
    is asked for a setting (None: no question there), and which blocks give it away."""

    panel: str
    keys: tuple[str, ...]
    ask: Callable[[Mapping[str, Any], Mapping[str, Any]], Asked | None]
    hides: Callable[[Block], Block | None]
    """A block's covered form: None to hide it, the block itself to keep it."""

    def setting(self, values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        return tuple((key, values[key]) for key in self.keys)


def reveal(asked: Asked, given: str | int) -> tuple[bool, str]:
    """Whether ``given`` is the page's answer, and the sentence that says so with the reason."""
    right = given == asked.answer
    start = "Right. " if right else ""
    return right, (
        f"{start}You said {asked.label(given)}; the page computes {asked.shown}: {asked.reason}"
    )


# ---------------------------------------------------------------- the chain


def chain_ask(values: Mapping[str, Any], facts: Mapping[str, Any]) -> Asked:
    """At which depth does float32 first give dF/dw₁ = 0 exactly (``report.underflow_depths``)?"""
    report = facts["report"]
    depth = report.depth
    if values["w_mode"] == "constant":
        weights = f"every weight w = {num(values['w'])}"
    else:
        weights = (
            f"random weights of mean {num(values['w_mean'])}, spread "
            f"{num(values['w_spread'])}, seed {values['seed']}"
        )
    label = ACTIVATION_LABELS[values["activation"]]
    text = (
        f"At which depth L does {CHAIN_DTYPE} first give dF/dw₁ = 0 exactly, for the {label} "
        f"chain with {weights}? Type a depth from 2 to {depth:,}, or answer that it never does "
        f"up to L = {depth:,}."
    )
    never = f"never, up to L = {depth:,}"
    zero_at = report.underflow_depths[CHAIN_DTYPE]
    if zero_at is None:
        value = float(report.gradients[CHAIN_DTYPE][0])
        reason = (
            f"{CHAIN_DTYPE} is not exactly 0 at any depth up to L = {depth:,} (at L = {depth:,} "
            f"it computes {sci(value)})."
        )
        return Asked(text, ((NEVER, never),), NEVER, never, reason, (2, depth))
    split = report.decomposition
    index = zero_at - 2
    exact = split.log10_abs_weight_product[index] + split.log10_derivative_product[index]
    if facts["zeros"][CHAIN_DTYPE].underflow:
        smallest = sci(float_facts(CHAIN_DTYPE).smallest_subnormal)
        reason = (
            f"there the exact value is {sci_from_log10(exact)}, not 0: {CHAIN_DTYPE} underflows "
            f"to 0 (its smallest positive number is {smallest})."
        )
        if zero_at > 2:
            reason += f" At L = {zero_at - 1:,} {CHAIN_DTYPE} still gives a nonzero value."
    else:
        reason = f"the exact value is 0 there too: {zero_cut(report)} (a zero gradient)."
    return Asked(text, ((NEVER, never),), zero_at, f"L = {zero_at:,}", reason, (2, depth))


def chain_hides(block: Block) -> Block | None:
    """The chart (its zero bands and title) and the per-precision metrics give it away."""
    if isinstance(block, Chart):
        return None
    if isinstance(block, Metrics):
        kept = tuple(m for m in block.items if not m.label.startswith("in "))
        return Metrics(kept) if kept else None
    return block


# ---------------------------------------------------------------- the Hessian

VERDICT_CHOICES = (
    ("minimum", "a minimum"),
    ("maximum", "a maximum"),
    ("saddle", "a saddle"),
    ("inconclusive", "the test cannot tell"),
    ("not stationary", "not a stationary point"),
)
"""The keys are ``PointReport.classification``'s verdicts."""


def point_text(values: Mapping[str, Any]) -> str:
    return f"({num(values['pt_x'] + 0.0)}, {num(values['pt_y'] + 0.0)})"


def hessian_ask(values: Mapping[str, Any], facts: Mapping[str, Any]) -> Asked:
    """What does the second-order test say of the point (``PointReport.classification``)?"""
    point = facts["point"]
    text = (
        f"What is the point {point_text(values)} of {SURFACE_FORMULAS[values['surface']]}: a "
        "minimum, a maximum, a saddle, or can the second-order test not tell? It may also not "
        "be a stationary point."
    )
    shown = dict(VERDICT_CHOICES)[point.classification]
    return Asked(text, VERDICT_CHOICES, point.classification, shown, explain_point(point) + ".")


def hessian_hides(block: Block) -> Block | None:
    """The verdict, the eigenvalues and ‖∇F‖ give it away, and the chart's title and alt text
    (the chart itself stays, retitled: the surface is what a prediction is made from)."""
    if isinstance(block, Chart):
        title = vl.title(
            "What kind of point is the ◆? Answer the question above to see the verdict",
            "Arrows point downhill (−∇F).",
        )
        retitled = vl.chart([], title=title)
        spec = {**block.spec, "title": retitled["title"], "description": retitled["description"]}
        alt = "The surface with the point you move (◆); its verdict is hidden until you answer."
        return replace(block, spec=spec, alt=alt)
    if isinstance(block, Metrics):
        kept = tuple(m for m in block.items if m.label == "F at the point")
        return Metrics(kept) if kept else None
    return block


# ---------------------------------------------------------------- floating point

CHANGE_CHOICES = (("changes", "yes, w changes"), ("lost", "no, w − η·g == w: the update is lost"))
CHANGED = "w − η·g ≠ w: w changes"
LOST = "w − η·g == w: the update is lost"


def precision_ask(values: Mapping[str, Any], facts: Mapping[str, Any]) -> Asked | None:
    """Will w − η·g differ from w in the chosen precision (``Outcome.verdict``)? No question
    where w itself is ±∞ in it (no update applies)."""
    result: Outcome = facts["outcome"]
    dtype, step = result.dtype, facts["step"]
    if result.verdict == "none":
        return None
    text = (
        f"Will w − η·g differ from w in {dtype}, for w = {typed_text(values['fp_w'])} and "
        f"η·g = {sci(step)}?"
    )
    w = stored_text(result.stored.value, dtype)
    stored = f"w is stored as {w}"
    if result.update != 0:
        stored += f", η·g as {sci(result.update)}"
    if result.verdict == "overflow":
        reason = (
            f"{stored}, and w − η·g is {stored_text(result.result, dtype)}: the update does not "
            "vanish, it destroys w."
        )
        return Asked(text, CHANGE_CHOICES, "changes", CHANGED, reason)
    if result.verdict == "applied":
        reason = (
            f"{stored}, and w − η·g = {stored_text(result.result, dtype)}: only an update with "
            f"{rule_text(result.stored.value, dtype)} is lost there."
        )
        return Asked(text, CHANGE_CHOICES, "changes", CHANGED, reason)
    if result.update == 0:
        reason = f"η·g = {sci(step)} rounds to 0 in {dtype}, so w − η·g is w itself."
    else:
        reason = (
            f"{stored}, and w − η·g rounds back to w: every update with "
            f"{rule_text(result.stored.value, dtype)} is lost there."
        )
    return Asked(text, CHANGE_CHOICES, "lost", LOST, reason)


def precision_hides(block: Block) -> Block | None:
    """Everything that says lost or applied: the chart, the verdict and step-count metrics,
    the tables and the warnings (η·g rounding to 0 or to ∞)."""
    if isinstance(block, Chart | Table):
        return None
    if isinstance(block, Text) and block.kind == "warning":
        return None
    if isinstance(block, Metrics):
        kept = tuple(m for m in block.items if m.label == "the update η·g")
        return Metrics(kept) if kept else None
    return block


QUESTIONS: dict[str, Question] = {
    question.panel: question
    for question in (
        Question(
            "chain",
            ("depth", "activation", "w_mode", "w", "w_mean", "w_spread", "seed"),
            chain_ask,
            chain_hides,
        ),
        Question("curvature", ("surface", "pt_x", "pt_y"), hessian_ask, hessian_hides),
        Question(
            "precision",
            ("fp_w", "fp_eta", "fp_grad_exp", "fp_dtype"),
            precision_ask,
            precision_hides,
        ),
    )
}


# ---------------------------------------------------------------- covering a view


def covered(view: PanelView, hides: Callable[[Block], Block | None]) -> PanelView:
    """The view with each block that gives the answer away hidden (one notice where a run of
    hidden blocks was), inside columns and folds too."""
    return replace(view, blocks=cover_blocks(view.blocks, hides))


def cover_blocks(
    blocks: tuple[Block, ...], hides: Callable[[Block], Block | None]
) -> tuple[Block, ...]:
    out: list[Block] = []
    notice = Text(COVER, "info")
    for block in blocks:
        kept: Block | None
        if isinstance(block, Columns):
            kept = replace(block, columns=tuple(cover_blocks(c, hides) for c in block.columns))
        elif isinstance(block, Fold):
            kept = replace(block, blocks=cover_blocks(block.blocks, hides))
        else:
            kept = hides(block)
        if kept is None:
            if not out or out[-1] != notice:
                out.append(notice)
        else:
            out.append(kept)
    return tuple(out)
