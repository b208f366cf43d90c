"""lmlab's memory estimate (`lmlab.memory`) against the peak a run really reaches, on this machine.

    python benchmarks/bench_memory.py                 # smoke and cpu here; full too on a GPU
    python benchmarks/bench_memory.py --profile cpu

Each configuration runs in a fresh process: the data is prepared (and cached) first, then the peak
is reset and the trainer builds its model and optimizer, takes a few training steps and makes the
final evaluation (every validation token, the legacy metric). The measured peak is what that added:
on CUDA `torch.cuda.max_memory_allocated`, on the CPU the process's peak resident set (VmHWM) less
its resident set before the model was built. Results are merged into benchmarks/results.json under
this machine's name, key "memory"; the last line is the largest estimate / measured ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
# the profile as it is, then AdamW, then the final recipe's switches (Muon, title mask: attention's slower
# path, RoPE, SwiGLU) on the profile's own shape and vocabulary
VARIANTS = {
    "sgd": {},
    "adamw": {"optimizer": "adamw", "lr": 2e-3},
    "final recipe's switches": {
        "optimizer": "muon",
        "lr": 2e-3,
        "schedule": "wsd",
        "title_mask": True,
        "dropout": 0.0,
        "init": "scaled",
        "pos": "rope",
        "mlp": "swiglu",
    },
}
STEPS = 3

CHILD = """
import gc, json, sys
from pathlib import Path
import torch
from lmlab import memory
from lmlab.config import make_config
from lmlab.runs import RunStore
from lmlab.tokenize import prepare
from lmlab.train import Trainer, World

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

cfg = make_config(sys.argv[1], **json.loads(sys.argv[2]))
cuda = torch.cuda.is_available()
prepare(cfg)  # the token cache, so the measured part is the run's
gc.collect()
if cuda:
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
else:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set
    before = status("VmRSS")
trainer = Trainer(cfg, RunStore(sys.argv[3]).run("bench"), World(), progress=False)
for _ in range({steps}):
    trainer.train_step()
    trainer.step += 1
trainer.evaluate_all(final=True)
peak = (torch.cuda.max_memory_allocated() if cuda else status("VmHWM")) - before
need = memory.estimate(cfg, trainer.tok.vocab_size, device=trainer.device.type)
print(json.dumps({{"device": str(trainer.device), "parameters": need.parameters, "estimate_mb": need.total / 2**20,
                  "measured_mb": peak / 2**20, "parts_mb": {{k: getattr(need, k) / 2**20 for k in
                  ("weights", "gradients", "optimizer", "activations", "evaluation", "runtime")}}}}))
"""


def default_data() -> str:
    local = HERE.parent.parent / "shared" / "data" / "hn-titles" / "titles.txt"
    return str(local) if local.exists() else "julien040/hacker-news-posts"


def measure(profile: str, overrides: dict, tmp: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(steps=STEPS), profile, json.dumps(overrides), tmp],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["estimate_over_measured"] = result["estimate_mb"] / result["measured_mb"]
    return result


def main() -> None:
    import tempfile

    import torch

    sys.path.insert(0, str(HERE))
    from bench_train import machine, machine_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile", action="append", help="smoke, cpu or full (default: smoke and cpu, full on a GPU)"
    )
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    profiles = args.profile or ["smoke", "cpu"] + (["full"] if torch.cuda.is_available() else [])
    here = machine()
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for profile in profiles:
            precision = {} if profile != "full" or torch.cuda.is_available() else {"precision": "fp32"}
            for name, change in VARIANTS.items():
                result = measure(profile, {"data": args.data, **precision, **change}, tmp)
                found[f"{profile}: {name}"] = result
                print(
                    f"{profile:6} {name:13} {result['parameters']:>11,} params  estimate {result['estimate_mb']:8.0f} MB  "
                    f"measured {result['measured_mb']:8.0f} MB  ratio {result['estimate_over_measured']:.2f}",
                    flush=True,
                )
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    entry = results.setdefault("machines", {}).setdefault(machine_name(here), {"machine": here})
    entry["memory"] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "steps": STEPS,
        "configs": found,
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    worst = max(found.values(), key=lambda r: abs(r["estimate_over_measured"] - 1))
    print(
        f"estimate / measured: {min(r['estimate_over_measured'] for r in found.values()):.2f} to "
        f"{max(r['estimate_over_measured'] for r in found.values()):.2f} (furthest: {worst['estimate_over_measured']:.2f})"
    )


if __name__ == "__main__":
    main()
