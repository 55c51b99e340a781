"""Mutations of the page's own words and lesson settings (vgapp/page.py)."""

from claims.mutation import Mutation

PAGE = "vgapp/page.py"
CLASS = "vgapp/classview.py"
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
             "That gap is 2⁻¹¹", "That gap is 2⁻¹⁰", T),
    Mutation("floating-point intro: the whole gap, not half of it", PAGE,
             "An update smaller than half that gap is ",
             "An update smaller than that gap is ", T),
    Mutation("the plain float words: underflow called overflow",
             "vgapp/panels/counterexample.py", '"underflows), and 0·∞', '"overflows), and 0·∞',
             "tests/claims/test_claims_counterexample.py"),
    Mutation("the plain second-order test: a maximum called a minimum",
             "vgapp/panels/curvature.py", "down in every direction, a maximum",
             "down in every direction, a minimum", "tests/claims/test_claims_curvature.py"),
    Mutation("class banner: the first hidden section left out", CLASS,
             'for s in sections if not view.shows_section(s.key)]',
             'for s in sections if not view.shows_section(s.key)][1:]', T),
    Mutation("class banner: the hidden controls of hidden sections counted too", CLASS,
             "        if view.shows_section(s.key)\n        for c in s.controls\n",
             "        for c in s.controls\n", T),
    Mutation("class link: a hidden control loses the link's value", PAGE,
             "    notices += refused\n",
             "    notices += refused\n"
             "    values = {k: v for k, v in values.items() if view.shows_control(k)}\n", T),
]  # fmt: skip
