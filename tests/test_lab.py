"""The training lab (vgapp.lab_controls, vgapp.lab_runs, vgapp.lab, vgapp.lab_charts): every
number shown checked against the core run independently (gradient_descent, mlp_backprop_norms,
mlp_loss_and_grads), reproducibility, chart data fit for log scales, and every argument check.
The lessons' claims are in tests/test_lessons.py."""

import inspect
import json
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from altair.vegalite.v6.schema.core import TopLevelSpec
from hypothesis import given, settings
from hypothesis import strategies as st

from vgapp import page
from vgapp.controls import Choice
from vgapp.lab import lab_view, loss_text
from vgapp.lab_charts import INF_TEXT, ZERO_TEXT, gradient_heatmap, heatmap_data, sample_steps
from vgapp.lab_controls import (
    LAB_CONTROLS,
    LAB_KEYS,
    LAB_LESSONS,
    LAB_SAMPLES,
    REMEDY_LOSS_SCALE,
)
from vgapp.lab_runs import initial_parameters, lab_data, remedy_spec, spec_from_controls
from vgapp.vegalite import rounded
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
from vgcore.stopping import RULE_TEXT, StoppingRules

CONTROLS = {control.key: control for control in LAB_CONTROLS}
DEFAULTS = {control.key: control.default for control in LAB_CONTROLS}
SAME_COMPUTATION_RTOL = 1e-12
"""Two float64 routes through the same core arithmetic: equal up to a few roundings."""
CHART_RTOL = 5e-4
"""Chart data carry 4 significant digits: relative rounding error at most 5e-4."""
LN2 = math.log(2.0)


def small(**overrides) -> dict:
    """Control values of a small, fast run (2 hidden layers of 4, 20 steps)."""
    return {**DEFAULTS, "lab_depth": 2, "lab_width": 4, "lab_steps": 20, **overrides}


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


# ---------------------------------------------------------------- controls and lessons


def test_control_keys_match_the_view_signature():
    """Every control is a keyword of lab_view under its own key, prefixed lab_."""
    parameters = inspect.signature(lab_view).parameters
    assert [name for name in parameters if name != "_progress"] == list(LAB_KEYS)
    assert all(key.startswith("lab_") for key in LAB_KEYS)
    assert len(set(LAB_KEYS)) == len(LAB_KEYS)
    assert all(parameters[key].kind is inspect.Parameter.KEYWORD_ONLY for key in LAB_KEYS)


@pytest.mark.parametrize("lesson", LAB_LESSONS, ids=lambda lesson: lesson.key)
def test_lesson_values_parse_and_cover_the_panel(lesson):
    """Each lesson names lab controls only, with values that parse; registered on the page, it
    sets every lab control."""
    assert lesson.section == "lab"
    for key, value in lesson.values.items():
        control = CONTROLS[key]
        assert control.parse(control.url_text(value)) == value
    assert page.PANELS["lab"].controls == LAB_CONTROLS
    assert page.LESSONS[lesson.key] is lesson
    merged = page.lesson_values(lesson.key)
    assert set(merged) == set(LAB_KEYS)
    assert all(merged[key] == value for key, value in lesson.values.items())


# ---------------------------------------------------------------- the numbers shown


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_norms_shown_equal_the_cores_backprop_norms(dtype):
    """Every per-layer ||dF/dz|| in the CSV frame (and, rounded, in the heatmap's data) is
    mlp_backprop_norms of the parameters at that step, rebuilt from the core."""
    values = small(lab_depth=4, lab_width=6, lab_dtype=dtype, lab_eps="off", lab_steps=12)
    view = lab_view(**values)
    frame = view.main.heatmap_frame
    cells = _chart_cells(view.main.heatmap_chart)
    core = core_setup(values)
    np.testing.assert_array_equal(view.main.run.x0, core.x0)
    for k in (0, 1, 5, 12):
        expected = mlp_backprop_norms(
            unflatten_params(np.ascontiguousarray(core.x_at(k)), core.sizes),
            core.data.X,
            core.data.y,
            values["lab_activation"],
            core.loss,
            dtype=dtype,
        )
        shown = frame.loc[frame["step"] == k].drop(columns="step").to_numpy()[0]
        np.testing.assert_allclose(shown, expected, rtol=SAME_COMPUTATION_RTOL, atol=0)
        drawn = cells[cells["step"] == k].sort_values("layer")
        if len(drawn):
            np.testing.assert_allclose(drawn["norm"], expected, rtol=CHART_RTOL, atol=0)


def _chart_cells(spec: dict) -> pd.DataFrame:
    """The heatmap's drawn cells (finite and special), from the spec the page sends."""
    rows = [row for unit in unit_views(spec) for row in unit["data"]["values"] if "norm" in row]
    return pd.DataFrame(rows)


def unit_views(spec: dict) -> list[dict]:
    """Every unit view (a layer with a mark) of a spec."""
    children = [c for key in ("layer", "vconcat", "hconcat") for c in spec.get(key, [])]
    if not children:
        return [spec]
    return [unit for child in children for unit in unit_views(child)]


def test_verdict_names_the_rule_and_step_gradient_descent_reports():
    """The verdict's rule, step and loss are those of the core's own run (stopping for real)."""
    values = small(lab_eps="1e-4", lab_steps=60, lab_depth=5, lab_width=8)
    view = lab_view(**values)
    core = core_setup(values)
    result = core.descend(spec_from_controls(values).rules)
    assert result.stopped_by == "eps"
    assert view.main.run.result.stopped_by == result.stopped_by
    assert view.main.run.stop_step == result.stop_iter
    expected_loss, _ = mlp_loss_and_grads(
        unflatten_params(np.ascontiguousarray(result.x), core.sizes),
        core.data.X,
        core.data.y,
        values["lab_activation"],
        core.loss,
        dtype=values["lab_dtype"],
    )
    assert math.isclose(
        view.main.run.loss_at_stop, expected_loss / LAB_SAMPLES, rel_tol=SAME_COMPUTATION_RTOL
    )
    phrase = f"{RULE_TEXT['eps'].phrase} at step {result.stop_iter:,} with loss"
    assert phrase in view.verdict
    assert loss_text(expected_loss / LAB_SAMPLES) in view.verdict


def test_markers_sit_where_each_rule_first_holds():
    """One marker per enabled rule that held, at the core's first_fired step and loss."""
    values = small(lab_eps="1e-3", lab_fatol="1e-2", lab_gttol="1e-1", lab_steps=80)
    view = lab_view(**values)
    result = core_setup(values).descend(spec_from_controls(values).rules, run_past_stop=True)
    mine = view.markers[view.markers["run"] == view.main.run.label]
    fired = {rule: k for rule, k in result.first_fired.items() if k is not None}
    fired.pop("max_iter")
    assert len(mine) == len(fired) > 0
    for rule, k in fired.items():
        row = mine[mine["text"].str.startswith(RULE_TEXT[rule].phrase)].iloc[0]
        assert row["step"] == k
        assert math.isclose(row["loss_mean"], result.loss[k] / LAB_SAMPLES, rel_tol=1e-12)


def test_stop_parameters_are_the_iterate_at_the_stop():
    """The boundary is drawn from x at the stop step: replayed, it equals the core's x_k."""
    values = small(lab_eps="1e-4", lab_depth=5, lab_width=8, lab_steps=60)
    view = lab_view(**values)
    run = view.main.run
    assert 0 < run.stop_step < run.result.n_steps
    expected = core_setup(values).x_at(run.stop_step)
    np.testing.assert_array_equal(run.x_stop, expected)  # the same arithmetic, replayed
    data = lab_data(values["lab_dataset"], values["lab_seed"])
    np.testing.assert_array_equal(initial_parameters(run.spec, data.X.shape[1]), run.x0)


def test_reproducible_from_the_seed():
    """The same controls give identical runs; another seed gives other data and weights."""
    first, again = lab_view(**small()), lab_view(**small())
    pd.testing.assert_frame_equal(first.loss_frame, again.loss_frame, check_exact=True)
    pd.testing.assert_frame_equal(
        first.main.heatmap_frame, again.main.heatmap_frame, check_exact=True
    )
    assert first.verdict == again.verdict
    other = lab_view(**small(lab_seed=1))
    assert not np.array_equal(other.main.run.x0, first.main.run.x0)


def test_progress_reports_both_runs_up_to_one():
    """The callback sees a growing share of both runs' steps, ending at 1, with step counts."""
    seen: list[tuple[float, str]] = []
    lab_view(**small(), _progress=lambda fraction, text: seen.append((fraction, text)))
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-2] == fractions[-1] == 1.0  # exact: (1 + 20/20) / 2, then the charts
    assert 0 < fractions[0] <= 0.5
    assert "step 20 of 20" in seen[-2][1]
    assert "comparison" in seen[-2][1]
    assert any("your run" in text and "step 20 of 20" in text for _, text in seen)


# ---------------------------------------------------------------- charts


def _log_scaled_values(spec: dict) -> list[tuple[str, list]]:
    """(field, values) of every encoding on a log scale: explicit, or through an x/y scale
    shared with a sibling layer that declares it."""
    units = unit_views(spec)
    shared = {c for unit in units for c, e in _encodings(unit) if c in ("x", "y") and _is_log(e)}
    found = []
    for unit in units:
        rows = unit.get("data", {}).get("values", [])
        for channel, encoding in _encodings(unit):
            if "field" in encoding and (_is_log(encoding) or channel in shared):
                found.append((encoding["field"], [row.get(encoding["field"]) for row in rows]))
    return found


def _encodings(spec: dict):
    """(channel, encoding) pairs, tooltips (lists) left out."""
    return [(c, e) for c, e in spec.get("encoding", {}).items() if isinstance(e, dict)]


def _is_log(encoding: dict) -> bool:
    return (encoding.get("scale") or {}).get("type") == "log"


def _all_specs(view) -> dict[str, dict]:
    specs = {"loss": view.loss_chart}
    for name, panel in (("main", view.main), ("comparison", view.comparison)):
        specs |= {
            f"{name}_heatmap": panel.heatmap_chart,
            f"{name}_saturation": panel.saturation_chart,
            f"{name}_fit": panel.fit_chart,
        }
    return specs


CHART_CASES = {
    "default_small": small(),
    # 10 sigmoid layers of 16 in float16: layers 1-3 are exactly 0 from step 0
    "float16_zeros": small(lab_depth=10, lab_width=16, lab_dtype="float16", lab_steps=10),
    "overflow_at_step_0": small(lab_dtype="float16", lab_loss_scale="65536"),
    "diverging_step": small(lab_eta="1e-1", lab_activation="relu", lab_init="he", lab_width=16),
    "regression": small(lab_dataset="regression_1d"),
}


@pytest.mark.parametrize("values", CHART_CASES.values(), ids=CHART_CASES.keys())
def test_log_scales_receive_only_positive_finite_values(values):
    """Strict JSON with data inlined per layer; no zero, inf, NaN or null ever reaches a log
    axis or a log colour scale; every chart states its finding in a title."""
    view = lab_view(**values)
    checked = 0
    for name, spec in _all_specs(view).items():
        json.dumps(spec, allow_nan=False)
        assert "datasets" not in spec, name
        assert "data" not in spec, name
        assert spec["title"]["text"], name
        for field, column in _log_scaled_values(spec):
            assert all(isinstance(v, int | float) and 0 < v < math.inf for v in column), field
            checked += len(column)
    assert checked > 0 or values is CHART_CASES["overflow_at_step_0"]


def test_specs_are_valid_vega_lite():
    """The page skips schema validation for speed; here every lab chart is validated."""
    # tiny runs: the validator walks every inlined data row
    view = lab_view(**small(lab_dtype="float16", lab_depth=12, lab_width=2, lab_steps=10))
    assert (view.main.heatmap_frame["layer 1"] == 0).any()  # the zero-cell layer is drawn too
    for spec in _all_specs(view).values():
        TopLevelSpec.validate(spec)
    TopLevelSpec.validate(lab_view(**small(lab_dataset="regression_1d")).main.fit_chart)


def test_heatmap_spec_sends_infinity_as_null_in_its_own_layer():
    """The specs are written by hand, not by Altair: an overflowed cell (no lab run produces
    one yet) still reaches the browser as strict JSON, null with its state, off the log scale."""
    norms = np.array([[0.0, 2.5e-3, 1.0], [math.inf, 4.0e-2, 3.0]])
    spec = gradient_heatmap(
        heatmap_data(norms), 3, title={"text": "t"}, domain=(2.5e-3, 3.0), stop_step=1
    )
    json.dumps(spec, allow_nan=False)
    TopLevelSpec.validate(spec)
    finite, special, _ = unit_views(spec)
    assert [(row["step"], row["layer"], row["norm"]) for row in special["data"]["values"]] == [
        (0, 1, 0.0),
        (1, 1, None),
    ]
    assert [row["state"] for row in special["data"]["values"]] == [ZERO_TEXT, INF_TEXT]
    assert finite["encoding"]["color"]["scale"]["type"] == "log"
    assert sorted(row["norm"] for row in finite["data"]["values"]) == [2.5e-3, 4.0e-2, 1.0, 3.0]


def test_overflow_at_step_0_is_reported_not_hidden():
    """A loss scale of 2^16 overflows float16 at once: the verdict says so; no NaN is shown."""
    view = lab_view(**small(lab_dtype="float16", lab_loss_scale="65536"))
    assert view.main.run.recorded == 0
    assert view.main.run.loss_at_stop is None
    assert "overflowed at step 0" in view.verdict
    assert not view.loss_frame.isna().any().any()


def test_every_choice_option_runs():
    """Every option of every choice control, set all at once by option index (10 small runs),
    reaches the run it names."""
    choices = [control for control in LAB_CONTROLS if isinstance(control, Choice)]
    for index in range(max(len(control.options) for control in choices)):
        values = small(lab_steps=10, lab_seed=index)
        for control in choices:
            values[control.key] = control.options[index % len(control.options)]
        view = lab_view(**values)
        spec = view.main.run.spec
        assert spec == spec_from_controls(values)
        assert spec.dataset == values["lab_dataset"]
        assert spec.dtype == values["lab_dtype"]
        assert spec.activation == values["lab_activation"]
        assert spec.init == values["lab_init"]
        assert spec.eta == float(values["lab_eta"])
        assert spec.loss_scale == float(values["lab_loss_scale"])
        assert spec.rules.combine == values["lab_combine"]
        for rule in ("eps", "gatol", "gttol", "fatol", "frtol"):
            option = values[f"lab_{rule}"]
            assert getattr(spec.rules, rule) == (None if option == "off" else float(option))
            assert (rule in view.main.run.result.first_fired) == (option != "off")
        assert view.comparison.run.spec == (
            spec if view.same_run else remedy_spec(spec, values["lab_remedy"])
        )
        core = core_setup(values)
        np.testing.assert_array_equal(view.main.run.x0, core.x0)
        if view.main.run.recorded:
            loss0, _ = mlp_loss_and_grads(
                unflatten_params(core.x0, core.sizes),
                core.data.X,
                core.data.y,
                values["lab_activation"],
                core.loss,
                dtype=values["lab_dtype"],
                loss_scale=float(values["lab_loss_scale"]),
            )
            assert math.isclose(view.loss_frame["loss_sum_F"].iloc[0], loss0, rel_tol=1e-12)


def test_remedies_change_one_thing():
    """Each remedy changes only what its name says."""
    spec = spec_from_controls(DEFAULTS)
    changes = {
        "relu_he": {"activation": "relu", "init": "he"},
        "tanh_xavier": {"activation": "tanh", "init": "xavier"},
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


# ---------------------------------------------------------------- argument checks

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
    """The table below covers every control."""
    assert set(BAD_VALUES) == set(LAB_KEYS)


@pytest.mark.parametrize("key", LAB_KEYS)
def test_bad_values_raise_naming_the_control(key):
    """Out of range, unknown option or wrong type: ValueError naming the parameter."""
    with pytest.raises(ValueError, match=key):
        lab_view(**{**small(), key: BAD_VALUES[key]})


@pytest.mark.parametrize(
    ("key", "value"),
    [("lab_depth", 2.0), ("lab_depth", True), ("lab_init_scale", math.nan), ("lab_seed", "0")],
)
def test_wrong_types_are_refused(key, value):
    """A float for an int, a bool for an int, NaN, a string for an int: refused by name."""
    with pytest.raises(ValueError, match=key):
        lab_view(**{**small(), key: value})


def test_bad_progress_and_helpers_raise():
    """The callback and the public helpers check their arguments too."""
    with pytest.raises(ValueError, match="_progress"):
        lab_view(**small(), _progress="bar")
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
