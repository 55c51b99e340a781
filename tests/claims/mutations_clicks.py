"""Deliberate breaks of the clickable charts' rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_clicks.py"

MUTATIONS: list[Mutation] = [
    Mutation("clicks: the click's x sets the start's second coordinate",
             "vgapp/panels/descent.py", '(("gd_x0", "gd_x0"), ("gd_y0", "gd_y0"))',
             '(("gd_x0", "gd_y0"), ("gd_y0", "gd_x0"))', T),
    Mutation("clicks: a clicked value past the range is not clamped", "vgapp/controls.py",
             "steps = min(max(round((value - self.low) / self.step), 0), self.steps)",
             "steps = round((value - self.low) / self.step)", T),
    Mutation("clicks: the click layer drawn over the arrows and the path",
             "vgapp/panels/surface.py", "layers.insert(\n            1,",
             "layers.insert(\n            len(layers),", T),
    Mutation("clicks: the Hessian's hint names the start", "vgapp/panels/curvature.py",
             'CLICK_HINT = "Click the surface to move the point ◆."',
             'CLICK_HINT = "Click the surface to move the start."', T),
    Mutation("clicks: the grid is twice the slider's step", "vgapp/panels/surface.py",
             "(grid.low, grid.high, grid.step)", "(grid.low, grid.high, 2 * grid.step)", T),
]  # fmt: skip
