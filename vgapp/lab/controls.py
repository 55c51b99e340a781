"""The training lab's controls and lessons as data: every control of the lab (key = URL
parameter, range, help), its option and label tables, and the lessons that preset them.

The dataset size and the remedies' texts live here because both the runs (``vgapp.lab.runs``)
and the view (``vgapp.lab.view``) use them.
"""

from __future__ import annotations

from typing import Any

from vgapp.controls import Choice, Control, Number, Toggle, When
from vgapp.formatting import superscript
from vgapp.layout import Lesson
from vgapp.words import ACTIVATION_LABELS, DATASET_LABELS, INIT_LABELS
from vgcore.datasets import DATASETS
from vgcore.precision import DTYPES

LAB_SAMPLES = 256
"""Samples in every built-in dataset of the lab (n in F/n)."""
REMEDY_LOSS_SCALE = 1024.0
"""Loss scale of the constant "loss scale" remedy: 2^10 lifts float16's back-propagated values
2^10-fold, and may overflow the summed gradients (it does at step 0 in the float16 lesson); the
"mixed" remedy scales dynamically instead, backing off on overflow."""

OFF = "off"
THRESHOLD_OPTIONS: tuple[str, ...] = (
    OFF,
    "1e-12",
    "1e-10",
    "1e-8",
    "1e-6",
    "1e-5",
    "1e-4",
    "1e-3",
    "1e-2",
    "1e-1",
)
ETA_OPTIONS: tuple[str, ...] = (
    "1e-5",
    "3e-5",
    "1e-4",
    "3e-4",
    "1e-3",
    "3e-3",
    "1e-2",
    "3e-2",
    "1e-1",
)
LOSS_SCALE_OPTIONS: tuple[str, ...] = ("1", "16", "256", "1024", "4096", "16384", "65536")
REMEDY_STEP_RULE = "armijo"
"""The step rule of the remedies that change the network (ReLU + He, tanh + Xavier): Armijo
backtracking, each step at most the run's η. F is a sum over the samples, so with a gradient
that no longer vanishes its curvature L is large, and a constant η above 2/L makes F grow
until it overflows (``python -m bench.remedy_grid``: at the default η = 3·10⁻³ in float32,
137 of 375 ReLU + He settings and every regression setting of tanh + Xavier overflow within
200 constant steps). Backtracking never accepts a step that raises F, so F stays at most its
step-0 value."""
REMEDIES = {
    "relu_he": "ReLU + He",
    "tanh_xavier": "tanh + Xavier",
    "float32": "float32 instead of float16",
    "loss_scale": f"loss scale 2{superscript(10)} (float16)",
    "mixed": "mixed precision (float16 + float32 master weights)",
}


def _number_label(text: str) -> str:
    """``"1e-4"`` as ``10⁻⁴``, ``"3e-3"`` as ``3·10⁻³``; ``"off"`` and plain integers unchanged."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10{superscript(int(exponent))}"
    return power if mantissa == "1" else f"{mantissa}·{power}"


def _power_of_two_label(text: str) -> str:
    value = int(text)
    return "1 (off)" if value == 1 else f"2{superscript(value.bit_length() - 1)} = {value:,}"


def _threshold_control(key: str, label: str, help_text: str, default: str = OFF) -> Control:
    return Choice(
        key,
        label,
        default,
        THRESHOLD_OPTIONS,
        help_text,
        labels={option: _number_label(option) for option in THRESHOLD_OPTIONS},
        widget="select_slider",
    )


LAB_CONTROLS: tuple[Control, ...] = (
    Choice(
        "lab_dataset",
        "Dataset (256 samples)",
        "moons",
        DATASETS,
        "Generated in code from the seed. The four 2-D sets are classification (cross-entropy "
        "loss); the 1-D set is regression (squared error).",
        labels=DATASET_LABELS,
        widget="select",
    ),
    Number(
        "lab_depth",
        "Hidden layers",
        4,
        1,
        20,
        1,
        "Number of hidden layers between the input and the linear output layer.",
        integer=True,
    ),
    Number(
        "lab_width",
        "Width (units per hidden layer)",
        16,
        2,
        128,
        1,
        "Units in every hidden layer.",
        integer=True,
    ),
    Choice(
        "lab_activation",
        "Activation",
        "sigmoid",
        tuple(ACTIVATION_LABELS),
        "σ′ ≤ 1/4: with weights of modest size every sigmoid layer shrinks the back-propagated "
        "gradient (large weights, e.g. a custom scale, can make |w|·σ′ > 1 and it grows); "
        "tanh′ ≤ 1; ReLU passes it on unchanged or, at a dead unit, not at all (exactly 0); "
        "leaky ReLU keeps a slope of 0.01.",
        labels=ACTIVATION_LABELS,
        widget="select",
    ),
    Choice(
        "lab_init",
        "Initialisation",
        "standard",
        tuple(INIT_LABELS),
        "Weights at step 0 (biases 0). Standard U[±1/√n_in]: Glorot & Bengio (2010) found "
        "that it shrinks the back-propagated gradients toward the input. Xavier (Glorot's "
        "normalized U[±√(6/(n_in+n_out))]) keeps their size about constant across layers for "
        "tanh, not for the sigmoid (σ′ ≤ 1/4 still shrinks them about 4× per layer). He "
        "(N(0, 2/n_in)) does the same for ReLU. Custom: N(0, s²) with the scale s below.",
        labels=INIT_LABELS,
        widget="select",
    ),
    Number(
        "lab_init_scale",
        "Custom initialisation: standard deviation s",
        1.0,
        0.01,
        10.0,
        0.01,
        "Only for the custom initialisation: every weight is drawn from N(0, s²).",
        widget="number",
        format="%.2f",
        when=When("lab_init", ("custom",)),
    ),
    Choice(
        "lab_step_rule",
        "Step size rule",
        "constant",
        ("constant", "armijo"),
        "A constant step η, or Armijo backtracking: the step is halved until F drops enough, "
        "starting from η at the first step and from twice the previous step after (at most η).",
        labels={"constant": "constant η", "armijo": "Armijo backtracking"},
        widget="segmented",
    ),
    Choice(
        "lab_eta",
        "Step size η (on the summed loss F)",
        "3e-3",
        ETA_OPTIONS,
        "x ← x − η·∇F with F the SUM over the 256 samples, so η = 10⁻³ is a step of 0.256 on "
        "the mean loss.",
        labels={option: _number_label(option) for option in ETA_OPTIONS},
        widget="select_slider",
    ),
    Number(
        "lab_steps",
        "Maximum steps",
        3000,
        10,
        5000,
        10,
        "The step budget (the maximum-steps rule). Training stops where the enabled rules stop "
        "it; you may then continue to the budget to see what the stop cost. Large networks get "
        "fewer steps (a step costs about depth × width²): 20 × 128 at most 2,000 in float32, "
        "about 1,100 in float16 or float64; the lab says so when it caps.",
        integer=True,
    ),
    Choice(
        "lab_dtype",
        "Precision",
        "float32",
        DTYPES,
        "The number format of the weights, the forward and the backward pass: float16 keeps "
        "about 3 decimal digits, float32 about 7, float64 about 16. In "
        "float16 a value at or below 2.98·10⁻⁸ (half of 5.96·10⁻⁸, the smallest positive "
        "number float16 can store; the tie rounds to the even neighbour, 0) rounds to exactly "
        "0, and 5.96·10⁻⁸ times a factor strictly between 1/2 and 3/2 rounds back to "
        "5.96·10⁻⁸: a product shrinking by such a factor per layer sticks there instead of "
        "reaching 0.",
        widget="segmented",
    ),
    Choice(
        "lab_loss_scale",
        "Loss scale (float16)",
        "1",
        LOSS_SCALE_OPTIONS,
        "A loss scale S multiplies the loss by S before the backward pass and divides the "
        "gradient by S after (rounded back to float16), so that gradients too small for "
        "float16 survive the backward pass; too large a scale makes them overflow to ∞. This is "
        "the scale alone: for mixed precision (float32 master weights, a float32 loss, a scale "
        "that adapts) choose it as the comparison run.",
        labels={option: _power_of_two_label(option) for option in LOSS_SCALE_OPTIONS},
        widget="select_slider",
        when=When("lab_dtype", ("float16",)),
    ),
    _threshold_control(
        "lab_eps",
        "Stop when the parameters change by ‖x_{k+1} − x_k‖ ≤ ε",
        "The student's rule: stop when a step barely moves the weights (2-norm over all "
        "weights and biases). A vanishing gradient makes the steps small far from any optimum.",
        default="1e-3",
    ),
    _threshold_control(
        "lab_gatol",
        "Stop when the gradient norm ‖∇F‖ ≤",
        "Stop when the gradient of the summed loss F is this small.",
    ),
    _threshold_control(
        "lab_gttol",
        "Stop when the relative gradient ‖∇F‖ / ‖∇F₀‖ ≤",
        "Stop when the gradient has shrunk by this factor since step 0.",
    ),
    _threshold_control(
        "lab_fatol",
        "Stop when the loss change |F_k − F_{k−1}| ≤",
        "On the summed loss F (256 × the mean loss shown).",
    ),
    _threshold_control(
        "lab_frtol",
        "Stop when the relative loss change |ΔF| / |F_{k−1}| ≤",
        "Stop when |F_k − F_{k−1}| ≤ tol·|F_{k−1}|: a step changes F by less than this "
        "fraction of the previous F.",
    ),
    Toggle(
        "lab_stagnation",
        "Stop on stagnation (no weight changed)",
        True,
        "Stop when x_{k+1} == x_k exactly: every update was lost in floating point (below half "
        "the gap to the next number the format can store), or the gradient was exactly 0.",
    ),
    Choice(
        "lab_combine",
        "Stop when",
        "any",
        ("any", "all"),
        "Stop at the first step where any enabled rule holds, or where all of them hold at "
        "once. The step limit always stops.",
        labels={"any": "any rule holds", "all": "all rules hold"},
        widget="segmented",
    ),
    Number(
        "lab_seed",
        "Seed (data and initial weights)",
        0,
        0,
        10_000,
        1,
        "The same seed gives the same data, the same initial weights and the same run.",
        integer=True,
        widget="number",
    ),
    Choice(
        "lab_remedy",
        "Comparison run: remedy",
        "relu_he",
        tuple(REMEDIES),
        "Trained beside your run on the same data, depth, width, step size η, budget and "
        "rules, with the remedy changed. ReLU + He and tanh + Xavier also backtrack (Armijo "
        "steps of at most η, halved until F drops enough): their gradient does not "
        "vanish, and a constant η above 2/L, L the largest curvature of F (a sum over the 256 "
        "samples), makes F grow until it overflows. The precision remedies keep your step size "
        "rule.",
        labels=REMEDIES,
        widget="select",
    ),
)
LAB_DEFAULTS: dict[str, Any] = {control.key: control.default for control in LAB_CONTROLS}
"""Every lab control at its default (the lab's view before any move, and what a lesson starts
from)."""
LAB_KEYS: tuple[str, ...] = tuple(control.key for control in LAB_CONTROLS)
"""The controls that make the runs (``LAB_CHART`` is not one of them)."""

LAB_LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "lab_deep_sigmoid",
        "④ Deep sigmoid stops early",
        "The student's rule (stop when a step barely moves the weights) stops a 4-layer sigmoid "
        "network at step 3, at a loss of 0.693: a coin flip, far from a minimum. Press "
        "“Continue to the budget”: the same run leaves that plateau (a flat stretch, not a "
        "minimum) and reaches about 0.0044.",
        "lab",
        {
            "lab_depth": 4,
            "lab_width": 16,
            "lab_activation": "sigmoid",
            "lab_init": "standard",
            "lab_eta": "3e-3",
            "lab_steps": 3000,
            "lab_dtype": "float32",
            "lab_eps": "1e-3",
            "lab_remedy": "relu_he",
        },
        more=(
            "4 sigmoid layers with the standard initialisation, η = 3·10⁻³: at step 0 each "
            "layer shrinks the back-propagated gradient 5.5- to 8.8-fold (≈ 2.5 × 10³-fold from "
            "the output to layer 1), two factors at once: σ′ ≤ ¼ divides it by 4.0 to 4.1 and "
            "the standard initialisation's small weights by 1.4 to 2.2. The steps become tiny "
            "and the parameter-change rule (ε = 10⁻³) stops the run at step 3 with loss 0.693, "
            "ln 2, a coin flip. It is a plateau, not a minimum: continue past the stop and the "
            "same run leaves it after about 1,000 steps and reaches about 0.0044 by the end of "
            "the 3,000-step budget. ReLU + He, with the same budget and rules (and Armijo steps "
            "of at most the same η), is stopped too, by the same rule after about 700 steps at a "
            "loss of about 5 × 10⁻⁴; continued, it reaches about 3 × 10⁻⁵. Saturation (units "
            "pushed into the flat tail of σ, where σ′ is almost 0) plays no part: no sigmoid "
            "unit saturates up to the stop (under 2% of layer 1's after)."
        ),
    ),
    Lesson(
        "lab_float16",
        "④ float16 training",
        "In float16, a number format with few digits, the same network still learns, but "
        "slowly: mixed precision (float16 arithmetic with float32 copies of the weights and "
        "of the loss) ends some 10× lower. Most updates are too small for a float16 weight and "
        "are lost, and about half of the samples stop adding anything to the gradient.",
        "lab",
        {
            "lab_depth": 6,
            "lab_width": 16,
            "lab_activation": "relu",
            "lab_init": "he",
            "lab_eta": "1e-3",
            "lab_steps": 2000,
            "lab_dtype": "float16",
            "lab_loss_scale": "1",
            "lab_eps": "off",
            "lab_remedy": "mixed",
        },
        more=(
            "6 ReLU layers of 16 (He), η = 10⁻³, 2,000 steps. In float16 the loss keeps "
            "falling, but slowly: about 6 × 10⁻⁴ at step 1,000, about 5 × 10⁻⁴ at step 2,000; "
            "mixed precision reaches about 4.5 × 10⁻⁵, some 10× lower. What rescues what: "
            "float32 master weights keep the updates float16 weights lose (at the float16 "
            "run's weights of step 1,000, over 90% of the nonzero updates η·g are below half "
            "the gap to the next float16 number and lost; on float32 copies of the same "
            "weights, under 5%): alone they reach about 7 × 10⁻⁵. The float32 loss keeps the "
            "samples float16 zeroes: the page computes σ(s) = 1/(1 + e⁻ˢ) in float16, where "
            "1 + e⁻ˢ rounds to 1 once s ≥ 11 ln 2 ≈ 7.62 (a correctly rounded σ(s) would reach "
            "1 only from s ≥ ln 4095 ≈ 8.32), so σ(s) − 1 is exactly 0 for class 1, and by the "
            "end about half of the samples add exactly 0 to every layer's gradient (a few of "
            "class 0, whose eˢ is too small for float16 and becomes 0 once s < −17.3); with "
            "it, about 4.5 × 10⁻⁵. A loss scale multiplies the loss by a large S before the "
            "backward pass and divides the gradient by S after, so that values too small for "
            "float16 (at or below 2⁻²⁵) survive; here it changes nothing for the loss. Its "
            "dynamic version halves S when the gradient overflows (becomes ∞), and so it can "
            "start: 2¹⁶ overflows at step 0 and backs off to 2⁸, while a constant 2¹⁰ (the "
            "loss-scale remedy) overflows at once. The losses are rounded: their last digits "
            "depend on the order in which the computer's float32 sums add up."
        ),
    ),
)
