"""The challenge baseline and the final recipe at a profile, several seeds, several runs at once on
one machine: the runs for the `full` ratio on a GPU, and the runs per hour of 1 and of N at once.

    python benchmarks/gpu_runs.py --profile full --data .gpu/titles.txt --parallel 5 --out OUT/runs_per_hour.json

The configurations are the study's own at the challenge's size (study/full.py, `plans`): the challenge
baseline, the final recipe in the seven-epoch regime the ladder found, and R-Drop on top, so a run
trained here has the id of the same run trained on a CPU, and either is found, not trained twice.
Seed 1 of the baseline trains alone first (runs per hour of one), then every other run at once, up to
--parallel processes (runs per hour of N). Each run is `lmlab train` in its own process, into the run
store.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the project's study/


def recipes(data: str) -> list[tuple[str, dict, tuple[int, ...]]]:
    """(label, settings, seeds) of each of the study's full-scale plans."""
    from lmlab.ladder import Ladder, load_study
    from study import full

    ladder = Ladder(load_study(), "cpu", data)  # the ladder's decisions, from the committed run records
    return [
        (label, settings, full.SEEDS.get(label, ladder.study.seeds_for(full.PROFILE)))
        for label, settings in full.plans(ladder).items()
    ]


def command(profile: str, data: str, label: str, settings: dict, seed: int) -> list[str]:
    words = [f"{k}={v}" for k, v in settings.items()] + [
        f"data={data}",
        f"seed={seed}",
        f"note=gpu session: {label}",
    ]
    return [sys.executable, "-m", "lmlab", "train", "--profile", profile, "--no-progress", *words]


def train_at_once(commands: list[list[str]], threads: int) -> float:
    """Start every command, wait for all; the wall time in seconds. A failed run fails the session."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, env=env) for c in commands]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"a run failed (exit codes {codes})")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full")
    parser.add_argument("--data", required=True)
    parser.add_argument("--parallel", type=int, default=5, help="runs at once after the first (default: 5)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    plan = [(label, settings, seed) for label, settings, seeds in recipes(args.data) for seed in seeds]
    cores = os.cpu_count() or 1
    first, rest = plan[0], plan[1:]
    alone = train_at_once([command(args.profile, args.data, *first)], threads=min(8, cores))
    together = 0.0
    for start in range(0, len(rest), args.parallel):
        batch = rest[start : start + args.parallel]
        together += train_at_once(
            [command(args.profile, args.data, *job) for job in batch], threads=max(1, cores // len(batch))
        )
    found = {
        "profile": args.profile,
        "runs": len(plan),
        "alone": {"runs": 1, "seconds": alone, "runs_per_hour": 3600 / alone},
        "at_once": {"runs": len(rest), "parallel": args.parallel, "seconds": together,
                    "runs_per_hour": 3600 * len(rest) / together if together else None},
        "recipes": {label: settings for label, settings, _ in plan},
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(found, indent=1) + "\n")
    per_hour = found["at_once"]["runs_per_hour"]
    print(
        f"{args.profile}: 1 run alone in {alone:.0f}s ({3600 / alone:.0f} runs/hour); {len(rest)} more, "
        f"{args.parallel} at once, in {together:.0f}s ({per_hour or 0:.0f} runs/hour)"
    )


if __name__ == "__main__":
    main()
