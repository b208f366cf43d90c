"""Where a training step's time goes: torch.profiler over a few steps of lmlab's trainer, or of
the challenge-style reference loop (`--reference`) at the same config, to compare the two.

    python benchmarks/profile_step.py --profile cpu [--reference] [key=value ...]

Prints the operators by self CPU time, records the top ones in benchmarks/profiles.json (the
Performance page's "where the time goes" table) and writes a Chrome trace to
benchmarks/<profile>[-reference].trace.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402
from bench_train import default_data, machine, make_trainer  # noqa: E402

from lmlab.config import parse_overrides  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--reference", action="store_true", help="profile the challenge-style loop instead")
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    overrides = {k: v[0] for k, v in parse_overrides(args.settings).items()}
    overrides.setdefault("data", default_data())
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LMLAB_CACHE", str(Path(tmp) / "cache"))
        trainer = make_trainer(args.profile, Path(tmp), **overrides)
        run_steps = reference_steps(trainer) if args.reference else trainer_steps(trainer)
        run_steps(2)
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
        with profile(activities=activities, record_shapes=False) as prof:
            run_steps(args.steps)
    averages = prof.key_averages()
    print(averages.table(sort_by="self_cpu_time_total", row_limit=25))
    variant = "reference" if args.reference else "lmlab"
    record(args.profile, variant, averages, args.steps, overrides)
    out = Path(__file__).with_name(f"{args.profile}{'-reference' if args.reference else ''}.trace.json")
    prof.export_chrome_trace(str(out))
    print(f"trace: {out}")


def record(profile: str, variant: str, averages, steps: int, overrides: dict, top: int = 12) -> None:
    """Keep the top operators by self CPU time in benchmarks/profiles.json, beside earlier records."""
    ops = sorted((e for e in averages if e.self_cpu_time_total > 0), key=lambda e: -e.self_cpu_time_total)
    total_us = sum(e.self_cpu_time_total for e in ops)
    path = Path(__file__).with_name("profiles.json")
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"{profile}/{variant}"] = {
        "profile": profile,
        "variant": variant,
        "steps": steps,
        "settings": {k: v for k, v in overrides.items() if k != "data"},
        "step_ms": total_us / steps / 1e3,
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "ops": [
            {
                "name": e.key,
                "self_ms": e.self_cpu_time_total / 1e3,
                "share": e.self_cpu_time_total / total_us,
                "calls": e.count,
            }
            for e in ops[:top]
        ],
    }
    path.write_text(json.dumps(results, indent=1) + "\n")


def trainer_steps(trainer):
    def run(n: int) -> None:
        for _ in range(n):
            trainer.train_step()
        float(trainer.pending_loss)  # the one host sync of a log step

    return run


def reference_steps(trainer):
    """The challenge-style model and loop, built at the trainer's config on the same tokens."""
    cfg = trainer.cfg
    model = reference.GPT(
        trainer.tok.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_head, cfg.d_model, cfg.dropout
    ).to(trainer.device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    state = {"ptr": 0}

    def run(n: int) -> None:
        state["ptr"], _ = reference.train_steps(
            model, opt, trainer.ids["train"], state["ptr"], n, cfg.block_size, cfg.batch_size
        )

    return run


if __name__ == "__main__":
    main()
