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
            missed = f"misses it by {legacy - target:.3f}" if legacy > target else "meets it"
            aim = (
                f"The study's target, {target}, was set a little below the best credible published ratio at full "
                f"scale ({LEADERBOARD}), which is in the challenge's legacy metric; in that metric the final recipe's ratio "
                f"here is {legacy:.3f}, so it {missed}. The legacy metric divides the loss of the tokens it scores by "
                "every character, and drops the tail of the validation stream that does not fill a batch: how much "
                "it scores depends on the tokenizer, which the recipe changes, so its ratio and the full-coverage "
                "one differ. "
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
