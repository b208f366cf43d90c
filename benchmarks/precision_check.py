"""How far bf16 moves a run's loss, against how far another seed moves it.

    python benchmarks/precision_check.py [--train] [--recipe final]

The challenge baseline at `cpu-27m` (the challenge's model) for 4 epochs (96 steps): seed 1 in fp32
and in bf16, and seed 2 in fp32. With `--recipe final`, the study's final recipe at that size instead
(Muon, RoPE, SwiGLU, ...: what the `full` runs train in bf16). The runs are ordinary runs of the store
(`--train` trains the ones it lacks, about half an hour each check on a 2-core CPU with native bf16).
Writes the final validation losses and the largest gap between the curves at the evaluations into
benchmarks/results.json, under this machine's name beside its precision benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_train import RESULTS, default_data, machine, machine_name  # noqa: E402

import lmlab  # noqa: E402
from lmlab.config import make_config, run_id  # noqa: E402
from lmlab.data import fingerprint  # noqa: E402
from lmlab.ladder import Ladder, load_study, recipe_at_size  # noqa: E402
from lmlab.runs import RunStore, finished  # noqa: E402

PROFILE, EPOCHS = "cpu-27m", 4
RUNS = {"fp32, seed 1": ("fp32", 1), "bf16, seed 1": ("bf16", 1), "fp32, seed 2": ("fp32", 2)}
CHECKS = {  # --recipe: (what the check trains, its key under the machine's precision entry)
    "baseline": ("the challenge baseline", "loss_check"),
    "final": ("the final recipe at the challenge's size", "loss_check_recipe"),
}


def recipe(which: str, data: str) -> dict:
    """The settings over the profile: none for the baseline; the ladder's final recipe at the
    challenge's size (every adopted change but the size steps'), as the full-scale runs take it."""
    if which == "baseline":
        return {}
    ladder = Ladder(load_study(), "cpu", data)
    return recipe_at_size(ladder.results(), ladder.study)


def curve(run) -> dict[int, float]:
    return {e["step"]: e["val_loss"] for e in run.evals() if "val_loss" in e}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--train", action="store_true", help="train the runs the store lacks")
    parser.add_argument("--recipe", choices=sorted(CHECKS), default="baseline", help="what the runs train")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    what, key = CHECKS[args.recipe]
    note = f"precision check: {what} at {PROFILE}, {EPOCHS} epochs"
    store, runs, settings_over = RunStore(), {}, recipe(args.recipe, args.data)  # the ladder read once
    for label, (precision, seed) in RUNS.items():
        settings = dict(settings_over, data=args.data, epochs=EPOCHS, precision=precision, seed=seed)
        if args.train:
            runs[label] = lmlab.run(profile=PROFILE, progress=False, note=note, **settings)
        else:
            cfg = make_config(PROFILE, **settings)
            runs[label] = store.run(run_id(cfg, fingerprint(cfg)))
    missing = [label for label, run in runs.items() if not finished(run)]
    if missing:
        sys.exit(f"precision_check: not trained yet: {', '.join(missing)} (--train trains them)")
    curves = {label: curve(run) for label, run in runs.items()}

    def gap(a: str, b: str) -> dict:
        steps = sorted(set(curves[a]) & set(curves[b]))
        return {
            "final": runs[a].final["val_loss"] - runs[b].final["val_loss"],
            "largest": max(abs(curves[a][s] - curves[b][s]) for s in steps),
            "evaluations": len(steps),
        }

    check = {
        "recipe": what,
        "profile": PROFILE,
        "epochs": EPOCHS,
        "steps": runs["fp32, seed 1"].meta["total_steps"],
        "runs": {label: {"id": run.id, "val_loss": run.final["val_loss"]} for label, run in runs.items()},
        "bf16_minus_fp32": gap("bf16, seed 1", "fp32, seed 1"),
        "seed2_minus_seed1": gap("fp32, seed 2", "fp32, seed 1"),
    }
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    entry = results.setdefault("machines", {}).setdefault(machine_name(machine()), {})
    entry.setdefault("precision", {})[key] = check
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"bf16 - fp32 (seed 1): {check['bf16_minus_fp32']['final']:+.4f} final, "
        f"{check['bf16_minus_fp32']['largest']:.4f} largest; seed 2 - seed 1 (fp32): "
        f"{check['seed2_minus_seed1']['final']:+.4f} final, {check['seed2_minus_seed1']['largest']:.4f} largest"
    )


if __name__ == "__main__":
    main()
