"""The lab's lessons (vgapp.lab.controls.LAB_LESSONS): every figure a lesson's note states,
recomputed here with vgcore alone (the data and the initial weights made as vgapp.lab.runs makes
them, from the seed's two child streams) and looked up in the note as the page formats it
(vgapp.lab.loss_text for losses); the runs the page trains are checked to be these runs.

Deep sigmoid: the parameter-change rule stops the run on the ln 2 plateau, and the same run,
continued to the budget, leaves the plateau and ends far lower. float16: the float16 run falls
slowly where mixed precision trains on, and each part of mixed precision is credited with what it
rescues by adding the parts one at a time (float32 master weights, the float32 loss, the dynamic
loss scale)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from vgapp import page
from vgapp.formatting import superscript
from vgapp.lab import panel as lab_panel
from vgapp.lab.controls import LAB_LESSONS, LAB_SAMPLES, OFF, REMEDY_LOSS_SCALE
from vgapp.lab.runs import LAB_NOISE
from vgapp.lab.runview import loss_text
from vgapp.lab.training.engine import TrainingEngine
from vgcore.datasets import Dataset, make_dataset
from vgcore.descent import DescentResult, gradient_descent
from vgcore.mixed_precision import (
    DEFAULT_INIT_SCALE,
    ScaleSchedule,
    mixed_precision_descent,
    mixed_precision_objective,
    precision_breakdown,
)
from vgcore.mlp import (
    flatten_params,
    init_mlp,
    mlp_forward_backward,
    mlp_objective,
    mlp_predict,
    unflatten_params,
)
from vgcore.stopping import StoppingRules

LESSONS = {lesson.key: lesson for lesson in LAB_LESSONS}
LN2 = math.log(2.0)
PLATEAU_TOL = 1e-3
"""On the mean loss: the deep sigmoid's loss at the stop is ln 2 to within this (a coin flip)."""
SAME_LOSS_RTOL = 0.05
"""Two runs whose difference is a part of mixed precision that does nothing here: their mean
losses at the budget agree to within 5% (measured: 0.8% for the lesson's seed)."""
NEGLIGIBLE_LOSS = 1e-7
"""Per-sample loss of a sample whose float32 error is exactly 0: below 6e-8 for class 1 (float32
cancels sigma(s) - 1 from s = 16.64 on, loss log(1 + e^-s)); class 0 below that too."""
FIGURES = ("backprop_norms", "saturation", "backprop_zeros")
MACHINE_RTOL = 0.2
"""A float16-lesson loss the note states ("about 4.5 × 10⁻⁵") is within 20% of the run's: the
runs' last digits depend on the order in which the machine's BLAS adds float32 products (its
OpenBLAS kernel), and 2,000 steps amplify that. Measured for the float16 run: 4.62e-4 on a
Haswell kernel, 4.87e-4 on an AMD EPYC (AVX2) and on the machine the note was first written
on; mixed precision 4.11e-5 and 4.78e-5."""
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)(?: × 10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")
_SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def stated(text: str, before: str) -> float:
    """The figure the note states right after ``before``: ``5 × 10⁻⁴`` or ``10``."""
    assert before in text, before
    match = _FIGURE.match(text, text.index(before) + len(before))
    assert match, (before, text)
    exponent = int(match[2].translate(_SUPERSCRIPTS)) if match[2] else 0
    return float(match[1]) * 10.0**exponent


def assert_about(value: float, text: str, before: str) -> None:
    """The note states ``value`` right after ``before``, to within ``MACHINE_RTOL``."""
    figure = stated(text, before)
    assert abs(value - figure) <= MACHINE_RTOL * figure, (before, figure, value)


@dataclass(frozen=True)
class Setting:
    """A lesson's run as the page trains it, built from vgcore calls."""

    values: dict
    data: Dataset
    sizes: tuple[int, ...]
    x0: np.ndarray
    rules: StoppingRules

    @property
    def eta(self) -> float:
        return float(self.values["lab_eta"])

    def start(self, init: str | None = None) -> np.ndarray:
        """The initial weights for ``init`` (the lesson's by default) from the same stream."""
        if init is None:
            return self.x0
        _, init_seed = np.random.SeedSequence(self.values["lab_seed"]).spawn(2)
        params = init_mlp(
            self.sizes, init, np.random.default_rng(init_seed), dtype=self.values["lab_dtype"]
        )
        return flatten_params(params)

    def objective(self, activation: str | None = None, **options):
        """``mlp_objective`` in the lesson's dtype (unless ``options`` name another)."""
        return mlp_objective(
            self.sizes,
            self.data.X,
            self.data.y,
            activation or self.values["lab_activation"],
            "bce",
            figures=FIGURES,
            **{"dtype": self.values["lab_dtype"], **options},
        )

    def descend(
        self, objective, x0: np.ndarray, dtype: str, step: str | None = None, **options
    ) -> DescentResult:
        """The lesson's descent (its step rule unless ``step`` names another)."""
        return gradient_descent(
            objective,
            x0,
            step=step or self.values["lab_step_rule"],
            eta=self.eta,
            rules=self.rules,
            dtype=dtype,
            run_past_stop=True,
            armijo_start="previous",
            **options,
        )

    def mixed(self, **options) -> DescentResult:
        objective = mixed_precision_objective(
            self.sizes,
            self.data.X,
            self.data.y,
            self.values["lab_activation"],
            "bce",
            figures=FIGURES,
            **options,
        )
        return mixed_precision_descent(
            objective,
            self.x0,
            step=self.values["lab_step_rule"],
            eta=self.eta,
            rules=self.rules,
            run_past_stop=True,
        )


@cache
def setting(key: str) -> Setting:
    values = page.lesson_values(key)
    assert values["lab_dataset"] != "regression_1d"  # "bce" below
    for rule in ("gatol", "gttol", "fatol", "frtol"):
        assert values[f"lab_{rule}"] == OFF
    assert values["lab_combine"] == "any"
    data_seed, init_seed = np.random.SeedSequence(values["lab_seed"]).spawn(2)
    data = make_dataset(
        values["lab_dataset"], LAB_SAMPLES, LAB_NOISE, seed=np.random.default_rng(data_seed)
    )
    sizes = (data.X.shape[1], *[values["lab_width"]] * values["lab_depth"], 1)
    params = init_mlp(
        sizes, values["lab_init"], np.random.default_rng(init_seed), dtype=values["lab_dtype"]
    )
    eps = values["lab_eps"]
    rules = StoppingRules(
        eps=None if eps == OFF else float(eps),
        stagnation=values["lab_stagnation"],
        max_iter=values["lab_steps"],
    )
    return Setting(values, data, sizes, flatten_params(params), rules)


def mean_loss(result: DescentResult, k: int) -> float:
    return float(result.loss[k]) / LAB_SAMPLES


def note(key: str) -> str:
    return LESSONS[key].words


def thousands(k: int) -> str:
    return f"{k:,}"


# ---------------------------------------------------------------- deep sigmoid

DEEP = "lab_deep_sigmoid"


@cache
def deep_runs() -> dict[str, DescentResult]:
    """The student's sigmoid run and the ReLU + He comparison (Armijo steps of at most the same η,
    as the remedy control's help says), trained to the budget."""
    s = setting(DEEP)
    dtype = s.values["lab_dtype"]
    return {
        "sigmoid": s.descend(s.objective(), s.x0, dtype),
        "relu_he": s.descend(s.objective("relu"), s.start("he"), dtype, step="armijo"),
    }


def test_deep_sigmoid_lesson_sets_what_its_note_says():
    values = setting(DEEP).values
    text = note(DEEP)
    assert values["lab_activation"] == "sigmoid"
    assert values["lab_init"] == "standard"
    assert values["lab_dtype"] == "float32"
    assert values["lab_remedy"] == "relu_he"
    assert f"{values['lab_depth']} sigmoid layers" in text
    assert values["lab_eta"] == "3e-3"
    assert "η = 3·10⁻³" in text
    assert values["lab_eps"] == "1e-3"
    assert "ε = 10⁻³" in text
    assert f"{thousands(values['lab_steps'])}-step budget" in text


def two_significant(value: float) -> str:
    """``5.5``, ``12``, ``2.5 × 10³`` (the oracle's own formatting: Decimal rounding)."""
    from decimal import ROUND_HALF_EVEN, Decimal

    exponent = math.floor(math.log10(value))
    quantum = Decimal(1).scaleb(exponent - 1)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_EVEN)
    if rounded >= 1000:
        digits = f"{rounded:.1e}".split("e")
        return f"{digits[0]} × 10{superscript(int(digits[1]))}"
    return str(rounded) if rounded < 100 else f"{int(rounded):,}"


def test_deep_sigmoid_each_layer_shrinks_the_gradient_by_both_factors():
    """The note's per-layer shrink at step 0 and its two factors (σ′ and the weights), from the
    norms ‖dF/dz_l‖ and ‖dF/da_l‖ of the lesson's run at step 0 (the core's float32 pass)."""
    s = setting(DEEP)
    passed = mlp_forward_backward(
        unflatten_params(s.x0, s.sizes), s.data.X, s.data.y, "sigmoid", "bce"
    )
    norms, upstream = passed.backprop_norms, passed.activation_grad_norms
    text = note(DEEP)
    for factors, after in (
        (norms[1:] / norms[:-1], "each layer shrinks the back-propagated gradient "),
        (upstream / norms[:-1], "σ′ ≤ ¼ divides it by "),
        (norms[1:] / upstream, "small weights by "),
    ):
        low, high = two_significant(factors.min()), two_significant(factors.max())
        assert after in text
        assert text[text.index(after) + len(after) :].startswith(f"{low}")
        assert f"{low}" in text
        assert f"{high}" in text
    assert f"≈ {two_significant(norms[-1] / norms[0])}-fold" in text


def test_deep_sigmoid_stops_on_the_plateau_and_the_budget_reaches_far_lower():
    """The rule stops at a coin flip; the same run continued leaves the plateau (still above
    0.6 a thousand steps later, not a minimum) and ends over 100 times lower; ReLU + He lower
    still. Every number is in the note as the page prints it."""
    run = deep_runs()["sigmoid"]
    text = note(DEEP)
    stop = run.stop_iter
    assert run.stopped_by == "eps"
    assert run.first_fired["stagnation"] is None
    at_stop, at_end = mean_loss(run, stop), mean_loss(run, -1)
    assert abs(at_stop - LN2) < PLATEAU_TOL
    assert f"at step {stop} with loss {loss_text(at_stop)}" in text
    left = int(np.argmax(run.loss / LAB_SAMPLES < 0.6))  # first step below 0.6
    assert 800 <= left <= 1200
    assert "after about 1,000 steps" in text
    assert at_stop / at_end > 100
    assert f"reaches about {two_significant(at_end)} by the end" in text
    remedy = deep_runs()["relu_he"]
    assert mean_loss(remedy, -1) < at_end / 10
    assert remedy.stopped_by == "eps"
    assert f"by the same rule after about {one_significant(remedy.stop_iter)} steps" in text
    at = one_significant(mean_loss(remedy, remedy.stop_iter))
    assert f"at a loss of about {at}; continued, it" in text
    assert f"reaches about {one_significant(mean_loss(remedy, -1))}." in text


def one_significant(value: float) -> str:
    """``500``, ``4 × 10⁻⁴``: one significant digit (the note's "about" figures)."""
    mantissa, exponent = f"{value:.0e}".split("e")
    if 0 <= int(exponent) < 4:
        return f"{float(f'{value:.0e}'):,.0f}"
    return f"{mantissa} × 10{superscript(int(exponent))}"


def test_deep_sigmoid_saturation_is_zero_up_to_the_stop():
    """The saturation chart of the student's run is flat 0 up to the stop and under 2% after:
    the note says why the gradient shrinks anyway."""
    run = deep_runs()["sigmoid"]
    saturation = run.extras["saturation"]
    assert np.all(saturation[: run.stop_iter + 1] == 0)
    assert saturation.max() < 0.02
    assert "no sigmoid unit saturates" in note(DEEP)


@pytest.fixture(scope="module")
def engine():
    """The lab's training engine, training in threads (deterministic, no processes)."""
    engine = TrainingEngine(backend="thread", max_running=2, watcher_timeout_s=120.0)
    yield engine
    engine.close()


def page_runs(engine, key: str, *, to_budget: bool) -> tuple:
    """The lesson as the page trains it: its runs' snapshots at the rules' stop, or continued
    to the end of the budget, and the page's view of them."""
    mine, theirs, remedy = lab_panel.specs(page.lesson_values(key))
    specs = (mine, theirs)
    deadline = time.monotonic() + 300
    while not all(s.done for s in engine.view("lessons", specs)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stopped = engine.view("lessons", specs)
    if to_budget:
        for snapshot in stopped:
            if snapshot.status == "waiting":
                engine.continue_past_stop(snapshot.spec)
        time.sleep(0.05)
        while not all(s.status == "finished" for s in engine.view("lessons", specs)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    snapshots = engine.view("lessons", specs)
    return stopped, snapshots, lab_panel.compose(snapshots, remedy)


def test_deep_sigmoid_page_shows_the_lessons_figures(engine):
    """The lab trains these runs: your run stops where the core's does with loss ln 2, waits,
    and continued to the budget reaches the note's loss; the page says so."""
    runs = deep_runs()
    stopped, final, view = page_runs(engine, DEEP, to_budget=True)
    mine = stopped[0]
    assert mine.status == "waiting"
    assert (mine.stopped_by, mine.stop_iter) == ("eps", runs["sigmoid"].stop_iter)
    for snapshot, result in zip(final, (runs["sigmoid"], runs["relu_he"]), strict=True):
        np.testing.assert_array_equal(snapshot.loss, result.loss)
    loss_title = view.chart("lab_loss").spec["description"]
    for name, run in runs.items():
        at_stop, end = mean_loss(run, run.stop_iter), mean_loss(run, -1)
        stop = f"{loss_text(at_stop)} at the stop (step {run.stop_iter:,})"
        assert f"{stop}, {loss_text(end)} at step {run.loss.size - 1:,}" in loss_title, name


# ---------------------------------------------------------------- float16

FLOAT16 = "lab_float16"
LESSON_STEP = 1000
"""Where the note counts the lost updates: half way through the budget."""


@cache
def float16_run(name: str) -> DescentResult:
    """``"float16"``, then mixed precision's parts added one at a time: ``"master"`` (float32
    master weights, a constant scale 1, the loss in float16), ``"master + loss"`` (the float32
    loss too) and ``"mixed"`` (GradScaler's dynamic scale too: the lab's remedy)."""
    s = setting(FLOAT16)
    if name == "float16":
        return s.descend(s.objective(), s.x0, "float16", record_path=True)
    constant = ScaleSchedule.constant(1.0)
    options = {
        "master": {"schedule": constant},
        "master + loss": {"schedule": constant, "loss_dtype": "float32"},
        "mixed": {"loss_dtype": "float32"},
    }[name]
    return s.mixed(**options)


def power(value: float) -> str:
    """``2¹⁶`` for 65536."""
    exponent = math.log2(value)
    assert exponent.is_integer()
    return f"2{superscript(int(exponent))}"


def test_float16_lesson_sets_what_its_note_says():
    values = setting(FLOAT16).values
    text = note(FLOAT16)
    assert values["lab_dtype"] == "float16"
    assert values["lab_loss_scale"] == "1"
    assert values["lab_remedy"] == "mixed"
    assert values["lab_eps"] == OFF
    assert f"{values['lab_depth']} ReLU layers of {values['lab_width']} (He)" in text
    assert values["lab_activation"] == "relu"
    assert values["lab_init"] == "he"
    assert values["lab_eta"] == "1e-3"
    assert "η = 10⁻³" in text
    assert f"{thousands(values['lab_steps'])} steps" in text


def test_float16_falls_slowly_where_mixed_precision_trains_on():
    """Both run the whole budget (no rule stops them); float16 ends over 5 times higher."""
    half, mixed = float16_run("float16"), float16_run("mixed")
    text = note(FLOAT16)
    for result in (half, mixed):
        assert result.stopped_by == "max_iter"
    end16, end_mixed = mean_loss(half, -1), mean_loss(mixed, -1)
    assert end16 / end_mixed > 5
    # "about": within MACHINE_RTOL (the loss at step 1,000 is 6.53e-4 on an AMD EPYC AVX2
    # kernel, which one significant digit writes 7 × 10⁻⁴, and was under 6.5e-4 before)
    assert_about(mean_loss(half, LESSON_STEP), text, "slowly: about ")
    assert f"at step {thousands(LESSON_STEP)}, about " in text
    assert_about(end16, text, f"at step {thousands(LESSON_STEP)}, about ")
    end_step = thousands(half.loss.size - 1)
    assert re.search(rf"at step {thousands(LESSON_STEP)}, about [^,;]+ at step {end_step}; ", text)
    assert mean_loss(half, -1) < mean_loss(half, LESSON_STEP)  # still falling: no stall
    assert_about(end_mixed, text, "mixed precision reaches about ")
    assert_about(end16 / end_mixed, text, ", some ")
    assert_about(end16 / end_mixed, LESSONS[FLOAT16].note, "ends some ")  # the plain layer


def test_float16_weights_lose_the_updates_float32_master_weights_keep():
    """At step 1,000 of the float16 run, the share of the nonzero gradient entries whose step is
    lost on the float16 weights, and on float32 master weights at the same point; the master
    weights alone (constant scale 1, float16 loss) bring the loss over 5 times lower."""
    s = setting(FLOAT16)
    point = float16_run("float16").path[LESSON_STEP].astype(np.float32)
    got = precision_breakdown(
        s.sizes, s.data.X, s.data.y, "relu", "bce", flat=point, eta=s.eta, loss_scale=1.0
    )
    lost16 = got.lost_float16.sum() / got.nonzero_scaled.sum()
    lost32 = got.lost_float32.sum() / got.nonzero_scaled.sum()
    assert lost16 > 0.9 > 0.05 > lost32
    text = note(FLOAT16)
    assert f"weights of step {thousands(LESSON_STEP)}, over 90% of the nonzero updates" in text
    assert "on float32 copies of the same weights, under 5%" in text
    assert "Most updates are too small for a float16 weight and are lost" in (
        LESSONS[FLOAT16].note  # the plain layer: "most" is the 90% above
    )
    master = mean_loss(float16_run("master"), -1)
    assert mean_loss(float16_run("float16"), -1) / master > 5
    assert_about(master, text, "alone they reach about ")


def test_float16_zeroes_confident_samples_and_the_float32_loss_keeps_them():
    """At the end of the float16 run, the share of samples whose back-propagated gradient is
    exactly 0 in every layer: class 1 with sigma(s) rounded to 1 (s >= 7.62) and class 0 with
    e^s flushed (s < -17.33), checked against the float16 logits and numpy's float16 arithmetic;
    they still carry a share of the loss. With the float32 loss only samples of negligible loss
    are 0, and the loss ends lower."""
    s = setting(FLOAT16)
    half = float16_run("float16")
    zeros = half.extras["backprop_zeros"][-1]
    share = zeros[-1]
    params = unflatten_params(np.ascontiguousarray(half.x), s.sizes)
    logits = mlp_predict(params, s.data.X, "relu", dtype="float16").ravel()
    one = np.float16(1)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(logits))
        r = one / (one + e)
        errors = np.where(logits >= 0, r, e * r) - s.data.y.astype(np.float16)
    zero = errors == 0
    assert share == np.count_nonzero(zero) / LAB_SAMPLES
    logits64 = logits.astype(np.float64)
    class1 = s.data.y == 1
    # class 1: sigma(s) rounds to 1 from s = 11 ln 2 ≈ 7.62 on; class 0: e^s flushes below
    # -25 ln 2 ≈ -17.33 (both up to one float16 step of the logit)
    assert np.all(logits64[zero & class1] > 7.6)
    assert np.all(logits64[~zero & class1] < 7.65)
    assert np.all(logits64[zero & ~class1] < -17.3)
    assert np.all(logits64[~zero & ~class1] > -17.4)
    assert np.count_nonzero(zero & ~class1) < np.count_nonzero(zero & class1) / 5  # a few
    # those samples alone: a gradient exactly 0 in every layer
    alone = mlp_objective(s.sizes, s.data.X[zero], s.data.y[zero], "relu", "bce", dtype="float16")
    assert np.count_nonzero(alone(half.x)[1]) == 0
    assert share > 0.3
    losses = np.logaddexp(0.0, np.where(s.data.y == 1, -logits64, logits64))
    assert losses[zero].sum() / losses.sum() > 0.05  # they still carry loss
    text = note(FLOAT16)
    assert "1 + e⁻ˢ rounds to 1 once s ≥ 11 ln 2 ≈ 7.62" in text
    assert 0.4 <= share <= 0.6
    assert "by the end about half of the samples add exactly 0" in text
    assert "about half of the samples stop adding anything" in LESSONS[FLOAT16].note
    mixed = float16_run("mixed")
    master_params = unflatten_params(np.ascontiguousarray(mixed.x), s.sizes)
    mixed_logits = mlp_predict(master_params, s.data.X, "relu", dtype="float16").ravel()
    wide = mixed_logits.astype(np.float64)
    mixed_losses = np.logaddexp(0.0, np.where(s.data.y == 1, -wide, wide))
    mixed_share = mixed.extras["backprop_zeros"][-1][-1]
    cut = np.sort(mixed_losses)[: round(mixed_share * LAB_SAMPLES)]
    assert cut.size == 0 or cut.max() < NEGLIGIBLE_LOSS
    with_loss = mean_loss(float16_run("master + loss"), -1)
    assert mean_loss(float16_run("master"), -1) / with_loss > 1.2
    assert_about(with_loss, text, "with it, about ")


def test_float16_dynamic_scale_backs_off_and_changes_nothing_else_here():
    """GradScaler's 2^16 overflows the summed gradient at step 0 and backs off to the scale the
    note names; the loss with the scale is within 5% of the loss without it; the lab's constant
    2^10 on float16 weights overflows at step 0."""
    s = setting(FLOAT16)
    mixed = float16_run("mixed")
    scale0, skipped0 = mixed.extras["loss_scale"][0], int(mixed.extras["skipped"][0])
    assert scale0 == DEFAULT_INIT_SCALE / 2**skipped0
    assert skipped0 > 0
    with_scale, without = mean_loss(mixed, -1), mean_loss(float16_run("master + loss"), -1)
    assert abs(with_scale - without) < SAME_LOSS_RTOL * without
    constant = s.descend(
        s.objective(dtype="float16", loss_scale=REMEDY_LOSS_SCALE), s.x0, "float16"
    )
    assert constant.stopped_by == "non_finite"
    assert constant.loss.size == 0  # no finite step: overflowed at step 0
    text = note(FLOAT16)
    assert (
        f"{power(DEFAULT_INIT_SCALE)} overflows at step 0 and backs off to {power(scale0)}" in text
    )
    assert (
        f"a constant {power(REMEDY_LOSS_SCALE)} (the loss-scale remedy) overflows at once" in text
    )


def test_float16_page_trains_the_float16_and_the_mixed_precision_runs(engine):
    """The lab's own runs of the lesson are the float16 run and mixed precision (with the
    float32 loss) above, and the page's loss title states both."""
    _, final, view = page_runs(engine, FLOAT16, to_budget=True)
    np.testing.assert_array_equal(final[0].loss, float16_run("float16").loss)
    np.testing.assert_array_equal(final[1].loss, float16_run("mixed").loss)
    title = view.chart("lab_loss").spec["description"]
    assert loss_text(mean_loss(float16_run("float16"), -1)) in title
    assert loss_text(mean_loss(float16_run("mixed"), -1)) in title
