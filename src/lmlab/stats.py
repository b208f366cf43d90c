"""Seed statistics: the mean and spread of a group of runs, and the paired difference of two groups.

A group is the seeds of one configuration. Pairing compares two groups seed by seed, which
cancels what a seed does to both.
"""

from __future__ import annotations

import math
import statistics

from lmlab.runs import Run


def mean_std(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired_values(runs: list[Run], baseline: list[Run], metric: str = "val_loss") -> list[float]:
    """Candidate minus baseline, seed by seed, over the seeds both have with a finite value."""
    base = {r.config.get("seed"): r.final.get(metric) for r in baseline}
    diffs = []
    for run in runs:  # each run's files read once
        value, partner = run.final.get(metric), base.get(run.config.get("seed"))
        if value is not None and partner is not None and math.isfinite(value) and math.isfinite(partner):
            diffs.append(value - partner)
    return diffs


def half_width(n: int, std: float, level: float) -> float:
    """Half the two-sided `level` t interval of a mean of n values with this standard deviation."""
    from scipy import stats

    return float(stats.t.ppf(1 - (1 - level) / 2, n - 1)) * std / math.sqrt(n)


def paired_difference(
    runs: list[Run], baseline: list[Run], metric: str = "val_loss", level: float = 0.95
) -> dict | None:
    """Candidate minus baseline seed by seed, over the seeds both have, with a t interval at `level`
    (two-sided, n - 1 degrees of freedom): pairing cancels what a seed does to both. None under two pairs."""
    diffs = paired_values(runs, baseline, metric)
    if len(diffs) < 2:
        return None
    mean = statistics.fmean(diffs)
    half = half_width(len(diffs), statistics.stdev(diffs), level)
    return {
        "n": len(diffs),
        "mean": mean,
        "low": mean - half,
        "high": mean + half,
        "level": level,
        "p": paired_p(diffs),
    }


def paired_ratio(
    runs: list[Run], baseline: list[Run], metric: str = "val_loss", level: float = 0.95
) -> dict | None:
    """Candidate over baseline seed by seed, over the seeds both have, with a t interval at `level` on the
    mean of the ratios; None under two pairs."""
    base = {r.config.get("seed"): r.final.get(metric) for r in baseline}
    ratios = [
        run.final[metric] / base[run.config.get("seed")]
        for run in runs
        if run.final.get(metric) is not None and base.get(run.config.get("seed"))
    ]
    if len(ratios) < 2:
        return None
    mean = statistics.fmean(ratios)
    half = half_width(len(ratios), statistics.stdev(ratios), level)
    return {"n": len(ratios), "mean": mean, "low": mean - half, "high": mean + half, "level": level}


def paired_p(diffs: list[float]) -> float:
    """The two-sided p-value of the paired t test that the differences' mean is zero."""
    from scipy import stats

    if statistics.stdev(diffs) == 0:  # identical differences: t is infinite, or undefined at zero
        return 1.0 if statistics.fmean(diffs) == 0 else 0.0
    return float(stats.ttest_1samp(diffs, 0.0).pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of a family's p-values: an adjusted p below alpha rejects with the
    chance of any false rejection in the whole family at most alpha."""
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(p_values, method="holm")[1]] if p_values else []


def seeds_to_resolve(diffs: list[float], level: float, most: int = 200) -> int | None:
    """The fewest seeds whose interval would exclude zero if the paired differences kept the mean and
    spread observed so far: a power estimate, not a promise. None beyond `most`."""
    if len(diffs) < 2:
        return None
    mean, std = statistics.fmean(diffs), statistics.stdev(diffs)
    return next((n for n in range(2, most + 1) if half_width(n, std, level) < abs(mean)), None)


def level_text(level: float) -> str:
    """An interval's level as a reader writes it: 95%, 97.5%, 98.33%."""
    return f"{level * 100:.4g}%"


def final_values(runs: list[Run], metric: str = "val_loss") -> list[float]:
    return [r.final.get(metric) for r in runs]
