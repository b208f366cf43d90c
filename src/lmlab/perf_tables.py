"""The benchmarks' results as Markdown: training throughput against the reference loop, where a
step's time goes, the memory estimate against measured peaks, and the executors' runs per hour
(benchmarks/results.json and benchmarks/profiles.json, written by the scripts in benchmarks/)."""

from __future__ import annotations

from lmlab.config import make_config
from lmlab.markdown import bound, markdown


def benchmark_table(results: dict):
    """The benchmark results per machine and profile as a Markdown table."""
    lines = [
        "| machine | profile | variant | train tok/s | vs. reference | MFU (of the row's peak) | eval tok/s | peak memory (MB) |",
        "|:---|:---|:---|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for name, entry in results["machines"].items():
        if not entry.get("profiles"):
            continue  # a machine where only memory or diagnostics were measured
        for profile, r in entry["profiles"].items():
            ref = r["train_tok_per_s"]["reference"]
            for variant, tps in r["train_tok_per_s"].items():
                eval_tps = r["eval_tok_per_s"].get(variant)
                memory = r["peak_memory_mb"].get(variant)
                lines.append(
                    f"| {name} | {profile} ({r.get('precision', 'fp32')}) | {variant} | {tps:,.0f} | {tps / ref:.2f}x | "
                    f"{r['mfu'][variant]:.1%} | {'' if eval_tps is None else f'{eval_tps:,.0f}'} | "
                    f"{'' if memory is None else f'{memory:,.0f}'} |"
                )
        prep = ", ".join(
            f"{p}: {r['data_prep_s']['cold']:.2f}s cold, {r['data_prep_s']['warm']:.3f}s cached"
            for p, r in entry["profiles"].items()
            if "data_prep_s" in r
        )
        peaks = ", ".join(
            f"{p} {r['gemm_peak_gflops']:,.0f}"
            for p, r in entry["profiles"].items()
            if r.get("gemm_peak_gflops")
        )
        m = entry["machine"]
        notes.append(
            f"*{name}: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, torch {m['torch']}; "
            f"MFU is the model's FLOPs a second (tokens/s times the FLOPs a token) over the matrix-product peak "
            f"measured in the same run, which varies with the machine's load (GFLOP/s: {peaks}); "
            f"measured {entry['date']}. Data preparation (loading, tokenizer training and encoding, then from "
            f"the cache; measured {entry.get('data_prep_date', entry['date'])}): {prep}.*"
        )
    return markdown("\n".join(lines + [""] + notes))


def profile_table(profiles: dict, profile: str = "cpu", variants=("reference", "lmlab"), top: int = 10):
    """Where a training step's time goes (benchmarks/profiles.json): each operator's share of the
    step's CPU time, per variant side by side."""
    records = {v: profiles[f"{profile}/{v}"] for v in variants if f"{profile}/{v}" in profiles}
    if not records:
        return markdown(
            f"*No profile of the `{profile}` profile recorded yet: run benchmarks/profile_step.py.*"
        )
    shares = {v: {op["name"]: op["share"] for op in r["ops"]} for v, r in records.items()}
    names = sorted(
        {n for s in shares.values() for n in s}, key=lambda n: -max(s.get(n, 0) for s in shares.values())
    )[:top]
    lines = [
        "| operator | " + " | ".join(f"{v} (share of step)" for v in records) + " |",
        "|:---|" + "---:|" * len(records),
    ]
    for name in names:
        lines.append(
            f"| `{name}` | "
            + " | ".join(f"{shares[v][name]:.1%}" if name in shares[v] else "" for v in records)
            + " |"
        )
    lines.append(
        "| **CPU time per step** | "
        + " | ".join(f"**{r['step_ms']:,.0f} ms**" for r in records.values())
        + " |"
    )
    any_record = next(iter(records.values()))
    m = any_record["machine"]
    lines += [
        "",
        f"*torch.profiler over {any_record['steps']} training steps at the `{profile}` profile "
        f"({', '.join(f'{k}={v}' for k, v in any_record['settings'].items()) or 'its defaults'}); "
        f"{m['cpu']}, {m['torch_threads']} torch threads; measured {any_record['date']}.*",
    ]
    return markdown("\n".join(lines))


def memory_table(results: dict):
    """lmlab.memory's estimate against the measured peak (benchmarks/bench_memory.py), per machine,
    profile and recipe, with the diagnostics' measured overhead where it was measured."""
    lines = [
        "| machine | profile: recipe | parameters | estimate (MB) | measured peak (MB) | estimate / measured |",
        "|:---|:---|---:|---:|---:|---:|",
    ]
    notes = []
    for name, entry in results["machines"].items():
        memory = entry.get("memory")
        for config, r in (memory or {}).get("configs", {}).items():
            lines.append(
                f"| {name} | {config} | {r['parameters']:,} | {r['estimate_mb']:,.0f} | {r['measured_mb']:,.0f} | "
                f"{r['estimate_over_measured']:.2f} |"
            )
        if memory:
            notes.append(
                f"{name}: measured {memory['date']}, {memory['steps']} training steps and the final evaluation."
            )
        for profile, d in (entry.get("diagnostics") or {}).items():
            notes.append(
                f"{name}, `{profile}`: the diagnostics of one evaluation take {d['diagnostics_per_eval_s'] * 1e3:,.0f} ms "
                f"against {d['step_s'] * 1e3:,.0f} ms a training step: {d['overhead']:.1%} of a run's training time "
                f"({d['evals']} evaluations over {d['steps']} steps; measured {d['date']}, beside whatever else ran then, "
                "so a step's time here need not match the precision table's)."
            )
    return markdown("\n".join(lines + [line for n in notes for line in ("", f"*{n}*")]))


def executors_table(results: dict):
    """Runs per hour with lmlab's local workers and on a local Ray, per machine (benchmarks/bench_executors.py),
    Ray's with and without its start-up."""
    lines = [
        "| machine | profile | runs at once | local workers (runs/hour) | Ray (runs/hour) | Ray / local | "
        "Ray's start-up | Ray with its start-up | records per run |",
        "|:---|:---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, entry in results["machines"].items():
        e = entry.get("executors")
        if e:
            lines.append(
                f"| {name} | {e['profile']} | {e['at_once']} | {e['local_runs_per_hour']:,.0f} | "
                f"{e['ray_runs_per_hour']:,.0f} | {e['ray_runs_per_hour'] / e['local_runs_per_hour']:.2f} | "
                f"{e['ray_startup_s']:.1f} s | {_with_startup(e):,.0f} runs/hour | "
                f"{e['record_bytes_per_run'] / 1e3:,.1f} KB |"
            )
    dates = "; ".join(f"{n}: {e['executors']['runs']} runs each way, measured {e['executors']['date']}"
                      for n, e in results["machines"].items() if e.get("executors"))  # fmt: skip
    return markdown("\n".join(lines + ["", f"*{dates}.*" if dates else ""]))


def _with_startup(e: dict) -> float:
    """Ray's runs per hour when its start-up counts, as the local workers' process start-ups do."""
    return e["runs"] / (e["runs"] / e["ray_runs_per_hour"] * 3600 + e["ray_startup_s"]) * 3600


def precision_table(results: dict):
    """fp32 against bf16 autocast per machine and profile (benchmarks/bench_train.py --precision): the
    seconds of a training step in each, and bf16's speed-up; with the machine's matrix-product rate in
    each arithmetic beside it."""
    machines = {name: e["precision"] for name, e in results["machines"].items() if e.get("precision")}
    named = len(machines) > 1  # one machine: named in the note, not on every row
    lines = [
        "| " + ("machine | " if named else "") + "profile | parameters | tokens a step | fp32 (s/step) | "
        "bf16 (s/step) | bf16 speed-up |",
        "|" + (":---|" if named else "") + ":---|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for name, measured in machines.items():
        steps = []
        for profile, r in measured.items():
            if not isinstance(r, dict) or "s_per_step" not in r:
                continue
            steps.append(f"{r['timed_steps'] // 3} steps at `{profile}`")
            lines.append(
                "| " + (f"{name} | " if named else "") + f"`{profile}` | {r['params'] / 1e6:.1f}M | "
                f"{r['batch_tokens']:,} | {r['s_per_step']['fp32']:.2f} | {r['s_per_step']['bf16']:.2f} | "
                f"{r['bf16_speedup']:.2f}x |"
            )
        gemm = measured.get("gemm_gflops", {})
        mine = [
            f"Measured on {name}, {measured['date'][:10]}: each row is the median of 3 rounds (a round: "
            f"{', '.join(steps)}), fp32 and bf16 alternating in one process"
            + (f"; a 2048 × 2048 matrix product alone runs at {gemm['fp32']:,.0f} GFLOP/s in fp32 and "
               f"{gemm['bf16']:,.0f} in bf16." if gemm else ".")
        ]  # fmt: skip
        for check in filter(None, (measured.get("loss_check"), measured.get("loss_check_recipe"))):
            ours, seeds = check["bf16_minus_fp32"], check["seed2_minus_seed1"]
            own_epochs = make_config(check["profile"]).epochs
            mine.append(
                f"The loss check, {check.get('recipe', 'the challenge baseline')} at `{check['profile']}` "
                f"for {check['epochs']} epochs, {check['steps']} steps (the profile's own runs train {own_epochs}): "
                f"bf16 minus fp32 at one seed, {bound(ours['final'])} nats/char at the end (at most {ours['largest']:.4f} "
                f"apart over {ours['evaluations']} evaluations); a second fp32 seed minus the first, "
                f"{bound(seeds['final'])} at the end (at most {seeds['largest']:.4f}) "
                f"(`benchmarks/precision_check.py`; runs {', '.join(r['id'][:8] for r in check['runs'].values())})."
            )
        if measured.get("loss_check") and not measured.get("loss_check_recipe"):
            mine.append(
                "How far bf16 moves the final recipe's loss is not measured yet "
                "(`benchmarks/precision_check.py --recipe final`): the check above trains the baseline only."
            )
        notes += [mine[0], *(f"{name}: {n}" if named else n for n in mine[1:])]
    if len(lines) == 2:
        return markdown(
            "*No machine has measured fp32 against bf16 yet (`benchmarks/bench_train.py --precision`).*"
        )
    return markdown("\n".join(lines + [line for n in notes for line in ("", f"*{n}*")]))
