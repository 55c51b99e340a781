"""Deliberate breaks of the floating-point panel's bits, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_bits.py"
VIEW = "vgapp/panels/precision_bits.py"
CORE = "vgcore/floatbits.py"

MUTATIONS: list[Mutation] = [
    Mutation("bits: a flip sets the bit instead of flipping it", CORE,
             "words = [word ^ (1 << bit)", "words = [word | (1 << bit)", T),
    Mutation("bits: subnormal exponent read as E − bias (not 1 − bias)", CORE,
             "return max(self.biased, 1) - self.bias", "return self.biased - self.bias", T),
    Mutation("bits: the bias one too large", CORE,
             "return (1 << (self.exponent_width - 1)) - 1",
             "return 1 << (self.exponent_width - 1)", T),
    Mutation("bits: subnormal and zero swapped", CORE,
             'kind = "subnormal" if "1" in mantissa else "zero"',
             'kind = "zero" if "1" in mantissa else "subnormal"', T),
    Mutation("bits: a flip outside w's range is set", VIEW,
             "if not low <= value <= high:", "if False:", T),
    Mutation("bits: the unchanged bits marked instead of the changed", VIEW,
             "strict=True)) if a != b", "strict=True)) if a == b", T),
    Mutation("bits: one changed bit called a lost update", VIEW,
             "    if changed == 0:\n", "    if changed <= 1:\n", T),
    Mutation("bits: the half-gap drawn at the whole gap", VIEW,
             '(-down / 2, "half-gap"', '(-down, "half-gap"', T),
    Mutation("bits: every lost update called a tie", VIEW,
             '"exactly half a gap" if distance == half_below', '"exactly half a gap" if True', T),
]  # fmt: skip
