"""Deliberate breaks of the backward walk's rules, each caught by its claims tests."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_walk.py"
CORE = "vgcore/chain_walk.py"
VIEW = "vgapp/panels/chain_walk.py"

MUTATIONS: list[Mutation] = [
    Mutation("walk: first zero taken at the lowest zero layer", CORE,
             "first_zero[name] = int(zero[-1]) + 1", "first_zero[name] = int(zero[0]) + 1", T),
    Mutation("walk: product read one layer off", CORE,
             "product[1:] = report.backprops[name][:-1]",
             "product[1:] = report.backprops[name][1:]", T),
    Mutation("walk: every factor from float64's slopes", CORE,
             "a = report.derivatives[name].astype(dtype)",
             'a = report.derivatives["float64"].astype(dtype)', T),
    Mutation("walk: exact sign of the product ignored", CORE,
             "product_sign = np.multiply.accumulate(factor_sign[::-1])[::-1].copy()",
             "product_sign = np.abs(np.multiply.accumulate(factor_sign[::-1])[::-1])", T),
    Mutation("walk: factors walked counted one short", VIEW,
             "walked = walk.depth - layer + 1", "walked = walk.depth - layer", T),
    Mutation("walk: the top layer called above the top", VIEW,
             "if requested > depth and requested != TOP:",
             "if requested >= depth and requested != TOP:", T),
    Mutation("walk: precisions that never reach 0 left out", VIEW,
             "    if never:\n", "    if False:\n", T),
    Mutation("walk: the exact zero not told", VIEW,
             "    if exact is not None:\n", "    if exact is None:\n", T),
    Mutation("walk: the sample skips a first zero layer", VIEW,
             "layers |= {layer, min(layer + 1, depth)}", "layers |= {min(layer + 1, depth)}", T),
    Mutation("walk: factor to 3 digits", VIEW, "FACTOR_DIGITS = 4", "FACTOR_DIGITS = 3", T),
]  # fmt: skip
