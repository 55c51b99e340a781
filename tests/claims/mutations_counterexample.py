"""Deliberate breaks of the counterexample panel's rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_counterexample.py"
CORE = "vgcore/counterexample.py"
VIEW = "vgapp/panels/counterexample.py"

MUTATIONS: list[Mutation] = [
    Mutation("step count floors", CORE, "steps = -((-p_exact) // step)",
             "steps = p_exact // step", T),
    Mutation("landing decided off by one", VIEW, "    last = report.p - steps * step\n",
             "    last = report.p - steps * step - 1\n", T),
    Mutation("c's underflow not named first", CORE, '*_stored("c", c, c_d), ', "", T),
    Mutation("NaN product unexplained", CORE,
             'return [FloatEvent("nan", quantity, factors=factors)]', "return []", T),
    Mutation("rule fires only below its threshold", CORE, "if quantity <= threshold:",
             "if quantity < threshold:", T),
    Mutation("flat stretch claimed from 2 steps", VIEW, "FLAT_STEPS = 10", "FLAT_STEPS = 2", T),
]  # fmt: skip
