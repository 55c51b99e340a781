"""Deliberate breaks of "Predict, then see" (``vgapp/predict.py``), each caught by its claims
test (``--only predict:``)."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_predict.py"
VIEW = "vgapp/predict.py"

MUTATIONS: list[Mutation] = [
    Mutation("predict: the chain's answer read from float64", VIEW,
             "zero_at = report.underflow_depths[CHAIN_DTYPE]",
             'zero_at = report.underflow_depths["float64"]', T),
    Mutation("predict: the chain's answer one layer early", VIEW,
             "return Asked(text, ((NEVER, never),), zero_at,",
             "return Asked(text, ((NEVER, never),), zero_at - 1,", T),
    Mutation("predict: a true zero called underflow", VIEW,
             'if facts["zeros"][CHAIN_DTYPE].underflow:', "if True:", T),
    Mutation("predict: the chain's precision metrics left uncovered", VIEW,
             'if not m.label.startswith("in ")', "if True", T),
    Mutation("predict: an undecided point answered as a minimum", VIEW,
             "return Asked(text, VERDICT_CHOICES, point.classification,",
             "return Asked(text, VERDICT_CHOICES, point.classification.replace("
             '"inconclusive", "minimum"),', T),
    Mutation("predict: the Hessian chart keeps its verdict title", VIEW,
             "return replace(block, spec=spec, alt=alt)", "return block", T),
    Mutation("predict: an overflow called a lost update", VIEW,
             'if result.verdict == "overflow":', "if False:", T),
    Mutation("predict: the lost-update verdict left uncovered", VIEW,
             'if m.label == "the update η·g"', "if True", T),
    Mutation("predict: every answer called right", VIEW,
             "right = given == asked.answer", "right = given is not None", T),
]  # fmt: skip
