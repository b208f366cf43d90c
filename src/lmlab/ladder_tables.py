"""The ladder as a whole, as Markdown: its summary (lmlab.ladder.summary) as a table, the steps measured
at another budget, the baseline against the final recipe (at the ladder's profile and at another), the
changes left not resolved, and what the rule's correction changed.

The study's facts come from the summary (its "baseline", "final_baseline" and "target_ratio") or from
each result's `study`; a sentence that only one study would write is that study's, passed in.
"""

from __future__ import annotations

from lmlab.config import make_config
from lmlab.ladder import (
    FALSE_ADOPTION,
    FINAL_RECIPE,
    baseline_trained_as_long,
    beyond_length,
    budget_text,
    nominal_verdict,
)
from lmlab.markdown import NBSP, count_words, markdown, paired_cell, spread
from lmlab.runs import Run, provenance
from lmlab.stats import final_values, level_text, mean_std, paired_difference


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
            f"| {step['title']} | {step['best']} | {spread(best['mean'], best['std'])} | "
            f"{paired_cell(step.get('paired'))} | {decision} |"
        )
    final = summary.get("final_recipe")
    if final:
        lines += [
            "",
            f"Final recipe{'' if summary.get('complete') else ' so far'}: **{final['label']}**, {final['val_loss']:.4f} nats/char, "
            f"**{final['ratio_to_baseline']:.3f}** of the baseline's validation loss at the same profile"
            + (f" (adopted in this order: {final['history']}; a later change replaced part of an earlier one)."
               if final.get("history") and final["history"] != final["label"] else "."),
        ]  # fmt: skip
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
    looks = summary["looks"]
    lines += [
        "",
        f"*profile {summary['profile']} · data fingerprint {summary['data_fingerprint'][:8]} · paired difference: "
        f"the best candidate minus the recipe the step started from, seed by seed, with a t interval at "
        f"1 − {FALSE_ADOPTION:g}/k for a step of k candidates (95% where no level is given); adopted when the "
        f"interval lies below zero ({looks[0]} seeds, {looks[1]} where {looks[0]} cannot decide). A row's val_loss "
        "is its candidate's mean over its own seeds, and the paired difference is over the seeds it shares with its "
        "recipe, so the difference of two rows' means need not equal it.*",
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


def in_progress(summary: dict) -> str:
    """One sentence on the ladder's step still training, from the summary."""
    pending = summary["pending"]
    after = pending["steps_after"]
    return (
        f'*In progress: the step "{pending["title"]}" has {pending["runs_missing"]} runs still to train'
        + (f"; after it come {', '.join(after)}" if after else "")
        + ". The numbers above are final for the steps shown.*"
    )


def verdict_headings(most_seeds: int) -> dict[str, str]:
    return {
        "adopted": "Adopted",
        "not resolved": f"Not resolved at {count_words(most_seeds)} seeds, so not adopted",
        "worse": "Worse than the recipe",
        "by mean": "Decided by the mean (one seed)",
    }


def verdict_list(summary: dict):
    """The ladder's decisions (every step after the baseline) grouped by verdict, each best candidate
    with its paired difference to the recipe its step started from (its mean where there is none), and
    the steps at another budget apart, as a Markdown list."""
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
    headings = verdict_headings(summary["looks"][1])
    lines = [
        f"- **{headings[v]}:** " + ", ".join(items) + "." for v, items in by_verdict.items() if v in headings
    ]
    lines += [
        f"- **At another budget, which the ladder's recipe does not follow:** {item}." for item in elsewhere
    ]
    return markdown("\n".join(lines))


def regime_table(summary: dict):
    """The steps measured at another budget than the ladder's, each as its own table: the recipe at that
    budget, every candidate, paired differences, and the ratio to the study's baseline trained as long."""

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
        # a reference that cannot be adopted (the study's baseline) is shown without a paired difference
        rows += [
            (label, c, None if "not_eligible" in c else c.get("paired_difference"))
            for label, c in step["candidates"].items()
        ]
        for label, c, paired in rows:
            ratio = f"{c['mean'] / reference['mean']:.3f}" if reference else ""
            values = ", ".join(f"{v:.4f}" for v in c["val_loss"])
            lines.append(
                f"| {label} | {len(c['seeds'])} | {values} | {spread(c['mean'], c['std'])} | {paired_cell(paired)} | {ratio} |"
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
            own_length = short["candidates"][short["best"]]["mean"]
            gap = own_length - step["candidates"][step["best"]]["mean"]
            without = step["recipe"]["mean"]
            lines += [
                "",
                f"The same recipe trained at the profile's own length reaches {own_length:.4f}. With {step['best']}, the runs "
                f"at {budget} end {abs(gap):.4f} nats/char {'below' if gap > 0 else 'above'} that; without it they "
                f"end {abs(without - own_length):.4f} {'above' if without > own_length else 'below'} "
                "it (across budgets, so not paired: the longer training and the step's settings act together).",
            ]
        blocks.append("\n".join(lines))
    return markdown("\n\n".join(blocks) or "*No step measures at another budget.*")


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
            + f" | {spread(c['mean'], c['std'])} |"
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


def size_comparison(sizes: dict[str, dict[str, list[Run]]], differs: str = "", kept: str = ""):
    """The baseline and the final recipe at each profile ({profile: {label: runs}}, the ladder's profile
    first, each with the baseline first, as lmlab.ladder.Ladder.at_size gives them): the models, context
    and batch, optimizer steps, the mean ± std of each, the paired gain and the ratio, and a sentence on
    how the ratios compare. The study says the rest: `differs`, what differs between the profiles besides
    the model (after each comparison of ratios); `kept`, what the recipe at another profile keeps of it
    (its `size_steps`), below the table."""
    shown_baseline = next(iter(next(iter(sizes.values()))))
    lines = [
        "| profile | context × batch, optimizer steps | baseline | recipe | recipe − baseline | recipe / baseline |",
        "|:---|---:|---:|---:|---:|---:|",
    ]
    ratios, older, labels, means, step_counts, models = {}, [], {}, {}, {}, []
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
        models.append(f"`{profile}` {' → '.join(_model_words(runs[0]) for runs in (baseline, recipe))}")
        step_counts[profile] = recipe[0].meta.get("total_steps")
        steps = " → ".join(dict.fromkeys(str(runs[0].meta.get("total_steps")) for runs in (baseline, recipe)))
        c = baseline[0].config
        batches = " → ".join(dict.fromkeys(str(runs[0].config["batch_size"]) for runs in (baseline, recipe)))
        lines.append(
            f"| `{profile}` | {c['block_size']} × {batches}, {steps} | {spread(b_mean, b_std)} | "
            f"{spread(r_mean, r_std)} | {paired_cell(paired_difference(recipe, baseline))} | **{ratios[profile]:.3f}** |"
        )
    (first, ratio), *others = ratios.items()
    words = [
        f"At `{profile}` the {labels[profile]} is {other:.3f} of the baseline after {step_counts[profile]} optimizer "
        f"steps, against {ratio:.3f} at `{first}` after {step_counts[first]}. In nats/char the baseline ends at "
        f"{means[profile][0]:.4f} there against {means[first][0]:.4f}, and the recipe at {means[profile][1]:.4f} "
        f"against {means[first][1]:.4f}. The two ratios are measured at different budgets, so they do not say "
        "whether the recipe gains more or less with the model's size." + (f" {differs}" if differs else "")
        for profile, other in others
    ]  # fmt: skip
    if older:  # the rows hold different recipes: their ratios do not compare
        words = [
            f"The rows hold different recipes (at `{profile}`, the {labels[profile]}), so their ratios do not "
            "compare; the final recipe trained at both would."
            for profile, _ in others
        ]
    lines += [
        "",
        f"The models, baseline → recipe (layers × width, vocabulary, parameters): {'; '.join(models)}.",
    ]
    lines += ["", " ".join(words + older)] if words or older else []
    seeds = ", ".join(str(r.config["seed"]) for r in next(iter(sizes[first].values())))
    every_run = [r for groups in sizes.values() for runs in groups.values() for r in runs]
    notes = [f"The baseline is the {shown_baseline}. Seeds {seeds} of each, paired with a 95% interval.", kept,
             f"{provenance(every_run)}."]  # fmt: skip
    lines += ["", "*" + " ".join(note for note in notes if note) + "*"]
    return markdown("\n".join(lines))


TOKENIZER_WORDS = {"bpe": "BPE", "unigram": "unigram", "word": "words"}


def _model_words(run: Run) -> str:
    c = run.config
    vocabulary = f"{TOKENIZER_WORDS.get(c['tokenizer'], c['tokenizer'])} {c['vocab_size']:,}"
    return f"{c['n_layer']} × {c['d_model']}, {vocabulary}, {run.meta.get('num_params', 0) / 1e6:.1f}M"


def more_seeds_table(entries):
    """The changes the rule left not resolved (lmlab.ladder.Ladder.more_seeds): the seeds their observed
    spread says would resolve them, and the interval over that many where it was cheap to train them."""
    study = entries[0].result.study if entries else None
    at_most = study.more_seeds_at_most if study else 0
    most = count_words(study.looks[1]) if study else "its"
    lines = [
        f"| step | best candidate | paired over {most} seeds | seeds at which the observed mean would just exclude zero | "
        "over that many seeds (a third look) |",
        "|:---|:---|---:|---:|:---|",
    ]
    for e in entries:
        r = e.result
        if e.paired:  # an interval only: a verdict here would be optional stopping
            found = paired_cell(e.paired)
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
        f"the rule's error budget (looking again until an interval excludes zero is optional stopping, which "
        f"raises the rule's error), so it gives an interval and no verdict: it changes no verdict and no recipe, "
        f"and each compares with the recipe of its own step, not the final one; the confirmation page tests the "
        f"final recipe's changes on fresh seeds. "
        f"{provenance([run for e in entries for run in e.result.recipe_runs + e.result.groups[e.result.winner]])}.*",
    ]
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


METRIC_TITLES = {"val_loss": "full coverage (this site's metric)", "val_loss_legacy": "legacy (the challenge's metric)"}  # fmt: skip


def against_baseline_table(comparison: dict, planned: dict[str, int] | None = None):
    """Groups against the baseline at one profile (lmlab.ladder.against_baseline) as a Markdown table,
    a column a group and a block of rows a metric (the site's full-coverage one, the challenge's legacy
    one): each group's mean ± std, its paired difference to the baseline (rows shown once a group
    shares two seeds with the baseline) and the ratio of the means, with the seed-by-seed ratio's
    interval; then each run's minutes. `planned`: {label: seeds planned}, so a group still training
    says how many of its runs are in."""
    groups = comparison["groups"]
    paired_rows = any(group.get("paired_difference") for group in groups.values())

    def mean_cell(group, metric):
        mean, std = group[f"{metric}_mean"], group[f"{metric}_std"]
        return "" if mean is None else spread(mean, std) if len(group[metric]) > 1 else f"{mean:.4f}"

    def ratio_cell(group, metric):
        ratio = group.get("ratio", {}).get(metric)
        if ratio is None:
            return ""
        seed_by_seed = (group.get("ratio_paired") or {}).get(metric)
        low_high = f" [{seed_by_seed['low']:.3f},{NBSP}{seed_by_seed['high']:.3f}]" if seed_by_seed else ""
        return f"**{ratio:.3f}**{low_high}"

    def paired(group, metric):
        return paired_cell((group.get("paired") or {}).get(metric))

    def runs_done(label, group):
        n = len(group["runs"])
        return f"{n} of {planned[label]}" if planned and planned.get(label, n) != n else str(n)

    rows = [["runs done", *(runs_done(label, group) for label, group in groups.items())]]
    for metric, title in METRIC_TITLES.items():
        rows.append([f"*{title}*", *([""] * len(groups))])
        cells = {"loss (nats/char)": mean_cell, "minus the baseline, paired [95%]": paired,
                 "ratio to the baseline [95%]": ratio_cell}  # fmt: skip
        for name, cell in cells.items():
            if cell is not paired or paired_rows:
                rows.append([name, *(cell(group, metric) for group in groups.values())])
    minutes = [", ".join(f"{s / 60:.0f}" for s in group["train_seconds"] if s) for group in groups.values()]
    steps = [", ".join(sorted({str(n) for n in group.get("steps", []) if n})) for group in groups.values()]
    pace = [
        ", ".join(f"{s / n:.1f}" for s, n in zip(group["train_seconds"], group.get("steps", [])) if s and n)
        for group in groups.values()
    ]
    rows += [["optimizer steps a run", *steps], ["training (min a run)", *minutes]]
    rows.append(["seconds a step, evaluations included", *pace])
    lines = ["| | " + " | ".join(groups) + " |", "|:---|" + "---:|" * len(groups)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    runs = [run for group in groups.values() for run in group["runs"]]
    devices = sorted({d for group in groups.values() for d in group["device"]})
    lines += [
        "",
        "*Each group's mean ± std over its seeds, in each metric. The ratio divides the group's mean by the "
        "baseline's; its interval is the seed-by-seed ratio's. The paired difference and the interval "
        "appear once a group shares two seeds with the baseline; a group with one seed planned gets neither. "
        "Training minutes and seconds a step are each run's own, evaluations included, on whatever else its machine "
        "was doing (at times this repository's test suite): the Performance page times a step alone.*",
        "",
        f"*profile {comparison['profile']} · data fingerprint {comparison['data_fingerprint'][:8]} · "
        f"trained on {', '.join(devices) or 'nothing yet'} · runs {', '.join(r[:8] for r in runs) or 'none yet'}.*",
    ]
    return markdown("\n".join(lines))
