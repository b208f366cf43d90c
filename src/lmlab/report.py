"""What a notebook needs around its runs: its parameters (profile, data), seed statistics and
result tables, and the record of which runs it used.

Groups are `{label: [runs]}`: the seeds of one configuration under one label.
"""

from __future__ import annotations

import math
import os
import re
import statistics
from pathlib import Path

from lmlab.runs import Run

HUB_DATA = "julien040/hacker-news-posts"
LOCAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "hn-titles" / "titles.txt"
RUN_LOG_ENV = "LMLAB_RUN_LOG"
LADDER_NOTE = re.compile(r"^ladder \w+: ")


def in_colab() -> bool:
    import sys

    return "google.colab" in sys.modules


def default_profile() -> str:
    """`full` on a GPU, `cpu` elsewhere."""
    import torch

    return "full" if torch.cuda.is_available() else "cpu"


def parameters() -> tuple[str, str]:
    """(profile, data) for a notebook: environment first (LMLAB_PROFILE, LMLAB_DATA); else the
    default profile; the offline copy of the titles beside the project when present, else the hub
    dataset."""
    profile = os.environ.get("LMLAB_PROFILE") or default_profile()
    data = os.environ.get("LMLAB_DATA") or (str(LOCAL_DATA) if LOCAL_DATA.exists() else HUB_DATA)
    return profile, data


def data_name(data: str) -> str:
    """A data source as a reader should see it: a hub name as it is, a local path by its file or
    folder name (the machine's absolute path means nothing on the page)."""
    from lmlab.data import source_kind

    try:
        return data if source_kind(data) == "hub" else Path(data).name
    except Exception:  # a source that does not exist: its name is still the best description
        return Path(data).name


def describe(profile: str, **sources: str) -> str:
    """The parameters line a notebook prints: `profile: cpu · data: titles.txt`."""
    return " · ".join([f"profile: {profile}", *(f"{name}: {data_name(data)}" for name, data in sources.items())])


def setup_notebook() -> None:
    """Figures as image outputs described in words, and plotly figures as their JSON mimetype,
    which MyST renders interactively (the default renderer on Colab writes HTML that loads plotly
    from a CDN)."""
    import plotly.io as pio
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:  # registers the PNG formatter for matplotlib Figure objects built without pyplot
        shell.run_line_magic("matplotlib", "inline")
        from matplotlib.figure import Figure

        from lmlab.plots import alt_text

        # the text beside the image is what the site gives as its alt text
        shell.display_formatter.formatters["text/plain"].for_type(Figure, lambda fig, printer, cycle: printer.text(alt_text(fig)))

    pio.renderers.default = "plotly_mimetype+notebook_connected" if in_colab() else "plotly_mimetype"


def record_use(run: Run) -> None:
    """Append the run id to the file named by $LMLAB_RUN_LOG (set by `lmlab notebooks run`)."""
    log = os.environ.get(RUN_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{run.id}\t{run.meta.get('data', {}).get('fingerprint', '')}\t{run.config.get('profile', '')}\n")


def mean_std(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired_difference(runs: list[Run], baseline: list[Run], metric: str = "val_loss") -> dict | None:
    """Candidate minus baseline seed by seed, over the seeds both have, with a 95% t interval
    (n - 1 degrees of freedom): pairing cancels what a seed does to both. None under two pairs."""
    from scipy import stats

    base = {r.config.get("seed"): r.final.get(metric) for r in baseline}
    diffs = []
    for run in runs:  # each run's files read once
        value, partner = run.final.get(metric), base.get(run.config.get("seed"))
        if value is not None and partner is not None and math.isfinite(value) and math.isfinite(partner):
            diffs.append(value - partner)
    if len(diffs) < 2:
        return None
    mean = statistics.fmean(diffs)
    half = float(stats.t.ppf(0.975, len(diffs) - 1)) * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return {"n": len(diffs), "mean": mean, "low": mean - half, "high": mean + half}


def final_values(runs: list[Run], metric: str = "val_loss") -> list[float]:
    return [r.final.get(metric) for r in runs]


def summary_rows(groups: dict[str, list[Run]], metric: str = "val_loss") -> list[dict]:
    """Per group: n seeds, mean and std of the final metric, change against the previous group."""
    rows, previous = [], None
    for label, runs in groups.items():
        mean, std = mean_std(final_values(runs, metric))
        legacy, _ = mean_std(final_values(runs, "val_loss_legacy"))
        rows.append({
            "label": label, "seeds": len(runs), "mean": mean, "std": std, "legacy": legacy,
            "delta": None if previous is None else mean - previous,
            "notes": sorted({r.note for r in runs if r.note}),
            "runs": [r.id for r in runs],
        })
        previous = mean
    return rows


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


def provenance(runs: list[Run]) -> str:
    """profile, data and run ids: what every figure and table states about where it came from."""
    profiles = sorted({r.config.get("profile", "?") for r in runs})
    sources = sorted({Path(r.meta.get("data", {}).get("source", "?")).name for r in runs})
    prints = sorted({r.meta.get("data", {}).get("fingerprint", "?")[:8] for r in runs})
    ids = [r.id[:8] for r in runs]
    shown = ", ".join(ids[:6]) + (f" +{len(ids) - 6} more" if len(ids) > 6 else "")
    return f"profile {'/'.join(profiles)} · data {', '.join(sources)} ({', '.join(prints)}) · runs {shown}"


def samples(run: Run):
    """The titles the model wrote (fixed seed), as a Markdown list."""
    lines = [f"Titles sampled from run `{run.id}` (temperature 1, seed {run.config.get('seed')}):", ""]
    lines += [f"- {title or '(empty)'}" for title in run.probes.get("samples", [])]
    lines += ["", f"*{provenance([run])}*"]
    return markdown("\n".join(lines))


def step_groups(result) -> dict[str, list[Run]]:
    """A ladder step's groups for plotting: the recipe it starts from, then its candidates."""
    before = {f"before: {result.recipe_label}": result.recipe_runs} if result.recipe_runs else {}
    return {**before, **result.groups}


def paired_cell(paired: dict | None) -> str:
    """A paired difference as one table cell: mean, 95% interval and the seeds it pairs."""
    if paired is None:
        return ""
    return f"{paired['mean']:+.4f} [{paired['low']:+.4f}, {paired['high']:+.4f}], n={paired['n']}"


def step_table(result):
    """A ladder step as a Markdown table (settings changed, mean ± std, the paired difference to the
    recipe it starts from with its 95% interval) and the decision, all computed from the runs.
    Columns that would say the same on every row become one sentence below the table."""
    before = result.recipe_runs
    runs_of = {**({f"before: {result.recipe_label}": before} if before else {}), **result.groups}
    counts = {label: parameter_counts(runs) for label, runs in runs_of.items()}
    rows = []
    for label, runs in runs_of.items():
        candidate = label in result.groups
        change = change_text(result.candidates[label]) if candidate else ""
        diverged = [r for r in runs if r.status != "done"]
        mean, std = mean_std(final_values(runs))
        shown = f"{mean:.4f} ± {std:.4f}" + (f" ({len(diverged)} diverged)" if diverged else "")
        name = label if not candidate or result.step.eligible(label) else f"{label} (not eligible)"
        paired = paired_cell(paired_difference(runs, before)) if candidate and before else ""
        legacy = mean_std(final_values(runs, "val_loss_legacy"))[0]
        rows.append([name, change, counts[label], str(len(runs)), shown, paired, f"{legacy:.4f}"])
    header = ["", "change", "parameters", "seeds", "val_loss (nats/char)", "paired difference [95% CI]", "legacy metric"]
    align = [":---", ":---", "---:", "---:", "---:", "---:", "---:"]
    keep = [i for i in range(len(header)) if not (header[i] == "parameters" and len(set(counts.values())) == 1)
            and not (header[i].startswith("paired") and not before)]
    pick = lambda row: [row[i] for i in keep]  # noqa: E731
    lines = ["| " + " | ".join(pick(header)) + " |", "|" + "|".join(pick(align)) + "|"] + ["| " + " | ".join(pick(r)) + " |" for r in rows]
    if len(set(counts.values())) == 1 and next(iter(counts.values())):
        lines += ["", f"Every run of this step has {next(iter(counts.values()))} parameters."]
    lines += ["", decision(result)]
    if before:
        lines += ["", "*Paired difference: the candidate minus the recipe, seed by seed, with a 95% t interval; an "
                      "interval that holds zero cannot tell the change from the seeds' noise.*"]
    run_notes = notes(before + [r for rs in result.groups.values() for r in rs])
    if run_notes:
        lines += ["", f"*Notes on these runs: {run_notes}.*"]
    for label, why in result.step.not_eligible.items():
        lines += ["", f"*{label} is shown but cannot be adopted: {why}.*"]
    lines += ["", f"*{provenance(before + [r for rs in result.groups.values() for r in rs])}.*"]
    return markdown("\n".join(lines))


def change_text(change: dict) -> str:
    """A candidate's settings as a table cell; a change that sets every key back (None) is the profile itself."""
    if change and all(v is None for v in change.values()):
        return "the profile's own settings"
    return f"`{', '.join(f'{k}={v}' for k, v in change.items())}`" if change else ""


def notes(runs: list[Run]) -> str:
    """The runs' notes, less the ones the ladder writes itself ("ladder adamw: AdamW lr 0.002"),
    which only repeat the row's label."""
    return "; ".join(sorted({r.note for r in runs if r.note and not LADDER_NOTE.match(r.note)}))


def parameter_counts(runs: list[Run]) -> str:
    counts = sorted({r.meta.get("num_params") for r in runs if r.meta.get("num_params")})
    return " / ".join(f"{n / 1e6:.2f}M" for n in counts)


def budget_text(budget: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in budget.items())


def decision(result) -> str:
    """What the step decided under the paired rule, in one or two sentences."""
    mean, std = mean_std(final_values(result.groups[result.winner]))
    if not result.recipe_runs:
        return f"**Result:** {result.winner}: {mean:.4f} ± {std:.4f} nats/char."
    p, winner, recipe = result.paired, result.winner, result.recipe_label
    where = "" if p is None else (f" Paired over {p['n']} seeds the change is {p['mean']:+.4f} nats/char, "
                                  f"95% interval [{p['low']:+.4f}, {p['high']:+.4f}].")
    text = {
        "adopted": f"**Adopted:** {winner}; the interval lies below zero.{where}"
                   + (" The next step starts from it." if result.step.follows else ""),
        "worse": f"**Not adopted:** the best candidate, {winner}, is worse than the recipe; the interval lies above zero."
                 f"{where} The recipe stays {recipe}.",
        "not resolved": f"**Not resolved:** the best candidate, {winner}, cannot be told from the seeds' noise: even over "
                        f"five seeds the interval holds zero.{where} The recipe stays the simpler {recipe}.",
        "by mean": f"**{'Adopted' if result.adopted else 'Not adopted'} by the mean** (one seed gives no interval): "
                   f"{winner}, {mean:.4f} against the recipe's {mean_std(final_values(result.recipe_runs))[0]:.4f}.",
    }.get(result.verdict, f"**In progress:** {len(result.missing)} runs of this step are still training.{where}")
    if result.step.budget and not result.step.follows:
        text += (f" This step is measured at {budget_text(result.step.budget)}, not at the ladder's budget: the "
                 f"ladder's recipe does not take its verdict, a recipe for that budget does.")
    return text


def regimes(short, long, key: str = "dropout"):
    """What a setting's step concluded at the ladder's budget (`short`) and at a longer one
    (`long`, a step with its own budget), and which value each budget's recipe takes."""
    from lmlab.config import settings
    from lmlab.ladder import BASELINE  # lmlab.ladder imports this module

    default = settings()[key].default

    def verdict_of(result) -> str:
        cell = paired_cell(result.paired)
        return f"{result.winner}, {result.verdict}" + (f" (paired difference {cell})" if cell else "")

    def value_after(result) -> str:
        recipe = {**result.recipe, **result.candidates[result.winner]} if result.adopted else result.recipe
        return f"{key}={recipe.get(key, default)}"

    text = (f"**Two regimes.** At the ladder's budget the best candidate was {verdict_of(short)}; at "
            f"{budget_text(long.step.budget)} it is {verdict_of(long)}. The ladder's recipe, measured at its own "
            f"budget, keeps {value_after(short)}; a recipe for {budget_text(long.step.budget)} takes {value_after(long)}"
            + ("." if value_after(short) != value_after(long) else ": the two regimes agree."))
    if long.groups.get(BASELINE):
        recipe_runs = long.groups[long.winner] if long.adopted else long.recipe_runs
        recipe, _ = mean_std(final_values(recipe_runs))
        baseline, _ = mean_std(final_values(long.groups[BASELINE]))
        text += (f" At {budget_text(long.step.budget)} that recipe reaches {recipe:.4f} nats/char against the challenge "
                 f"baseline's {baseline:.4f} at the same length: **{recipe / baseline:.3f}** of the baseline.")
    return markdown(text)


def benchmark_table(results: dict):
    """The benchmark results per machine and profile as a Markdown table."""
    lines = ["| machine | profile | variant | train tok/s | vs. reference | MFU | eval tok/s | peak memory (MB) |",
             "|:---|:---|:---|---:|---:|---:|---:|---:|"]
    notes = []
    for name, entry in results["machines"].items():
        for profile, r in entry["profiles"].items():
            ref = r["train_tok_per_s"]["reference"]
            for variant, tps in r["train_tok_per_s"].items():
                eval_tps = r["eval_tok_per_s"].get(variant)
                memory = r["peak_memory_mb"].get(variant)
                lines.append(f"| {name} | {profile} ({r.get('precision', 'fp32')}) | {variant} | {tps:,.0f} | {tps / ref:.2f}x | "
                             f"{r['mfu'][variant]:.1%} | {'' if eval_tps is None else f'{eval_tps:,.0f}'} | "
                             f"{'' if memory is None else f'{memory:,.0f}'} |")
        prep = ", ".join(f"{p}: {r['data_prep_s']['cold']:.2f}s cold, {r['data_prep_s']['warm']:.3f}s cached"
                         for p, r in entry["profiles"].items() if "data_prep_s" in r)
        m = entry["machine"]
        notes.append(f"*{name}: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, torch {m['torch']}; "
                     f"measured {entry['date']}. Data preparation (loading, tokenizer training and encoding, then from "
                     f"the cache; measured {entry.get('data_prep_date', entry['date'])}): {prep}.*")
    return markdown("\n".join(lines + [""] + notes))


def ladder_table(summary: dict):
    """The ladder summary (lmlab.ladder.summary) as a Markdown table: each step's best candidate,
    its paired difference to the recipe the step started from, the verdict; then the final ratio."""
    lines = ["| step | best candidate | val_loss (nats/char) | paired difference [95% CI] | decision |",
             "|:---|:---|---:|---:|:---|"]
    for step in summary["steps"]:
        best = step["candidates"][step["best"]]
        verdict = step.get("verdict", "adopted" if step["adopted"] else "")
        decision = verdict if verdict in ("baseline", "adopted") else f"{verdict}: stays {step['starts_from']}"
        title = step["title"]
        if not step.get("follows", True):
            title += f" ({budget_text(step['budget'])})"
            decision = f"{verdict}, for runs at {budget_text(step['budget'])}"
        lines.append(f"| {title} | {step['best']} | {best['mean']:.4f} ± {best['std']:.4f} | "
                     f"{paired_cell(step.get('paired'))} | {decision} |")
    final = summary.get("final_recipe")
    if final:
        lines += ["", f"Final recipe{'' if summary.get('complete') else ' so far'}: **{final['label']}**, {final['val_loss']:.4f} nats/char, "
                      f"**{final['ratio_to_baseline']:.3f}** of the baseline's validation loss at equal budget."]
    if summary.get("pending"):
        lines += ["", in_progress(summary)]
    lines += ["", f"*profile {summary['profile']} · data fingerprint {summary['data_fingerprint'][:8]} · paired difference: "
                  f"the best candidate minus the recipe the step started from, seed by seed, with a 95% t interval; "
                  f"adopted when the interval lies below zero (3 seeds, 5 where 3 cannot decide).*"]
    return markdown("\n".join(lines))


TARGET_RATIO = 0.62  # the study's goal for the final recipe against the baseline (issue 12)


def findings(summary: dict):
    """The ladder's decisions grouped by verdict, and the final ratio against the target, as
    Markdown: the prose of the overview and the conclusion, generated from the summary."""
    by_verdict: dict[str, list[str]] = {}
    for step in summary["steps"][1:]:
        where = "" if step.get("follows", True) else f" at {budget_text(step['budget'])}"
        paired = step.get("paired")
        change = f"{paired['mean']:+.3f}" if paired else f"{step['candidates'][step['best']]['mean']:.3f}"
        by_verdict.setdefault(step.get("verdict", ""), []).append(f"{step['best']}{where} ({change})")
    names = {"adopted": "Adopted", "not resolved": "Not resolved at five seeds, so not adopted",
             "worse": "Worse than the recipe", "by mean": "Decided by the mean (one seed)"}
    lines = [f"- **{names.get(v, v)}:** " + ", ".join(items) + "." for v, items in by_verdict.items() if v in names]
    lines += ["", "*In parentheses: the paired difference to the recipe the step started from, in nats/char; the "
                  "table gives its interval.*"]
    final = summary.get("final_recipe")
    if final:
        ratio = final["ratio_to_baseline"]
        met = "meets" if ratio <= TARGET_RATIO else "misses"
        lines += ["", f"The final recipe{'' if summary.get('complete') else ' so far'} reaches **{ratio:.3f}** of the baseline's "
                      f"validation loss at profile `{summary['profile']}`: it {met} the study's target of {TARGET_RATIO}."]
    return markdown("\n".join(lines))


def in_progress(summary: dict) -> str:
    """One sentence on the ladder's step still training, from the summary."""
    pending = summary["pending"]
    after = pending["steps_after"]
    return (f"*In progress: the step \"{pending['title']}\" has {pending['runs_missing']} runs still to train"
            + (f"; after it come {', '.join(after)}" if after else "") + ". The numbers above are final for the steps shown.*")


def profile_table(profiles: dict, profile: str = "cpu", variants=("reference", "lmlab"), top: int = 10):
    """Where a training step's time goes (benchmarks/profiles.json): each operator's share of the
    step's CPU time, per variant side by side."""
    records = {v: profiles[f"{profile}/{v}"] for v in variants if f"{profile}/{v}" in profiles}
    if not records:
        return markdown(f"*No profile of the `{profile}` profile recorded yet: run benchmarks/profile_step.py.*")
    shares = {v: {op["name"]: op["share"] for op in r["ops"]} for v, r in records.items()}
    names = sorted({n for s in shares.values() for n in s}, key=lambda n: -max(s.get(n, 0) for s in shares.values()))[:top]
    lines = ["| operator | " + " | ".join(f"{v} (share of step)" for v in records) + " |", "|:---|" + "---:|" * len(records)]
    for name in names:
        lines.append(f"| `{name}` | " + " | ".join(f"{shares[v][name]:.1%}" if name in shares[v] else "" for v in records) + " |")
    lines.append("| **CPU time per step** | " + " | ".join(f"**{r['step_ms']:,.0f} ms**" for r in records.values()) + " |")
    any_record = next(iter(records.values()))
    m = any_record["machine"]
    lines += ["", f"*torch.profiler over {any_record['steps']} training steps at the `{profile}` profile "
                  f"({', '.join(f'{k}={v}' for k, v in any_record['settings'].items()) or 'its defaults'}); "
                  f"{m['cpu']}, {m['torch_threads']} torch threads; measured {any_record['date']}.*"]
    return markdown("\n".join(lines))


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
    lines = ["| | parameters | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std |",
             "|:---|---:|" + "---:|" * (len(seeds) + 1)]
    for label, c in (("challenge baseline (SGD)", baseline), (f"final recipe ({final['label']})", best)):
        by_seed = dict(zip(c["seeds"], c["val_loss"]))
        size = f"{c['parameters'] / 1e6:.2f}M" if c.get("parameters") else ""
        lines.append(f"| {label} | {size} | " + " | ".join(f"{by_seed[s]:.4f}" if s in by_seed else "" for s in seeds)
                     + f" | {c['mean']:.4f} ± {c['std']:.4f} |")
    lines += ["", f"Final recipe / baseline: **{final['ratio_to_baseline']:.3f}** (validation nats/char at the same "
                  f"budget: data, steps and batch; the parameter count is each recipe's own). Our target is 0.62 or lower; the best published full-scale results, about 1.14 against "
                  f"the baseline's 1.754, are 0.65.", "",
              f"*profile {summary['profile']} · data fingerprint {summary['data_fingerprint'][:8]} · runs "
              + ", ".join(r[:8] for r in baseline["runs"] + best["runs"]) + ".*"]
    return markdown("\n".join(lines))


def profiles_table(profiles=("cpu", "full"), extra: dict[str, dict] | None = None, note: str = ""):
    """The settings in which the profiles differ, with what each one means; `extra` adds rows of
    other budgets (e.g. the word-level page's) under their own names."""
    from lmlab.config import make_config, settings

    known = settings()
    configs = {p: make_config(p) for p in profiles}

    def row(name: str, key: str, values: list) -> str:
        shown = " | ".join(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in values)
        return f"| {name} | {shown} | {known[key].metadata['help']} |"

    changed = [k for k in known if k != "profile" and len({repr(getattr(c, k)) for c in configs.values()}) > 1]
    lines = [f"| setting | {' | '.join(profiles)} | meaning |", "|:---|" + "---:|" * len(profiles) + ":---|"]
    lines += [row(f"`{key}`", key, [getattr(configs[p], key) for p in profiles]) for key in changed]
    for name, budgets in (extra or {}).items():  # a budget's missing values are its profile's
        for key in sorted({k for p in profiles for k in budgets.get(p, {})}):
            lines.append(row(f"{name}: `{key}`", key, [budgets.get(p, {}).get(key, getattr(configs[p], key)) for p in profiles]))
    lines += ["", note, "", "*Generated from `lmlab.config.PROFILES`" + (" and " + ", ".join(extra) if extra else "") + ".*"]
    return markdown("\n".join(lines))
