"""Vanishing Gradient Explorer: the Streamlit page (the only module that imports Streamlit).

Reads the controls (bound to the URL), calls ``vgcore`` through memoised wrappers and draws the
charts built in ``vgapp.charts``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pandas as pd
import streamlit as st

from vgapp import lab, views
from vgapp.controls import Control, check_query_params
from vgapp.lab_controls import LAB_KEYS
from vgapp.page import CONTROLS, LESSON_CONTROL, LESSONS, PANEL_TITLES, PANELS, lesson_values

EXPANDED_PANELS = ("counterexample", "chain")


def init_state() -> None:
    """On a session's first run, read the shared URL: a lesson sets its controls, explicit
    parameters override them, and whatever cannot be used becomes a notice.

    Accepted values are also put into the session state, so that a value Streamlit's own URL
    binding would drop (a choice written as its key rather than its label) still applies."""
    state = st.session_state
    if "url_notices" in state:
        return
    raw = {key: st.query_params.get(key, "") for key in st.query_params}
    accepted, notices = check_query_params(raw, {**CONTROLS, "lesson": LESSON_CONTROL})
    lesson = accepted.pop("lesson", None)
    if lesson is not None:
        state.update(lesson_values(lesson))
        state["lesson"] = lesson
    state.update(accepted)
    state.url_notices = notices


def apply_lesson() -> None:
    """Callback of the lesson selector: set every control the chosen lesson names."""
    lesson = st.session_state.get("lesson")
    if lesson in LESSONS:
        st.session_state.update(lesson_values(lesson))


def leave_lesson() -> None:
    """Callback of every control: a changed control no longer shows the lesson's view."""
    st.session_state.lesson = None


def draw_control(control: Control, *, disabled: bool = False) -> Any:
    """Draw one control in the current container, bound to the URL under its key."""
    # The default is passed to the widget (not only put in the session state) so that the URL
    # binding leaves out exactly the default values and keeps every other one, minima included.
    common = {
        "label": control.label,
        "key": control.key,
        "help": control.help,
        "disabled": disabled,
        "on_change": leave_lesson,
        "bind": "query-params",
    }
    if control.widget in ("slider", "number"):
        widget = st.slider if control.widget == "slider" else st.number_input
        return widget(
            min_value=control.low,
            max_value=control.high,
            value=control.default,
            step=control.step,
            format=control.format,
            **common,
        )
    choices = {"options": control.options, "format_func": control.label_of}
    if control.widget == "select":
        index = control.options.index(control.default)
        return st.selectbox(index=index, **choices, **common)
    if control.widget == "select_slider":
        return st.select_slider(value=control.default, **choices, **common)
    if control.widget == "toggle":
        return st.toggle(value=control.default, **common)
    if control.widget == "segmented":
        return st.segmented_control(default=control.default, required=True, **choices, **common)
    raise ValueError(f"unknown widget {control.widget!r} for control {control.key!r}")


def sidebar_controls() -> dict[str, Any]:
    """Every control, grouped by panel in the sidebar; returns their values by key."""
    values: dict[str, Any] = {}
    with st.sidebar:
        st.header("Controls")
        for panel, controls in PANELS.items():
            with st.expander(PANEL_TITLES[panel], expanded=panel in EXPANDED_PANELS):
                for control in controls:
                    values[control.key] = draw_control(control, disabled=_inactive(control))
    return values


def _inactive(control: Control) -> bool:
    """Controls that do not apply in the current state are shown disabled (never hidden, so
    that their values stay in the URL)."""

    def current(key: str) -> Any:
        return st.session_state.get(key, CONTROLS[key].default)

    if control.key == "w":
        return current("w_mode") != "constant"
    if control.key in ("w_mean", "w_spread", "seed"):
        return current("w_mode") != "random"
    if control.key == "lab_init_scale":
        return current("lab_init") != "custom"
    if control.key == "lab_loss_scale":
        return current("lab_dtype") != "float16"
    return False


def render_header() -> None:
    """Title, the student's question, the one-line answer and the lesson selector."""
    st.markdown("### Vanishing Gradient Explorer")
    st.markdown(
        "**If the gradient vanishes, isn't that the zero gradient of the optimum, so gradient "
        "descent may stop?** No: a small, even a zero gradient says nothing about how far the "
        "optimum is. It makes the steps tiny, and in floating point they vanish."
    )
    st.pills(
        LESSON_CONTROL.label,
        LESSON_CONTROL.options,
        default=LESSON_CONTROL.default,
        format_func=LESSON_CONTROL.label_of,
        help=LESSON_CONTROL.help,
        key="lesson",
        on_change=apply_lesson,
        bind="query-params",
        label_visibility="collapsed",
    )
    lesson = st.session_state.get("lesson")
    if lesson in LESSONS:
        st.caption(LESSONS[lesson].note)


def render_url_notices() -> None:
    """Say which parameters of a shared link were ignored, once per session."""
    notices = st.session_state.get("url_notices") or []
    if notices:
        st.warning(
            "Some settings in this link could not be used: " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )


# ---------------------------------------------------------------- memoised views

CACHE_ENTRIES = 64


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def counterexample_view(
    c_mant: float, c_exp: int, p_mant: float, p_exp: int, eta_exp: int, eps_exp: int, gatol_exp: int
) -> views.CounterexampleView:
    return views.counterexample_view(c_mant, c_exp, p_mant, p_exp, eta_exp, eps_exp, gatol_exp)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def chain_view(
    depth: int,
    activation: str,
    w_mode: str,
    w: float | None,
    w_mean: float | None,
    w_spread: float | None,
    seed: int | None,
    quantity: str,
) -> views.ChainView:
    return views.chain_view(depth, activation, w_mode, w, w_mean, w_spread, seed, quantity)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def curvature_view(surface: str, x: float, y: float) -> views.CurvatureView:
    return views.curvature_view(surface, x, y)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def descent_view(
    surface: str, x0: float, y0: float, rule: str, eta: float, iterations: int
) -> views.DescentView:
    return views.descent_view(surface, x0, y0, rule, eta, iterations)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def precision_view(w: float, eta: float, grad_exp: int, dtype: str) -> views.PrecisionView:
    return views.precision_view(w, eta, grad_exp, dtype)


# ---------------------------------------------------------------- drawing


def show_metrics(metrics: tuple[views.Metric, ...]) -> None:
    """A row of metrics, one column each."""
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(metric.label, metric.value, help=metric.help)


def show_chart(spec: dict, alt_text: str, *, caption: bool = True) -> None:
    """A Vega-Lite chart (built by ``vgapp.charts``) with its text alternative for screen
    readers, also shown as a caption unless the caller shows it elsewhere (the headline panels
    do, below their metrics)."""
    st.vega_lite_chart(spec=spec, width="stretch", alt=alt_text)
    if caption:
        st.caption(alt_text)


def download(data: pd.DataFrame, name: str) -> None:
    """A CSV download of the data behind a chart."""
    st.download_button(
        "Download the data (CSV)",
        lambda: data.to_csv(index=False),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download_{name}",
        on_click="ignore",
    )


def render_counterexample(values: dict[str, Any]) -> None:
    view = counterexample_view(*(values[c.key] for c in PANELS["counterexample"]))
    st.subheader(PANEL_TITLES["counterexample"], divider="gray")
    st.caption(
        "f(x) = max(0, c·x) has gradient c at every x > 0, however far x is from its minimum "
        "at x ≤ 0. Exact arithmetic holds the source's numbers; float64 cannot."
    )
    show_chart(view.chart, view.alt_text, caption=False)
    show_metrics(view.metrics)
    st.caption(view.alt_text)
    if view.source_numbers:
        st.info(
            "A small correction to the source: it prints f′(p) = 10⁻⁹⁹, but the derivative of "
            "max(0, c·x) at p > 0 is c itself, here 10⁻⁹⁰. The argument stands.",
            icon=":material/edit_note:",
        )
    st.markdown("**What the stopping rules do** (exact arithmetic)")
    st.dataframe(view.outcomes, hide_index=True, width="stretch")
    st.markdown("**What floating point makes of the same numbers**")
    st.dataframe(view.floats, hide_index=True, width="stretch")
    download(view.frame, "counterexample")


def render_chain(values: dict[str, Any]) -> None:
    view = chain_view(*views.chain_arguments(values))
    st.subheader(PANEL_TITLES["chain"], divider="gray")
    st.caption(
        "oᵢ = act(wᵢ·oᵢ₋₁), so dF/dw₁ = Π wᵢ · Π act′(zᵢ) over i = 2..L. The sigmoid's "
        "σ′ ≤ 1/4 shrinks it ≥ 4× per layer when |wᵢ| ≤ 1, until each precision gives 0."
    )
    show_chart(view.chart, view.alt_text, caption=False)
    show_metrics(view.metrics)
    st.caption(view.alt_text)
    st.info(
        "A correction to the source: it puts σ′ in [0, 1]. The sharp range is (0, 1/4]: "
        "σ′ is never 0, and at most 1/4 (at z = 0), hence |dF/dw₁| ≤ 4^−(L−1)·Π|wᵢ| "
        "over i = 2..L.",
        icon=":material/edit_note:",
    )
    download(view.frame, "chain")


def render_curvature(values: dict[str, Any]) -> None:
    st.subheader(PANEL_TITLES["curvature"], divider="gray")
    st.markdown(
        "A zero gradient only says the point is *stationary*. The Hessian decides: positive "
        "definite, a minimum; indefinite, a saddle; singular and semidefinite, the test says "
        "nothing."
    )
    view = curvature_view(values["surface"], values["pt_x"], values["pt_y"])
    left, right = st.columns([3, 2])
    with left:
        show_chart(view.chart, view.point.explanation)
        download(view.frame, "surface")
    with right:
        for metric in view.metrics:
            st.metric(metric.label, metric.value, help=metric.help)
        st.info(
            "A correction to the source: it says a local optimum has a *definite* Hessian. "
            "At a local minimum the Hessian need only be positive **semi**definite; positive "
            "definite is the sufficient condition. x⁴ has a minimum and x³ none, both with "
            "F″ = 0.",
            icon=":material/edit_note:",
        )


def render_descent(values: dict[str, Any]) -> None:
    st.subheader(PANEL_TITLES["descent"], divider="gray")
    st.markdown(
        "If F is bounded below and its gradient L-Lipschitz, gradient descent with a constant "
        "step 0 < η < 2/L (or Armijo steps) makes ‖∇F‖ → 0: every limit point is stationary, "
        "a minimum, a saddle or even a maximum. The method cannot tell them apart."
    )
    view = descent_view(
        values["surface"],
        values["gd_x0"],
        values["gd_y0"],
        values["gd_rule"],
        values["gd_eta"],
        values["gd_iters"],
    )
    left, right = st.columns(2)
    with left:
        show_chart(view.path_chart, view.explanation)
        download(view.frame, "descent_path")
    with right:
        show_chart(
            view.norm_chart,
            "Gradient norm against iteration on a log scale, with the O(1/√k) bound of the "
            "convergence theorem where it applies.",
        )
        download(view.frame, "descent_gradient_norms")
    show_metrics(view.metrics)


def render_precision(values: dict[str, Any]) -> None:
    st.subheader(PANEL_TITLES["precision"], divider="gray")
    st.markdown(
        "In round-to-nearest floating point, w + d == w when |d| is below half the gap from "
        "w to its neighbour in the direction of d (exactly half: ties go to the even "
        "neighbour). The threshold grows with |w|."
    )
    view = precision_view(
        values["fp_w"], values["fp_eta"], values["fp_grad_exp"], values["fp_dtype"]
    )
    left, right = st.columns([3, 2])
    with left:
        show_chart(
            view.chart,
            f"The update η·g = {views.sci(view.delta)} is "
            f"{'lost' if view.lost else 'applied'} in {values['fp_dtype']}.",
        )
        download(view.frame, "lost_updates")
    with right:
        st.dataframe(view.rows, hide_index=True, width="stretch")
        st.info(
            "A correction to the source: it says updates smaller than machine epsilon ε are "
            "lost. The threshold is relative, about ε·|w|/2: at |w| = 1 updates below ε/2 "
            "(ε/4 going down) already vanish, and on a float64 weight of 1000 an update of "
            "10⁻¹⁴ vanishes although it is far above ε.",
            icon=":material/edit_note:",
        )


LAB_CACHE_ENTRIES = 8  # the longest run's view holds a few MB of traces


@st.cache_resource
def lab_memo() -> tuple[threading.Lock, OrderedDict]:
    """One bounded LRU of training-lab views shared by all sessions (views are read-only)."""
    return threading.Lock(), OrderedDict()


def lab_view(values: dict[str, Any]) -> lab.LabView:
    """The lab view memoised on its control values, with a progress bar while it trains.

    Memoised by hand rather than with st.cache_data: st.cache_data replays the element calls
    made inside a cached function and refuses to update a progress bar created outside it, and
    a long run must show its progress."""
    key = tuple((name, values[name]) for name in LAB_KEYS)
    lock, memo = lab_memo()
    with lock:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    bar = st.progress(0.0, text="Training…")
    view = lab.lab_view(**dict(key), _progress=lambda share, text: bar.progress(share, text=text))
    bar.empty()
    with lock:
        memo[key] = view
        while len(memo) > LAB_CACHE_ENTRIES:
            memo.popitem(last=False)
    return view


def render_lab(values: dict[str, Any]) -> None:
    st.subheader(PANEL_TITLES["lab"], divider="gray")
    st.markdown(
        "Does it happen in a real network, during training, and what fixes it? Your network "
        "trains with the same gradient descent and stopping rules as above; the comparison "
        "trains beside it with one remedy, on the same data, with the same budget and rules."
    )
    view = lab_view(values)
    st.markdown(f"**{view.verdict}**")
    show_chart(view.loss_chart, view.verdict)
    download(view.loss_frame, "lab_loss")
    panels = (("yours", view.main), ("remedy", view.comparison))
    for column, (name, panel) in zip(st.columns(2, gap="medium"), panels, strict=True):
        with column:
            if name == "remedy" and view.same_run:
                st.info("This remedy changes nothing for your run: pick another one.")
                continue
            st.markdown(f"**{panel.run.label}**: {panel.run.spec.describe()}")
            show_metrics(panel.metrics[:3])
            show_metrics(panel.metrics[3:])
            show_chart(panel.heatmap_chart, panel.heatmap_text)
            download(panel.heatmap_frame, f"lab_gradient_norms_{name}")
            show_chart(panel.saturation_chart, panel.saturation_text)
            download(panel.saturation_frame, f"lab_saturation_{name}")
            show_chart(panel.fit_chart, panel.fit_text)
            download(panel.fit_frame, f"lab_fit_{name}")


def main() -> None:
    st.set_page_config(page_title="Vanishing Gradient Explorer", layout="wide")
    init_state()
    render_header()
    values = sidebar_controls()
    render_url_notices()
    left, right = st.columns(2, gap="medium")
    with left, st.container(key="panel-counterexample"):
        render_counterexample(values)
    with right, st.container(key="panel-chain"):
        render_chain(values)
    with st.container(key="panel-curvature"):
        render_curvature(values)
    with st.container(key="panel-descent"):
        render_descent(values)
    with st.container(key="panel-precision"):
        render_precision(values)
    with st.container(key="panel-lab"):
        render_lab(values)


main()
