"""The confirmation (lmlab.confirm) as Markdown: the final ratio on fresh seeds and the test split, and
the final recipe taken apart, each change beside its gain on the ladder and what it costs."""

from __future__ import annotations

from lmlab.confirm import WITH, WITHOUT
from lmlab.costs import COST_HEADER, COST_NOTE, cost_cells, cost_table
from lmlab.markdown import NBSP, change_text, markdown, p_value, paired_cell, spread
from lmlab.runs import Run, provenance


def _spread(group: dict, metric: str) -> str:
    mean, std = group.get(f"{metric}_mean"), group.get(f"{metric}_std")
    if mean is None or mean != mean:  # no runs, or none scored in this metric
        return ""
    return spread(mean, std) if len(group["runs"]) > 1 else f"{mean:.4f}"


def _ratio_cell(ratio: dict | None) -> str:
    return "" if ratio is None else f"{ratio['mean']:.3f} [{ratio['low']:.3f},{NBSP}{ratio['high']:.3f}]"


def final_table(summary: dict, planned: int):
    """The baseline against the final recipe (and the confirmed one, where it differs) on the fresh
    seeds: each split's loss, and the ratio seed by seed with its interval in both metrics."""
    final = summary["final"]
    lines = [
        "| | seeds | test loss (nats/char) | ratio on test | legacy ratio on test | validation loss | ratio on validation |",
        "|:---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, group in final["groups"].items():
        ratio = group.get("ratio_paired", {})
        lines.append(
            f"| {label} | {len(group['runs'])} of {planned} | {_spread(group, 'test_loss')} | "
            f"{_ratio_cell(ratio.get('test_loss'))} | {_ratio_cell(ratio.get('test_loss_legacy'))} | "
            f"{_spread(group, 'val_loss')} | {_ratio_cell(ratio.get('val_loss'))} |"
        )
    runs = [run for group in final["groups"].values() for run in group["runs"]]
    lines += [
        "",
        f"*Ratios: the group's loss over the baseline's, seed by seed, mean and 95% interval. Test: the "
        f"{summary['test_titles']:,} titles after the profile's in the same shuffled order, which no decision "
        f"read; seeds {', '.join(map(str, summary['seeds']))}, which no decision used.*",
        "",
        f"*profile {final['profile']} · data fingerprint {final['data_fingerprint'][:8]} · runs "
        f"{', '.join(r[:8] for r in runs) or 'none yet'}.*",
    ]
    return markdown("\n".join(lines))


def _interval_cell(paired: dict | None) -> str:
    if paired is None:
        return ""
    return f"{paired['mean']:+.4f} [{paired['low']:+.4f},{NBSP}{paired['high']:+.4f}]"


def family_table(summary: dict, groups: dict[str, list[Run]], put_back: dict[str, dict], planned: int):
    """Each change taken out of the final recipe (or put in), its gain when the ladder tried it, what
    taking it out does on test at the fresh seeds, Holm's adjusted p over the family, the verdict and the
    variant's cost; `put_back`: {variant: settings it changes}."""
    rows = summary["family"]
    header = ["change (the variant's settings)", "worth on the ladder (validation)",
              "worth in the recipe (test) [95%]", "p (Holm)", "verdict"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|:---|" + "---:|" * 3 + ":---|"]
    for label, row in rows.items():
        gain = summary["ladder_gain"].get(label)
        n = len(row["seeds"])
        verdict = row["verdict"] if n == planned else f"{row['verdict']} so far ({n} of {planned} seeds)"
        p = p_value(row["p_holm"])
        name = f"{row['kind']} {row['change']} ({change_text(put_back.get(label, {}))})"
        ladder = gain and gain["worth"]
        lines.append(
            f"| {name} | {_interval_cell(ladder)} | {_interval_cell(row['worth'])} | {p} | {verdict} |"
        )
    runs = [run for group in groups.values() for run in group]
    lines += [
        "",
        "*Each row takes one change out of the final recipe, putting back what it replaced (the settings in "
        "parentheses), or puts in a change the ladder did not adopt. Both columns give what the change is worth, "
        "the loss without it minus the loss with it, seed by seed: above zero the change helps (for a change taken "
        "out, the variant minus the recipe; for one put in, the recipe minus the variant), as in the chart. The "
        "intervals are each row's own 95%, unadjusted, so one that leaves out zero can still be not confirmed: "
        "the verdict is Holm's over the whole family at "
        f"{summary['alpha']:g}: for a change taken out, held (taking it out hurts), leaves the recipe (taking it "
        "out helps) or not confirmed; for one put in, helps, hurts or no effect resolved. On the ladder: what the "
        "step that tried the change alone measured against the recipe of its time, on validation, with the "
        "interval at that step's level (where no step tried it alone, the step that adopted it).*",
        "",
        *cost_table({label: groups.get(label, []) for label in ("final recipe", *rows)}),
        "",
        COST_NOTE,
        "",
        f"*{provenance(runs)}.*" if runs else "*No run has finished yet.*",
    ]
    return markdown("\n".join(lines))


def removed_settings(plans: dict[str, dict], recipe: str = "final recipe") -> dict[str, dict]:
    """Per variant, the settings in which it differs from the recipe's plan."""
    base = plans[recipe]
    return {
        label: {key: value for key, value in settings.items() if base.get(key) != value}
        for label, settings in plans.items()
        if label.split(" ", 1)[0] in (WITHOUT, WITH)
    }


def comparison_table(groups: dict[str, list[Run]], reference: str, metric: str = "val_loss"):
    """Groups beside a reference group: each one's mean ± std in `metric`, its difference from the
    reference seed by seed with the 95% interval, and its cost."""
    from lmlab.stats import final_values, mean_std, paired_difference

    lines = [
        f"| | seeds | {metric} (nats/char, mean ± std) | minus {reference}, paired [95%] | "
        + " | ".join(COST_HEADER)
        + " |",
        "|:---|---:|---:|---:|" + "---:|" * len(COST_HEADER),
    ]
    for label, runs in groups.items():
        mean, std = mean_std(final_values(runs, metric)) if runs else (None, None)
        shown = "" if mean is None else spread(mean, std)
        paired = (
            ""
            if label == reference
            else paired_cell(paired_difference(runs, groups.get(reference, []), metric))
        )
        lines.append(f"| {label} | {len(runs)} | {shown} | {paired} | " + " | ".join(cost_cells(runs)) + " |")
    runs = [run for group in groups.values() for run in group]
    lines += ["", COST_NOTE, "", f"*{provenance(runs)}.*" if runs else "*No run has finished yet.*"]
    return markdown("\n".join(lines))
