"""What recording the diagnostics (lmlab.diagnostics) costs a run, as a share of its training time.

    python benchmarks/bench_diagnostics.py --profile cpu

A run makes one diagnostic pass per evaluation (a fixed batch of 8 windows through the model, the
weights' norms per group, one snapshot of the weights before the step an evaluation follows) and
counts the gradient norm and clipping at every step (already computed by clipping). This times the
training steps of the profile's first recipe, then the diagnostic work of one evaluation, each the
median of several repeats in the same process, and scales them by the run's own step and evaluation
counts. The result is merged into benchmarks/results.json under this machine's name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_memory import default_data  # noqa: E402
from bench_train import machine, machine_name  # noqa: E402

from lmlab.config import make_config  # noqa: E402
from lmlab.runs import RunStore  # noqa: E402
from lmlab.train import Trainer, World  # noqa: E402

RESULTS = HERE / "results.json"


def median_seconds(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    cfg = make_config(args.profile, data=args.data)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, RunStore(tmp).run("bench"), World(), progress=False)

        def steps(n=5):
            for _ in range(n):
                trainer.train_step()
                trainer.step += 1
            float(trainer.pending_loss)

        steps(2)  # warm-up
        step = median_seconds(steps, 5) / 5
        tracked = median_seconds(lambda: trainer.train_step(track_update=True), 5) - step
        one_eval = median_seconds(trainer.diagnose, 5) + max(0.0, tracked)
    evals = trainer.total_steps // trainer.eval_every + 2  # plus one before training and one at step 1
    training = step * trainer.total_steps
    overhead = evals * one_eval / training
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": args.profile,
        "step_s": step,
        "diagnostics_per_eval_s": one_eval,
        "steps": trainer.total_steps,
        "evals": evals,
        "overhead": overhead,
    }
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    here = machine()
    entry = results.setdefault("machines", {}).setdefault(machine_name(here), {"machine": here})
    entry.setdefault("diagnostics", {})[args.profile] = result
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"{args.profile}: a step {step * 1e3:.0f} ms, the diagnostics of one evaluation {one_eval * 1e3:.0f} ms, "
        f"{evals} evaluations over {trainer.total_steps} steps: overhead {overhead:.2%} of training time"
    )


if __name__ == "__main__":
    main()
