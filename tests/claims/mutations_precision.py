"""Deliberate breaks of the floating-point panel's rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_precision.py"
VIEW = "vgapp/panels/precision.py"
CORE = "vgcore/precision.py"

MUTATIONS: list[Mutation] = [
    Mutation("precision: tie direction flipped in the rule column", VIEW,
             "{'≤' if rule.tie_lost else '<'}", "{'<' if rule.tie_lost else '≤'}", T),
    Mutation("precision: significand parity read backwards", CORE,
             "units.denominator == 1 and units.numerator % 2 == 0",
             "units.denominator == 1 and units.numerator % 2 == 1", T),
    Mutation("precision: rule uses the gap above |w| even moving toward zero", CORE,
             "half = _gap(stored, toward_zero) / 2", "half = _gap(stored, False) / 2", T),
    Mutation("precision: no overflow check on w (∞ gets a verdict)", VIEW,
             'if stored.kind == "overflow":\n        verdict: Verdict = "none"',
             'if False:\n        verdict: Verdict = "none"', T),
    Mutation("precision: an overflowing sum called applied", VIEW,
             "elif not (np.isfinite(update) and np.isfinite(result)):",
             "elif not np.isfinite(update):", T),
    Mutation("precision: destroyed w reported as applied", VIEW,
             'return f"destroys w: w − η·g = {infinity(result.result)}"', 'return "applied"', T),
    Mutation("precision: closed-form count 0.01·|w|/(η·g)", VIEW,
             'value = f"{counted.steps:,}" if counted.steps < 10_000 else sci(counted.steps)',
             'value = f"{int(-(-0.01 * abs(result.stored.value) // step)):,}"', T),
    Mutation("precision: count jumps across a power of two", "vgcore/step_count.py",
             "length = min(longest, math.ceil((value - goal) / amount))",
             "length = math.ceil((value - goal) / amount)", T),
    Mutation("precision: 1 % must be exceeded, not reached", "vgcore/step_count.py",
             "if moved >= target:", "if moved > target:", T),
    Mutation("precision: binade spacing off by a factor 2", CORE,
             "return Fraction(2) ** (exponent - 1 - int(info.nmant))",
             "return Fraction(2) ** (exponent - int(info.nmant))", T),
    Mutation("precision: w rounded to 0 called rounded", CORE,
             'elif stored == 0:\n        kind = "underflow"',
             'elif False:\n        kind = "underflow"', T),
    Mutation("precision: w shown to 6 digits (65519.99 as 65520)", VIEW,
             "return decimal_text(Fraction(Decimal(repr(w))), 17)[0]", 'return f"{w:g}"', T),
    Mutation("precision: ◆ drawn at the float64 η·g", VIEW,
             "point = (abs(stored), chosen.update,", "point = (abs(stored), step,", T),
    Mutation("precision: η·g underflow not said", VIEW,
             "elif result.update == 0:", "elif False:", T),
    Mutation("precision: the largest float16 not named", VIEW,
             '" (the largest one)" if abs(stored.value) == float(np.finfo(dtype).max) else ""',
             '""', T),
    Mutation("precision: alt text forgets the stored w", VIEW,
             'w += f" (stored in {dtype} as {stored_text(stored.value, dtype)})"', "pass", T),
    Mutation("precision: subtitle gives the wrong reason for no ◆", VIEW,
             'why = "w is 0" if result.stored.value == 0 else f"η·g rounds to 0 in {dtype}"',
             'why = "w is 0"', T),
]  # fmt: skip
