"""{{title}}: the study's ladder.

Each step lists candidate changes (settings over the recipe so far, any of `lmlab settings`);
lmlab trains every candidate with the recipe's seeds and adopts the best one only when the interval
of its paired difference to the recipe lies below zero. To add a step, append it to STEPS (the
README says what else a step needs: a notebook and a page).
"""

from lmlab.ladder import Step, Study

BASELINE = "baseline"

STEPS = (
    Step("baseline", "Baseline", {BASELINE: {}}, "the profile's settings unchanged"),
    Step(
        "adamw",
        "AdamW",
        {"AdamW lr 0.001": {"optimizer": "adamw", "lr": 1e-3}},
        "per-parameter step sizes that do not depend on the gradient's scale",
    ),
)

LADDER = Study(
    name="{{slug}}",
    steps=STEPS,
    baseline=BASELINE,
    seeds=(1, 2, 3),
    profile_seeds={"tiny": (1, 2)},  # `tiny` checks the mechanics, not the noise
)
