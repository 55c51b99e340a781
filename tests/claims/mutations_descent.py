"""Deliberate breaks of the descent panel's rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_descent.py"
VIEW = "vgapp/panels/descent.py"
CORE = "vgcore/curvature.py"

MUTATIONS: list[Mutation] = [
    Mutation("descent: 'a' before every kind", VIEW, "at {article(kind)} {kind} after",
             "at a {kind} after", T),
    Mutation("descent: plural after 1", VIEW, 'steps = count(result.n_steps, "step")',
             'steps = f"{result.n_steps} steps"', T),
    Mutation("descent: no cycle detection", VIEW, "    cycle = find_cycle(path)\n",
             "    cycle = None\n", T),
    Mutation("descent: eta = 2/L counted as below", VIEW, "        if sign >= 0:\n",
             "        if sign > 0:\n", T),
    Mutation("descent: rate bound drawn up to 2/L", VIEW, "step_relation(surface, eta, 1)",
             "step_relation(surface, eta, 2)", T),
    Mutation("descent: stationary at 1e-6", VIEW, "    if final <= DESCENT_GATOL:\n",
             "    if final <= 1e-6:\n", T),
    Mutation("descent: unbounded blamed without F falling", VIEW,
             "if last < first and example.infimum is None:", "if example.infimum is None:", T),
    Mutation("descent: stale L for x⁴ + y⁴ (the ±1.5 square)", CORE,
             "lipschitz_squared=Fraction(48**2)", "lipschitz_squared=Fraction(27**2)", T),
    Mutation("descent: float comparison with 2/L", CORE,
             "sign = (square > c * c) - (square < c * c)",
             "sign = (step * example.lipschitz_hint > c) - (step * example.lipschitz_hint < c)",
             T),
]  # fmt: skip
