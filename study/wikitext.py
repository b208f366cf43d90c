"""The study's word-level check on WikiText-2: which recipes of the ladder it trains there."""

from __future__ import annotations

from lmlab.ladder import FINAL_RECIPE, Ladder


def recipes(ladder: Ladder) -> dict[str, dict]:
    """The challenge baseline, AdamW at the learning rate the ladder chose for it (a baseline that is
    not a straw man), and the ladder's final recipe, each from the ladder's runs (trained if missing)."""
    adamw = ladder.step("adamw").recipe_after
    return {
        ladder.study.final_baseline: {},
        f"AdamW lr {adamw['lr']:g}": adamw,
        FINAL_RECIPE: ladder.final().recipe_after,
    }
