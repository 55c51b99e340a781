"""Mutations of the page's own words and lesson settings (vgapp/page.py)."""

from claims.mutation import Mutation

PAGE = "vgapp/page.py"
T = "tests/claims/test_claims_page.py"

MUTATIONS = [
    Mutation("float16 lesson: first zero depth off by one", PAGE,
             "exactly 0 in float16 from 13 layers on", "exactly 0 in float16 from 12 layers on",
             T),
    Mutation("saturated lesson: σ′(8) misstated", PAGE, "σ′(8) ≈ 3·10⁻⁴", "σ′(8) ≈ 4·10⁻⁴", T),
    Mutation("exploding lesson: too shallow for float32 to overflow", PAGE,
             '{"activation": "relu", "w": 8.0, "depth": 100, "quantity": "backprop"}',
             '{"activation": "relu", "w": 8.0, "depth": 40, "quantity": "backprop"}', T),
    Mutation("lost-update lesson: the gap below 1 misstated", PAGE,
             "the gap below 1 is 2⁻¹¹", "the gap below 1 is 2⁻¹⁰", T),
]  # fmt: skip
