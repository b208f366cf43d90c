"""Runs per hour on this machine: lmlab's local worker processes against a local Ray (its overhead).

    python benchmarks/bench_executors.py                 # 8 smoke runs each way, 2 at a time
    python benchmarks/bench_executors.py --runs 4 --profile tiny
    BENCH_LOG=1 python benchmarks/bench_executors.py    # the Ray driver's lines, timed

Both executors train the same runs (new seeds, each way into its own empty store) two at a time
with one thread each: the local executor as two processes sharing the run locks (what `lmlab
ladder --workers 2` does), Ray as one task per run with one CPU each on a local Ray of two CPUs.
The token cache is warmed first, so neither pays for tokenizing. Ray's start-up is timed apart from
its runs. Also measured: the bytes of light records a task carries back to the driver. The result
goes to benchmarks/results.json under this machine's "executors"; the Performance page shows it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOG = (
    (lambda m: print(f"{time.perf_counter():.1f} {m[:100]}", flush=True))
    if os.environ.get("BENCH_LOG")
    else (lambda m: None)
)


def configs(profile: str, data: str, seeds: list[int]):
    from lmlab.config import make_config

    return [make_config(profile, data=data, seed=seed) for seed in seeds]


def jobs_for(cfgs):
    from lmlab.config import run_id
    from lmlab.data import fingerprint
    from lmlab.workers import Job

    data_fingerprint = fingerprint(cfgs[0])
    return [Job(f"seed {c.seed}", {}, c, run_id(c, data_fingerprint)) for c in cfgs], data_fingerprint


def worker(args) -> None:
    """One local worker process: train every job nobody holds, waiting for the held ones."""
    from lmlab.runs import RunStore, finished
    from lmlab.workers import train_until_done

    jobs, data_fingerprint = jobs_for(configs(args.profile, args.data, args.seeds))
    store = RunStore(args.store)
    train_until_done(lambda: [j for j in jobs if not finished(store.run(j.run_id))], store, data_fingerprint,
                     log=lambda m: None)  # fmt: skip


def local(args, seeds: list[int], store: Path) -> float:
    command = [sys.executable, __file__, "--worker", "--profile", args.profile, "--data", args.data,
               "--store", str(store), "--seeds", *map(str, seeds)]  # fmt: skip
    start = time.perf_counter()
    procs = [subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"}) for _ in range(2)]
    if any(p.wait() for p in procs):
        raise SystemExit("a local worker failed")
    return time.perf_counter() - start


def on_ray(args, seeds: list[int], store: Path) -> tuple[float, float, list[int]]:
    from lmlab.executors import RayExecutor, ray_session
    from lmlab.runs import RunStore, records

    start = time.perf_counter()
    with ray_session(None, log=lambda m: None):
        started = time.perf_counter() - start
        jobs, data_fingerprint = jobs_for(configs(args.profile, args.data, seeds))
        begin = time.perf_counter()
        RayExecutor(cpus_per_run=1).train_jobs(jobs, RunStore(store), data_fingerprint, log=LOG)
        elapsed = time.perf_counter() - begin
    sizes = [sum(map(len, records(run).values())) for run in RunStore(store).all()]
    return started, elapsed, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "hn-titles" / "titles.txt"))
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=int, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    from lmlab.train import train

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LMLAB_CACHE"] = str(Path(tmp) / "cache")
        os.environ["LMLAB_WORKER_RUNS"] = str(Path(tmp) / "worker-runs")
        train(
            configs(args.profile, args.data, [999])[0],
            runs_dir=Path(tmp) / "warm",
            progress=False,
            quiet=True,
        )
        local_s = local(args, list(range(1, args.runs + 1)), Path(tmp) / "local")
        ray_start_s, ray_s, sizes = on_ray(args, list(range(101, 101 + args.runs)), Path(tmp) / "ray")
    from bench_train import machine, machine_name

    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": args.profile,
        "runs": args.runs,
        "at_once": 2,
        "local_runs_per_hour": args.runs / local_s * 3600,
        "ray_runs_per_hour": args.runs / ray_s * 3600,
        "ray_startup_s": ray_start_s,
        "record_bytes_per_run": statistics.fmean(sizes),
    }
    print(json.dumps(result, indent=1))
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    here = machine()
    results.setdefault("machines", {}).setdefault(machine_name(here), {"machine": here})["executors"] = result
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
