"""What the figures draw, computed from runs: the numbers and axis labels that the matplotlib figures
(lmlab.figures) and their plotly twins (lmlab.interactive) share, so that the two say the same.

Groups are `{label: [runs]}`: the seeds of one configuration under one label.
"""

from __future__ import annotations

import numpy as np

from lmlab.runs import Run
from lmlab.stats import final_values, mean_std

Groups = dict[str, list[Run]]
VAL_LABEL = "validation loss (nats/char)"
VAL_LABELS = {
    "val_loss": VAL_LABEL,
    "val_ppl": "validation perplexity (per token)",
    "val_bpc": "validation bits per char",
}
TRAIN_LABEL = "training loss (nats/token)"
TRAIN_PER_CHAR_LABEL = "training loss (nats/char, approx.)"


def all_runs(groups: Groups) -> list[Run]:
    return [r for runs in groups.values() for r in runs]


def tokens_per_char(run: Run) -> float | None:
    """Training tokens per character of the run's training stream (its tokenizer's compression)."""
    data = run.meta.get("data") or {}
    try:
        return data["tokens"]["train"] / data["chars"]["train"]
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def tokenizations_differ(groups: Groups) -> bool:
    """Whether the groups cut the text into tokens differently, so that losses per token do not compare."""
    return len({round(t, 6) for t in map(tokens_per_char, all_runs(groups)) if t is not None}) > 1


def seed_curve(
    runs: list[Run], key: str, x: str, per_char: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and std across seeds of `key`, at the x values all runs share; `per_char` scales a
    per-token value by each run's training tokens per character."""
    series = []
    for run in runs:
        records = [r for r in run.metrics if key in r and r[key] is not None]
        scale = (tokens_per_char(run) or 1.0) if per_char else 1.0
        series.append({r[x]: r[key] * scale for r in records})
    common = sorted(set.intersection(*(set(s) for s in series))) if series else []
    values = np.array([[s[k] for k in common] for s in series], dtype=float)
    return (
        np.array(common, dtype=float),
        values.mean(axis=0),
        values.std(axis=0, ddof=1) if len(series) > 1 else np.zeros(len(common)),
    )


def summary_rows(groups: dict[str, list[Run]], metric: str = "val_loss") -> list[dict]:
    """Per group: n seeds, mean and std of the final metric, change against the previous group."""
    rows, previous = [], None
    for label, runs in groups.items():
        mean, std = mean_std(final_values(runs, metric))
        legacy, _ = mean_std(final_values(runs, "val_loss_legacy"))
        rows.append(
            {
                "label": label,
                "seeds": len(runs),
                "mean": mean,
                "std": std,
                "legacy": legacy,
                "delta": None if previous is None else mean - previous,
                "notes": sorted({r.note for r in runs if r.note}),
                "runs": [r.id for r in runs],
            }
        )
        previous = mean
    return rows


def ladder_points(
    groups: Groups, intervals: dict[str, dict | None] | None, metric: str = "val_loss"
) -> list[dict]:
    """Per step: its label, best candidate's mean ± std, paired interval, whether it was adopted, and the
    recipe's value after the step (the candidate's where adopted, else the recipe's before it)."""
    points, recipe = [], None
    for row in summary_rows(groups, metric):
        paired = (intervals or {}).get(row["label"])
        adopted = recipe is None or (paired is not None and paired["high"] < 0)
        recipe = row["mean"] if adopted else recipe
        step, _, best = row["label"].partition(": ")
        points.append(
            {**row, "step": step, "best": best, "paired": paired, "adopted": adopted, "recipe": recipe}
        )
    return points
