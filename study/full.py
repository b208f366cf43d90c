"""The study at the challenge's own size: the baseline and the final recipe at the `full` profile
(the challenge's model and data cap, seven epochs), in bf16 where the machine has it."""

from __future__ import annotations

from lmlab.config import make_config
from lmlab.ladder import Ladder, beyond_length, recipe_at_size
from lmlab.markdown import markdown

LEADERBOARD = 0.646  # the best credible published ratio, 1.13 / 1.753, in the challenge's legacy metric

PROFILE = "full"
RECIPE = "final recipe, dropout 0.2"
RDROP = "final recipe, dropout 0.2, R-Drop 1"
SEEDS = {RDROP: (1,)}  # R-Drop costs about two steps a step: one seed where time allows more


def plans(ladder: Ladder) -> dict[str, dict]:
    """The challenge baseline, the final recipe at the challenge's size (every adopted change but the
    size steps', as at cpu-27m) in the seven-epoch regime the ladder found (its dropout), and R-Drop on
    top of it, as settings over the `full` profile."""
    recipe = recipe_at_size(ladder.results(), ladder.study)
    seven = ladder.step("regularization", train=False)
    recipe |= seven.candidates[seven.winner] if seven.adopted else {}
    rdrop = {
        **recipe,
        **beyond_length(ladder.study.step("rdrop").budget),
        "rdrop": 1.0,
    }  # as its step measured it
    return {ladder.study.final_baseline: {}, RECIPE: recipe, RDROP: rdrop}


def planned(ladder: Ladder) -> dict[str, int]:
    return {label: len(SEEDS.get(label, ladder.study.seeds_for(PROFILE))) for label in plans(ladder)}


def reading(comparison: dict) -> object:
    """What the full-scale numbers can be compared with, in words."""
    titles = make_config(PROFILE).num_titles
    recipe = comparison["groups"].get(RECIPE, {})
    legacy = recipe.get("ratio", {}).get("val_loss_legacy")
    beside = (
        f"The recipe's ratio in the legacy metric, {legacy:.3f}, is the one to set beside the leaderboard's "
        f"best credible {LEADERBOARD} (1.13 / 1.753), which is in that metric; "
        if legacy is not None
        else f"No run of the recipe has finished at `{PROFILE}` yet. When one has, its ratio in the legacy metric "
        f"is the one to set beside the leaderboard's best credible {LEADERBOARD} (1.13 / 1.753), which is in that "
        "metric; "
    )
    return markdown(
        f"{beside}the full-coverage ratio beside it is the site's own metric. The `{PROFILE}` profile takes up "
        f"to {titles:,} titles; the offline copy trained on here, when it is the data, is a different and smaller "
        "sample than the hub dataset's, so the baseline's absolute loss is not the leaderboard's, and a ratio "
        "compares with the leaderboard's only as a ratio."
    )
