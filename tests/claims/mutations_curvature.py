"""Deliberate breaks of the Hessian panel's rules, each caught by its claims test."""

from claims.mutation import Mutation

T = "tests/claims/test_claims_curvature.py"
VIEW = "vgapp/panels/curvature.py"
CORE = "vgcore/curvature.py"

MUTATIONS: list[Mutation] = [
    Mutation("curvature: minimum note from a list of points", CORE,
             "if example.infimum is not None and value == example.infimum:",
             "if example.infimum is not None and (x, y) in ((1.0, 1.0), (0.0, 0.0)):", T),
    Mutation("curvature: rounding noise shown as an eigenvalue", CORE,
             "    eigenvalues[np.abs(eigenvalues) <= EIGEN_RTOL * scale] = 0.0\n", "", T),
    Mutation("curvature: negative definite called a minimum", "vgapp/words.py",
             "are both negative: a strict local maximum",
             "are both negative: a strict local minimum", T),
    Mutation("curvature: even order read as a sign change", CORE,
             "if order is not None and order % 2 == 1:", "if order is not None and order % 2 == 0:",
             T),
    Mutation("curvature: alt text lowercases the Hessian", VIEW,
             'alt = explanation[:1].upper() + explanation[1:] + "."',
             'alt = explanation.capitalize() + "."', T),
    Mutation("curvature: −0 in the title", VIEW, "num(pt_x + 0.0)", "num(pt_x)", T),
    Mutation("curvature: saddle verdict for a singular Hessian", CORE,
             '    return "inconclusive"\n\n\n@dataclass', '    return "saddle"\n\n\n@dataclass', T),
]  # fmt: skip
