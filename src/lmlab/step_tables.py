"""A ladder step as Markdown: its table, its decision in words, and what a step's page sets beside them.

Each function takes a step's result (lmlab.ladder.StepResult) and writes what its runs say: the table
of candidates with their paired differences and the verdict (`step_table`, `decision`), and the views
some steps add (a weight-averaging step's runs against their own trained weights, a winner against
other candidates, a setting's verdict at two budgets, the tokenizers' checks). Groups are
`{label: [runs]}`: the seeds of one configuration under one label.
"""

from __future__ import annotations

from lmlab.config import make_config, settings
from lmlab.costs import COST_NOTE, cost_table
from lmlab.ladder import FALSE_ADOPTION, budget_text
from lmlab.markdown import (
    NBSP,
    change_text,
    count_words,
    markdown,
    notes,
    paired_cell,
    paired_words,
    parameter_counts,
    spread,
)
from lmlab.runs import Run, provenance
from lmlab.stats import final_values, level_text, mean_std, paired_difference
from lmlab.tokenize import round_trip_share
from lmlab.train import legacy_coverages


def step_groups(result) -> dict[str, list[Run]]:
    """A ladder step's groups for plotting: the recipe it starts from, then its candidates."""
    before = {result.reference: result.recipe_runs} if result.recipe_runs else {}
    return {**before, **result.groups}


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
        shown = spread(mean, std) + (f" ({len(diverged)} diverged)" if diverged else "")
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
    align = [":---", ":---"] + ["---:"] * (len(header) - 2)
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
    lines += ["", *cost_table(runs_of), "", COST_NOTE]
    lines += ["", f"*{provenance(before + [r for rs in result.groups.values() for r in rs])}.*"]
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


def decision(result) -> str:
    """What the step decided under the paired rule, in one or two sentences."""
    mean, std = mean_std(final_values(result.groups[result.winner]))
    if not result.recipe_runs:
        return f"**Result:** {result.winner}: {mean:.4f} ± {std:.4f} nats/char."
    p, winner, recipe = result.paired, result.winner, result.recipe_label
    most_seeds = count_words(p["n"]) if p else "all its"  # a step at another budget decides on its first look
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
        f"{most_seeds} seeds the interval holds zero.{where} The recipe stays the simpler {recipe}.",
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
            f"{mean_std([t for _, t in pairs])[0]:.4f} | {gain[0]:+.4f}{NBSP}±{NBSP}{gain[1]:.4f} |"
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


def winner_against(result, labels: list[str]):
    """The step's winner against the best (by mean) of some other candidates of the same step, paired
    seed by seed: whether a change beats the incumbent re-tuned beside it, not only the incumbent as it was."""
    others = {label: result.groups[label] for label in labels if result.groups.get(label)}
    if not others or result.winner in others:
        return markdown(f"*{result.winner} is itself the best of {', '.join(labels)}.*")
    best = min(others, key=lambda label: mean_std(final_values(others[label]))[0])
    mean, std = mean_std(final_values(others[best]))
    # both sides are the best of their group, picked on these runs: the step's corrected level, not 95%
    paired = paired_words(paired_difference(result.groups[result.winner], others[best], level=result.level))
    return markdown(
        f"**Against the re-tuned incumbent.** The best of {', '.join(others)} is {best}, {mean:.4f} ± "
        f"{std:.4f} nats/char. {result.winner} minus {best}: {paired}. Both are the best of their group on "
        "these runs, so the interval is at the step's corrected level."
    )


def regimes(short, long, key: str, baseline_name: str = "baseline"):
    """What the steps of one setting (`key`) concluded at the ladder's budget (`short`) and at a longer
    one (`long`, a step with its own budget), and which value each budget's recipe takes. Where `long`
    also trains the study's baseline, the recipe's ratio to it at that length; `baseline_name` is what
    the sentence calls it."""
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
            f"against the {baseline_name}'s {baseline:.4f} at the same length: **{recipe / baseline:.3f}** of the "
            "baseline, the recipe that later steps at that length start from."
        )
    return markdown(text)


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
