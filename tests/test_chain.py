"""Tests for vgcore.chain (MATH.md D3) against independent computations:

* float64 gradients: central differences and complex step of a forward pass written here, and
  the closed-form products of MATH.md;
* dtype gradients: a slow reference loop here, one numpy scalar operation at a time in that
  dtype (with ``0 * inf = 0``), bitwise;
* log-domain values: log10 of the float64 gradient where it does not underflow, and a 50-digit
  Decimal chain where it does (also where the float64 forward values themselves underflow);
* underflow depths: brute force over every prefix; the pinned 13 / 71 / 500.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.activations import ACTIVATION_NAMES, LEAKY_SLOPE, get_activation
from vgcore.chain import (
    MAX_DEPTH,
    ChainDecomposition,
    ChainReport,
    chain_backprop,
    chain_decomposition,
    chain_gradient,
    chain_log10_abs_backprop,
    chain_log10_abs_gradient,
    chain_report,
    make_weights,
    underflow_depth,
)
from vgcore.gradcheck import numerical_gradient
from vgcore.precision import DTYPES

EPS64 = float(np.finfo(np.float64).eps)
LOG_RTOL = 1e-9  # the log domain's promise: relative, or absolute where |log10| < 1
COMPLEX_STEP = 1e-30

# --------------------------------------------------------------------------- references


def forward(w: np.ndarray, name: str) -> np.ndarray | complex:
    """F = o_L, written independently of vgcore; complex-capable (complex step)."""
    act = {
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: z if z.real > 0 else 0 * z,
        "leaky_relu": lambda z: z if z.real > 0 else LEAKY_SLOPE * z,
        "identity": lambda z: z,
    }[name]
    o = w[0]
    for wi in w[1:]:
        o = act(wi * o)
    return o


def pre_activations(w: np.ndarray, name: str) -> list[float]:
    o, zs = float(w[0]), []
    for wi in w[1:]:
        zs.append(wi * o)
        o = float(forward(np.array([1.0, zs[-1]]), name))
    return zs


def closed_form_gradient(w: np.ndarray, name: str) -> np.ndarray:
    """MATH.md D3 with Python floats: dF/dw_1 = prod w_i act'(z_i),
    dF/dw_k = o_{k-1} act'(z_k) prod_{i>k} w_i act'(z_i)."""

    def derivative(z: float) -> float:  # forms without cancellation
        if name == "sigmoid":
            return 1 / (4 * math.cosh(z / 2) ** 2)
        if name == "tanh":
            return 1 / math.cosh(z) ** 2
        if name == "identity":
            return 1.0
        return 1.0 if z > 0 else (0.0 if name == "relu" else LEAKY_SLOPE)

    zs = pre_activations(w, name)
    outputs = [float(w[0])] + [float(forward(np.array([1.0, z]), name)) for z in zs]
    a = [derivative(z) for z in zs]
    gradient = []
    for k in range(len(w)):
        tail = math.prod(w[i] * a[i - 1] for i in range(k + 1, len(w)))
        gradient.append(tail if k == 0 else outputs[k - 1] * a[k - 1] * tail)
    return np.array(gradient)


def reference_pass(weights: np.ndarray, name: str, dtype: str) -> dict[str, list]:
    """Forward and backward pass one numpy-scalar operation at a time in ``dtype``: z = w o,
    o = act(z); going down, g *= act'(z_i), then g *= w_i; 0 * inf taken as +0."""
    T = np.dtype(dtype).type
    act = get_activation(name)

    def mul(a, b):
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            p = a * b
        return T(0) if np.isnan(p) else p

    with np.errstate(over="ignore"):
        w = [T(x) for x in weights]
    o, z = [w[0]], [None]
    for i in range(1, len(w)):
        z.append(mul(w[i], o[-1]))
        o.append(T(act.value(z[i])))
    a = [None] + [T(act.derivative(z[i])) for i in range(1, len(w))]
    g, dz, backprop = T(1), [None] * len(w), [None] * len(w)
    backprop[-1] = T(1)
    for i in range(len(w) - 1, 0, -1):
        g = mul(g, a[i])
        dz[i] = g
        g = mul(g, w[i])
        backprop[i - 1] = g
    gradient = [backprop[0]] + [mul(o[k - 1], dz[k]) for k in range(1, len(w))]
    return {"gradient": gradient, "backprop": backprop, "w": w, "a": a}


def bits(values, dtype: str) -> np.ndarray:
    return np.asarray(values, dtype=dtype).view(f"u{np.dtype(dtype).itemsize}")


def decimal_chain_log10(w: np.ndarray, name: str, ks: list[int]) -> dict[int, Decimal]:
    """log10|dF/dw_k| (1-based k) of the exact chain in 50-digit decimal arithmetic."""
    getcontext().prec = 50

    def tanh(z: Decimal) -> Decimal:
        if abs(z) < Decimal("1e-12"):
            return z - z**3 / 3 + 2 * z**5 / 15
        e = (2 * z).exp()
        return (e - 1) / (e + 1)

    def act(z: Decimal) -> tuple[Decimal, Decimal]:
        # derivatives as e / (1 + e)^2 (e = exp(-|z|)): 1 - s and 1 - t^2 would cancel
        if name == "sigmoid":
            e = (-abs(z)).exp()
            return (1 / (1 + e) if z >= 0 else e / (1 + e)), e / (1 + e) ** 2
        e = (-2 * abs(z)).exp()
        return tanh(z), 4 * e / (1 + e) ** 2

    weights = [Decimal(float(x)) for x in w]
    outputs, derivatives = [weights[0]], [None]
    for wi in weights[1:]:
        o, d = act(wi * outputs[-1])
        outputs.append(o)
        derivatives.append(d)
    result, tail = {}, Decimal(1)  # tail = prod_{i > k} w_i act'(z_i)
    for k in range(len(w), 0, -1):  # 1-based layer k
        if k in ks:
            g = tail if k == 1 else outputs[k - 2] * derivatives[k - 1] * tail
            result[k] = abs(g).log10()
        if k >= 2:
            tail *= weights[k - 1] * derivatives[k - 1]
    return result


def assert_log_close(got: float, exact: Decimal | float) -> None:
    exact = float(exact)
    if math.isinf(exact):
        assert got == exact
    else:
        assert abs(got - exact) <= LOG_RTOL * max(1.0, abs(exact)), (got, exact)


def random_chain(seed: int, depth: int, spread: float = 1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice([-1, 1], depth) * rng.uniform(0.5, spread, depth)


# --------------------------------------------------------------------------- float64 gradient


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("seed", range(6))
def test_float64_gradient_matches_complex_step_and_central_differences(name: str, seed: int):
    """Random chains with |w| in [0.5, 1.5] keep every nonzero |z| far from ReLU's kink."""
    w = random_chain(seed, 3 + 2 * seed)
    got = chain_gradient(w, name)
    steps = []
    for k in range(w.size):
        shifted = w.astype(complex)
        shifted[k] += 1j * COMPLEX_STEP
        steps.append(forward(shifted, name).imag / COMPLEX_STEP)
    scale = max(1e-300, float(np.max(np.abs(steps))))
    # complex step is exact to rounding; the chain adds ~2L roundings
    np.testing.assert_allclose(got, steps, rtol=1e-12, atol=1e-14 * scale)
    numerical = numerical_gradient(lambda v: float(forward(v, name)), w)
    # central differences: truncation h^2 and rounding eps/h, h = eps^(1/3)
    np.testing.assert_allclose(got, numerical, rtol=1e-7, atol=1e-9 * scale)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_float64_gradient_matches_closed_form_products(name: str) -> None:
    for seed in range(5):
        w = make_weights(40, "normal", mean=0.3, spread=1.2, seed=seed)
        np.testing.assert_allclose(
            chain_gradient(w, name), closed_form_gradient(w, name), rtol=1e-12, atol=1e-300
        )


@pytest.mark.parametrize(("name", "slope"), [("relu", 0.0), ("leaky_relu", LEAKY_SLOPE)])
def test_kink_gradient_is_the_left_one_sided_quotient(name: str, slope: float) -> None:
    """w_1 = 0 puts z_2 = 0 on the kink (and every later z too). At first order the reported
    dF/dw_1 is the one-sided quotient from the z < 0 side, and differs from the other side."""
    w = np.array([0.0, 2.0, 1.5, 0.7])
    got = chain_gradient(w, name)[0]
    assert got == pytest.approx(2.0 * slope * 1.5 * slope * 0.7 * slope, rel=1e-15)
    for h in (1e-3, 1e-6):
        left = (forward(w, name) - forward(w - h * np.eye(4)[0], name)) / h
        right = (forward(w + h * np.eye(4)[0], name) - forward(w, name)) / h
        assert left == pytest.approx(got, rel=1e-9, abs=1e-300)
        assert right == pytest.approx(2.0 * 1.5 * 0.7, rel=1e-9)


def test_backprop_is_the_suffix_product() -> None:
    w = random_chain(7, 12)
    zs = pre_activations(w, "tanh")
    factors = [w[i] / math.cosh(zs[i - 1]) ** 2 for i in range(1, w.size)]
    expected = [math.prod(factors[k:]) for k in range(w.size)]
    np.testing.assert_allclose(chain_backprop(w, "tanh"), expected, rtol=1e-13)
    assert chain_backprop(w, "tanh")[-1] == 1


# --------------------------------------------------------------------------- dtype gradients


DTYPE_CHAINS = {
    "normal": make_weights(120, "normal", spread=1.0, seed=3),
    "wide": make_weights(120, "normal", spread=6.0, seed=4),
    "ones": np.ones(90),
    "eights": np.full(40, 8.0),
    "minus eights": np.full(60, -8.0),
    "zeros inside": np.array([0.0, 1.5, -2.0, 0.0, 3.0, 1.0, 0.5, 0.0, 2.0, 2.0]),
    "float16 overflow": np.array([1e5, 2.0, -3e5, 1.0, 0.5, 7e4, 1.0, 1.0]),
    "tiny": np.array([1e-30, 1e-10, 1e-200, 1.0, 1e-300, 2.0]),
    "slow decay": np.full(400, 0.9),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("chain", DTYPE_CHAINS)
def test_dtype_gradient_and_backprop_bitwise_equal_a_scalar_loop(chain: str, name: str, dtype: str):
    w = DTYPE_CHAINS[chain]
    reference = reference_pass(w, name, dtype)
    gradient, backprop = chain_gradient(w, name, dtype), chain_backprop(w, name, dtype)
    assert gradient.dtype == backprop.dtype == np.dtype(dtype)
    assert not np.isnan(gradient).any()
    assert not np.isnan(backprop).any()
    np.testing.assert_array_equal(bits(gradient, dtype), bits(reference["gradient"], dtype))
    np.testing.assert_array_equal(bits(backprop, dtype), bits(reference["backprop"], dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sequential_hard_cases_bitwise(dtype: str) -> None:
    """Chains whose forward values cannot be checked in a few vectorised rounds (tanh with
    |w| near 1 changes each value by ulps for thousands of layers; w = -8 oscillates)."""
    for w, name in [
        (np.ones(2500), "tanh"),
        (make_weights(1500, "normal", mean=1.0, spread=0.05, seed=9), "tanh"),
        (np.full(1500, -8.0), "sigmoid"),
        (np.full(3000, 0.99), "tanh"),
    ]:
        reference = reference_pass(w, name, dtype)
        got = chain_gradient(w, name, dtype)
        np.testing.assert_array_equal(bits(got, dtype), bits(reference["gradient"], dtype))


def test_numpy_accumulate_rounds_every_step_in_the_dtype() -> None:
    """The backward pass relies on it: multiply.accumulate == a scalar loop, bitwise."""
    rng = np.random.default_rng(0)
    for dtype in DTYPES:
        T = np.dtype(dtype).type
        factors = rng.uniform(0.05, 1.3, 3000).astype(dtype)
        g, expected = T(1), []
        with np.errstate(under="ignore"):
            for f in factors:
                g = g * f
                expected.append(g)
            got = np.multiply.accumulate(factors)
        np.testing.assert_array_equal(bits(got, dtype), bits(expected, dtype))


def test_overflow_is_inf_and_zero_times_inf_is_zero() -> None:
    """Identity chain with w_2 = 0 under seven weights of 8: dF/do_2 = 8^7 overflows float16 to
    inf, then the product meets w_2 = 0: dF/dw_1 = 0 (the true value), never NaN."""
    w = np.array([1.0, 0.0] + [8.0] * 7)
    backprop = chain_backprop(w, "identity", "float16")
    assert backprop[1] == np.inf
    assert backprop[0] == 0
    assert chain_gradient(w, "identity", "float16")[0] == 0
    assert chain_log10_abs_gradient(w, "identity")[0] == -np.inf
    np.testing.assert_array_equal(
        chain_backprop(w, "identity", "float64")[1:], 8.0 ** np.arange(7, -1, -1)
    )
    exploding = chain_report(np.full(12, 8.0), "identity")
    assert np.isinf(exploding.gradients["float16"]).any()
    assert not np.isnan(exploding.gradients["float16"]).any()


# --------------------------------------------------------------------------- pinned facts


@pytest.mark.parametrize(
    ("dtype", "first_zero"), [("float16", 13), ("float32", 71), ("float64", 500)]
)
def test_all_ones_sigmoid_chain_underflows_at_the_pinned_depth(dtype: str, first_zero: int):
    assert chain_gradient(np.ones(first_zero - 1), dtype=dtype)[0] != 0
    assert chain_gradient(np.ones(first_zero), dtype=dtype)[0] == 0
    assert underflow_depth(np.ones(10_000), dtype=dtype) == first_zero


# --------------------------------------------------------------------------- underflow depth


def brute_force_underflow_depth(w: np.ndarray, name: str, dtype: str) -> int | None:
    """Smallest d with dF/dw_1 of the depth-d prefix exactly 0, every prefix run separately
    from the reference loop's factors (the forward values of a prefix are the chain's)."""
    reference = reference_pass(w, name, dtype)
    for d in range(2, w.size + 1):
        factors = np.empty(2 * (d - 1), dtype=dtype)
        factors[0::2] = reference["a"][d - 1 : 0 : -1]
        factors[1::2] = reference["w"][d - 1 : 0 : -1]
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            running = np.multiply.accumulate(factors)
        if running[-1] == 0 or np.isnan(running).any():  # a NaN is 0 * inf, i.e. 0
            return d
    return None


UNDERFLOW_CHAINS = [
    ("sigmoid", make_weights(60, "normal", spread=1.0, seed=1)),
    ("sigmoid", make_weights(60, "normal", mean=2.0, spread=4.0, seed=2)),
    ("tanh", make_weights(80, "normal", spread=1.0, seed=3)),
    ("tanh", np.full(80, 0.9)),
    ("relu", make_weights(60, "normal", mean=1.0, spread=0.5, seed=5)),
    ("leaky_relu", make_weights(60, "normal", spread=1.0, seed=6)),
    ("identity", make_weights(200, "normal", mean=1.0, spread=0.4, seed=7)),
    ("identity", np.array([1.0, 1e-4, 1e-4, 1e-4] + [1e4] * 6 + [1e-3] * 4)),  # only prefixes
    ("identity", np.array([2.0, 300.0, 1e-5, 1e-3, 1e5, 1e-4] * 5)),  # float16 infs
    ("sigmoid", np.array([1e5, 0.5, 2.0, 0.0, 3.0, 1.0])),
    ("leaky_relu", np.full(300, 0.9)),  # float16 sticks at 4 subnormals: never zero
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "w"), UNDERFLOW_CHAINS)
def test_underflow_depth_equals_brute_force(name: str, w: np.ndarray, dtype: str) -> None:
    assert underflow_depth(w, name, dtype) == brute_force_underflow_depth(w, name, dtype)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-6, 6, allow_nan=False), min_size=2, max_size=40),
    st.sampled_from(ACTIVATION_NAMES),
    st.sampled_from(DTYPES),
)
def test_underflow_depth_equals_brute_force_on_random_chains(weights, name, dtype) -> None:
    w = np.array(weights)
    assert underflow_depth(w, name, dtype) == brute_force_underflow_depth(w, name, dtype)


def test_underflow_depth_of_a_slowly_decaying_float16_chain() -> None:
    """tanh with w = 1 in float16: the product decays by ~0.999 per layer; exact answer by
    brute force over all 2,000 prefixes."""
    w = np.ones(2000)
    w[1500:] = 1.02
    expected = brute_force_underflow_depth(w, "tanh", "float16")
    assert underflow_depth(w, "tanh", "float16") == expected


# --------------------------------------------------------------------------- log domain


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_log10_gradient_matches_float64_where_it_does_not_underflow(name: str) -> None:
    for seed in range(4):
        w = make_weights(150, "normal", spread=1.5, seed=seed)
        float64 = chain_gradient(w, name)
        logs = chain_log10_abs_gradient(w, name)
        exact_zero = float64 == 0
        representable = np.abs(float64) > 1e-290
        np.testing.assert_allclose(
            logs[representable],
            np.log10(np.abs(float64[representable])),
            rtol=LOG_RTOL,
            atol=LOG_RTOL,
        )
        if name in ("sigmoid", "tanh"):
            assert np.all(np.isfinite(logs))
        else:
            assert np.all(np.isneginf(logs[exact_zero]) | (logs[exact_zero] < -290))
        backprop = chain_backprop(w, name)
        ok = np.abs(backprop) > 1e-290
        np.testing.assert_allclose(
            chain_log10_abs_backprop(w, name)[ok], np.log10(np.abs(backprop[ok])), rtol=LOG_RTOL
        )


def test_log10_gradient_of_a_2000_layer_sigmoid_chain_matches_decimal() -> None:
    w = make_weights(2000, "normal", mean=0.5, spread=2.0, seed=11)
    assert chain_gradient(w)[0] == 0  # float64 has long underflowed
    ks = [1, 2, 3, 50, 500, 999, 1000, 1500, 1998, 1999, 2000]
    exact = decimal_chain_log10(w, "sigmoid", ks)
    logs = chain_log10_abs_gradient(w)
    for k in ks:
        assert_log_close(float(logs[k - 1]), exact[k])


def test_log10_gradient_of_a_10000_layer_tanh_chain_whose_forward_underflows() -> None:
    """|w| < 1 with random signs: o_i ~ 10^-1200 by the end, far below float64; the log domain
    carries log|o_i| and stays finite and exact."""
    rng = np.random.default_rng(12)
    w = rng.choice([-1.0, 1.0], 10_000) * rng.uniform(0.6, 0.95, 10_000)
    w[0] = 1.7
    # in float64, o_{L-1} sits on the subnormal floor: |w| s rounds back to s, never to 0
    assert abs(chain_gradient(w, "tanh")[-1]) <= 5e-324
    logs = chain_log10_abs_gradient(w, "tanh")
    assert np.all(np.isfinite(logs))
    ks = [1, 2, 100, 2000, 3500, 5000, 9000, 9999, 10_000]
    exact = decimal_chain_log10(w, "tanh", ks)
    for k in ks:
        assert_log_close(float(logs[k - 1]), exact[k])


@pytest.mark.parametrize(
    ("name", "w"),
    [
        # sigma(-800) ~ e^-800 underflows float64; the next z is ~1e-348, then sigma = 1/2 again
        ("sigmoid", [1.0, -800.0, 2.0, 3.0, -1000.0, 0.5, 700.0, -3.0, 1.5]),
        # o_3 ~ 1e-350 underflows, float64 stays at 0 while the exact chain climbs back to
        # tanh(1) through a stretch of z < 4e-18
        ("tanh", [1.0, 1e-200, 1e-150, 1e150, 1e140, 1e59, 0.7, -2.0, 1e-30, 0.9]),
    ],
)
def test_log10_exact_where_float64_forward_values_underflow(name: str, w: list[float]) -> None:
    logs = chain_log10_abs_gradient(np.array(w), name)
    exact = decimal_chain_log10(np.array(w), name, list(range(1, len(w) + 1)))
    for k in range(1, len(w) + 1):
        assert_log_close(float(logs[k - 1]), exact[k])


def test_weights_at_the_bound_keep_finite_logs() -> None:
    """|z_2| = 1e300: sigma'(z_2) = e^-1e300, log10 ~ -4.3e299, still a float64."""
    logs = chain_log10_abs_gradient(np.array([1e150, 1e150, 1.0]))
    assert np.all(np.isfinite(logs))
    assert logs[0] == pytest.approx(-1e300 / math.log(10), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.just(0.0),
            st.floats(-1e150, 1e150, allow_nan=False),
            st.floats(-1e-5, 1e-5, allow_nan=False),
            st.floats(-50, 50, allow_nan=False),
        ),
        min_size=2,
        max_size=50,
    ),
    st.sampled_from(ACTIVATION_NAMES),
)
def test_extreme_weights_never_give_nan_or_warnings(weights: list[float], name: str) -> None:
    """Any weights allowed: no warning (pytest makes them errors), no NaN in any array, and a
    log10 of -inf only where the float64 gradient is exactly zero too."""
    report = chain_report(np.array(weights), name)
    arrays = [*report.gradients.values(), *report.backprops.values()]
    arrays += [report.log10_abs_gradient, report.log10_abs_backprop]
    arrays += list(vars(report.decomposition).values())
    assert not any(np.isnan(a).any() for a in arrays)
    assert not np.isposinf(report.log10_abs_gradient).any()
    assert np.all(report.gradients["float64"][np.isneginf(report.log10_abs_gradient)] == 0)


@pytest.mark.parametrize(("name", "w"), [("identity", 2.0), ("leaky_relu", -0.5), ("relu", 2.5)])
def test_log10_of_piecewise_linear_chains_beyond_float64(name: str, w: float) -> None:
    """1,500 layers of |w| = 2, 1/2 or 5/2 take o_i far outside float64's range. Closed form:
    every |dF/dw_k| = |w|^(L-1) slope^n, n the number of negative z_i (the slope enters through
    o_{k-1}, act'(z_k) or the tail, depending on where z_i sits relative to k)."""
    depth = 1500
    weights = np.full(depth, w)
    sign, negative = math.copysign(1, w), 0
    for _ in range(2, depth + 1):
        sign *= math.copysign(1, w)
        negative += sign < 0
    slope = LEAKY_SLOPE if name == "leaky_relu" else 1.0
    expected = (depth - 1) * math.log10(abs(w)) + negative * math.log10(slope)
    assert abs(expected) > 300
    np.testing.assert_allclose(chain_log10_abs_gradient(weights, name), expected, rtol=1e-12)


def test_log10_is_minus_inf_exactly_where_the_gradient_is_exactly_zero() -> None:
    w = np.array([0.0, 1.5, -2.0, 0.0, 3.0, 0.7])
    for name in ("sigmoid", "tanh", "identity", "leaky_relu"):
        float64 = chain_gradient(w, name)
        logs = chain_log10_abs_gradient(w, name)
        np.testing.assert_array_equal(np.isneginf(logs), float64 == 0)
    # o_1 = 0 and w_4 = 0: only the sigmoid (sigma(0) = 1/2) lets anything through
    np.testing.assert_array_equal(
        np.isneginf(chain_log10_abs_gradient(w)), [True, True, True, False, False, False]
    )
    dead = np.array([1.0, 2.0, -1.0, 3.0, 4.0])  # z_3 < 0: the unit dies, nothing flows
    np.testing.assert_array_equal(chain_log10_abs_gradient(dead, "relu"), [-np.inf] * 5)
    np.testing.assert_array_equal(chain_gradient(dead, "relu"), np.zeros(5))


# --------------------------------------------------------------------------- decomposition


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-20, 20, allow_nan=False), min_size=2, max_size=60))
def test_sigmoid_gradient_never_exceeds_the_bound(weights: list[float]) -> None:
    """|dF/dw_1| <= 4^-(k-1) prod |w_i| for every prefix depth k (log domain and float64)."""
    w = np.array(weights)
    d = chain_decomposition(w)
    log_gradient = d.log10_abs_weight_product + d.log10_derivative_product
    slack = 1e-9 * np.maximum(1, np.abs(np.nan_to_num(d.log10_bound, neginf=0)))
    assert np.all(log_gradient <= d.log10_bound + slack)
    g = abs(float(chain_gradient(w)[0]))
    bound = 4.0 ** -(w.size - 1) * math.prod(abs(x) for x in w[1:])
    assert g <= bound * (1 + 4 * w.size * EPS64)


def test_decomposition_is_consistent_with_prefix_chains() -> None:
    w = make_weights(300, "normal", mean=0.2, spread=1.5, seed=21)
    for name in ACTIVATION_NAMES:
        d = chain_decomposition(w, name)
        assert isinstance(d, ChainDecomposition)
        for array in (d.log10_abs_weight_product, d.log10_derivative_product, d.log10_bound):
            assert array.shape == d.log10_layer_factor.shape == (w.size - 1,)
        np.testing.assert_allclose(
            d.log10_abs_weight_product, np.cumsum(np.log10(np.abs(w[1:]))), rtol=1e-12
        )
        np.testing.assert_allclose(
            np.cumsum(d.log10_layer_factor),
            d.log10_abs_weight_product + d.log10_derivative_product,
            rtol=1e-10,
            atol=1e-10,
        )
        bound = get_activation(name).derivative_bound
        np.testing.assert_allclose(
            d.log10_bound,
            np.arange(1, w.size) * math.log10(bound) + d.log10_abs_weight_product,
            rtol=1e-12,
            atol=1e-12,
        )
        for k in (2, 17, 150, 300):
            assert_log_close(
                float(d.log10_abs_weight_product[k - 2] + d.log10_derivative_product[k - 2]),
                float(chain_log10_abs_gradient(w[:k], name)[0]),
            )


def test_suffix_split_gives_the_backprop_and_survives_zero_weights() -> None:
    w = make_weights(200, "normal", mean=0.2, spread=1.5, seed=22)
    w[[3, 120]] = 0.0
    for name in ACTIVATION_NAMES:
        d = chain_decomposition(w, name)
        backprop = chain_log10_abs_backprop(w, name)
        total = d.log10_abs_weight_suffix + d.log10_derivative_suffix
        np.testing.assert_array_equal(np.isneginf(total), np.isneginf(backprop))
        finite = np.isfinite(backprop)
        np.testing.assert_allclose(total[finite], backprop[finite], rtol=1e-10, atol=1e-10)
        assert np.all(backprop[finite] <= d.log10_suffix_bound[finite] + 1e-9)
        # above the zero weight at layer 121 the suffix never sees it: finite there
        assert np.all(np.isfinite(d.log10_abs_weight_suffix[120:]))
        assert np.all(np.isneginf(d.log10_abs_weight_suffix[:120]))
        assert d.log10_abs_weight_suffix[-1] == d.log10_derivative_suffix[-1] == 0
        np.testing.assert_allclose(
            d.log10_abs_weight_suffix[121:],
            [math.fsum(np.log10(np.abs(w[k + 1 :]))) for k in range(121, w.size)],
            rtol=1e-12,
            atol=1e-12,
        )


# --------------------------------------------------------------------------- report


def test_chain_report_equals_the_separate_calls() -> None:
    w = make_weights(500, "normal", mean=0.5, spread=2.0, seed=31)
    for name in ("sigmoid", "tanh", "relu"):
        report = chain_report(w, name)
        assert isinstance(report, ChainReport)
        assert report.activation == name
        assert report.depth == 500
        np.testing.assert_array_equal(report.weights, w)
        np.testing.assert_array_equal(report.log10_abs_gradient, chain_log10_abs_gradient(w, name))
        np.testing.assert_array_equal(report.log10_abs_backprop, chain_log10_abs_backprop(w, name))
        assert set(report.gradients) == set(report.backprops) == set(DTYPES)
        for dtype in DTYPES:
            gradient, backprop = report.gradients[dtype], report.backprops[dtype]
            assert gradient.dtype == backprop.dtype == np.float64
            np.testing.assert_array_equal(gradient, chain_gradient(w, name, dtype))
            np.testing.assert_array_equal(backprop, chain_backprop(w, name, dtype))
            assert report.underflow_depths[dtype] == underflow_depth(w, name, dtype)
        np.testing.assert_array_equal(
            report.decomposition.log10_layer_factor,
            chain_decomposition(w, name).log10_layer_factor,
        )
        with pytest.raises(ValueError, match="read-only"):
            report.gradients["float16"][0] = 1.0


# --------------------------------------------------------------------------- make_weights


def test_make_weights() -> None:
    np.testing.assert_array_equal(make_weights(5, w=0.5), np.full(5, 0.5))
    expected = 0.5 + 2.0 * np.random.default_rng(7).standard_normal(6)
    np.testing.assert_array_equal(make_weights(6, "normal", mean=0.5, spread=2.0, seed=7), expected)
    rng = np.random.default_rng(3)
    first = make_weights(4, "normal", seed=rng)
    assert not np.array_equal(first, make_weights(4, "normal", seed=rng))  # the generator advanced
    np.testing.assert_array_equal(first, make_weights(4, "normal", seed=np.random.default_rng(3)))


# --------------------------------------------------------------------------- errors


PUBLIC = [
    lambda w, **k: chain_gradient(w, **k),
    lambda w, **k: chain_backprop(w, **k),
    lambda w, **k: chain_log10_abs_gradient(w, **k),
    lambda w, **k: chain_log10_abs_backprop(w, **k),
    lambda w, **k: chain_decomposition(w, **k),
    lambda w, **k: underflow_depth(w, **k),
    lambda w, **k: chain_report(w, **k),
]


@pytest.mark.parametrize("call", PUBLIC)
def test_weights_errors(call) -> None:
    with pytest.raises(ValueError, match="depth"):
        call([1.0])
    with pytest.raises(ValueError, match="depth"):
        call([])
    with pytest.raises(ValueError, match=r"depth .* 100000"):
        call(np.ones(MAX_DEPTH + 1))
    with pytest.raises(ValueError, match="weights must be 1-dimensional"):
        call(np.ones((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        call([1.0, np.nan])
    with pytest.raises(ValueError, match="finite"):
        call([1.0, np.inf])
    with pytest.raises(ValueError, match=r"\|w_i\| <= 1e\+150"):
        call([1.0, 1e151])
    with pytest.raises(ValueError, match="weights must be an array of real numbers"):
        call(["a", "b"])
    with pytest.raises(ValueError, match="activation must be one of 'sigmoid', 'tanh'"):
        call([1.0, 1.0], activation="softsign")


@pytest.mark.parametrize("call", [chain_gradient, chain_backprop, underflow_depth])
def test_dtype_errors(call) -> None:
    for dtype in ("int32", "float128", "bfloat16", "half precision", 3):
        with pytest.raises(ValueError, match="dtype must be one of float16, float32, float64"):
            call([1.0, 1.0], dtype=dtype)


def test_make_weights_errors() -> None:
    cases = [
        ({"depth": 1}, "depth must be an integer from 2 to 100000"),
        ({"depth": 100_001}, "depth must be an integer from 2 to 100000"),
        ({"depth": 2.5}, "depth must be an integer"),
        ({"depth": True}, "depth must be an integer"),
        ({"depth": 3, "mode": "uniform"}, "mode must be one of 'constant', 'normal'"),
        ({"depth": 3, "w": np.nan}, "w must be finite"),
        ({"depth": 3, "w": 1e101}, "w must be <= 1e\\+100"),
        ({"depth": 3, "mean": -np.inf}, "mean must be finite"),
        ({"depth": 3, "spread": -1.0}, "spread must be >= 0"),
        ({"depth": 3, "spread": "1"}, "spread must be a real number"),
        ({"depth": 3, "seed": -1}, "seed must be an integer >= 0"),
        ({"depth": 3, "seed": 1.5}, "seed must be an integer"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            make_weights(**kwargs)
