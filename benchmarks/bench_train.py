"""Training and evaluation speed of lmlab against the challenge's own code, on this machine.

    python benchmarks/bench_train.py --profile cpu          # one profile's model config
    python benchmarks/bench_train.py                        # smoke, cpu and full (full: a few steps)
    python benchmarks/bench_train.py --precision            # fp32 against bf16 at full, cpu-27m and cpu

For each profile's model config it measures, in one process and interleaved round by round so
both see the same machine: tokens/s of a training step (forward, backward, optimizer) for the
reference loop (benchmarks/reference.py), for lmlab's trainer, and for lmlab with torch.compile;
tokens/s of evaluation; peak memory; model FLOPs utilization against this machine's measured
matrix-product peak in lmlab's arithmetic here (bf16 on CUDA, fp32 on CPU); and the cold and
warm (cached) data preparation time. Results are merged into benchmarks/results.json under this
machine's name (a GPU's, or the CPU's model and cores), so a GPU's numbers stand beside the
CPU's. The last line is `speedup vs reference: X.XXx` (training tokens/s of lmlab's fastest
variant over the reference's, for the last profile measured).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference  # noqa: E402

from lmlab.config import make_config  # noqa: E402
from lmlab.runs import RunStore  # noqa: E402
from lmlab.tokenize import prepare  # noqa: E402
from lmlab.train import Trainer, World, evaluate  # noqa: E402

RESULTS = HERE / "results.json"
STEPS = {"smoke": 20, "cpu": 8, "full": 2}  # timed steps per round
ROUNDS = {"smoke": 3, "cpu": 3, "full": 1}


def default_data() -> str:
    local = HERE.parent.parent / "shared" / "data" / "hn-titles" / "titles.txt"
    return str(local) if local.exists() else "julien040/hacker-news-posts"


def make_trainer(profile: str, tmp: Path, **overrides) -> Trainer:
    cfg = make_config(profile, **overrides)
    return Trainer(cfg, RunStore(tmp / "runs").run("bench"), World(), progress=False)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


# ------------------------------------------------------------------ memory


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return
    with contextlib.suppress(OSError):  # Linux: "5" resets the peak resident set size (VmHWM) of this process
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mb(device: torch.device) -> float | None:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# ------------------------------------------------------------------ machine


def bench_precision() -> str:
    """The arithmetic of the profiles' committed runs here: bf16 autocast on CUDA, fp32 on a CPU (where
    `--precision` measures bf16 beside it: native on some CPUs, emulated and slow on others)."""
    return "bf16" if torch.cuda.is_available() else "fp32"


def gemm_peak_gflops(device: torch.device, precision: str, repeats: int = 10) -> float:
    """The measured peak of a square matrix product in the arithmetic lmlab trains in here: MFU's denominator."""
    n = 8192 if device.type == "cuda" else 2048  # a GPU needs large products to reach its peak
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2):
        a @ b
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def machine_name(m: dict) -> str:
    """Results are kept per machine: a GPU by its name, a CPU by its model and cores."""
    return f"GPU: {m['cuda']}" if m["cuda"] else f"CPU: {m['cpu']}, {m['cores']} cores"


# ------------------------------------------------------------------ the measurements


def time_steps(run_steps, steps: int, device: torch.device) -> float:
    sync(device)
    t0 = time.perf_counter()
    run_steps(steps)
    sync(device)
    return time.perf_counter() - t0


def bench_data_prep(cfg, log) -> dict:
    """Cold (loading, tokenizer training, encoding) and warm (from the cache) data preparation, in a fresh cache."""
    with tempfile.TemporaryDirectory() as cache:
        previous = os.environ.get("LMLAB_CACHE")
        os.environ["LMLAB_CACHE"] = cache
        try:
            t0 = time.perf_counter()
            prepare(cfg)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            prepare(cfg)
            warm = time.perf_counter() - t0
        finally:
            if previous is None:
                os.environ.pop("LMLAB_CACHE")
            else:
                os.environ["LMLAB_CACHE"] = previous
    log(
        f"[{cfg.profile}] data preparation: {cold:.2f}s cold, {warm:.3f}s from the cache ({cold / warm:.0f}x)"
    )
    return {"cold": cold, "warm": warm, "ratio": cold / warm}


def bench_profile(profile: str, data: str, compile_too: bool, log) -> dict:
    steps, rounds = STEPS[profile], ROUNDS[profile]
    out: dict = {"profile": profile}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["LMLAB_CACHE"] = str(tmp / "cache")
        precision = bench_precision()
        cfg = make_config(profile, data=data, precision=precision)

        out["data_prep_s"] = bench_data_prep(cfg, log)
        splits, *_ = prepare(cfg)

        variants = {"lmlab": make_trainer(profile, tmp, data=data, precision=precision)}
        if compile_too:
            variants["lmlab+compile"] = make_trainer(
                profile, tmp, data=data, precision=precision, compile="true"
            )
        trainer = variants["lmlab"]
        device = trainer.device
        ids = trainer.ids["train"]
        torch.manual_seed(cfg.seed)
        ref_model = reference.GPT(
            trainer.tok.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_head, cfg.d_model, cfg.dropout
        ).to(device)
        ref_opt = torch.optim.SGD(ref_model.parameters(), lr=cfg.lr)
        assert (
            ref_model.token_emb.weight.numel()
            and sum(p.numel() for p in ref_model.parameters()) == trainer.model.num_params()
        )
        ref_state = {"ptr": 0}

        def ref_steps(n):
            ref_state["ptr"], _ = reference.train_steps(
                ref_model, ref_opt, ids, ref_state["ptr"], n, cfg.block_size, cfg.batch_size
            )

        def our_steps(t):
            def run(n):
                for _ in range(n):
                    t.train_step()
                    t.step += 1
                float(t.pending_loss)  # one sync at the end, as the trainer does at a log step

            return run

        runners = {"reference": ref_steps, **{name: our_steps(t) for name, t in variants.items()}}
        tokens = steps * cfg.batch_size * cfg.block_size
        times = {name: [] for name in runners}
        memory = {}
        for name, run in runners.items():  # warm-up, and for compile: the compilation itself
            t0 = time.perf_counter()
            reset_peak_memory(device)
            run(1 if profile == "full" else 2)
            memory[name] = peak_memory_mb(device)
            out.setdefault("warmup_s", {})[name] = time.perf_counter() - t0
        for r in range(rounds):
            for name, run in runners.items():
                times[name].append(time_steps(run, steps, device))
            log(
                f"[{profile}] round {r + 1}/{rounds}: "
                + ", ".join(f"{n} {tokens / times[n][-1]:,.0f} tok/s" for n in runners)
            )
        train_tps = {name: tokens / statistics.median(ts) for name, ts in times.items()}

        # evaluation over the validation stream
        valid = trainer.ids["valid"]
        chars = splits.chars("valid")
        t0 = time.perf_counter()
        reference.evaluate(ref_model, valid, cfg.block_size, cfg.batch_size, chars)
        ref_eval = time.perf_counter() - t0
        ref_eval_tokens = (
            (len(valid) - 1) // (cfg.batch_size * cfg.block_size + 1) * cfg.batch_size * cfg.block_size
        )
        trainer.model.eval()
        t0 = time.perf_counter()
        evaluate(trainer.model, valid, cfg.block_size, cfg.eval_batch_size, device, precision)
        sync(device)
        our_eval = time.perf_counter() - t0
        eval_tps = {"reference": ref_eval_tokens / ref_eval, "lmlab": (len(valid) - 1) / our_eval}

        peak = gemm_peak_gflops(device, precision)
        fpt = trainer.model.flops_per_token()
        best = max((n for n in runners if n != "reference"), key=lambda n: train_tps[n])
        out.update(
            {
                "model": {
                    "params": trainer.model.num_params(),
                    "n_layer": cfg.n_layer,
                    "d_model": cfg.d_model,
                    "vocab_size": trainer.tok.vocab_size,
                    "block_size": cfg.block_size,
                    "batch_size": cfg.batch_size,
                },
                "timed_steps": steps * rounds,
                "train_tok_per_s": train_tps,
                "eval_tok_per_s": eval_tps,
                "peak_memory_mb": memory,
                "precision": precision,
                "gemm_peak_gflops": peak,
                "flops_per_token": fpt,
                "mfu": {name: tps * fpt / (peak * 1e9) for name, tps in train_tps.items()},
                "fastest": best,
                "speedup_vs_reference": train_tps[best] / train_tps["reference"],
                "speedup_vs_reference_eager": train_tps["lmlab"] / train_tps["reference"],
            }
        )
    return out


PRECISION_PROFILES = ("full", "cpu-27m", "cpu")
PRECISION_STEPS = {"full": 2, "cpu-27m": 2, "cpu": 8}


def bench_precisions(profiles, data: str, rounds: int, log) -> dict:
    """fp32 against bf16 autocast, one training step of each profile's model in each, alternating
    round by round in one process (so both see the same machine); and a matrix product's rate in each
    arithmetic, the per-operator figure beside the whole step's. Only where bf16 trains here."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["LMLAB_CACHE"] = str(tmp / "cache")
        for profile in profiles:
            steps = PRECISION_STEPS[profile]
            trainers = {p: make_trainer(profile, tmp, data=data, precision=p) for p in ("fp32", "bf16")}
            cfg = trainers["fp32"].cfg
            device = trainers["fp32"].device

            def run(t, n):
                for _ in range(n):
                    t.train_step()
                    t.step += 1
                float(t.pending_loss)

            for t in trainers.values():  # warm-up: the first step allocates
                run(t, 1)
            times = {p: [] for p in trainers}
            for r in range(rounds):
                for p, t in trainers.items():
                    times[p].append(time_steps(lambda n, t=t: run(t, n), steps, device) / steps)
                log(
                    f"[{profile}] round {r + 1}/{rounds}: "
                    + ", ".join(f"{p} {times[p][-1]:.2f} s/step" for p in times)
                )
            per_step = {p: statistics.median(ts) for p, ts in times.items()}
            out[profile] = {
                "params": trainers["fp32"].model.num_params(),
                "batch_tokens": cfg.batch_size * cfg.block_size,
                "timed_steps": steps * rounds,
                "s_per_step": per_step,
                "s_per_step_all": times,
                "bf16_speedup": per_step["fp32"] / per_step["bf16"],
            }
        out["gemm_gflops"] = {p: gemm_peak_gflops(torch.device("cpu"), p) for p in ("fp32", "bf16")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--profile",
        action="append",
        choices=sorted({*STEPS, *PRECISION_PROFILES}),
        help="repeatable; default: all three",
    )
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile variant")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--data-only",
        action="store_true",
        help="measure only data preparation (cheap; merged into the results)",
    )
    parser.add_argument(
        "--precision",
        action="store_true",
        help="measure only fp32 against bf16 (full, cpu-27m and cpu; on a CPU, where it has native bf16)",
    )
    args = parser.parse_args()
    profiles = args.profile or list(STEPS)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    here = machine()
    name = machine_name(here)
    entry = results.setdefault("machines", {}).setdefault(name, {})  # other machines' results stay
    entry["machine"] = here
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entry.setdefault("profiles", {})
    if args.precision:
        from lmlab.devices import bf16_refusal

        refusal = bf16_refusal(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
        if refusal:
            sys.exit(f"bench_train --precision: {refusal}")
        chosen = [p for p in PRECISION_PROFILES if not args.profile or p in args.profile]
        entry["precision"] = {"date": now, **bench_precisions(chosen, args.data, 3, log)}
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        for profile in chosen:
            r = entry["precision"][profile]
            print(f"{profile}: fp32 {r['s_per_step']['fp32']:.2f} s/step, bf16 {r['s_per_step']['bf16']:.2f} s/step, "
                  f"bf16 {r['bf16_speedup']:.2f}x")  # fmt: skip
        return
    if args.data_only:
        entry["data_prep_date"] = now
        for profile in profiles:
            prep = bench_data_prep(make_config(profile, data=args.data), log)
            entry["profiles"].setdefault(profile, {})["data_prep_s"] = prep
            print(
                f"{profile}: data prep {prep['cold']:.2f}s cold, {prep['warm']:.3f}s cached ({prep['ratio']:.0f}x)"
            )
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        return
    entry["date"] = entry["data_prep_date"] = now  # a full run measures data preparation too
    for profile in profiles:
        r = bench_profile(profile, args.data, not args.no_compile, log)
        entry["profiles"][profile] = r
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        tps = r["train_tok_per_s"]
        print(
            f"\n{name}, {profile} ({r['precision']}): {r['model']['params']:,} params, "
            f"matrix-product peak {r['gemm_peak_gflops']:,.0f} GFLOP/s"
        )
        for variant in tps:
            print(
                f"  train {variant:<14} {tps[variant]:>10,.0f} tok/s   MFU {r['mfu'][variant]:6.1%}   "
                f"peak {r['peak_memory_mb'][variant] or 0:,.0f} MB"
            )
        print(f"  eval  reference      {r['eval_tok_per_s']['reference']:>10,.0f} tok/s")
        print(f"  eval  lmlab          {r['eval_tok_per_s']['lmlab']:>10,.0f} tok/s")
        print(
            f"  data prep: {r['data_prep_s']['cold']:.2f}s cold, {r['data_prep_s']['warm']:.3f}s cached ({r['data_prep_s']['ratio']:.0f}x)"
        )
        print(f"  eager lmlab vs reference: {r['speedup_vs_reference_eager']:.2f}x")
    print(f"results: {args.out}")
    print(f"speedup vs reference: {entry['profiles'][profiles[-1]]['speedup_vs_reference']:.2f}x")


if __name__ == "__main__":
    main()
