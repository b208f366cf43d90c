"""Where a training step's time goes: torch.profiler over a few steps of lmlab's trainer.

    python benchmarks/profile_step.py --profile cpu [key=value ...]

Prints the operators by self CPU time; writes a Chrome trace to benchmarks/<profile>.trace.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import default_data, make_trainer  # noqa: E402

from lmlab.config import parse_overrides  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    overrides = {k: v[0] for k, v in parse_overrides(args.settings).items()}
    overrides.setdefault("data", default_data())
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LMLAB_CACHE", str(Path(tmp) / "cache"))
        trainer = make_trainer(args.profile, Path(tmp), **overrides)
        for _ in range(2):
            trainer.train_step()
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
        with profile(activities=activities, record_shapes=False) as prof:
            for _ in range(args.steps):
                trainer.train_step()
            float(trainer.pending_loss)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    out = Path(__file__).with_name(f"{args.profile}.trace.json")
    prof.export_chrome_trace(str(out))
    print(f"trace: {out}")


if __name__ == "__main__":
    main()
