"""The training lab's view (vgapp.lab.view, vgapp.lab.panel, vgapp.lab.charts) composed from the
training engine's snapshots: every number shown checked against the core's own run
(gradient_descent, mlp_loss_and_grads), the stop and what continuing reveals, chart data fit for
log scales, and every argument check. The runs train in a thread-backend engine here (the
process backend is tested in tests/test_training.py)."""

import dataclasses
import itertools
import json
import math
import time
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pytest
from altair.vegalite.v6.schema.core import TopLevelSpec
from hypothesis import given, settings
from hypothesis import strategies as st

from vgapp.blocks import Columns, Metrics
from vgapp.controls import Choice
from vgapp.lab import panel as lab_panel
from vgapp.lab.charts import (
    DEAD_TEXT,
    INF_TEXT,
    ZERO_TEXT,
    heatmap_data,
    sample_steps,
)
from vgapp.lab.controls import (
    LAB_CONTROLS,
    LAB_KEYS,
    LAB_SAMPLES,
    REMEDIES,
    REMEDY_LOSS_SCALE,
)
from vgapp.lab.findings import SATURATION_SHOWN
from vgapp.lab.run_charts import RUN_CHARTS
from vgapp.lab.runs import (
    DTYPE_STEP_COST,
    MAX_STEPS,
    STEP_WORK_LIMIT,
    budget_cap,
    lab_data,
    remedy_spec,
    spec_from_controls,
    train,
)
from vgapp.lab.runview import RunView, loss_text
from vgapp.lab.training.engine import TrainingEngine
from vgapp.lab.training.jobs import FINISHED, RUNNING, WAITING
from vgapp.lab.view import (
    budget_note,
    continue_label,
    lab_view,
    markers_of,
    time_left,
    time_text,
)
from vgapp.vegalite import rounded
from vgapp.words import RULE_TEXT
from vgcore.datasets import Dataset, make_dataset
from vgcore.descent import gradient_descent
from vgcore.mlp import (
    flatten_params,
    init_mlp,
    mlp_backprop_norms,
    mlp_loss_and_grads,
    mlp_objective,
    unflatten_params,
)
from vgcore.stopping import StoppingRules

CONTROLS = {control.key: control for control in LAB_CONTROLS}
DEFAULTS = {control.key: control.default for control in LAB_CONTROLS}
SAME_COMPUTATION_RTOL = 1e-12
"""Two float64 routes through the same core arithmetic: equal up to a few roundings."""
CHART_RTOL = 5e-4
"""Chart data carry 4 significant digits: relative rounding error at most 5e-4."""
LN2 = math.log(2.0)


def small(**overrides) -> dict:
    """Control values of a small, fast run (2 hidden layers of 4, η = 10⁻³, ε = 10⁻⁴, 20
    steps; not the lab's defaults, which may change)."""
    fixed = {"lab_depth": 2, "lab_width": 4, "lab_eta": "1e-3", "lab_eps": "1e-4", "lab_steps": 20}
    return {**DEFAULTS, **fixed, **overrides}


@dataclass(frozen=True)
class CoreSetup:
    """A lab run rebuilt from the core alone, with the documented seeding: the dataset from
    the seed's first child stream, the initial weights from its second."""

    data: Dataset
    sizes: list[int]
    loss: str
    x0: np.ndarray
    objective: object
    values: dict

    def descend(self, rules: StoppingRules, run_past_stop: bool = False):
        spec = spec_from_controls(self.values)
        return gradient_descent(
            self.objective,
            self.x0,
            step=self.values["lab_step_rule"],
            eta=spec.eta,
            rules=rules,
            dtype=self.values["lab_dtype"],
            run_past_stop=run_past_stop,
        )

    def x_at(self, k: int) -> np.ndarray:
        """The iterate x_k: k steps of the core's descent (no rule but the step limit)."""
        if k == 0:
            return self.x0
        return self.descend(StoppingRules(stagnation=False, max_iter=k)).x


def core_setup(values: dict) -> CoreSetup:
    data_seed, init_seed = np.random.SeedSequence(values["lab_seed"]).spawn(2)
    data = make_dataset(values["lab_dataset"], 256, 0.1, seed=np.random.default_rng(data_seed))
    sizes = [data.X.shape[1]] + [values["lab_width"]] * values["lab_depth"] + [1]
    scale = values["lab_init_scale"] if values["lab_init"] == "custom" else 1.0
    params = init_mlp(
        sizes,
        values["lab_init"],
        np.random.default_rng(init_seed),
        scale=scale,
        dtype=values["lab_dtype"],
    )
    loss = "bce" if data.task == "classification" else "mse"
    objective = mlp_objective(
        sizes,
        data.X,
        data.y,
        values["lab_activation"],
        loss,
        dtype=values["lab_dtype"],
        loss_scale=float(values["lab_loss_scale"]),
    )
    return CoreSetup(data, sizes, loss, flatten_params(params), objective, values)


@pytest.fixture(scope="module")
def engine():
    """One engine for the module, training in threads (deterministic, no processes)."""
    engine = TrainingEngine(backend="thread", max_running=2, watcher_timeout_s=60.0)
    yield engine
    engine.close()


def trained(engine, values: dict, *, to_budget: bool = False, timeout_s: float = 120.0):
    """The lab's snapshots once both runs are done (at the rules' stop, or with ``to_budget``
    at the end of the budget), and the page's view of them."""
    mine, theirs, remedy = lab_panel.specs(values)
    specs = (mine,) if theirs is None else (mine, theirs)
    deadline = time.monotonic() + timeout_s
    continued = False
    while True:
        snapshots = engine.view("tests", specs)
        if all(s.done for s in snapshots):
            if to_budget and not continued:
                for s in snapshots:
                    if s.status == WAITING:
                        engine.continue_past_stop(s.spec)
                continued = True
                time.sleep(0.05)
                continue
            if not to_budget or all(s.status != WAITING for s in snapshots):
                break
        assert time.monotonic() < deadline, [s.status for s in snapshots]
        time.sleep(0.02)
    return snapshots, lab_panel.compose(snapshots, remedy, lab_panel.chart_of(values))


def verdict_of(view) -> str:
    """The lab's one-line finding: the loss chart's text alternative (or, before any step, the
    sentence shown instead of the chart)."""
    charts = [c for c in view.charts if c.name == "lab_loss"]
    return charts[0].alt if charts else view.texts[0].text


def unit_views(spec: dict) -> list[dict]:
    """Every unit view (a layer with a mark) of a spec."""
    children = [c for key in ("layer", "vconcat", "hconcat") for c in spec.get(key, [])]
    if not children:
        return [spec]
    return [unit for child in children for unit in unit_views(child)]


def metrics_of(view, run: int) -> dict[str, str]:
    """The metrics of run 0 (yours) or 1 (the remedy), in the order the page shows them."""
    [runs] = [b for b in view.blocks if isinstance(b, Columns)]
    rows = [b for b in runs.columns[run] if isinstance(b, Metrics)]
    return {m.label: m.value for row in rows for m in row.items}


def test_the_stop_is_the_cores_own_stop(engine):
    """Rule, step and loss at the stop in the verdict and the metrics are those of the core's
    gradient descent on the same data and weights, stopping for real."""
    values = small(lab_eps="1e-4", lab_steps=60, lab_depth=5, lab_width=8)
    (mine, _), view = trained(engine, values)
    core = core_setup(values)
    result = core.descend(spec_from_controls(values).rules)
    assert result.stopped_by == "eps"
    assert mine.status == WAITING
    assert (mine.stopped_by, mine.stop_step) == ("eps", result.stop_iter)
    expected_loss, _ = mlp_loss_and_grads(
        unflatten_params(np.ascontiguousarray(result.x), core.sizes),
        core.data.X,
        core.data.y,
        values["lab_activation"],
        core.loss,
        dtype=values["lab_dtype"],
    )
    assert math.isclose(mine.stop_loss, expected_loss, rel_tol=SAME_COMPUTATION_RTOL)
    verdict = verdict_of(view)
    assert f"{RULE_TEXT['eps'].phrase} at step {result.stop_iter:,}" in verdict
    assert loss_text(expected_loss / LAB_SAMPLES) in verdict
    shown = metrics_of(view, 0)
    assert shown["loss at the stop"] == loss_text(expected_loss / LAB_SAMPLES)
    np.testing.assert_array_equal(mine.x_stop, result.x_stop)
    np.testing.assert_array_equal(
        mine.backprop_norms, core_extras(values, result.stop_iter)["backprop_norms"]
    )


def core_extras(values: dict, steps: int) -> dict:
    """The core's per-step figures for ``steps`` steps (no rule but the step limit)."""
    core = core_setup(values)
    objective = mlp_objective(
        core.sizes,
        core.data.X,
        core.data.y,
        values["lab_activation"],
        core.loss,
        dtype=values["lab_dtype"],
        figures=("backprop_norms", "saturation"),
    )
    return gradient_descent(
        objective,
        core.x0,
        step=values["lab_step_rule"],
        eta=float(values["lab_eta"]),
        rules=StoppingRules(stagnation=False, max_iter=steps),
        dtype=values["lab_dtype"],
    ).extras


def test_continuing_past_the_stop_shows_what_the_stop_cost(engine):
    """Continued to the budget, the loss frame covers every step, the chart marks the stop and
    the end, and the verdict states the loss at the stop and after it (and the gap)."""
    values = small(lab_eps="1e-3", lab_fatol="1e-2", lab_steps=80)
    (mine, theirs), view = trained(engine, values, to_budget=True)
    core = core_setup(values).descend(spec_from_controls(values).rules, run_past_stop=True)
    assert mine.status == FINISHED
    assert mine.continued
    np.testing.assert_allclose(mine.loss, core.loss, rtol=SAME_COMPUTATION_RTOL, atol=0)
    chart = view.chart("lab_loss")
    frame = chart.frame
    assert len(frame[frame["run"] == "your run"]) == 81
    texts = [r["text"] for u in unit_views(chart.spec) for r in u["data"]["values"] if "text" in r]
    assert any(t.startswith("stop (") for t in texts)
    assert any(t.startswith("continued: ") for t in texts)
    verdict = verdict_of(view)
    assert f"continued to step 80 (the budget): {loss_text(core.loss[-1] / LAB_SAMPLES)}" in verdict
    marked = markers_of([RunView(mine, "your run")])
    fired = {
        rule: k for rule, k in core.first_fired.items() if k is not None and rule != "max_iter"
    }
    assert len(marked) == len(fired) > 0
    for rule, k in fired.items():
        row = marked[marked["text"].str.startswith(RULE_TEXT[rule].phrase)].iloc[0]
        assert row["step"] == k
        assert math.isclose(row["loss_mean"], core.loss[k] / LAB_SAMPLES, rel_tol=1e-12)
    assert theirs.status == FINISHED


def test_a_remedy_that_changes_nothing_trains_one_run(engine):
    values = small(lab_dtype="float32", lab_remedy="float32")
    _, theirs, _ = lab_panel.specs(values)
    assert theirs is None
    snapshots, view = trained(engine, values)
    assert len(snapshots) == 1
    assert "changes nothing for this run" in verdict_of(view)
    assert any(t.kind == "info" for t in view.texts)


def test_overflow_at_step_0_is_reported_not_hidden(engine):
    values = small(lab_dtype="float16", lab_loss_scale="65536", lab_remedy="relu_he")
    (mine, _), view = trained(engine, values)
    assert mine.stopped_by == "non_finite"
    assert "overflowed" in verdict_of(view)
    for chart in view.charts:
        json.dumps(chart.spec, allow_nan=False)


def test_a_dead_relu_layer_is_named_as_such_not_underflow(engine):
    """ReLU + He at width 2, depth 12, float64 (the review's case): the exact zeros of the
    back-propagated gradient come from layers with no active unit, and the page says so."""
    values = small(lab_activation="relu", lab_init="he", lab_width=2, lab_depth=12,
                   lab_dtype="float64", lab_steps=10, lab_remedy="tanh_xavier")  # fmt: skip
    (mine, _), view = trained(engine, values)
    assert (mine.backprop_norms == 0).any()
    heat = view.chart("lab_gradient_norms_yours")
    states = {r.get("state") for u in unit_views(heat.spec) for r in u["data"]["values"]}
    assert DEAD_TEXT in states
    assert ZERO_TEXT not in states
    assert "underflow" not in heat.spec["description"]


def test_each_run_shows_the_one_chart_chosen_and_choosing_retrains_nothing(engine):
    """Under the loss each run shows one chart, the one chosen; the choice is not part of the
    runs (the same specs, the same snapshots: a switch is a redraw, never a training)."""
    values = small(lab_dataset="regression_1d")
    runs = {}
    for chart, name in (("gradients", "lab_gradient_norms"), ("fit", "lab_fit")):
        snapshots, view = trained(engine, {**values, "lab_chart": chart})
        runs[chart] = snapshots
        assert [c.name for c in view.charts] == ["lab_loss", f"{name}_yours", f"{name}_remedy"]
    assert lab_panel.specs({**values, "lab_chart": "fit"}) == lab_panel.specs(values)
    assert [s.version for s in runs["fit"]] == [s.version for s in runs["gradients"]]
    with pytest.raises(ValueError, match="chart must be one of gradients, saturation, fit"):
        lab_view(runs["fit"][0], None, remedy="relu_he", chart="boundary")


def forward(params: list, X: np.ndarray, activation: str) -> np.ndarray:
    """The network's output by a plain float64 forward pass (not the core's kernels)."""
    act = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
           "relu": lambda z: np.maximum(z, 0.0)}[activation]  # fmt: skip
    a = X
    for layer, (weights, bias) in enumerate(params):
        a = a @ weights + bias
        if layer < len(params) - 1:
            a = act(a)
    return a.reshape(-1)


FIT_CASES = {
    # 40 steps, no ε rule: the latest parameters, 93% (80-94% for thresholds -0.5 to 2)
    "moons, at the budget": small(lab_dataset="moons", lab_eps="off", lab_steps=40,
        lab_depth=3, lab_width=8, lab_activation="relu", lab_init="he", lab_eta="3e-3",
        lab_dtype="float64"),
    # the ε rule stops it at step 12: the parameters at the stop
    "regression, at the stop": small(lab_dataset="regression_1d", lab_eps="1e-4",
        lab_steps=60, lab_depth=5, lab_width=8, lab_dtype="float64"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(FIT_CASES))
def test_the_fit_number_is_the_one_of_the_shown_parameters_whatever_the_chart(engine, case):
    """The training accuracy (classification) or the RMS error √(F/n) (regression) a run shows
    is the one of the parameters the fit shows (at the rules' stop, else the latest): an
    independent forward pass over the core's own iterate; the same with every chart choice
    (the fit's chart is drawn only when chosen, its number always)."""
    values = FIT_CASES[case]
    core = core_setup(values)
    result = core.descend(spec_from_controls(values).rules)
    assert result.stopped_by == ("max_iter" if values["lab_eps"] == "off" else "eps")
    params = unflatten_params(np.ascontiguousarray(result.x), core.sizes)
    out = forward(params, core.data.X, values["lab_activation"])
    if core.loss == "bce":
        label, expected = "training accuracy", f"{np.mean((out > 0) == (core.data.y == 1)):.0%}"
    else:
        loss, _ = mlp_loss_and_grads(params, core.data.X, core.data.y, values["lab_activation"],
                                     core.loss, dtype="float64")  # fmt: skip
        label, expected = "RMS error", loss_text(math.sqrt(loss / LAB_SAMPLES))
    for chart in RUN_CHARTS:
        _, view = trained(engine, {**values, "lab_chart": chart})
        assert metrics_of(view, 0)[label] == expected, chart


def test_saturation_is_drawn_only_where_it_shows_something(engine):
    """A sigmoid run that never saturates gets a sentence saying why, not a flat chart; the
    ReLU remedy's inactive share is drawn."""
    values = small(lab_steps=20, lab_chart="saturation")
    (mine, theirs), view = trained(engine, values)
    assert mine.saturation.max() < SATURATION_SHOWN
    assert "lab_saturation_yours" not in {c.name for c in view.charts}
    said = any("No unit saturates" in t.text for t in view.texts)
    assert said == (mine.saturation.max() == 0)
    assert theirs.saturation.max() >= SATURATION_SHOWN
    assert "lab_saturation_remedy" in {c.name for c in view.charts}


def test_every_spec_is_browser_ready_and_valid_vega_lite(engine):
    settings = (small(), small(lab_dataset="regression_1d"), small(lab_dtype="float16"))
    for values, chart_choice in itertools.product(settings, RUN_CHARTS):
        _, view = trained(engine, {**values, "lab_chart": chart_choice})
        for chart in view.charts:
            json.dumps(chart.spec, allow_nan=False)
            TopLevelSpec.validate(chart.spec)
            for field, column in _log_scaled_values(chart.spec):
                assert all(v is not None and v > 0 for v in column), (chart.name, field)


def _log_scaled_values(spec: dict) -> list[tuple[str, list]]:
    """Every field on a log-scaled x, y or colour channel, with the values the spec sends."""
    found = []
    for unit in unit_views(spec):
        for channel in ("x", "y", "color"):
            encoding = unit.get("encoding", {}).get(channel, {})
            if encoding.get("scale", {}).get("type") == "log":
                rows = unit["data"]["values"]
                found.append((encoding["field"], [row.get(encoding["field"]) for row in rows]))
    return found


@given(
    depth=st.integers(1, 20),
    width=st.integers(2, 128),
    dtype=st.sampled_from(("float16", "float32", "float64")),
    remedy=st.sampled_from(tuple(REMEDIES)),
    steps=st.integers(1, 500).map(lambda k: 10 * k),
)
@settings(max_examples=300, deadline=None)
def test_the_budget_is_capped_by_work_and_the_page_says_so(depth, width, dtype, remedy, steps):
    """A run's budget is the steps asked for, at most the cap: steps x depth x width² x the
    costlier run's dtype cost within the work limit (a multiple of 10, at least 10). The note
    appears exactly where the budget is below the steps asked for, with both figures."""
    values = {**DEFAULTS, "lab_depth": depth, "lab_width": width, "lab_dtype": dtype,
              "lab_remedy": remedy, "lab_steps": steps}  # fmt: skip
    mine, theirs, _ = lab_panel.specs(values)
    budget = mine.rules.max_iter
    cost = max(DTYPE_STEP_COST[s.dtype] for s in (mine, theirs or mine))
    assert 10 <= budget <= steps
    assert budget % 10 == 0
    if budget < steps:
        assert budget * depth * width**2 * cost <= STEP_WORK_LIMIT
        assert (budget + 10) * depth * width**2 * cost > STEP_WORK_LIMIT or budget == MAX_STEPS
    if theirs is not None:
        assert theirs.rules.max_iter == budget
    note = budget_note(mine, steps)
    assert (note is not None) == (budget < steps)
    if note is not None:
        assert f"capped at {budget:,} of the {steps:,} steps asked for" in note
        assert f"{depth} × {width} network" in note


def test_the_step_controls_help_states_the_largest_networks_caps():
    """The help's figures for 20 x 128: 2,000 steps in float32 exactly, "about 1,100" (within
    10%) in float16 and float64; the cap's maximum is the control's."""
    control = next(c for c in LAB_CONTROLS if c.key == "lab_steps")
    assert control.high == MAX_STEPS
    assert "20 × 128 at most 2,000 in float32" in control.help
    assert budget_cap(20, 128, "float32", "relu_he") == 2000
    assert "about 1,100 in float16 or float64" in control.help
    for dtype in ("float16", "float64"):
        assert abs(budget_cap(20, 128, dtype, "relu_he") - 1100) <= 110
    default_cap = budget_cap(
        DEFAULTS["lab_depth"], DEFAULTS["lab_width"], DEFAULTS["lab_dtype"], DEFAULTS["lab_remedy"]
    )
    assert default_cap >= DEFAULTS["lab_steps"]  # the default setting is never capped


def test_the_default_run_stops_on_the_plateau_and_continued_leaves_it():
    """The lab's default makes the answer's point: its parameter-change rule stops the run on
    the plateau at a coin flip (mean loss ln 2 to 10⁻³, within the first 10 steps), and the same
    run continued leaves it within the budget (its loss ends under half of ln 2)."""
    spec = spec_from_controls(DEFAULTS)
    run = train(spec, lab_data(spec.dataset, spec.seed), "")
    assert run.result.stopped_by == "eps"
    assert run.stop_step <= 10
    assert abs(run.loss_mean[run.stop_step] - LN2) < 1e-3
    assert run.recorded == spec.budget + 1
    assert run.loss_mean[-1] < LN2 / 2


def test_every_choice_option_makes_the_run_it_names():
    """Every option of every choice control, set all at once by option index, reaches the
    run spec it names (the runs themselves train in the tests above)."""
    choices = [control for control in LAB_CONTROLS if isinstance(control, Choice)]
    for index in range(max(len(control.options) for control in choices)):
        values = small(lab_seed=index)
        for control in choices:
            values[control.key] = control.options[index % len(control.options)]
        mine, theirs, remedy = lab_panel.specs(values)
        assert mine == spec_from_controls(values)
        assert mine.dataset == values["lab_dataset"]
        assert mine.dtype == values["lab_dtype"]
        assert mine.activation == values["lab_activation"]
        assert mine.init == values["lab_init"]
        assert mine.eta == float(values["lab_eta"])
        assert mine.loss_scale == float(values["lab_loss_scale"])
        assert mine.rules.combine == values["lab_combine"]
        for rule in ("eps", "gatol", "gttol", "fatol", "frtol"):
            option = values[f"lab_{rule}"]
            assert getattr(mine.rules, rule) == (None if option == "off" else float(option))
        expected = remedy_spec(mine, remedy)
        assert theirs == (None if expected == mine else expected)


def test_remedies_change_one_thing():
    """Each remedy changes only what its name says, and the two that change the network take
    Armijo steps (the remedy control's help says so)."""
    spec = spec_from_controls(DEFAULTS)
    changes = {
        "relu_he": {"activation": "relu", "init": "he", "step_rule": "armijo"},
        "tanh_xavier": {"activation": "tanh", "init": "xavier", "step_rule": "armijo"},
        "float32": {"dtype": "float32"},
        "loss_scale": {"loss_scale": REMEDY_LOSS_SCALE},
    }
    for remedy, changed in changes.items():
        other = remedy_spec(spec, remedy)
        for field in spec.__dataclass_fields__:
            expected = changed.get(field, getattr(spec, field))
            assert getattr(other, field) == expected, (remedy, field)


# ---------------------------------------------------------------- chart helpers


@given(
    n=st.integers(1, 20_000),
    max_points=st.integers(2, 700),
    keep=st.lists(st.integers(-5, 20_005), max_size=5),
)
def test_sample_steps_keeps_ends_and_marks(n, max_points, keep):
    """Sorted unique indices in range, with 0, n − 1 and every in-range kept step, and no more
    than max_points + 2 + the kept ones."""
    steps = sample_steps(n, max_points, tuple(keep))
    assert steps[0] == 0
    assert steps[-1] == n - 1
    assert np.all(np.diff(steps) > 0)
    assert set(k for k in keep if 0 <= k < n) <= set(steps.tolist())
    assert steps.size <= max(n if n <= max_points else max_points + 2 + len(keep), 1)


@settings(max_examples=50)
@given(
    st.lists(
        st.sampled_from([0.0, math.inf, 1e-300, 3.5e-8, 0.25, 7.0, 1e300]), min_size=6, max_size=60
    ),
    st.integers(1, 6),
)
def test_heatmap_cells_sort_zero_and_infinity_out_of_the_log_scale(values, n_layers):
    """Exact zeros and infinities get their own state; the rest is positive and finite."""
    rows = len(values) // n_layers
    norms = np.array(values[: rows * n_layers]).reshape(rows, n_layers)
    cells = heatmap_data(norms)
    finite = cells[cells["state"] == "finite"]
    assert ((finite["norm"] > 0) & np.isfinite(finite["norm"])).all()
    assert (cells.loc[cells["state"] == ZERO_TEXT, "norm"] == 0).all()
    assert np.isinf(cells.loc[cells["state"] == INF_TEXT, "norm"]).all()
    assert len(cells) == rows * n_layers  # few enough steps: every cell is drawn


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_chart_rounding_within_half_a_unit_of_the_fourth_digit(value):
    """Rounding to 4 significant digits moves a value by at most 5e-4 of itself (exact check
    in decimal)."""
    rounded_value = rounded(np.array([value]), 4)[0]
    error = abs(Decimal(rounded_value) - Decimal(value)) / Decimal(value)
    assert error <= Decimal("5e-4") * (1 + Decimal("1e-12"))


def test_loss_text():
    """Three significant digits; tiny and huge values in scientific notation; None spelled."""
    assert loss_text(LN2) == "0.693"
    assert loss_text(7.39e-5) == "7.39 × 10⁻⁵"
    assert loss_text(1.34e8) == "1.34 × 10⁸"
    assert loss_text(0.0) == "0"
    assert loss_text(None) == "not finite"


BAD_VALUES = {
    "lab_dataset": "mnist",
    "lab_depth": 21,
    "lab_width": 1,
    "lab_activation": "gelu",
    "lab_init": "orthogonal",
    "lab_init_scale": 0.0,
    "lab_step_rule": "adam",
    "lab_eta": "1e-7",
    "lab_steps": 5001,
    "lab_dtype": "bfloat16",
    "lab_loss_scale": "3",
    "lab_eps": "0",
    "lab_gatol": 1e-4,
    "lab_gttol": "big",
    "lab_fatol": None,
    "lab_frtol": "1e-13",
    "lab_stagnation": "yes",
    "lab_combine": "most",
    "lab_seed": -1,
    "lab_remedy": "dropout",
}


def test_every_control_has_a_bad_value_case():
    """The table above covers every control."""
    assert set(BAD_VALUES) == set(LAB_KEYS)


@pytest.mark.parametrize("key", LAB_KEYS)
def test_bad_values_raise_naming_the_control(key):
    """Out of range, unknown option or wrong type: ValueError naming the parameter."""
    with pytest.raises(ValueError, match=key):
        spec_from_controls({**small(), key: BAD_VALUES[key]})


@pytest.mark.parametrize(
    ("key", "value"),
    [("lab_depth", 2.0), ("lab_depth", True), ("lab_init_scale", math.nan), ("lab_seed", "0")],
)
def test_wrong_types_are_refused(key, value):
    """A float for an int, a bool for an int, NaN, a string for an int: refused by name."""
    with pytest.raises(ValueError, match=key):
        spec_from_controls({**small(), key: value})


def test_helpers_check_their_arguments():
    spec = spec_from_controls(small())
    with pytest.raises(ValueError, match="remedy"):
        remedy_spec(spec, "batch_norm")
    with pytest.raises(ValueError, match="seed"):
        lab_data("moons", -3)
    with pytest.raises(ValueError, match="missing lab_seed"):
        spec_from_controls({key: value for key, value in small().items() if key != "lab_seed"})


@pytest.mark.parametrize(
    ("activation", "init", "low", "high"),
    [("tanh", "xavier", 0.8, 1.25), ("relu", "he", 0.8, 1.25), ("sigmoid", "xavier", 3.5, 5.0)],
)
def test_initialisation_help_states_what_the_core_computes(activation, init, low, high):
    """The initialisation help: Xavier keeps ‖dF/dz‖ about constant across hidden layers for
    tanh (He for ReLU), while the sigmoid still shrinks it about 4× per layer. Geometric mean of
    the layer-to-layer ratios at step 0, over seeds and widths."""
    help_text = CONTROLS["lab_init"].help
    assert "constant across layers for tanh" in help_text
    assert "about 4× per layer" in help_text
    for seed in range(3):
        data = lab_data("moons", seed)
        for width in (16, 64):
            params = init_mlp((2, *[width] * 8, 1), init, np.random.default_rng(seed))
            norms = np.asarray(mlp_backprop_norms(params, data.X, data.y, activation, "bce"))
            ratios = norms[1:-1] / norms[:-2]  # layer l + 1 over layer l, hidden layers
            typical = float(np.exp(np.mean(np.log(ratios))))
            assert low <= typical <= high, (seed, width, typical)


def test_the_lab_data_cache_is_bounded():
    """The seed comes from a link: the data memo keeps at most ``CACHED_SETTINGS`` settings."""
    from vgapp.lab.runview import CACHED_SETTINGS, data_of

    for seed in range(CACHED_SETTINGS + 10):
        data_of("xor", seed)
    assert data_of.cache_info().currsize <= CACHED_SETTINGS


@pytest.mark.parametrize("ratio", [995.0, 996.4, 999.94, 1000.0, 1049.0, 99.96, 9.996])
def test_a_fold_that_rounds_up_to_a_power_of_ten_is_written_as_that_power(ratio: float) -> None:
    """Two significant digits of a ratio just under 1,000 are 1.0 × 10³ (hypothesis found the
    page printing "1,000-fold" for 996.4): the printed figure, read back, is the ratio rounded
    to two significant digits, and "≈" marks the scientific form."""
    from decimal import ROUND_HALF_EVEN, Decimal

    from vgapp.lab.findings import fold

    text = fold(ratio)
    figure = text.removeprefix("≈ ").removesuffix("-fold")
    if "×" in figure:
        mantissa, power = figure.split(" × 10")
        value = Decimal(mantissa) * Decimal(10) ** int(
            power.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
        )
        assert text.startswith("≈ ")
    else:
        value = Decimal(figure.replace(",", ""))
    exponent = Decimal(repr(ratio)).adjusted()
    expected = Decimal(repr(ratio)).quantize(Decimal(1).scaleb(exponent - 1), ROUND_HALF_EVEN)
    assert value == expected
    assert len(value.normalize().as_tuple().digits) <= 2
    assert ("×" in figure) == (expected >= 1000), text  # from 1,000 on in powers of ten


def test_one_time_estimate_per_run_on_the_button_and_in_the_metric(engine):
    """The Continue button and a waiting run's "time to the budget" metric print the same
    estimate, that run's seconds to its budget (the longer of the waiting runs'; a run still
    training, whose figure is only an upper bound, does not set the button's)."""
    values = small(lab_eps="1e-3", lab_fatol="1e-2", lab_steps=80)
    (mine, theirs), _ = trained(engine, values)
    waiting = dataclasses.replace(mine, status=WAITING, seconds_left=19.2)
    running = dataclasses.replace(theirs, status=RUNNING, seconds_left=36.4)
    assert continue_label((waiting, running)) == "Continue to the budget (≈ 19 s)"
    assert time_left(waiting) == 19.2
    view = lab_view(waiting, running, remedy="relu_he")  # not the memo: same versions
    assert metrics_of(view, 0)["time to the budget"] == "≈ 19 s"
    assert metrics_of(view, 1)["time to the budget"] == "≈ 36 s"
    other = dataclasses.replace(theirs, status=WAITING, seconds_left=1140.4)
    assert continue_label((waiting, other)) == "Continue to the budget (≈ 1,140 s)"
    assert continue_label((dataclasses.replace(mine, status=FINISHED), running)) == (
        "Continue to the budget"
    )
    assert time_left(dataclasses.replace(mine, status=FINISHED, seconds_left=5.0)) is None
    assert time_text(0.4) == "< 1 s"
