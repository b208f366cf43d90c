"""The summary notebook's sentences (notebooks/80_summary): what this study found, in its own words.

The tables come from the toolkit (lmlab.ladder_tables); what is said here only this study would say:
its AdamW step as the calibration of a ratio, its target and the leaderboard it is set against, the
page its other budgets are tabled on, what its size steps leave the recipe at another profile, and
the WikiText-2 page's budgets beside the profiles.
"""

from __future__ import annotations

from lmlab import ladder_tables, run_tables, wordlevel
from lmlab.config import make_config
from lmlab.ladder import StepResult, runs_used
from lmlab.ladder_tables import profile_budget
from lmlab.markdown import NBSP, count_words, interval, listed, markdown, seed_range
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
                f"AdamW alone (the ladder's second step): {adamw['candidates'][adamw['best']]['mean'] / baseline:.3f} "
                "of the baseline"
            )
        for budget, at in final.get("at_other_budgets", {}).items():
            if "ratio_to_baseline" in at:
                step = _step(summary, at["step"]) or {}
                calibration.append(
                    f"at {budget}, the recipe as of {step.get('starts_from', '?')} with {step.get('best', '?')} "
                    f"(step “{step.get('title', '?')}”): {at['ratio_to_baseline']:.3f} of the baseline trained as long"
                )
        target = summary.get("target_ratio")
        legacy = final.get("legacy_ratio_to_baseline")
        aim = ""
        if target is not None and legacy is not None:
            aim = (
                f" The study's target, {target}, was set a little below the leaderboard's best credible ratio "
                f"({LEADERBOARD}); in the site's metric the recipe's {ratio:.3f} "
                f"{'misses' if ratio > target else 'meets'} it, and in the legacy metric, which scores a different "
                f"share of each tokenizer's tokens, its {legacy:.3f} would {'miss' if legacy > target else 'meet'} it "
                "(these are the validation titles the ladder decided on; the takeaways judge the target on the test "
                "titles)."
            )
        lines += [
            "",
            f"The final recipe{'' if summary.get('complete') else ' so far'} reaches **{ratio:.3f}** of the "
            f"baseline's validation loss at {profile_budget(summary['profile'])}.{aim} Other ratios at the same "
            f"profile{':' if calibration else ': none is measured yet.'}",
        ]
        if calibration:
            lines += [""] + [f"- {item}." for item in calibration]
        lines += ["", "Each ratio holds for its profile; the note under the takeaways says what limits them."]
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
    tuned = (summary.get("confirmation") or {}).get("tuned_baseline") or {}
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
    fresh = tuned.get("fresh_seeds") or {}
    if fresh.get("recipe_over_tuned") and confirmed:
        recipe = confirmed["groups"].get(summary["confirmation"]["confirmed_recipe"]["label"], {})
        lines.insert(
            3,
            f"| `{summary['profile']}` | final recipe, against {tuned['best']} | test | "
            f"{seed_range(recipe.get('seeds', []))}; {seed_range(fresh.get('seeds', []))} | "
            f"{interval(fresh['recipe_over_tuned']).replace(' ', NBSP)} | |",
        )
    lines += [
        "",
        "*Each recipe's loss over the challenge baseline's (one row: over the tuned SGD's), at its profile: `cpu` the ladder's, `cpu-27m` the "
        "recipe's changes at the challenge's shape and vocabulary on the same titles, `full` the challenge's size "
        "and length on every offline title. Test: titles no decision read, on seeds no decision used; "
        "validation: at `cpu` and `cpu-27m` the titles every decision at `cpu` read, at `full` the validation titles of "
        "every offline title, a profile where no decision was made. The interval is the ratio seed by seed where the recipe and "
        "the baseline share two or more seeds; without one, the ratio of the means.*",
    ]
    return markdown("\n".join(lines))


def _worth(step: dict) -> float:
    return -step["paired"]["mean"] if step.get("paired") else 0.0


def _seeds_so_far(n: int, planned: int) -> str:
    return "" if n >= planned else f" ({n} of {planned} seeds so far)"


def _gains(
    summary: dict, at_size_ratio: float | None, full_scale: dict, full_planned: dict[str, int]
) -> tuple[str, list[str]]:
    """What the recipe gains, and its limits: on the test titles and fresh seeds where the confirmation
    has pairs, else on the ladder's validation titles; then at the challenge's own size."""
    final, target = summary["final_recipe"], summary["target_ratio"]
    confirmation = summary.get("confirmation") or {}
    planned = len(confirmation.get("seeds", ()))
    label = confirmation.get("confirmed_recipe", {}).get("label")
    confirmed_ratios = (confirmation.get("final", {}).get("groups", {}).get(label) or {}).get(
        "ratio_paired"
    ) or {}
    on_test = confirmed_ratios.get("test_loss")
    limits = []
    if on_test:
        low, high = on_test["low"], on_test["high"]
        text = (
            f"On titles and seeds no decision used, the {label}'s loss is **{on_test['mean']:.3f}** "
            f"[{low:.3f}, {high:.3f}] of the challenge baseline's (its untuned SGD) at `{summary['profile']}`"
            f"{_seeds_so_far(on_test['n'], planned)}"
        )
        tuned = ((confirmation.get("tuned_baseline") or {}).get("fresh_seeds") or {}).get("recipe_over_tuned")
        if tuned:
            text += (
                f", and **{tuned['mean']:.3f}** [{tuned['low']:.3f}, {tuned['high']:.3f}] of SGD with Nesterov "
                "momentum at the best of five learning rates, a baseline that trains"
            )
            limits.append(
                "The challenge's SGD, untuned, moves little in the `cpu` profile's two epochs, so a ratio to it "
                "measures partly how little it trains; the tuned SGD is a baseline that trains."
            )
        limits.append(
            f"On the validation titles and seeds the ladder decided on, the ratio is {final['ratio_to_baseline']:.3f}: "
            "those titles chose every change, the test titles none."
        )
        on_validation = confirmed_ratios.get("val_loss")
        if on_validation:
            apart = abs(on_test["mean"] - on_validation["mean"])
            widest = max(q["high"] - q["low"] for q in (on_test, on_validation))
            limits.append(
                "An interval counts the seeds' variation on fixed titles, not the sampling of the titles: on the same "
                f"seeds the ratio is {on_test['mean']:.3f} on the test titles and {on_validation['mean']:.3f} on the "
                f"validation titles (which chose every change), {apart:.3f} apart"
                + (
                    ", more than either interval is wide, whether from that selection or from which titles were "
                    "drawn."
                    if apart > widest
                    else "."
                )
            )
            legacy_test, legacy_validation = (
                confirmed_ratios.get("test_loss_legacy"),
                confirmed_ratios.get("val_loss_legacy"),
            )
            if legacy_test and legacy_validation:
                limits.append(
                    f"In the legacy metric the same seeds give {legacy_test['mean']:.3f} on the test titles and "
                    f"{legacy_validation['mean']:.3f} on the validation titles: which tail of the stream it drops "
                    "moves that metric's ratio more than the titles move the site's."
                )
    else:
        low = high = final["ratio_to_baseline"]
        text = (
            f"The final recipe's loss is **{low:.3f}** of the challenge baseline's at `{summary['profile']}`, "
            "on the validation titles the ladder decided on"
        )
    if target is not None:
        legacy = confirmed_ratios.get("test_loss_legacy")
        bounds = [(low, high)] + ([(legacy["low"], legacy["high"])] if on_test and legacy else [])
        if all(lo > target for lo, _ in bounds):
            text += f"; the study's target there, {target}, is missed"
        elif all(hi < target for _, hi in bounds):
            text += f"; the study's target there, {target}, is met"
        else:
            text += f"; whether it meets the study's target there, {target}, is not yet resolved"
        if len(bounds) == 2:
            limits.append(
                f"The target is judged in both metrics: in the challenge's legacy metric the test ratio is "
                f"{interval(legacy)}."
            )
        limits.append(
            f"The target, {target}, is the study's own aim at `{summary['profile']}`, set a little below the "
            f"leaderboard's best credible ratio at full scale ({LEADERBOARD}): meeting or missing it at "
            f"`{summary['profile']}` places the recipe nowhere on the leaderboard."
        )
    text += "."
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
        challenge = make_config(full_scale["profile"])
        text += (
            f" At the challenge's own size and length (`full`) the recipe's changes at the challenge's "
            f"{challenge.n_layer} × {challenge.d_model} model and {challenge.vocab_size:,}-piece vocabulary ({recipe_label}; "
            f"not the recipe confirmed at `{summary['profile']}`) give {_ratio_cell(recipe_full, 'val_loss')}, and "
            f"{_ratio_cell(recipe_full, 'val_loss_legacy')} in the legacy metric{so_far}."
        )
        moved = abs(recipe_full["ratio"]["val_loss_legacy"] - recipe_full["ratio"]["val_loss"])
        limits.append(
            f"The `full` recipe is not the one confirmed at `{summary['profile']}`: it is {recipe_label}, with the "
            "challenge's model size, vocabulary and batch, and its parts were tested at the smaller profile only."
        )
        limits.append(
            f"At `full` the legacy metric is the one the leaderboard's {LEADERBOARD} is in; it alone moves the ratio by "
            f"{moved:.3f} here, and the offline titles are a smaller, different sample, so these runs cannot place the "
            f"recipe against {LEADERBOARD}."
        )
    else:
        text += " At the challenge's own size and length it is still training."
    if at_size_ratio is not None:
        limits.append(
            f"With the recipe's changes at the challenge's shape and vocabulary (`cpu-27m`) the ratio is "
            f"{at_size_ratio:.3f}, after 48 optimizer steps with both losses still falling: a shorter budget, "
            "not a measure of what model size does to the gain."
        )
    limits.append(
        "Each ratio holds for its profile: the ratios table gives every one with its titles and seeds."
    )
    return text, limits


def _carries(summary: dict, adopted: list[dict]) -> tuple[str, list[str]]:
    """The changes that carry the gain: the confirmation's largest removals where it has pairs, else the
    ladder's largest adopted steps; the ladder's estimates, and what AdamW's is measured against, apart."""
    confirmation = summary.get("confirmation") or {}
    planned = len(confirmation.get("seeds", ()))
    removed = sorted(
        (
            row
            for row in (confirmation.get("family") or {}).values()
            if row["kind"] == "without" and row.get("paired")
        ),
        key=lambda row: row["paired"]["mean"],
        reverse=True,
    )
    estimates = ", ".join(f"{s['best']} {s['paired']['mean']:+.3f}" for s in adopted[:3])
    tuned = (confirmation.get("tuned_baseline") or {}).get("adamw_step", {}).get("minus_tuned_sgd")
    against = (
        f"AdamW's is against the challenge's untuned SGD; against SGD with Nesterov momentum at the best of five rates "
        f"it is {tuned['mean']:+.3f}."
        if tuned
        else "AdamW's is against the challenge's untuned SGD."
    )
    if not removed:
        return (
            f"The ladder's largest gains, each against the recipe of its step: {estimates} nats/char.",
            [
                "Each is the best of its step's candidates, so an estimate that leans high; the confirmation, "
                "which takes each change out of the final recipe, is still training. " + against
            ],
        )
    n = min(row["paired"]["n"] for row in removed)
    so_far = n < planned

    def verdict(row: dict) -> str:  # a removal that did not hold is named so, beside its number
        return "" if row["verdict"] == "held" else f" ({row['verdict']}{' so far' if so_far else ''})"

    first, *rest = removed[:3]
    text = (
        f"Taking {first['change']} out of the final recipe (putting back what it replaced) costs "
        f"{first['paired']['mean']:+.3f} nats/char on the "
        "test titles"
        + verdict(first)
        + "".join(f", {row['change']} {row['paired']['mean']:+.3f}{verdict(row)}" for row in rest)
        + f"{_seeds_so_far(n, planned)}."
    )
    limits = [
        "Each is the final recipe's test loss without the part minus with it, seed by seed; the parts are ranked by "
        "their means: "
        + ", ".join(f"{row['change']} {interval(row['paired'], '+.4f')}" for row in removed[:4])
        + "."
    ]
    groups = (confirmation.get("final") or {}).get("groups") or {}
    label = (confirmation.get("confirmed_recipe") or {}).get("label")
    baseline = next((g for name, g in groups.items() if name != label), {})
    whole = baseline.get("test_loss_mean", 0) - (groups.get(label) or {}).get("test_loss_mean", 0)
    if whole > 0:
        limits.append(
            f"Together the removals cost {sum(row['paired']['mean'] for row in removed):.3f}, of the "
            f"{whole:.3f} between the baseline and the recipe on the same test titles and seeds: a part is taken out alone and its cost depends on "
            "the others, and leaving the challenge's SGD for an adaptive optimizer is not a part (taking Muon out "
            "puts AdamW back, not SGD)."
        )
    limits += [
        "A part taken out puts back what it replaced as the ladder had it, not retuned for the final recipe, so its "
        "cost can overstate what the part is worth.",
        f"The ladder's own estimates, which these supersede: {estimates}, each against the recipe of its step and "
        f"the best of that step's candidates, so estimates that lean high. {against}",
    ]
    return text, limits


def _missed(summary: dict, steps: list[dict]) -> tuple[str, list[str]]:
    """What did not help: worse in the ladder, not shown in the ladder, and inside the final recipe the
    removals not confirmed, the ones that leave it, and the additions."""
    confirmation = summary.get("confirmation") or {}
    family = confirmation.get("family") or {}
    planned = len(confirmation.get("seeds", ()))
    failed = [s for s in steps if s["verdict"] == "worse"]
    unresolved = [s for s in steps if s["verdict"] == "not resolved"]

    def later_together(step: dict) -> bool:  # alone not resolved, adopted later as part of a larger change
        change = step.get("candidates", {}).get(step["best"], {}).get("settings") or {}
        return bool(change) and any(
            later["adopted"] and later is not step and change.items() <= later["change"].items()
            for later in steps
        )

    def named(group: list[dict]) -> str:  # a change's own label may hold a comma ("batch 16, lr x0.7")
        return "; ".join(s["best"] for s in group)

    alone = [s for s in unresolved if not later_together(s)]
    together = [s for s in unresolved if later_together(s)]
    most = count_words(summary["looks"][1])
    confirm_runs = min((len(row["seeds"]) for row in family.values()), default=0)
    so_far = " so far" if confirm_runs < planned else ""

    def family_rows(kind: str, verdict: str | None = None) -> list[dict]:
        return [
            r for r in family.values() if r["kind"] == kind and (verdict is None or r["verdict"] == verdict)
        ]

    kept_unconfirmed = [r["change"] for r in family_rows("without", "not confirmed")]
    leaves = [r["change"] for r in family_rows("without", "leaves the recipe")]
    additions = [f"{r['change']} ({r['verdict']})" for r in family_rows("with") if r["paired"]]
    text = " ".join(
        part
        for part in (
            f"Worse than the recipe: {named(failed)}." if failed else "",
            f"No effect shown at {most} seeds: {named(alone)}." if alone else "",
            f"Inside the final recipe, {listed(kept_unconfirmed)} {'is' if len(kept_unconfirmed) == 1 else 'are'} "
            f"not confirmed{so_far}: taking {'it' if len(kept_unconfirmed) == 1 else 'them'} out costs nothing "
            "the correction resolves."
            if kept_unconfirmed
            else "",
            f"Taking out {listed(leaves)} helps{so_far}: it leaves the recipe." if leaves else "",
            f"Put into it: {', '.join(additions)}{so_far}." if additions else "",
        )
        if part
    )
    flipped = [
        f"{row['change']} is worth {gain['mean']:+.4f} at its ladder step and {row['worth']['mean']:+.4f} inside "
        f"the final recipe, where it {row['verdict']}"
        for label, row in family.items()
        if row["kind"] == "with"
        and row.get("worth")
        and row["verdict"] in ("helps", "hurts")
        and (gain := (confirmation.get("ladder_gain", {}).get(label) or {}).get("worth"))
        and gain["mean"] * row["worth"]["mean"] < 0
    ]
    limits = [
        "Worse means worse as tried: the setting each step tried, at the `cpu` budget, by the ladder's per-step "
        "rule (the confirmation's correction covers the recipe's parts, not these), not the technique at every "
        "setting."
    ] * bool(failed) + [
        f"No effect shown means the paired interval still held zero after {most} seeds: an effect too small for "
        "those seeds to resolve is not ruled out. More seeds trained after the verdicts (the conclusion's "
        "more-seeds table) give intervals that exclude zero for the changes it trains, some helping and some "
        "hurting; the ladder does not act on those looks, which would be optional stopping."
    ]
    if together:
        limits.append(
            f"Not resolved alone, then adopted together in a later step: {named(together)}; the confirmation tests "
            "each of them inside the final recipe."
        )
    if kept_unconfirmed:
        limits.append(
            f"{listed(kept_unconfirmed)} {'stays' if len(kept_unconfirmed) == 1 else 'stay'} in the recipe though "
            "not confirmed: the confirmation takes a part out only where taking it out helps. That taking each out "
            "alone costs nothing the correction resolves does not show the recipe without it as good, and a "
            "recipe without them together is not trained."
        )
    if flipped:
        limits.append(f"A change's worth depends on the recipe it joins: {'; '.join(flipped)}.")
    return text, limits


def _cost(summary: dict, costs: dict[str, dict]) -> tuple[str, list[str]]:
    """The recipe's arithmetic per character against the baseline's, and R-Drop against its control of
    equal computation."""
    base, recipe = costs.get("baseline", {}), costs.get("recipe", {})
    if base.get("flops_per_char") and recipe.get("flops_per_char"):
        text = (
            f"At `cpu` the recipe does {recipe['flops_per_char'] / base['flops_per_char']:.2f}x the baseline's "
            "arithmetic per character of training text, Muon's orthogonalization included"
        )
    else:
        text = "The recipe's cost is not measured yet (no finished run records its data)"
    controls = (summary.get("confirmation") or {}).get("rdrop_controls") or {}
    rdrop = controls.get("R-Drop 1")
    limits = [
        "Arithmetic, not time: tokens per second compare only between runs trained together on one machine "
        "(the Performance page)."
    ]
    if rdrop and rdrop.get("flops_per_token"):
        equal = next((row for row in controls.values() if row.get("equal_computation")), {})
        own = next((row for row in controls.values() if row.get("rdrop_minus_this") and not row.get("this_minus_dropout")
                    and not row.get("equal_computation")), {})  # fmt: skip
        times = (
            f" ({rdrop['flops_per_char'] / own['flops_per_char']:.1f}x its control's arithmetic)"
            if rdrop.get("flops_per_char") and own.get("flops_per_char")
            else ""
        )
        text += f"; R-Drop, the best result at seven epochs, passes every batch twice{times}"
        longer = equal.get("this_minus_dropout")
        if longer:
            text += (
                f", and spending at least as much on twice the epochs instead leaves its control "
                f"{interval(longer, '+.4f')} nats/char worse than at seven epochs"
                f"{_seeds_so_far(longer['n'], len(rdrop.get('seeds') or []))}"
            )
            limits.append(
                "Twice the epochs is one way to spend R-Drop's arithmetic, and a generous one (R-Drop's is less than "
                "twice its control's); budgets between, another way to spend it (a larger model, say) and the "
                "duplicated batch without R-Drop's divergence term are not tried."
            )
        else:
            text += (
                ", and its control at equal computation is still training"
                if equal.get("seeds")
                else ", and its control at equal computation has not started"
            )
    return text + ".", limits


def _sure(summary: dict) -> tuple[str, list[str]]:
    """How sure: the confirmation's family under Holm's correction, and the ladder's per-step bound."""
    confirmation = summary.get("confirmation") or {}
    family = confirmation.get("family") or {}
    planned = len(confirmation.get("seeds", ()))
    confirm_runs = min((len(row["seeds"]) for row in family.values()), default=0)
    held = [row["change"] for row in family.values() if row["verdict"] == "held"]
    removals = sum(1 for row in family.values() if row["kind"] == "without")
    if family and confirm_runs == planned:
        text = (
            f"On {planned} fresh seeds and the test titles, with Holm's correction over the recipe's "
            f"{removals} parts and {len(family) - removals} additions, {len(held)} of the {removals} parts held: "
            f"{', '.join(held) or 'none'}."
        )
    elif family:
        text = (
            f"The confirmation, which controls the error over the whole recipe, is still training "
            f"(at least {confirm_runs} of {planned} seeds of every variant so far); provisionally, "
            f"{', '.join(held) or 'none'} held."
        )
    else:
        text = "The confirmation, which controls the error over the whole recipe, is still training."
    elsewhere = [
        f"{step['best']} at {', '.join(f'{k}={v}' for k, v in step['budget'].items())} ({step['paired']['mean']:+.3f})"
        for step in summary["steps"]
        if not step.get("follows", True) and step["adopted"] and step.get("paired")
    ]
    limits = [
        "Each ladder step adopts a change that does nothing at most 5% of the time, and calls one worse at most as "
        "often, for candidates fixed before the step (the together step's were chosen from earlier steps' data); "
        "across the ladder's steps these errors add up uncontrolled, which is what the confirmation's correction "
        "is for.",
        "The confirmation's intervals, like every interval here, count the seeds' variation on fixed titles, not "
        "the sampling of the titles.",
    ]
    if elsewhere:
        limits.append(
            f"Its verdicts hold at the `{summary['profile']}` budget. The ladder's steps at another budget adopted "
            f"other settings: {'; '.join(elsewhere)}; a part's verdict here does not carry to them."
        )
    return text, limits


TAKEAWAY_LEADS = {
    "gains": "What it gains",
    "carries": "What carries it",
    "missed": "What did not help",
    "cost": "What it costs",
    "sure": "How sure",
}


def _takeaways(
    summary: dict,
    at_size_ratio: float | None,
    full_scale: dict,
    costs: dict[str, dict],
    full_planned: dict[str, int] | None,
) -> dict[str, tuple[str, list[str]]]:
    steps = [s for s in summary["steps"] if s.get("follows", True) and s.get("paired")]
    adopted = sorted((s for s in steps if s["adopted"]), key=_worth, reverse=True)
    return {
        "gains": _gains(summary, at_size_ratio, full_scale, full_planned or {}),
        "carries": _carries(summary, adopted),
        "missed": _missed(summary, steps),
        "cost": _cost(summary, costs),
        "sure": _sure(summary),
    }


def takeaways(
    summary: dict,
    at_size_ratio: float | None,
    full_scale: dict,
    costs: dict[str, dict],
    full_planned: dict[str, int] | None = None,
):
    """The five things a reader came for, each a sentence or two with its number (the page says where each is
    shown): what the recipe gains, which changes carry it, what did not help, what it costs, and how sure
    the study is. Every number is read from the runs (through the summaries); a part still training says
    so. What limits each is `limits`'s, beside them. `full_planned`: the full-scale plans' seeds,
    {label: count}."""
    found = _takeaways(summary, at_size_ratio, full_scale, costs, full_planned)
    return markdown(
        "\n\n".join(
            f"{i}. **{TAKEAWAY_LEADS[key]}.** {text}" for i, (key, (text, _)) in enumerate(found.items(), 1)
        )
    )


def limits(
    summary: dict,
    at_size_ratio: float | None,
    full_scale: dict,
    costs: dict[str, dict],
    full_planned: dict[str, int] | None = None,
):
    """What limits each takeaway, a list a takeaway, for the note beside them: the sentence states the
    measurement, this its limits."""
    found = _takeaways(summary, at_size_ratio, full_scale, costs, full_planned)
    return markdown(
        "\n".join(
            f"- **{TAKEAWAY_LEADS[key]}.**\n"
            + "\n".join(f"  - {note[0].upper()}{note[1:]}" for note in notes)
            for key, (_, notes) in found.items()
            if notes
        )
    )
