"""Deliberate breaks of the chain panel's rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_chain.py"
VIEW = "vgapp/panels/chain.py"

MUTATIONS: list[Mutation] = [
    Mutation("any shrink called vanishing", VIEW, "VANISHING_FACTOR = 0.9",
             "VANISHING_FACTOR = 1.0", T),
    Mutation("one layer's factor headline dropped", VIEW, "    if layers == 1:\n",
             "    if layers == 0:\n", T),
    Mutation("sticking range misstated", VIEW, '"factor f with 1/2 < f < 3/2, so',
             '"factor f above 1/2, so', T),
    Mutation("every zero called underflow", VIEW, "underflow=bool(np.isfinite(exact))",
             "underflow=True", T),
    Mutation("heading fixed to sigmoid", VIEW, 'heading = f"The deep {words.label} chain"',
             'heading = "The deep sigmoid chain"', T),
    Mutation("zero cut at the wrong layer", VIEW, "layer = int(zero[0]) + 2",
             "layer = int(zero[0]) + 1", T),
    Mutation("article before a number", VIEW, 'f"|{series.symbol}| for the {depth}-layer',
             'f"|{series.symbol}| for a {depth}-layer', T),
    Mutation("far flag off by an order", VIEW, "ORDERS_OFF = 1.0", "ORDERS_OFF = 2.0", T),
]  # fmt: skip
