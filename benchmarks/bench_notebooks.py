"""How long a fresh clone takes to re-execute every notebook from the committed run store.

    python benchmarks/bench_notebooks.py [--jobs N]

Clones the committed state of this repository beside it (so that `../shared` is beside the clone
as it is beside the project), runs `lmlab notebooks run` there with the clone's own code, an
empty token cache and no LMLAB_* settings, and records the wall time in
benchmarks/notebooks.json. Nothing may be trained: the benchmark fails if a run is added.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "notebooks.json"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="kernels at once (default: lmlab's default)")
    args = parser.parse_args()

    clone = Path(
        tempfile.mkdtemp(prefix="lmlab-bench-", dir=ROOT.parent)
    )  # ../shared beside it, as beside ROOT
    workdir = Path(tempfile.mkdtemp(prefix="lmlab-bench-cache-"))
    try:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        commit = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LMLAB_")}
        env.update(PYTHONPATH=str(clone / "src"), LMLAB_CACHE=str(workdir / "cache"))
        runs_before = sorted(p.name for p in (clone / "runs").iterdir())
        command = [sys.executable, "-m", "lmlab", "notebooks", "run"] + (
            ["--jobs", str(args.jobs)] if args.jobs else []
        )
        started = time.perf_counter()
        out = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            return 1
        trained = sorted(set(p.name for p in (clone / "runs").iterdir()) - set(runs_before))
        if trained:
            print(
                f"the fresh clone trained {len(trained)} run(s) ({', '.join(trained)}): the run store is incomplete",
                file=sys.stderr,
            )
            return 1
        per_notebook = {
            p.stem: json.loads(p.read_text())["metadata"]["lmlab"]["seconds"]
            for p in sorted((clone / "notebooks").glob("[0-9]*.ipynb"))
        }
    finally:
        shutil.rmtree(clone, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)

    record = {
        "date": dt.date.today().isoformat(),
        "commit": commit,
        "what": "git clone, then `lmlab notebooks run` (every notebook, from the committed run store, empty token cache)",
        "jobs": args.jobs or min(4, os.cpu_count() or 1),
        "seconds": round(seconds, 1),
        "target_seconds": 60,
        "notebooks": len(per_notebook),
        "trained_runs": 0,
        "seconds_per_notebook": per_notebook,
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print(
        f"{len(per_notebook)} notebooks re-executed in {seconds:.1f} s on a fresh clone ({record['jobs']} at once); "
        f"written to {RESULTS.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
