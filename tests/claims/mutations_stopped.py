"""Mutations of the answer's picture (vgapp/panels/stopped.py) and of the lesson it draws."""

from claims.mutation import Mutation

PICTURE = "vgapp/panels/stopped.py"
T = "tests/claims/test_claims_stopped.py"

MUTATIONS = [
    Mutation("picture: the stop one step late", PICTURE,
             "    stop = run.stop_step\n", "    stop = run.stop_step + 1\n", T),
    Mutation("picture: the plateau's band twice what the alt text says", PICTURE,
             "> PLATEAU_BAND * loss[stop]", "> 2 * PLATEAU_BAND * loss[stop]", T),
    Mutation("picture: the end's label shows the loss at the stop", PICTURE,
             'end_label=[f"continued: {loss_text(picture.at_end)}',
             'end_label=[f"continued: {loss_text(picture.at_stop)}', T),
    Mutation("picture: the lesson's threshold changes, the picture must follow",
             "vgapp/lab/controls.py", '"lab_eps": "1e-3",', '"lab_eps": "1e-4",', T),
]  # fmt: skip
