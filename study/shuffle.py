"""The shuffle notebook's sentences (notebooks/18_shuffle): when the recipe's repeated order shows in
its training loss, and how a shuffled order fares on validation through the first epoch."""

from __future__ import annotations

import numpy as np

from lmlab.figure_data import seed_curve
from lmlab.markdown import markdown


def _last_crossing(steps: np.ndarray, below: np.ndarray) -> int | None:
    """The first step from which `below` holds at every later logged step, or None."""
    if not below.any() or not below[-1]:
        return None
    above = np.flatnonzero(~below)
    return int(steps[above[-1] + 1]) if len(above) else int(steps[0])


def reading(result) -> object:
    """From the step's runs: where in the second epoch the recipe's training loss falls below each
    shuffled order's and stays there, and whether each order's validation loss is above the recipe's
    at every evaluation of the first epoch."""
    first_epoch = min(run.meta["total_steps"] for run in result.recipe_runs) // max(
        1, int(result.recipe_runs[0].config["epochs"])
    )
    sentences = []
    x_recipe, train_recipe, _ = seed_curve(result.recipe_runs, "train_loss", "step")
    x_val, val_recipe, _ = seed_curve(result.recipe_runs, "val_loss", "step")
    for label, runs in result.groups.items():
        x, train, _ = seed_curve(runs, "train_loss", "step")
        shared = np.intersect1d(x, x_recipe)
        recipe_at = train_recipe[np.searchsorted(x_recipe, shared)]
        theirs = train[np.searchsorted(x, shared)]
        after = shared > first_epoch
        crossing = _last_crossing(shared[after], (recipe_at < theirs)[after])
        xv, val, _ = seed_curve(runs, "val_loss", "step")
        early = [s for s in np.intersect1d(xv, x_val) if 0 < s <= first_epoch]
        worse = [int(s) for s in early if val[np.searchsorted(xv, s)] > val_recipe[np.searchsorted(x_val, s)]]
        train_words = (
            f"the recipe's training loss (mean over the seeds) falls below {label}'s at step {crossing} and stays below"
            if crossing is not None
            else f"the recipe's training loss does not stay below {label}'s"
        )
        val_words = (
            f"its validation loss (mean) is above the recipe's at {len(worse)} of the first epoch's {len(early)} "
            f"evaluations after step 0 (steps {', '.join(map(str, worse))})"
            if worse
            else "its validation loss (mean) is at or below the recipe's at every evaluation of the first epoch"
        )
        sentences.append(f"Against {label}, {train_words}; {val_words}.")
    return markdown(f"The first epoch ends at step {first_epoch}. " + " ".join(sentences))
