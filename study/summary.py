"""The summary notebook's sentences (notebooks/80_summary): what this study found, in its own words.

The tables come from the toolkit (lmlab.ladder_tables); what is said here only this study would say:
its AdamW step as the calibration of a ratio, its target and the leaderboard it is set against, the
page its other budgets are tabled on, what its size steps leave the recipe at another profile, and
the WikiText-2 page's budgets beside the profiles.
"""

from __future__ import annotations

from lmlab import ladder_tables, run_tables, wordlevel
from lmlab.ladder import StepResult, runs_used
from lmlab.ladder_tables import profile_budget
from lmlab.markdown import count_words, listed, markdown, seed_range
from lmlab.runs import Run
from study.full import LEADERBOARD

SIZES_DIFFER = (
    "The two profiles differ in more than the model (the context, the batch and so the number of optimizer "
    "steps, and the recipe there keeps that profile's shape, vocabulary size and batch), so the difference "
    "does not isolate model size; a ratio holds for its own profile."
)


def _step(summary: dict, name: str) -> dict | None:
    return next((s for s in summary["steps"] if s["step"] == name), None)


def findings(summary: dict):
    """The ladder's decisions grouped by verdict, a step at another budget apart, and the final ratio
    beside the ratios it compares with at the same profile, as Markdown: the prose of the overview
    and the conclusion, generated from the summary."""
    lines = str(ladder_tables.verdict_list(summary)).splitlines()
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
        legacy = final.get("legacy_ratio_to_baseline")
        aim = ""
        if target is not None and legacy is not None:
            verdict = "misses it" if ratio > target else "meets it"
            aim = (
                f"The study's target, {target}, was set a little below the best credible published ratio at full "
                f"scale ({LEADERBOARD}). In the site's metric the recipe's {ratio:.3f} {verdict}. In the challenge's "
                f"legacy metric, the one {LEADERBOARD} is in, the ratio is {legacy:.3f}; but the legacy metric drops "
                "the tail of the validation stream that does not fill a batch, and so scores a different share of "
                "the tokens for each tokenizer, so that figure does not compare the two recipes cleanly. "
            )
        lines += [
            "",
            f"The final recipe{'' if summary.get('complete') else ' so far'} reaches **{ratio:.3f}** of the "
            f"baseline's validation loss at {profile_budget(summary['profile'])}. A ratio belongs to its "
            f"profile: at the same profile {'; '.join(calibration) or 'no other ratio is measured yet'}. "
            f"{aim}None of these ratios says how the "
            "recipe would fare on the full-scale leaderboard: ratios do not transfer between profiles (AdamW alone, "
            "for one, is about 0.75 of the baseline in published full-scale results); the runs of this study at "
            "the challenge's own size are in the summary's full-scale table.",
        ]
    return markdown("\n".join(lines))


def size_comparison(sizes: dict[str, dict[str, list[Run]]]):
    """The challenge baseline and the final recipe at the ladder's profile and at the challenge's model
    size (lmlab.ladder_tables.size_comparison), with what this study's size steps leave the recipe there."""
    ladder_profile = next(iter(sizes))
    kept = (
        "The recipe at another profile keeps that profile's model, vocabulary size and batch: the shape step, "
        f"the tokenizer step's vocabulary size and the batch step decided them at `{ladder_profile}` size only."
    )
    return ladder_tables.size_comparison(sizes, differs=SIZES_DIFFER, kept=kept)


def profiles_table(results: list[StepResult], at_full: dict[str, list[Run]]):
    """The settings in which the `cpu`, `cpu-27m` and `full` profiles differ, with the WikiText-2 page's
    budgets, how many runs the ladder trained, and how many titles the `full` runs read here."""
    read = next((run.meta.get("data", {}).get("texts") for runs in at_full.values() for run in runs), None)
    titles = (
        f" `num_titles` is a cap: the `full` runs here read every title of the offline file, "
        f"{sum(read.values()):,} ({read['train']:,} for training, {read['valid']:,} for validation)."
        if read
        else ""
    )
    return run_tables.profiles_table(
        profiles=("cpu", "cpu-27m", "full"),
        extra={"WikiText-2": {p: wordlevel.budget(p) for p in ("cpu", "full")}},
        note=f"The ladder's complete steps trained {runs_used(results)} runs at the `cpu` profile; the "
        f"WikiText-2 page adds its own, which its table lists.{titles}",
    )


def _ratio_cell(group: dict, metric: str) -> str:
    paired = (group.get("ratio_paired") or {}).get(metric)
    if paired:
        return f"{paired['mean']:.3f}\u00a0[{paired['low']:.3f},\u00a0{paired['high']:.3f}]"
    value = (group.get("ratio") or {}).get(metric)
    return "" if value is None else f"{value:.3f}"


def ratios_table(summary: dict, on_validation: list[dict]):
    """Every ratio of a recipe's loss to the challenge baseline's that the findings quote, in one table:
    the profile, the titles scored, the seeds of each, and the ratio in the site's metric and the legacy
    one, with the paired interval where the two share two or more seeds. The confirmation's come first
    (test, then validation, from the summary); `on_validation`: lmlab.ladder.against_baseline's
    summaries at each profile, scored on validation."""
    confirmed = (summary.get("confirmation") or {}).get("final")
    comparisons = [("test", confirmed), ("validation", confirmed)] if confirmed else []
    comparisons += [("validation", comparison) for comparison in on_validation]
    lines = [
        "| profile | recipe | titles scored | seeds (recipe; baseline) | ratio, site's metric [95%] "
        "| ratio, legacy metric [95%] |",
        "|:---|:---|:---|:---|---:|---:|",
    ]
    for titles, comparison in comparisons:
        baseline = comparison["groups"].get(comparison["baseline"], {})
        metric = "test_loss" if titles == "test" else "val_loss"
        for label, group in comparison["groups"].items():
            if label == comparison["baseline"] or not (group.get("ratio") or {}).get(metric):
                continue
            lines.append(
                f"| `{comparison['profile']}` | {label} | {titles} | {seed_range(group['seeds'])}; "
                f"{seed_range(baseline.get('seeds', []))} | {_ratio_cell(group, metric)} | "
                f"{_ratio_cell(group, metric + '_legacy')} |"
            )
    lines += [
        "",
        "*Each recipe's loss over the challenge baseline's, at its profile: `cpu` the ladder's, `cpu-27m` the "
        "recipe's changes at the challenge's shape and vocabulary on the same titles, `full` the challenge's size "
        "and length on every offline title. Test: titles no decision read, on seeds no decision used; "
        "validation: the titles every decision read. The interval is the ratio seed by seed where the recipe and "
        "the baseline share two or more seeds; without one, the ratio of the means.*",
    ]
    return markdown("\n".join(lines))


def _worth(step: dict) -> float:
    return -step["paired"]["mean"] if step.get("paired") else 0.0


def _seeds_so_far(n: int, planned: int) -> str:
    return "" if n >= planned else f" ({n} of {planned} seeds so far)"


def _gains(summary: dict, at_size_ratio: float | None, full_scale: dict, full_planned: dict[str, int]) -> str:
    """What the recipe gains: on the test titles and fresh seeds where the confirmation has pairs, else
    on the ladder's validation titles; then at the challenge's model size and at its own size."""
    final, target = summary["final_recipe"], summary["target_ratio"]
    confirmation = summary.get("confirmation") or {}
    planned = len(confirmation.get("seeds", ()))
    label = confirmation.get("confirmed_recipe", {}).get("label")
    confirmed_ratios = (confirmation.get("final", {}).get("groups", {}).get(label) or {}).get(
        "ratio_paired"
    ) or {}
    on_test = confirmed_ratios.get("test_loss")
    if on_test:
        ratio, low, high = on_test["mean"], on_test["low"], on_test["high"]
        text = (
            f"**What it gains.** On titles and seeds no decision used, the {label}'s loss is **{ratio:.3f}** "
            f"[{low:.3f}, {high:.3f}] of the challenge baseline's at the `{summary['profile']}` profile"
            f"{_seeds_so_far(on_test['n'], planned)}; on the validation titles and seeds the ladder decided on, "
            f"{final['ratio_to_baseline']:.3f}."
        )
        tuned = ((confirmation.get("tuned_baseline") or {}).get("fresh_seeds") or {}).get("recipe_over_tuned")
        if tuned:
            text += (
                f" Against SGD with Nesterov momentum at its best learning rate, a baseline that trains, it is "
                f"{tuned['mean']:.3f} [{tuned['low']:.3f}, {tuned['high']:.3f}] on the same test titles and seeds."
            )
    else:
        ratio = low = high = final["ratio_to_baseline"]
        text = (
            f"**What it gains.** The final recipe's loss is **{ratio:.3f}** of the challenge baseline's at the "
            f"`{summary['profile']}` profile, on the validation titles the ladder decided on."
        )
    if target is not None:
        legacy = confirmed_ratios.get("test_loss_legacy")
        bounds = [(low, high)] + ([(legacy["low"], legacy["high"])] if on_test and legacy else [])
        in_both = " in both metrics" if len(bounds) == 2 else ""
        where = "On the test titles the study's target at `cpu`" if on_test else "The study's target at `cpu`"
        if all(lo > target for lo, _ in bounds):
            text += f" {where}, {target}, is missed{in_both}"
        elif all(hi < target for _, hi in bounds):
            text += f" {where}, {target}, is met{in_both}"
        else:
            text += f" Whether it meets the study's target at `cpu`, {target}, is not yet resolved"
        text += f" (legacy metric: {legacy['mean']:.3f})." if len(bounds) == 2 else "."
    sizes = []
    if at_size_ratio is not None:
        sizes.append(
            f"with the recipe's changes at the challenge's shape and vocabulary (`cpu-27m`, 48 optimizer steps) "
            f"the ratio is {at_size_ratio:.3f}"
        )
    baseline_label = full_scale["baseline"]
    recipe_label, recipe_full = next(
        ((label, g) for label, g in full_scale["groups"].items() if label != baseline_label), (None, None)
    )
    if recipe_full and recipe_full.get("ratio"):
        n, m = len(recipe_full["runs"]), len(full_scale["groups"][baseline_label]["runs"])
        planned_n, planned_m = full_planned.get(recipe_label, n), full_planned.get(baseline_label, m)
        so_far = (
            f" (recipe {n} of {planned_n} seeds, baseline {m} of {planned_m} so far"
            f"{'' if (recipe_full.get('ratio_paired') or {}).get('val_loss') else '; no interval yet'})"
            if n < planned_n or m < planned_m
            else ""
        )
        moved = abs(recipe_full["ratio"]["val_loss_legacy"] - recipe_full["ratio"]["val_loss"])
        sizes.append(
            f"at the challenge's own size and length (`full`) {_ratio_cell(recipe_full, 'val_loss')}, and "
            f"{_ratio_cell(recipe_full, 'val_loss_legacy')} "
            f"in the legacy metric, the one the leaderboard's {LEADERBOARD} is in{so_far}; that metric alone "
            f"moves this ratio by {moved:.3f} here, so these runs cannot place the recipe against {LEADERBOARD}"
        )
    else:
        sizes.append("at the challenge's own size and length it is still training")
    sizes_text = "; ".join(sizes)
    return f"{text} {sizes_text[0].upper()}{sizes_text[1:]}. Each ratio holds for its profile."


def takeaways(
    summary: dict,
    at_size_ratio: float | None,
    full_scale: dict,
    costs: dict[str, dict],
    full_planned: dict[str, int] | None = None,
):
    """The five things a reader came for, each a sentence or two with its number: what the recipe gains,
    which changes carry it, what was not shown, what it costs, and how sure the study is. Every number is
    read from the runs (through the summaries); a part still training says so. The caveats are the
    pages' notes, not these sentences'. `full_planned`: the full-scale plans' seeds, {label: count}."""
    steps = [s for s in summary["steps"] if s.get("follows", True) and s.get("paired")]
    adopted = sorted((s for s in steps if s["adopted"]), key=_worth, reverse=True)
    confirmation = summary.get("confirmation") or {}
    planned = len(confirmation.get("seeds", ()))
    family = confirmation.get("family") or {}

    scale = _gains(summary, at_size_ratio, full_scale, full_planned or {})

    removed = sorted(
        (row for row in family.values() if row["kind"] == "without" and row.get("paired")),
        key=lambda row: row["paired"]["mean"],
        reverse=True,
    )
    carry = "**What carries it.** "
    if removed:
        n = min(row["paired"]["n"] for row in removed)
        so_far = n < planned

        def verdict(row: dict) -> str:  # a removal that did not hold is named so, beside its number
            if row["verdict"] == "held":
                return ""
            return f" ({row['verdict']}{' so far' if so_far else ''})"

        carry += (
            "Inside the final recipe, on the test titles, taking out "
            + ", ".join(
                f"{row['change']} costs {row['paired']['mean']:+.3f}{verdict(row)}" for row in removed[:3]
            )
            + f" nats/char{_seeds_so_far(n, planned)}. "
        )
    carry += (
        "The ladder's own estimates, which the confirmation supersedes, each against the recipe of its step "
        "(the best of that step's candidates, so an estimate that leans high): "
        + ", ".join(f"{s['best']} {s['paired']['mean']:+.3f}" for s in adopted[:3])
        + " (AdamW's against the challenge's untuned SGD"
    )
    tuned = (confirmation.get("tuned_baseline") or {}).get("adamw_step", {}).get("minus_tuned_sgd")
    carry += (
        f"; against SGD with Nesterov momentum at its best rate, {tuned['mean']:+.3f})." if tuned else ")."
    )

    failed = [s for s in steps if s["verdict"] == "worse"]
    unresolved = [s for s in steps if s["verdict"] == "not resolved"]

    def later_together(step: dict) -> bool:  # alone not resolved, adopted later as part of a larger change
        change = step.get("candidates", {}).get(step["best"], {}).get("settings") or {}
        return bool(change) and any(
            later["adopted"] and later is not step and change.items() <= later["change"].items()
            for later in steps
        )

    def named(group: list[dict]) -> str:
        return ", ".join(s["best"] for s in group)

    alone = [s for s in unresolved if not later_together(s)]
    together = [s for s in unresolved if later_together(s)]
    most = count_words(summary["looks"][1])
    confirm_runs = min((len(row["seeds"]) for row in family.values()), default=0)
    so_far = " so far" if confirm_runs < planned else ""
    kept_unconfirmed = [
        r["change"] for r in family.values() if r["kind"] == "without" and r["verdict"] == "not confirmed"
    ]
    leaves = [
        r["change"] for r in family.values() if r["kind"] == "without" and r["verdict"] == "leaves the recipe"
    ]
    additions = [
        f"{r['change']} {r['verdict']}" for r in family.values() if r["kind"] == "with" and r["paired"]
    ]
    missed = (
        "**What did not help.** "
        + (f"Worse than the recipe: {named(failed)}. " if failed else "")
        + (f"No effect shown at {most} seeds, so not adopted: {named(alone)}. " if alone else "")
        + (f"Not adopted alone, adopted later together: {named(together)}. " if together else "")
        + (
            f"Inside the final recipe, on the test titles, taking out {listed(kept_unconfirmed)} is not "
            f"confirmed{so_far}. "
            if kept_unconfirmed
            else ""
        )
        + (f"Taking out {listed(leaves)} helps{so_far}: it leaves the recipe. " if leaves else "")
        + (f"Put into the final recipe: {listed(additions)}{so_far}." if additions else "")
    ).rstrip()

    base, recipe = costs.get("baseline", {}), costs.get("recipe", {})
    cost = "**What it costs.** "
    if base.get("flops_per_char") and recipe.get("flops_per_char"):
        cost += (
            f"At `cpu` the recipe does {recipe['flops_per_char'] / base['flops_per_char']:.2f}x the baseline's "
            "arithmetic per character of training text, Muon's orthogonalization included"
        )
    else:
        cost += "The recipe's cost is not measured yet (no finished run records its data)"
    controls = confirmation.get("rdrop_controls") or {}
    rdrop = controls.get("R-Drop 1")
    if rdrop and rdrop.get("flops_per_token"):
        equal = next((row for row in controls.values() if row.get("equal_computation")), {})
        against = equal.get("rdrop_minus_this")
        started = equal.get("seeds")
        cost += "; R-Drop, the best result at seven epochs, passes every batch twice, and " + (
            f"against a control that computes as much (dropout 0.2 for twice the epochs) it is {against['mean']:+.4f} "
            f"[{against['low']:+.4f}, {against['high']:+.4f}] nats/char over {against['n']} seeds"
            if against
            else "its control at equal computation is still training"
            if started
            else "its control at equal computation has not started"
        )
    cost += "."

    held = [row["change"] for row in family.values() if row["verdict"] == "held"]
    removals = sum(1 for row in family.values() if row["kind"] == "without")
    sure = (
        "**How sure.** Each step adopts a change that does nothing at most 5% of the time, and calls one "
        "worse at most as often, for candidates fixed before the step (the together step's were chosen from "
        "earlier steps' data); across the ladder's steps these errors are not controlled. "
    )
    if family and confirm_runs == planned:
        sure += (
            f"On {planned} fresh seeds and the test titles, with Holm's correction over the recipe's "
            f"{len(family)} parts and additions, {len(held)} of the {removals} parts held: {', '.join(held) or 'none'}."
        )
    elif family:
        sure += (
            f"The confirmation, which controls the error over the whole recipe, is still training "
            f"(at least {confirm_runs} of {planned} seeds of every variant so far); provisionally, "
            f"{', '.join(held) or 'none'} held."
        )
    else:
        sure += "The confirmation, which controls the error over the whole recipe, is still training."
    return markdown(
        "\n\n".join(f"{i}. {text}" for i, text in enumerate((scale, carry, missed, cost, sure), 1))
    )
