"""Deliberate breaks of the descent race's rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_race.py"
VIEW = "vgapp/panels/descent_race.py"

MUTATIONS: list[Mutation] = [
    Mutation("race: second-order test of a run that is not stationary", VIEW,
             "    if ending.verdict not in descent.KIND_TEXT:\n",
             '    if ending.verdict == "diverged":\n', T),
    Mutation("race: the valley tested off the valley", VIEW, '"valley": (1.0, 1.0)',
             '"valley": (1.0, 0.5)', T),
    Mutation("race: colour names out of step with the colours", VIEW,
             'COLOR_NAMES = ("black", "blue", "orange", "purple", "green")',
             'COLOR_NAMES = ("blue", "black", "orange", "purple", "green")', T),
    Mutation("race: plural after 1 in the title", VIEW, "OUTCOME[key][0 if n == 1 else 1]",
             "OUTCOME[key][1]", T),
    Mutation("race: the sliders' path drawn under the race", VIEW,
             "    layers[arrows + 1 : arrows + 1] = race_layers(surface, runs, scale)\n",
             "    layers += race_layers(surface, runs, scale)\n", T),
    Mutation("race: the end marker at the start", VIEW, "x=vl.rounded(path[-1:, 0], 4),",
             "x=vl.rounded(path[:1, 0], 4),", T),
]  # fmt: skip
