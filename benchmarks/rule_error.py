"""How often the ladder's decision rule adopts a change that does nothing, simulated.

    python benchmarks/rule_error.py            # 200,000 steps per number of candidates

The rule (lmlab.ladder): k candidates and the recipe share seeds; the best candidate by mean over
three seeds is compared with the recipe seed by seed, and adopted when the 95% t interval of the
paired difference lies below zero; where it holds zero, seeds 4 and 5 of both are added and the
step decides on five. Picking the best of k and looking twice both loosen the nominal one-sided
2.5%. Under no real effect every run is the same mean plus a seed's share (which the pairing
cancels) plus its own noise, so a candidate's paired differences share the recipe's noise: this
simulates exactly that, for the numbers of candidates the ladder's steps have.

The corrected rule, the ladder's own since the correction (lmlab.ladder.interval_level), is
simulated beside it: a one-sided error of 5% split by Bonferroni over the step's k candidates and
the two looks, so each look's interval is at 1 - 0.05 / k, two-sided. The results go to
benchmarks/results.json under "rule_error"; the conclusion page shows them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
from scipy import stats

from lmlab.ladder import NOMINAL_LEVEL, interval_level

HERE = Path(__file__).resolve().parent
CANDIDATES = (1, 2, 3, 4, 5, 7)  # the ladder's steps have 1, 2, 3, 4, 5 and 7 candidates


def adopted(diffs: np.ndarray, level: float) -> np.ndarray:
    """Per trial: whether the two-sided `level` t interval of the paired differences lies below zero."""
    n = diffs.shape[1]
    half = stats.t.ppf(1 - (1 - level) / 2, n - 1) * diffs.std(axis=1, ddof=1) / np.sqrt(n)
    return diffs.mean(axis=1) + half < 0


def holds_zero(diffs: np.ndarray, level: float) -> np.ndarray:
    n = diffs.shape[1]
    half = stats.t.ppf(1 - (1 - level) / 2, n - 1) * diffs.std(axis=1, ddof=1) / np.sqrt(n)
    mean = diffs.mean(axis=1)
    return (mean - half <= 0) & (mean + half >= 0)


def false_adoptions(k: int, trials: int, levels: tuple[float, float], rng: np.random.Generator) -> float:
    """The share of null steps with k candidates that the rule adopts, the interval at levels[0] on
    three seeds and at levels[1] on five."""
    recipe = rng.standard_normal((trials, 5))
    candidates = rng.standard_normal((trials, k, 5))
    best = candidates[:, :, :3].mean(axis=2).argmin(axis=1)  # by mean over the first three seeds
    winner = candidates[np.arange(trials), best]
    diffs = winner - recipe
    first = adopted(diffs[:, :3], levels[0])
    extend = holds_zero(diffs[:, :3], levels[0])
    second = extend & adopted(diffs, levels[1])
    return float((first | second).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    rng = np.random.default_rng(1337)
    rates = {}
    for k in CANDIDATES:
        corrected = interval_level(k)
        rates[str(k)] = {
            "rule": false_adoptions(k, args.trials, (NOMINAL_LEVEL, NOMINAL_LEVEL), rng),
            "corrected": false_adoptions(k, args.trials, (corrected, corrected), rng),
        }
        print(f"{k} candidates: the rule adopts a null change {rates[str(k)]['rule']:.1%} of the time, "
              f"the corrected rule {rates[str(k)]['corrected']:.1%}")  # fmt: skip
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["rule_error"] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "trials": args.trials,
        "corrected": "a one-sided 5% split by Bonferroni over the step's k candidates and its two looks: "
        "each look's interval at 1 - 0.05 / k, two-sided",
        "false_adoption": rates,
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
