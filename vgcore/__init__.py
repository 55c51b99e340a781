"""vgcore: the tested numerical core of the Vanishing Gradient Explorer (numpy only).

One module per idea: activations, the source's scalar chain, the multilayer perceptron (its
parameters, its pass) and its datasets, gradient descent and its stopping rules, floating-point
tools, curvature, exact rational numbers and the ``max(0, c x)`` counterexample built on them,
and the gradient checker the tests use. ``docs/MATH.md`` states the maths
(its sections are what ``MATH.md A`` … ``D4`` in the docstrings cite).
"""

from vgcore.activations import ACTIVATION_NAMES, ACTIVATIONS, get_activation
from vgcore.chain import (
    chain_backprop,
    chain_decomposition,
    chain_gradient,
    chain_log10_abs_backprop,
    chain_log10_abs_gradient,
    chain_report,
    make_weights,
    underflow_depth,
)
from vgcore.counterexample import analyse_counterexample, gd_value_trace
from vgcore.curvature import (
    EXAMPLES,
    classify_stationary_point,
    describe_point,
    example_objective,
)
from vgcore.datasets import DATASETS, make_dataset
from vgcore.descent import descent_rate_bound, gradient_descent, running_min
from vgcore.exact import Scientific, parse_exact, scientific
from vgcore.gradcheck import check_gradient, numerical_gradient
from vgcore.mlp import (
    flatten_params,
    init_mlp,
    mlp_backprop_norms,
    mlp_forward_backward,
    mlp_loss_and_grads,
    mlp_objective,
    mlp_predict,
    unflatten_params,
)
from vgcore.precision import (
    DTYPES,
    float_facts,
    float_facts_table,
    lost_update_threshold,
    smallest_update_that_counts,
    ulp,
    update_is_lost,
)
from vgcore.stopping import RULE_NAMES, StoppingRules

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "DATASETS",
    "DTYPES",
    "EXAMPLES",
    "RULE_NAMES",
    "Scientific",
    "StoppingRules",
    "analyse_counterexample",
    "chain_backprop",
    "chain_decomposition",
    "chain_gradient",
    "chain_log10_abs_backprop",
    "chain_log10_abs_gradient",
    "chain_report",
    "check_gradient",
    "classify_stationary_point",
    "descent_rate_bound",
    "describe_point",
    "example_objective",
    "flatten_params",
    "float_facts",
    "float_facts_table",
    "gd_value_trace",
    "get_activation",
    "gradient_descent",
    "init_mlp",
    "lost_update_threshold",
    "make_dataset",
    "make_weights",
    "mlp_backprop_norms",
    "mlp_forward_backward",
    "mlp_loss_and_grads",
    "mlp_objective",
    "mlp_predict",
    "numerical_gradient",
    "parse_exact",
    "running_min",
    "scientific",
    "smallest_update_that_counts",
    "ulp",
    "underflow_depth",
    "unflatten_params",
    "update_is_lost",
]
