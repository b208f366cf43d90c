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
from lmlab.markdown import markdown
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


def profiles_table(results: list[StepResult]):
    """The settings in which the `cpu` and `full` profiles differ, with the WikiText-2 page's budgets and
    how many runs the ladder trained."""
    return run_tables.profiles_table(
        extra={"WikiText-2": {p: wordlevel.budget(p) for p in ("cpu", "full")}},
        note=f"The ladder's complete steps trained {runs_used(results)} runs at this "
        "profile; the WikiText-2 page adds its own, which its table lists.",
    )


def _worth(step: dict) -> float:
    return -step["paired"]["mean"] if step.get("paired") else 0.0


def takeaways(summary: dict, at_size_ratio: float | None, full_scale: dict, costs: dict[str, dict]):
    """The five things a reader came for, each a sentence with its number and where it is shown: what
    the recipe gains at each scale, which changes carry it, what did not pay, what it costs, and how
    sure the study is. Every number is read from the runs (through the summaries); a part still
    training says so."""
    final = summary["final_recipe"]
    steps = [s for s in summary["steps"] if s.get("follows", True) and s.get("paired")]
    adopted = sorted((s for s in steps if s["adopted"]), key=_worth, reverse=True)
    confirmation = summary.get("confirmation") or {}

    scale = (
        f"**What it gains.** At the `{summary['profile']}` profile the final recipe reaches "
        f"**{final['ratio_to_baseline']:.3f}** of the challenge baseline's validation loss, below the study's "
        f"target of {summary['target_ratio']} only in the legacy metric ({final['legacy_ratio_to_baseline']:.3f}), "
        "whose coverage differs between the two tokenizers"
        if final["ratio_to_baseline"] > summary["target_ratio"]
        else f"**What it gains.** At the `{summary['profile']}` profile the final recipe reaches "
        f"**{final['ratio_to_baseline']:.3f}** of the challenge baseline's validation loss "
        f"({final['legacy_ratio_to_baseline']:.3f} in the legacy metric)"
    )
    confirmed = confirmation.get("confirmed_recipe", {}).get("label")
    on_test = (confirmation.get("final", {}).get("groups", {}).get(confirmed) or {}).get("ratio_paired", {})
    planned = len(confirmation.get("seeds", ()))
    if on_test.get("test_loss") and on_test["test_loss"]["n"] == planned:
        r = on_test["test_loss"]
        scale += (
            f". On {planned} fresh seeds and test titles no decision read, the {confirmed} reaches "
            f"**{r['mean']:.3f}** [{r['low']:.3f}, {r['high']:.3f}] of the baseline, the figure that supersedes "
            "the ladder's"
        )
    if at_size_ratio is not None:
        scale += (
            f"; with the challenge's 27M-parameter model, context and batch on the same titles and epochs (fewer, "
            f"larger steps), {at_size_ratio:.3f}"
        )
    recipe_full = next(
        (g for label, g in full_scale["groups"].items() if label != full_scale["baseline"]), None
    )
    if recipe_full and recipe_full.get("ratio"):
        n = len(recipe_full["runs"])
        scale += (
            f"; at the challenge's own size and length, {recipe_full['ratio']['val_loss']:.3f} "
            f"({recipe_full['ratio']['val_loss_legacy']:.3f} legacy, over {n} seed{'s' if n > 1 else ''}; the "
            f"leaderboard's best credible is {LEADERBOARD}, on other titles)"
        )
    else:
        scale += "; the runs at the challenge's own size and length are still training"
    scale += ". A ratio holds for its profile."

    carry = (
        "**What carries it.** "
        + ", ".join(f"{s['best']} {s['paired']['mean']:+.3f}" for s in adopted[:4])
        + " nats/char, each against the recipe of its step, are the largest adopted gains; AdamW's is measured "
        "against the challenge's untuned SGD."
    )
    tuned = (confirmation.get("tuned_baseline") or {}).get("adamw_step", {}).get("minus_tuned_sgd")
    if tuned:
        carry += f" Against SGD with Nesterov momentum at its best rate, AdamW gains {tuned['mean']:+.3f}."

    failed = [s for s in steps if s["verdict"] == "worse"]
    unresolved = [s for s in steps if s["verdict"] == "not resolved"]

    def later_together(step: dict) -> bool:  # alone not resolved, adopted later as part of a larger change
        change = step.get("candidates", {}).get(step["best"], {}).get("settings") or {}
        return bool(change) and any(
            later["adopted"] and later is not step and change.items() <= later["change"].items()
            for later in steps
        )

    def named(group: list[dict]) -> str:
        def note(s: dict) -> str:
            return f" ({s['title']})" if s["title"].lower() != s["best"].lower() else ""

        return "; ".join(f"{s['best']}{note(s)}" for s in group)

    together = [s for s in unresolved if later_together(s)]
    alone = [s for s in unresolved if not later_together(s)]
    missed = (
        "**What did not pay.** "
        + (f"Worse than the recipe: {named(failed)}. " if failed else "")
        + (
            f"Not resolved over five seeds, so no effect shown (none, or one too small for five seeds): "
            f"{named(alone)}. "
            if alone
            else ""
        )
        + (
            f"Not resolved alone but adopted later together: {named(together)}; the together step's ablation "
            "credits the gain to some of them only."
            if together
            else ""
        )
    )

    base, recipe = costs.get("baseline", {}), costs.get("recipe", {})
    cost = "**What it costs.** "
    if base.get("flops_per_char") and recipe.get("flops_per_char"):
        cost += (
            f"Per character of training text the recipe's model does {recipe['flops_per_char'] / base['flops_per_char']:.2f}x "
            "the baseline's arithmetic (model FLOPs; Muon's orthogonalization comes on top)"
        )
    rdrop = (confirmation.get("rdrop_controls") or {}).get("R-Drop 1")
    if rdrop and rdrop.get("flops_per_token"):
        cost += (
            "; R-Drop, the best result at seven epochs, does twice the arithmetic a step, and its controls at "
            "equal computation are on the confirmation page"
        )
    cost += " (every step's table gives its candidates' cost)."

    family = confirmation.get("family") or {}
    held = [row["change"] for row in family.values() if row["verdict"] == "held"]
    complete = family and all(len(row["seeds"]) == planned for row in family.values())
    sure = (
        "**How sure.** A step adopts a change that does nothing at most 5% of the time (simulated); a false "
        '"worse" is about as likely, and a real effect too small for five seeds stays "not resolved". Across '
        "the ladder's steps these errors add up uncontrolled, and up to the shuffle step every run read the "
        "titles in one order, so the seeds varied the initialization and dropout only. "
    )
    if complete:
        sure += (
            f"On {planned} fresh seeds and titles no decision read, with Holm's correction over the recipe's "
            f"{len(family)} parts and additions, {len(held)} of the changes held: {', '.join(held) or 'none'} "
            "(the confirmation page)."
        )
    else:
        sure += (
            "The confirmation, on fresh seeds and titles no decision read with the error "
            "controlled over the whole recipe, is still training; its page shows the runs that have finished."
        )
    return markdown(
        "\n\n".join(f"{i}. {text}" for i, text in enumerate((scale, carry, missed, cost, sure), 1))
    )
