"""Tables and prose generated from runs and the ladder's summary, as Markdown a notebook displays.

Every number a page states in words comes from here (or from a figure in lmlab.figures), so that
the next change of data changes the sentence. Groups are `{label: [runs]}`: the seeds of one
configuration under one label.
"""

from __future__ import annotations

import re

from lmlab import wordlevel
from lmlab.config import from_dict, make_config, settings
from lmlab.ladder import (
    FALSE_ADOPTION,
    FINAL_RECIPE,
    baseline_trained_as_long,
    beyond_length,
    budget_text,
    nominal_verdict,
)
from lmlab.optim import muon_settings
from lmlab.runs import Run, provenance
from lmlab.stats import final_values, level_text, mean_std, paired_difference
from lmlab.tokenize import round_trip_share
from lmlab.train import legacy_coverages

LADDER_NOTE = re.compile(r"^ladder \w+: ")


class Markdown:
    """Text written in Markdown (tables, emphasis, code), displayed as HTML.

    The site's theme shows a `text/markdown` output as its source, pipes and all, but renders
    `text/html`; so a notebook shows this as HTML. Raw HTML inside the text is escaped rather than
    passed through, so `<unk>` reads as written. `str()` gives the Markdown back."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        from markdown_it import MarkdownIt

        return MarkdownIt("commonmark", {"html": False}).enable("table").render(self.text)

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def markdown(text: str) -> Markdown:
    return Markdown(text)


def samples(run: Run):
    """The titles the model wrote (fixed seed), as a Markdown list."""
    lines = [f"Titles sampled from run `{run.id}` (temperature 1, seed {run.config.get('seed')}):", ""]
    lines += [f"- {title or '(empty)'}" for title in run.probes.get("samples", [])]
    lines += ["", f"*{provenance([run])}*"]
    return markdown("\n".join(lines))


def step_groups(result) -> dict[str, list[Run]]:
    """A ladder step's groups for plotting: the recipe it starts from, then its candidates."""
    before = {result.reference: result.recipe_runs} if result.recipe_runs else {}
    return {**before, **result.groups}


def paired_cell(paired: dict | None) -> str:
    """A paired difference as one table cell: mean, interval (its level where it is not 95%) and the seeds it pairs."""
    if paired is None:
        return ""
    level = paired.get("level", 0.95)
    at = "" if level == 0.95 else f" at {level_text(level)}"
    return f"{paired['mean']:+.4f} [{paired['low']:+.4f}, {paired['high']:+.4f}]{at}, n={paired['n']}"


def rule_level_words(result) -> str:
    """Why a step's intervals have their level, in words."""
    k = sum(1 for label in result.groups if result.step.eligible(label))
    return f"1 − {FALSE_ADOPTION:g}/k for its k = {k} eligible candidate{'s' if k > 1 else ''}"


def step_table(result):
    """A ladder step as a Markdown table (settings changed, mean ± std, the paired difference to the
    recipe it starts from with its 95% interval) and the decision, all computed from the runs.
    Columns that would say the same on every row become one sentence below the table."""
    before = result.recipe_runs
    runs_of = {**({result.reference: before} if before else {}), **result.groups}
    counts = {label: parameter_counts(runs) for label, runs in runs_of.items()}
    exact = {label: parameter_counts(runs, exact=True) for label, runs in runs_of.items()}
    if len(set(exact.values())) > len(set(counts.values())):  # a few thousand parameters apart: show them all
        counts = exact
    rows = []
    for label, runs in runs_of.items():
        candidate = label in result.groups
        change = change_text(result.candidates[label]) if candidate else ""
        diverged = [r for r in runs if r.status != "done"]
        mean, std = mean_std(final_values(runs))
        shown = f"{mean:.4f} ± {std:.4f}" + (f" ({len(diverged)} diverged)" if diverged else "")
        name = label if not candidate or result.step.eligible(label) else f"{label} (not eligible)"
        paired = (
            paired_cell(paired_difference(runs, before, level=result.level)) if candidate and before else ""
        )
        legacy = mean_std(final_values(runs, "val_loss_legacy"))[0]
        rows.append([name, change, counts[label], str(len(runs)), shown, paired, f"{legacy:.4f}"])
    header = [
        "",
        "change",
        "parameters",
        "seeds",
        "val_loss (nats/char, mean ± std)",
        "paired difference [interval]",
        "legacy metric",
    ]
    align = [":---", ":---", "---:", "---:", "---:", "---:", "---:"]
    keep = [
        i
        for i in range(len(header))
        if not (header[i] == "parameters" and len(set(counts.values())) == 1)
        and not (header[i].startswith("paired") and not before)
    ]
    pick = lambda row: [row[i] for i in keep]  # noqa: E731
    lines = ["| " + " | ".join(pick(header)) + " |", "|" + "|".join(pick(align)) + "|"] + [
        "| " + " | ".join(pick(r)) + " |" for r in rows
    ]
    shapes = {(r.config["batch_size"], r.config["block_size"], r.config["tokenizer"], r.config["vocab_size"])
              for runs in runs_of.values() for r in runs}  # fmt: skip
    if len(shapes) > 1:
        legacy_note = (
            "*The legacy metric (the challenge's evaluate()) scores a different share of the validation stream at "
            "each batch size and tokenizer (it drops a tail), so it does not compare across these rows.*"
        )
    else:
        legacy_note = ""
    if len(set(counts.values())) == 1 and next(iter(counts.values())):
        lines += ["", f"Every run of this step has {next(iter(counts.values()))} parameters."]
    lines += ["", decision(result)]
    others = resolved_others(result)
    if others:
        lines += ["", others]
    if before:
        lines += [
            "",
            f"*Paired difference: the candidate minus the recipe, seed by seed, with a t interval at "
            f"{level_text(result.level)} ({rule_level_words(result)}); an interval that holds zero cannot tell the "
            "change from the seeds' noise.*",
        ]
    run_notes = notes(
        [r for rs in result.groups.values() for r in rs]
    )  # the recipe's notes belong to its own step
    if run_notes:
        lines += ["", f"*Notes on these runs: {run_notes}.*"]
    for label, why in result.step.not_eligible.items():
        lines += ["", f"*{label} is shown but cannot be adopted: {why}.*"]
    if legacy_note:
        lines += ["", legacy_note]
    lines += ["", f"*{provenance(before + [r for rs in result.groups.values() for r in rs])}.*"]
    return markdown("\n".join(lines))


def averaging_within_runs(result):
    """Per candidate of a weight-averaging step, its averaged weights against its own trained weights, run
    by run (`val_loss_trained`): what the average adds, free of the seeds' noise between runs."""
    lines = [
        "| | seeds | averaged weights | trained weights | averaged − trained (mean ± std) |",
        "|:---|---:|---:|---:|---:|",
    ]
    for label, runs in result.groups.items():
        pairs = [
            (r.final["val_loss"], r.final["val_loss_trained"]) for r in runs if "val_loss_trained" in r.final
        ]
        if not pairs:
            continue
        gain = mean_std([a - t for a, t in pairs])
        lines.append(
            f"| {label} | {len(pairs)} | {mean_std([a for a, _ in pairs])[0]:.4f} | "
            f"{mean_std([t for _, t in pairs])[0]:.4f} | {gain[0]:+.4f} ± {gain[1]:.4f} |"
        )
    gains = [
        r.final["val_loss"] - r.final["val_loss_trained"]
        for runs in result.groups.values()
        for r in runs
        if "val_loss_trained" in r.final
    ]
    if gains and (all(g > 0 for g in gains) or all(g < 0 for g in gains)):
        side = "a higher (worse)" if gains[0] > 0 else "a lower (better)"
        lines += [
            "",
            f"In every run ({len(gains)}), the averaged weights have {side} loss than the weights they average.",
        ]
    recipe = {r.config["seed"]: r.final["val_loss"] for r in result.recipe_runs}
    trained = [
        (r.config["seed"], r.final["val_loss_trained"])
        for runs in result.groups.values()
        for r in runs
        if "val_loss_trained" in r.final and r.config["seed"] in recipe
    ]
    if trained:
        same = sum(abs(value - recipe[seed]) < 1e-9 for seed, value in trained)
        lines += [
            "",
            f"Training unchanged: {same} of {len(trained)} runs' trained weights score what the recipe's run of the "
            "same seed scores" + (", to the last digit." if same == len(trained) else "; the others differ."),
        ]
    lines += [
        "",
        "*Validation nats/char of each run's averaged weights (what the run reports) and of the weights it trained, "
        "evaluated at its end; the difference is taken run by run. "
        f"{provenance([r for runs in result.groups.values() for r in runs])}.*",
    ]
    return markdown("\n".join(lines))


def resolved_others(result) -> str:
    """The candidates other than the winner whose paired interval lies wholly above or below zero, in words."""
    found = []
    for label, runs in result.groups.items():
        paired = (
            paired_difference(runs, result.recipe_runs, level=result.level)
            if label != result.winner
            else None
        )
        if paired and (paired["low"] > 0 or paired["high"] < 0):
            side = "worse than" if paired["low"] > 0 else "better than"
            found.append(f"{label} is {side} the recipe ({paired_cell(paired)})")
    return ("Also resolved, though not the step's best: " + "; ".join(found) + ".") if found else ""


def change_text(change: dict) -> str:
    """A candidate's settings as a table cell; a change that sets every key back (None) is the profile itself."""
    if change and all(v is None for v in change.values()):
        return "the profile's own settings"
    # 6 significant digits: a rate scaled by 0.7 prints as 0.014, not 0.013999999999999999
    shown = (f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in change.items())
    return f"`{', '.join(shown)}`" if change else ""


def notes(runs: list[Run]) -> str:
    """The runs' notes, less the ones the ladder writes itself ("ladder adamw: AdamW lr 0.002"),
    which only repeat the row's label."""
    return "; ".join(sorted({r.note for r in runs if r.note and not LADDER_NOTE.match(r.note)}))


def parameter_counts(runs: list[Run], exact: bool = False) -> str:
    counts = sorted({r.meta.get("num_params") for r in runs if r.meta.get("num_params")})
    return " / ".join(f"{n:,}" if exact else f"{n / 1e6:.2f}M" for n in counts)


def decision(result) -> str:
    """What the step decided under the paired rule, in one or two sentences."""
    mean, std = mean_std(final_values(result.groups[result.winner]))
    if not result.recipe_runs:
        return f"**Result:** {result.winner}: {mean:.4f} ± {std:.4f} nats/char."
    p, winner, recipe = result.paired, result.winner, result.recipe_label
    where = (
        ""
        if p is None
        else (
            f" Paired over {p['n']} seeds the change is {p['mean']:+.4f} nats/char, "
            f"{level_text(p['level'])} interval [{p['low']:+.4f}, {p['high']:+.4f}]."
        )
    )
    text = {
        "adopted": f"**Adopted:** {winner}; the interval lies below zero.{where}"
        + (" The recipe takes it from here on." if result.step.follows else ""),
        "worse": f"**Not adopted:** the best candidate, {winner}, is worse than the recipe; the interval lies above zero."
        f"{where} The recipe stays {recipe}.",
        "not resolved": f"**Not resolved:** the best candidate, {winner}, cannot be told from the seeds' noise: even over "
        f"five seeds the interval holds zero.{where} The recipe stays the simpler {recipe}.",
        "by mean": f"**{'Adopted' if result.adopted else 'Not adopted'} by the mean** (one seed gives no interval): "
        f"{winner}, {mean:.4f} against the recipe's {mean_std(final_values(result.recipe_runs))[0]:.4f}.",
    }.get(
        result.verdict, f"**In progress:** {len(result.missing)} runs of this step are still training.{where}"
    )
    if result.step.budget and not result.step.follows:
        text += (
            f" This step is measured at {budget_text(result.step.budget)}, not at the ladder's budget: the "
            f"ladder's recipe does not take its verdict, a recipe for that budget does."
        )
    return text


def regimes(short, long, key: str = "dropout"):
    """What a setting's step concluded at the ladder's budget (`short`) and at a longer one
    (`long`, a step with its own budget), and which value each budget's recipe takes."""
    default = settings()[key].default

    def verdict_of(result) -> str:
        cell = paired_cell(result.paired)
        return f"{result.winner}, {result.verdict}" + (f" (paired difference {cell})" if cell else "")

    def value_after(result) -> str:
        recipe = {**result.recipe, **result.candidates[result.winner]} if result.adopted else result.recipe
        return f"{key}={recipe.get(key, default)}"

    text = (
        f"**Two regimes.** At the ladder's budget the best candidate was {verdict_of(short)}; at "
        f"{budget_text(long.step.budget)} it is {verdict_of(long)}. The ladder's recipe, measured at its own "
        f"budget, keeps {value_after(short)}; a recipe for {budget_text(long.step.budget)} takes {value_after(long)}"
        + ("." if value_after(short) != value_after(long) else ": the two regimes agree.")
    )
    baseline_label = long.study.baseline
    if long.groups.get(baseline_label):
        recipe_runs = long.groups[long.winner] if long.adopted else long.recipe_runs
        recipe, _ = mean_std(final_values(recipe_runs))
        baseline, _ = mean_std(final_values(long.groups[baseline_label]))
        text += (
            f" At {budget_text(long.step.budget)} the recipe with {value_after(long)} reaches {recipe:.4f} nats/char "
            f"against the challenge baseline's {baseline:.4f} at the same length: **{recipe / baseline:.3f}** of the "
            "baseline (a later step at that length may go further)."
        )
    return markdown(text)


def benchmark_table(results: dict):
    """The benchmark results per machine and profile as a Markdown table."""
    lines = [
        "| machine | profile | variant | train tok/s | vs. reference | MFU | eval tok/s | peak memory (MB) |",
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
        m = entry["machine"]
        notes.append(
            f"*{name}: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, torch {m['torch']}; "
            f"measured {entry['date']}. Data preparation (loading, tokenizer training and encoding, then from "
            f"the cache; measured {entry.get('data_prep_date', entry['date'])}): {prep}.*"
        )
    return markdown("\n".join(lines + [""] + notes))


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
                f"({d['evals']} evaluations over {d['steps']} steps; measured {d['date']})."
            )
    return markdown("\n".join(lines + [""] + [f"*{n}*" for n in notes]))


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


def tokenizer_checks(result, profile: str, data: str):
    """Two credibility checks of a ladder step that compares tokenizers, for the recipe's tokenizer and
    every candidate's (each made again from the data): the share of validation titles it gives back
    exactly, and the share of its validation stream the challenge's evaluate() scores at each profile's
    batch and context (it drops the tail)."""
    changes = {f"{make_config(profile, **result.recipe).tokenizer} (the recipe's)": {}, **result.candidates}
    configs = {
        label: make_config(profile, **{**result.recipe, **change, "data": data})
        for label, change in changes.items()
    }
    coverages = {label: legacy_coverages(cfg) for label, cfg in configs.items()}
    settings_shown = list(next(iter(coverages.values())))
    lines = [
        "| tokenizer | vocabulary | validation titles given back exactly | "
        + " | ".join(f"evaluate() scores, at {s}" for s in settings_shown)
        + " |",
        "|:---|---:|---:|" + "---:|" * len(settings_shown),
    ]
    for label, cfg in configs.items():
        shares = " | ".join(f"{coverages[label][s]:.2%}" for s in settings_shown)
        lines.append(f"| {label} | {cfg.vocab_size:,} | {round_trip_share(cfg):.2%} | {shares} |")
    lines += ["", "*Coverage: the share of each tokenizer's validation stream at this profile that the challenge's "
                  "evaluate() scores (at the full profile's larger validation set the share differs); lmlab's own "
                  "metric scores every token. A legacy figure of two tokenizers compares different shares of the "
                  "text.*"]  # fmt: skip
    return markdown("\n".join(lines))


def rule_error(results, simulated: dict | None):
    """The decision rule's simulated false-adoption rate per number of candidates, before and after its
    correction, and each step's verdict under both (lmlab.ladder.nominal_verdict gives the one before)."""
    lines = []
    if simulated:
        rates = simulated["false_adoption"]
        lines += ["| candidates in a step | " + " | ".join(rates) + " |", "|:---|" + "---:|" * len(rates)]
        for rule, name in (
            ("rule", "before: a 95% interval at each look"),
            ("corrected", "corrected (the ladder's rule)"),
        ):
            lines.append(f"| {name} | " + " | ".join(f"{r[rule]:.1%}" for r in rates.values()) + " |")
        lines += ["", f"*Simulated under no real effect, {simulated['trials']:,} steps each "
                      f"(benchmarks/rule_error.py, {simulated['date']}). Corrected: {simulated['corrected']}.*", ""]  # fmt: skip
    lines += ["| step | eligible candidates | interval | verdict | before the correction |",
              "|:---|---:|---:|:---|:---|"]  # fmt: skip
    changed = []
    for r in results:
        if not r.complete or not r.recipe_runs or not r.step.follows:
            continue
        k = sum(1 for label in r.groups if r.step.eligible(label))
        before, seeds_before = nominal_verdict(r, r.study)
        seeds = r.paired["n"] if r.paired else seeds_before
        lines.append(f"| {r.step.title} | {k} | {level_text(r.level)} | {r.verdict} on {seeds} seeds "
                     f"| {before} on {seeds_before} seeds |")  # fmt: skip
        if (before, seeds_before) != (r.verdict, seeds):
            changed.append(f"{r.step.title} ({before} on {seeds_before} seeds → {r.verdict} on {seeds})")
    lines += ["", f"**Verdicts the correction changed:** {'; '.join(changed)}." if changed
              else "**The correction changed no verdict.**"]  # fmt: skip
    return markdown("\n".join(lines))


def ladder_table(summary: dict):
    """The ladder summary (lmlab.ladder.summary) as a Markdown table: each step's best candidate,
    its paired difference to the recipe the step started from, the verdict; then the final ratio."""
    lines = [
        "| step | best candidate | val_loss (nats/char) | paired difference [interval] | decision |",
        "|:---|:---|---:|---:|:---|",
    ]
    for step in summary["steps"]:
        if not step.get("follows", True):
            continue  # another budget's numbers: a table of their own (regime_table)
        best = step["candidates"][step["best"]]
        verdict = step.get("verdict", "adopted" if step["adopted"] else "")
        decision = (
            verdict if verdict in ("baseline", "adopted") else f"{verdict}: stays {step['starts_from']}"
        )
        lines.append(
            f"| {step['title']} | {step['best']} | {best['mean']:.4f} ± {best['std']:.4f} | "
            f"{paired_cell(step.get('paired'))} | {decision} |"
        )
    final = summary.get("final_recipe")
    if final:
        lines += [
            "",
            f"Final recipe{'' if summary.get('complete') else ' so far'}: **{final['label']}**, {final['val_loss']:.4f} nats/char, "
            f"**{final['ratio_to_baseline']:.3f}** of the baseline's validation loss at the same profile.",
        ]
    other = [s["title"] for s in summary["steps"] if not s.get("follows", True)]
    if other:
        lines += [
            "",
            f"Every row is measured at {profile_budget(summary['profile'])}. "
            f"{' and '.join(other)} {'measures' if len(other) == 1 else 'measure'} at another budget, with "
            f"{'a table of its own' if len(other) == 1 else 'tables of their own'}.",
        ]
    if summary.get("pending"):
        lines += ["", in_progress(summary)]
    lines += [
        "",
        f"*profile {summary['profile']} · data fingerprint {summary['data_fingerprint'][:8]} · paired difference: "
        f"the best candidate minus the recipe the step started from, seed by seed, with a t interval at "
        f"1 − {FALSE_ADOPTION:g}/k for a step of k candidates (95% where no level is given); adopted when the "
        f"interval lies below zero (3 seeds, 5 where 3 cannot decide).*",
    ]
    return markdown("\n".join(lines))


def profile_budget(profile: str) -> str:
    """What a profile trains, in words: the model, the context and batch, the data and the epochs."""
    c = make_config(profile)
    titles = f"{c.num_titles:,} titles" if c.num_titles else "every title"
    return (
        f"the `{profile}` profile ({titles}, {1 - c.val_frac:.0%} of them for training, {c.epochs} epochs, context "
        f"{c.block_size}; the ladder starts from batch {c.batch_size} and a {c.n_layer} × {c.d_model} model with a "
        f"{c.vocab_size:,}-piece vocabulary, which its steps may change)"
    )


def _step(summary: dict, name: str) -> dict | None:
    return next((s for s in summary["steps"] if s["step"] == name), None)


def findings(summary: dict):
    """The ladder's decisions grouped by verdict, a step at another budget apart, and the final ratio
    beside the ratios it compares with at the same profile, as Markdown: the prose of the overview
    and the conclusion, generated from the summary."""
    by_verdict: dict[str, list[str]] = {}
    elsewhere = []
    for step in summary["steps"][1:]:
        paired = step.get("paired")
        change = f"{paired['mean']:+.3f}" if paired else f"{step['candidates'][step['best']]['mean']:.3f}"
        if not step.get("follows", True):
            elsewhere.append(
                f"{step['title']} ({budget_text(step['budget'])}): {step['best']} {step.get('verdict', '')} ({change})"
            )
            continue
        by_verdict.setdefault(step.get("verdict", ""), []).append(f"{step['best']} ({change})")
    names = {
        "adopted": "Adopted",
        "not resolved": "Not resolved at five seeds, so not adopted",
        "worse": "Worse than the recipe",
        "by mean": "Decided by the mean (one seed)",
    }
    lines = [
        f"- **{names.get(v, v)}:** " + ", ".join(items) + "." for v, items in by_verdict.items() if v in names
    ]
    lines += [
        f"- **At another budget, which the ladder's recipe does not follow:** {item}." for item in elsewhere
    ]
    lines += [
        "",
        "*In parentheses: the paired difference to the recipe the step started from, in nats/char; the "
        "ladder table gives its interval (a step at another budget, its own table in the conclusion).*",
    ]
    final = summary.get("final_recipe")
    if final:
        ratio = final["ratio_to_baseline"]
        baseline = summary["steps"][0]["candidates"][summary["steps"][0]["best"]]["mean"]
        adamw = _step(summary, "adamw")
        calibration = []
        if adamw:
            calibration.append(
                f"AdamW alone (the ladder's second step) is {adamw['candidates'][adamw['best']]['mean'] / baseline:.3f} "
                "of the baseline"
            )
        for budget, at in final.get("at_other_budgets", {}).items():
            if "ratio_to_baseline" in at:
                step = _step(summary, at["step"]) or {}
                calibration.append(
                    f"at {budget}, the recipe as of {step.get('starts_from', '?')} with {step.get('best', '?')} "
                    f"(step “{step.get('title', '?')}”) is {at['ratio_to_baseline']:.3f} of the baseline trained as long"
                )
        target = summary.get("target_ratio")
        aim = ""
        if target is not None:
            missed = f"misses it by {ratio - target:.3f}" if ratio > target else "meets it"
            if ratio > target:
                missed += f". {closest_step(summary, baseline)}"
            aim = (
                f"The study's target, {target}, is a goal for this profile (set a little below "
                f"the best credible published ratio at full scale); the recipe {missed}. "
            )
        lines += [
            "",
            f"The final recipe{'' if summary.get('complete') else ' so far'} reaches **{ratio:.3f}** of the "
            f"baseline's validation loss at {profile_budget(summary['profile'])}. A ratio belongs to its "
            f"profile: at the same profile {'; '.join(calibration) or 'no other ratio is measured yet'}. "
            f"{aim}None of these ratios says how the "
            "recipe would fare on the full-scale leaderboard: ratios do not transfer between profiles (AdamW alone, "
            "for one, is about 0.75 of the baseline in published full-scale results), and no run of this study "
            "exists at full scale.",
        ]
    return markdown("\n".join(lines))


def regime_table(summary: dict):
    """The steps measured at another budget than the ladder's (the seven-epoch one), each as its own
    table: the recipe at that budget, every candidate, paired differences, and the ratio to the
    challenge baseline trained as long."""

    blocks = []
    for step in summary["steps"]:
        if step.get("follows", True):
            continue
        budget = budget_text(step["budget"])
        reference = baseline_trained_as_long(step, summary["steps"], summary["baseline"])
        lines = [
            f"| at {budget} | seeds | val_loss per seed | mean ± std | paired difference [interval] | of the baseline |",
            "|:---|---:|:---|---:|---:|---:|",
        ]
        added = beyond_length(step["budget"])
        recipe_row = f"recipe as of {step['starts_from']}" + (f", {budget_text(added)}" if added else "")
        rows = [(recipe_row, step["recipe"], None)]
        # a reference that cannot be adopted (the challenge baseline) is shown without a paired difference
        rows += [
            (label, c, None if "not_eligible" in c else c.get("paired_difference"))
            for label, c in step["candidates"].items()
        ]
        for label, c, paired in rows:
            ratio = f"{c['mean'] / reference['mean']:.3f}" if reference else ""
            values = ", ".join(f"{v:.4f}" for v in c["val_loss"])
            lines.append(
                f"| {label} | {len(c['seeds'])} | {values} | {c['mean']:.4f} ± {c['std']:.4f} | {paired_cell(paired)} | {ratio} |"
            )
        lines += [
            "",
            f"**{step['title']}**, every run at {budget}: {step['best']} is {step['verdict']} for a recipe at "
            f"that length (paired with the recipe seed by seed). The ladder's recipe, at the profile's own budget, "
            f"does not take it; these numbers do not compare with the ladder's table, whose runs are shorter.",
        ]
        short = next(
            (
                s
                for s in summary["steps"]
                if s.get("follows", True) and s["adopted"] and s["best"] == step["starts_from"]
            ),
            None,
        )
        if short:
            two = short["candidates"][short["best"]]["mean"]
            seven = step["candidates"][step["best"]]["mean"]
            gap = two - seven
            lines += [
                "",
                f"The same recipe trained at the profile's own length reaches {two:.4f}. With {step['best']}, the runs "
                f"at {budget} end {abs(gap):.4f} nats/char {'below' if gap > 0 else 'above'} that; without it they "
                f"end {abs(step['recipe']['mean'] - two):.4f} {'above' if step['recipe']['mean'] > two else 'below'} "
                "it (across budgets, so not paired: the longer training and the step's settings act together).",
            ]
        blocks.append("\n".join(lines))
    return markdown("\n\n".join(blocks) or "*No step measures at another budget.*")


def in_progress(summary: dict) -> str:
    """One sentence on the ladder's step still training, from the summary."""
    pending = summary["pending"]
    after = pending["steps_after"]
    return (
        f'*In progress: the step "{pending["title"]}" has {pending["runs_missing"]} runs still to train'
        + (f"; after it come {', '.join(after)}" if after else "")
        + ". The numbers above are final for the steps shown.*"
    )


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


def closest_step(summary: dict, baseline: float) -> str:
    """Which step's best eligible candidate came nearest the target, in words."""
    ratio, step, label = min(
        (c["mean"] / baseline, step, label)
        for step in summary["steps"][1:]
        if step.get("follows", True)
        for label, c in step["candidates"].items()
        if "not_eligible" not in c
    )
    verdict = step.get("verdict", "")
    final = summary.get("final_recipe", {})
    if step.get("adopted") and final.get("settings") == step.get("recipe_after"):
        return f"The step that came closest is the last one adopted, “{step['title']}”: its candidate {label} is the final recipe"
    return (
        f"The step that came closest is “{step['title']}”: its candidate {label} reaches "
        f"{ratio:.3f} of the baseline ({verdict}), {ratio - summary['target_ratio']:.3f} short of the target"
    )


def final_table(summary: dict):
    """Baseline against the final recipe, seed by seed, from the ladder summary, with the ratio."""
    final = summary.get("final_recipe")
    if not final:
        return markdown("*No step of the ladder is complete yet.*")
    followed = [s for s in summary["steps"] if s.get("follows", True)]
    first = followed[0]
    baseline = first["candidates"][first["best"]]
    last = next((s for s in reversed(followed) if s["adopted"]), first)
    best = last["candidates"][last["best"]]
    seeds = sorted(set(baseline["seeds"]) | set(best["seeds"]))
    lines = [
        "| | parameters | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std |",
        "|:---|---:|" + "---:|" * (len(seeds) + 1),
    ]
    for label, c in ((summary["final_baseline"], baseline), (f"final recipe ({final['label']})", best)):
        by_seed = dict(zip(c["seeds"], c["val_loss"]))
        size = f"{c['parameters'] / 1e6:.2f}M" if c.get("parameters") else ""
        lines.append(
            f"| {label} | {size} | "
            + " | ".join(f"{by_seed[s]:.4f}" if s in by_seed else "" for s in seeds)
            + f" | {c['mean']:.4f} ± {c['std']:.4f} |"
        )
    lines += [
        "",
        f"Final recipe / baseline: **{final['ratio_to_baseline']:.3f}** (validation nats/char at the "
        f"`{summary['profile']}` profile; the figure above says what each run trained on).",
        "",
        f"*profile {summary['profile']} · data fingerprint {summary['data_fingerprint'][:8]} · runs "
        + ", ".join(r[:8] for r in baseline["runs"] + best["runs"])
        + ".*",
    ]
    return markdown("\n".join(lines))


def size_comparison(sizes: dict[str, dict[str, list[Run]]]):
    """The challenge baseline and the final recipe at each profile ({profile: {label: runs}}, the ladder's
    profile first): the models, context and batch, optimizer steps, the mean ± std of each, the paired
    gain and the ratio, and a sentence on how the ratios compare and what differs besides the model."""
    lines = [
        "| profile | model (baseline → recipe) | context × batch | optimizer steps | challenge baseline (SGD) | "
        "recipe | recipe − baseline | recipe / baseline |",
        "|:---|:---|---:|---:|---:|---:|---:|---:|",
    ]
    ratios, older, labels, means = {}, [], {}, {}
    for profile, groups in sizes.items():
        baseline_label = next(iter(groups))  # Ladder.at_size: the baseline first, then the recipe
        label = labels[profile] = next(name for name in groups if name != baseline_label)
        if label != FINAL_RECIPE:  # Ladder.at_size: the final recipe is not trained at this profile yet
            older.append(
                f"At `{profile}` the recipe column is the {label}: the steps after it changed the recipe, and "
                "the final one is not trained there yet."
            )
        baseline, recipe = groups[baseline_label], groups[label]
        (b_mean, b_std), (r_mean, r_std) = mean_std(final_values(baseline)), mean_std(final_values(recipe))
        ratios[profile], means[profile] = r_mean / b_mean, (b_mean, r_mean)
        models = " → ".join(_model_words(runs[0]) for runs in (baseline, recipe))
        steps = " → ".join(dict.fromkeys(str(runs[0].meta.get("total_steps")) for runs in (baseline, recipe)))
        c = baseline[0].config
        batches = " → ".join(dict.fromkeys(str(runs[0].config["batch_size"]) for runs in (baseline, recipe)))
        lines.append(
            f"| `{profile}` | {models} | {c['block_size']} × {batches} | {steps} | {b_mean:.4f} ± {b_std:.4f} | "
            f"{r_mean:.4f} ± {r_std:.4f} | {paired_cell(paired_difference(recipe, baseline))} | **{ratios[profile]:.3f}** |"
        )
    (first, ratio), *others = ratios.items()
    words = [
        f"At `{profile}` the {labels[profile]} is {other:.3f} of the baseline, against {ratio:.3f} at `{first}`: "
        + ("about the same. " if abs(other - ratio) < 0.01 else
           f"**the recipe gains {'less' if other > ratio else 'more'} there.** ")
        + f"In nats/char the baseline ends at {means[profile][0]:.4f} there against {means[first][0]:.4f}, and the "
        f"recipe at {means[profile][1]:.4f} against {means[first][1]:.4f}. The two profiles differ in more than the "
        "model (the context, the batch and so the number of optimizer steps, and the recipe there keeps that "
        "profile's shape, vocabulary size and batch), so the difference does not isolate model size; a ratio "
        "holds for its own profile."
        for profile, other in others
    ]  # fmt: skip
    if older:  # the rows hold different recipes: their ratios do not compare
        words = [
            f"The rows hold different recipes (at `{profile}`, the {labels[profile]}), so their ratios do not "
            "compare; the final recipe trained at both would."
            for profile, _ in others
        ]
    lines += ["", " ".join(words + older)] if words or older else []
    lines += [
        "",
        f"*Seeds {', '.join(str(r.config['seed']) for r in next(iter(sizes[first].values())))} of each, paired with a 95% "
        f"interval. The recipe at another profile keeps that profile's model, vocabulary size and batch: the "
        f"shape step, the tokenizer step's vocabulary size and the batch step decided them at `{first}` size only. "
        f"{provenance([r for groups in sizes.values() for runs in groups.values() for r in runs])}.*",
    ]
    return markdown("\n".join(lines))


TOKENIZER_WORDS = {"bpe": "BPE", "unigram": "unigram", "word": "words"}


def _model_words(run: Run) -> str:
    c = run.config
    vocabulary = f"{TOKENIZER_WORDS.get(c['tokenizer'], c['tokenizer'])} {c['vocab_size']:,}"
    return f"{c['n_layer']} × {c['d_model']}, {vocabulary}, {run.meta.get('num_params', 0) / 1e6:.1f}M"


def more_seeds_table(entries):
    """The changes the rule left not resolved (lmlab.ladder.Ladder.more_seeds): the seeds their observed
    spread says would resolve them, and the interval over that many where it was cheap to train them."""
    at_most = entries[0].result.study.more_seeds_at_most if entries else 0
    lines = [
        "| step | best candidate | paired over five seeds | seeds at which the observed mean would just exclude zero | "
        "over that many seeds (a third look) |",
        "|:---|:---|---:|---:|:---|",
    ]
    for e in entries:
        r = e.result
        if e.paired:
            side = "below" if e.paired["high"] < 0 else "above" if e.paired["low"] > 0 else "still holding"
            found = f"{paired_cell(e.paired)}: {side} zero"
        elif e.needed is None or e.needed > at_most:
            found = "not trained: too many seeds"
        else:
            found = f"{len(e.missing)} runs not trained yet (`lmlab ladder` trains them)"
        lines.append(
            f"| {r.step.title} | {r.winner} | {paired_cell(r.paired)} | {e.needed if e.needed else 'more than 200'} | {found} |"
        )
    lines += [
        "",
        f"*The seeds column: the fewest whose interval at the step's level would exclude zero if the paired "
        f"differences kept the mean and spread of the first five, so about even odds of resolving a real effect "
        f"of that size (a power estimate, not a promise). Where that is {at_most} or fewer, `lmlab ladder` "
        f"trains the best candidate and its recipe to that many seeds. That is a third look at the data, outside "
        f"the rule's error budget, so its interval's level is nominal: it changes no verdict and no recipe, and "
        f"each compares with the recipe of its own step, not the final one. "
        f"{provenance([run for e in entries for run in e.result.recipe_runs + e.result.groups[e.result.winner]])}.*",
    ]
    return markdown("\n".join(lines))


def optimizer_settings(run: Run):
    """Every setting of a run's optimizers (Muon's from torch's defaults and the run's own), as Markdown."""
    cfg = from_dict(run.config)
    adamw = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2), "eps": 1e-8, "weight_decay": cfg.weight_decay}
    lines = []
    if cfg.optimizer == "muon":
        shown = ", ".join(f"`{k}={v}`" for k, v in muon_settings(cfg).items())
        arithmetic = "bf16, as torch does" if cfg.precision == "bf16" else "fp32 (lmlab.optim.Muon)"
        lines.append(
            f"- **torch.optim.Muon** on the blocks' weight matrices: {shown}; the Newton-Schulz iteration in "
            f"{arithmetic}."
        )
    where = (
        "the embeddings, the norms' gains and the biases" if cfg.optimizer == "muon" else "every parameter"
    )
    if cfg.optimizer in ("adamw", "muon"):
        lines.append(
            f"- **torch.optim.AdamW** on {where}: "
            + ", ".join(f"`{k}={v}`" for k, v in adamw.items())
            + " (weight decay only on matrices, never on embeddings, gains or biases)."
        )
    lines.append(
        f"- Learning rates follow the `{cfg.schedule}` schedule (warmup over {cfg.warmup_frac:g} of the steps, "
        f"final decay over {cfg.decay_frac:g}); gradients are clipped to norm {cfg.grad_clip:g}."
        if cfg.schedule == "wsd"
        else f"- Learning rates follow the `{cfg.schedule}` schedule; gradients are clipped to norm {cfg.grad_clip:g}."
    )
    lines += ["", f"*Settings of run {run.id} ({run.note or 'no note'}).*"]
    return markdown("\n".join(lines))


def winner_against(result, labels: list[str]):
    """The step's winner against the best (by mean) of some other candidates of the same step, paired
    seed by seed: whether a change beats the incumbent re-tuned beside it, not only the incumbent as it was."""
    others = {label: result.groups[label] for label in labels if result.groups.get(label)}
    if not others or result.winner in others:
        return markdown(f"*{result.winner} is itself the best of {', '.join(labels)}.*")
    best = min(others, key=lambda label: mean_std(final_values(others[label]))[0])
    mean, std = mean_std(final_values(others[best]))
    paired = paired_words(paired_difference(result.groups[result.winner], others[best]))
    return markdown(
        f"**Against the re-tuned incumbent.** The best of {', '.join(others)} is {best}, {mean:.4f} ± "
        f"{std:.4f} nats/char. {result.winner} minus {best}: {paired}."
    )


def paired_words(paired: dict | None) -> str:
    """A paired difference in words: its mean, the seeds it pairs and its interval."""
    if paired is None:
        return "not comparable seed by seed (fewer than two shared seeds)"
    return (
        f"{paired['mean']:+.4f} nats/char, paired over {paired['n']} seeds ({level_text(paired.get('level', 0.95))} interval "
        f"[{paired['low']:+.4f}, {paired['high']:+.4f}])"
    )


def ablation(result, combined: str, left_out: dict[str, str], alone: dict):
    """A combined change, each part left out in turn, and each part measured alone at its own step:
    which part carries the gain, and how the parts alone compare with the whole. `left_out` maps a
    part to the label of the candidate without it; `alone` maps a part to its own step's result."""
    whole = result.groups[combined]
    without = {part: paired_difference(result.groups[label], whole) for part, label in left_out.items()
               if result.groups.get(label)}  # fmt: skip
    costs = [f"without {part}, {paired_words(p)}" for part, p in without.items()]
    lines = [
        "**Which change carries it.** Each part left out in turn, at the same base and seeds (the candidate "
        f"without it minus {combined}; above zero, the part left out helped): " + "; ".join(costs) + "."
    ]
    helped = [part for part, p in without.items() if p and p["low"] > 0]
    hurt = [part for part, p in without.items() if p and p["high"] < 0]
    neither = [part for part, p in without.items() if p and p["low"] <= 0 <= p["high"]]
    verdicts = [
        f"without {' or '.join(helped)} the loss is higher: {'it carries' if len(helped) == 1 else 'they carry'} the gain"
        if helped else "",
        f"without {' or '.join(hurt)} the loss is lower than with all three: {'it' if len(hurt) == 1 else 'they'} "
        "did not help here" if hurt else "",
        f"without {' or '.join(neither)} the difference cannot be told from zero" if neither else "",
    ]  # fmt: skip
    if any(verdicts):
        lines += ["", "So " + "; ".join(v for v in verdicts if v) + ". The pairs are ablations, not candidates: the "
                      "recipe takes the three together, the change this step tested"
                      + (f", and so carries {' and '.join(hurt)} although this ablation finds "
                         f"{'it' if len(hurt) == 1 else 'them'} no help; a step that tests dropping "
                         f"{'it' if len(hurt) == 1 else 'them'} is the ladder's next." if hurt else ".")]  # fmt: skip
    singles = {part: r.paired for part, r in alone.items() if r.paired}
    if singles:
        together = paired_words(result.paired)
        lines += [
            "",
            "**Alone and together.** Alone, each from the recipe of its own step (earlier in the ladder, "
            "before the steps that followed it): "
            + ", ".join(f"{part} {p['mean']:+.4f}" for part, p in singles.items())
            + f", {sum(p['mean'] for p in singles.values()):+.4f} summed. Together, from this step's recipe: "
            f"{together}, {result.verdict}. The bases differ, so this does not show whether the parts add up; "
            "it shows what the three do together from the recipe as it now stands.",
        ]
    return markdown("\n".join(lines))


def budget_comparison(groups: dict[str, list[Run]]):
    """What each group trained on, from its runs: texts, epochs, batch and context, tokens, optimizer
    steps and parameters, as one Markdown sentence per group and what differs between them."""
    parts = []
    for label, runs in groups.items():
        run = runs[0]
        cfg, data = run.config, run.meta["data"]
        parts.append(
            f"{label}: {data['texts']['train']:,} training titles cut by a {data['tokenizer']['vocab_size']:,}-piece "
            f"tokenizer into {data['tokens']['train']:,} tokens, read {cfg['epochs']} times in batches of "
            f"{cfg['batch_size']} × {cfg['block_size']} tokens: **{run.meta['total_steps']} optimizer steps**, "
            f"{run.meta['num_params'] / 1e6:.2f}M parameters"
        )
    text = "**What each trained on.** " + "; ".join(parts) + "."
    same = {
        key
        for key in ("epochs", "batch_size", "block_size")
        if len({r.config[key] for runs in groups.values() for r in runs}) == 1
    }
    steps = {r.meta["total_steps"] for runs in groups.values() for r in runs}
    if len(steps) > 1 and same == {"epochs", "batch_size", "block_size"}:
        text += (
            " The data, epochs, batch and context are the same; the number of steps is not, because a larger "
            "vocabulary cuts the same titles into fewer tokens, and neither is the number of parameters. The "
            "training panel is therefore per character where the tokenizers differ."
        )
    return markdown(text)


def profiles_table(profiles=("cpu", "full"), extra: dict[str, dict] | None = None, note: str = ""):
    """The settings in which the profiles differ, with what each one means; `extra` adds rows of
    other budgets (e.g. the word-level page's) under their own names."""
    known = settings()
    configs = {p: make_config(p) for p in profiles}

    def row(name: str, key: str, values: list) -> str:
        shown = " | ".join(
            f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in values
        )
        return f"| {name} | {shown} | {known[key].metadata['help']} |"

    changed = [
        k for k in known if k != "profile" and len({repr(getattr(c, k)) for c in configs.values()}) > 1
    ]
    lines = [f"| setting | {' | '.join(profiles)} | meaning |", "|:---|" + "---:|" * len(profiles) + ":---|"]
    lines += [row(f"`{key}`", key, [getattr(configs[p], key) for p in profiles]) for key in changed]
    for name, budgets in (extra or {}).items():  # a budget's missing values are its profile's
        for key in sorted({k for p in profiles for k in budgets.get(p, {})}):
            lines.append(
                row(
                    f"{name}: `{key}`",
                    key,
                    [budgets.get(p, {}).get(key, getattr(configs[p], key)) for p in profiles],
                )
            )
    lines += [
        "",
        note,
        "",
        "*Generated from `lmlab.config.PROFILES`" + (" and " + ", ".join(extra) if extra else "") + ".*",
    ]
    return markdown("\n".join(lines))


def wordlevel_comparison(groups: dict[str, list[Run]], recipe: str, baseline: str):
    """The word-level result in words: `recipe` against `baseline`, validation and test perplexity,
    paired seed by seed."""
    parts = []
    for metric, name in (("val_ppl", "validation"), ("test_ppl", "test")):
        ours, base = (
            mean_std(final_values(groups[recipe], metric)),
            mean_std(final_values(groups[baseline], metric)),
        )
        paired = paired_difference(groups[recipe], groups[baseline], metric=metric)
        parts.append(f"{name} perplexity {ours[0]:,.1f} ± {ours[1]:,.1f} against {base[0]:,.1f} ± {base[1]:,.1f}"
                     + ("" if paired is None else f" (paired difference {paired['mean']:+,.1f}, {level_text(paired['level'])} interval "
                        f"[{paired['low']:+,.1f}, {paired['high']:+,.1f}], n={paired['n']})"))  # fmt: skip
    better = (
        mean_std(final_values(groups[recipe], "val_ppl"))[0]
        < mean_std(final_values(groups[baseline], "val_ppl"))[0]
    )
    return markdown(f"**{recipe} against {baseline}**, at the same budget and model size: " + "; ".join(parts)
                    + f". On this benchmark the recipe from the titles {'does' if better else 'does not'} beat the "
                    "honest baseline.")  # fmt: skip


def wordlevel_table(groups: dict[str, list[Run]]):
    """Validation and test perplexity per word, ours (mean ± std over seeds) above the published numbers."""
    lines = [
        "| model | parameters | training | valid ppl | test ppl | source |",
        "|:---|---:|:---|---:|---:|:---|",
    ]
    for label, group in groups.items():
        cfg, meta = group[0].config, group[0].meta
        words = meta["data"]["tokens"]["train"]
        budget = f"{cfg['epochs']} x {words / 1e6:.2f}M words ({cfg['profile']} profile)"
        cells = []
        for metric in ("val_ppl", "test_ppl"):
            mean, std = mean_std([r.final.get(metric) for r in group])
            cells.append(f"{mean:.1f} ± {std:.1f}")
        lines.append(
            f"| **{label}** (n={len(group)}) | {group[0].meta['num_params'] / 1e6:.1f}M | {budget} | "
            f"{cells[0]} | {cells[1]} | this study |"
        )
    for model, params, valid, test, source in wordlevel.PUBLISHED:
        lines.append(
            f"| {model} | {params} | 2.09M words, tuned to convergence | {valid} | {test} | {source} |"
        )
    runs_ = [r for group in groups.values() for r in group]
    lines += ["", f"*{provenance(runs_)}.*"]
    return markdown("\n".join(lines))
