"""The study's confirmation: its final recipe taken apart on fresh seeds and titles no decision saw, a
tuned SGD baseline, and R-Drop against controls that cost what it costs.

The ladder (study/ladder.py) stays as it was decided; where these runs disagree with it, they
supersede it.
"""

from __future__ import annotations

import statistics

from lmlab import confirm
from lmlab.config import DEFAULT_PROFILE
from lmlab.confirm import Confirmation
from lmlab.costs import cost
from lmlab.ladder import FINAL_RECIPE, Ladder, group_mean
from lmlab.markdown import interval, markdown, paired_words, seed_range, spread
from lmlab.project import data_setting
from lmlab.runs import Run
from lmlab.stats import paired_difference, paired_ratio
from study.ladder import LADDER

CONFIRMATION = Confirmation(
    seeds=(101, 102, 103, 104, 105),
    test_titles=4000,
    # never adopted, and never tested where the seeds' noise is as low as it is late in the ladder
    additions={
        "RMSNorm": LADDER.step("rmsnorm").candidates["RMSNorm"],
        "untied output": LADDER.step("tying").candidates["untied"],
    },
)

TUNED_SGD_RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
TUNED_SGD = {"momentum": 0.9, "nesterov": True}  # the challenge's SGD with Nesterov's momentum
TUNED_BASELINE = "tuned SGD baseline"


def tuned_sgd_sweep() -> dict[str, dict]:
    """SGD with Nesterov momentum at each rate, on the challenge's model and cosine schedule: tuned on
    the ladder's seeds and validation titles, like every decision of the ladder."""
    return {f"SGD Nesterov lr {lr:g}": TUNED_SGD | {"lr": lr} for lr in TUNED_SGD_RATES}


RDROP_EPOCHS = LADDER.step("rdrop").budget["epochs"]
RDROP_CONTROL = "dropout 0.2"  # R-Drop's own control: the R-Drop step's recipe at seven epochs
EQUAL_COMPUTATION = (
    f"dropout 0.2, {2 * RDROP_EPOCHS} epochs"  # the control that computes at least as much as R-Drop
)


def rdrop_controls(ladder: Ladder) -> dict[str, dict]:
    """R-Drop (two passes a step) and its controls at seven epochs, over the recipe it was measured on:
    dropout 0.2 (R-Drop's own control), dropout 0.3 (a rate above the largest the ladder tried), and
    dropout 0.2 trained for twice the epochs, at least R-Drop's computation (R-Drop's second pass
    doubles the model's arithmetic, not the optimizer's)."""
    step = ladder.step("rdrop", train=False)
    base = step.recipe | step.step.budget  # seven epochs, dropout 0.2
    return {
        RDROP_CONTROL: base,
        "R-Drop 1": base | step.candidates["R-Drop 1"],
        "dropout 0.3": base | {"dropout": 0.3},
        EQUAL_COMPUTATION: base | {"epochs": 2 * RDROP_EPOCHS},
    }


def ladder(data: str | None = None) -> Ladder:
    return Ladder(LADDER, DEFAULT_PROFILE, data or data_setting())


def tuned_sgd(ladder: Ladder, train: bool = False) -> dict[str, list]:
    """The sweep's runs on the ladder's seeds, and the challenge baseline's beside them."""
    plans = {ladder.study.final_baseline: {}} | tuned_sgd_sweep()
    return ladder.at_profile(ladder.profile, plans, train=train)


def best_tuned_sgd(sweep: dict[str, list], seeds: int) -> str | None:
    """The sweep's rate with the lowest mean validation loss over the seeds, once all `seeds` have finished."""
    rates = {label: runs for label, runs in sweep.items() if label in tuned_sgd_sweep()}
    if any(len(runs) < seeds for runs in rates.values()):
        return None
    return min(rates, key=lambda label: group_mean(rates[label]))


def tuned_sgd_confirmed(ladder: Ladder, label: str, train: bool = False) -> dict[str, list]:
    """The chosen SGD on the confirmation's fresh seeds, scored on the test split."""
    settings = tuned_sgd_sweep()[label] | {"test_titles": CONFIRMATION.test_titles}
    return ladder.at_profile(
        ladder.profile, {TUNED_BASELINE: settings}, seeds=CONFIRMATION.seeds, train=train
    )


def rdrop_runs(ladder: Ladder, train: bool = False) -> dict[str, list]:
    return ladder.at_profile(ladder.profile, rdrop_controls(ladder), seeds=LADDER.seeds, train=train)


def runs(ladder: Ladder, train: bool = False) -> dict[str, list[Run]]:
    """Every run the confirmation reads, finished; with `train`, those the store lacks trained first, in
    the order its conclusions need them: the family on fresh seeds, the tuned baseline, R-Drop's controls
    (the longest runs) last. `lmlab ladder --plans confirmation` calls it."""
    family = confirm.train(ladder, CONFIRMATION) if train else confirm.runs(ladder, CONFIRMATION)
    sweep = tuned_sgd(ladder, train=train)
    best = best_tuned_sgd(sweep, len(ladder.seeds))
    fresh = tuned_sgd_confirmed(ladder, best, train=train) if best else {}
    controls = rdrop_runs(ladder, train=train)
    return (
        family
        | {f"sweep: {label}": runs for label, runs in sweep.items()}
        | fresh
        | {f"R-Drop controls: {label}": runs for label, runs in controls.items()}
    )


def tuned_comparison(ladder: Ladder, groups: dict[str, list]) -> dict:
    """The tuned SGD against the challenge's: the sweep (validation, the ladder's seeds), AdamW's gain
    over each, and the final recipe's ratio to each on the fresh seeds and the test split."""
    sweep = tuned_sgd(ladder)
    best = best_tuned_sgd(sweep, len(ladder.seeds))
    baseline = ladder.study.final_baseline
    adamw = ladder.step("adamw", train=False)
    out = {
        "rates": {label: [run.final.get("val_loss") for run in runs] for label, runs in sweep.items()},
        "best": best,
        "adamw_step": {
            "candidate": adamw.winner,
            "minus_challenge_sgd": paired_difference(adamw.groups[adamw.winner], sweep[baseline]),
            "minus_tuned_sgd": paired_difference(adamw.groups[adamw.winner], sweep[best]) if best else None,
        },
    }
    if best:
        fresh = tuned_sgd_confirmed(ladder, best)[TUNED_BASELINE]
        recipe = groups.get(FINAL_RECIPE, [])
        out["fresh_seeds"] = {
            "tuned_minus_challenge": paired_difference(fresh, groups.get(baseline, []), "test_loss"),
            "recipe_over_challenge": paired_ratio(recipe, groups.get(baseline, []), "test_loss"),
            "recipe_over_tuned": paired_ratio(recipe, fresh, "test_loss"),
            "seeds": [run.config["seed"] for run in fresh],
            "test_loss": [run.final.get("test_loss") for run in fresh],
            "runs": [run.id for run in fresh],
        }
    return out


def rdrop_comparison(ladder: Ladder) -> dict:
    """R-Drop against each control, seed by seed on validation (the runs of the R-Drop step's seeds)."""
    groups = rdrop_runs(ladder)
    rdrop = groups["R-Drop 1"]
    return {
        label: {
            "seeds": [run.config["seed"] for run in runs],
            "val_loss": [run.final.get("val_loss") for run in runs],
            "rdrop_minus_this": paired_difference(rdrop, runs) if label != "R-Drop 1" else None,
            # a control against R-Drop's own control: does it alone give what R-Drop gives?
            "this_minus_dropout": paired_difference(runs, groups[RDROP_CONTROL])
            if label not in (RDROP_CONTROL, "R-Drop 1")
            else None,
            "equal_computation": label == EQUAL_COMPUTATION,
            "epochs": runs[0].config["epochs"] if runs else None,
            **cost(runs),
        }
        for label, runs in groups.items()
    }


def summary(ladder: Ladder) -> dict:
    """results/summary.json's confirmation section."""
    groups = confirm.runs(ladder, CONFIRMATION)
    return {
        **confirm.summary(ladder, CONFIRMATION, groups),
        "tuned_baseline": tuned_comparison(ladder, groups),
        "rdrop_controls": rdrop_comparison(ladder),
    }


def reading(data: dict):
    """What the confirmation says so far, in words: the final ratio on test, and which adoptions held."""
    planned = len(data["seeds"])
    final = data["final"]["groups"]
    recipe = data["confirmed_recipe"]["label"]
    ratio = final.get(recipe, {}).get("ratio_paired", {})
    family = data["family"]
    done = sum(len(row["seeds"]) for row in family.values()) + sum(len(g["runs"]) for g in final.values())
    total = planned * (len(family) + len(final))
    lines = []
    if done < total:
        lines.append(
            f"**In progress:** {done} of the {total} runs of the baseline, the recipe and the family have finished. "
            "Until every seed has, Holm's correction runs over the variants that have two or more and the verdicts "
            "are provisional."
        )
    if ratio.get("test_loss"):
        seeds = final[recipe]["seeds"]
        lines.append(
            f"On seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))} ({len(seeds)} of the {planned} "
            "planned) and the "
            f"{data['test_titles']:,} test titles, the {recipe}'s "
            f"loss is {interval(ratio['test_loss'])} of the baseline's, seed by seed (95% interval); in the challenge's "
            f"legacy metric {interval(ratio.get('test_loss_legacy'))}, and on the validation titles every decision "
            f"read {interval(ratio.get('val_loss'))}."
        )
    by_verdict: dict[str, list[str]] = {}
    for row in family.values():
        by_verdict.setdefault(row["verdict"], []).append(row["change"])
    final_words = {
        "held": "taking it out hurts: the adoption held",
        "not confirmed": "taking it out cannot be told from the seeds' noise after Holm's correction over the "
        "family: not confirmed",
        "leaves the recipe": "taking it out helps: it leaves the recipe",
        "helps": "putting it in helps",
        "hurts": "putting it in hurts",
        "no effect resolved": "putting it in has no effect the family resolves",
        "too few seeds": "too few seeds yet",
    }
    so_far_words = final_words | {  # a verdict on part of the seeds is not the family's yet
        "held": "taking it out hurts on the seeds so far: held for now",
        "not confirmed": "taking it out cannot be told from the seeds' noise after Holm's correction yet",
        "leaves the recipe": "taking it out helps on the seeds so far: it would leave the recipe",
        "helps": "putting it in helps on the seeds so far",
        "hurts": "putting it in hurts on the seeds so far",
        "no effect resolved": "putting it in has no effect resolved yet",
    }
    words = final_words if done == total else so_far_words
    told = [f"{', '.join(changes)}: {words[v]}" for v, changes in by_verdict.items()]
    if told:
        lines.append(
            (
                f"Provisionally, on at least {min(len(row['seeds']) for row in family.values())} of the {planned} seeds, "
                "inside"
                if done < total
                else "Inside"
            )
            + " the final recipe, "
            + "; ".join(told)
            + "."
        )
    if recipe != FINAL_RECIPE:
        lines.append(f"The recipe this confirms is the {recipe}; the site's final numbers are its.")
    return markdown("\n\n".join(lines))


def tuned_reading(tuned: dict):
    """The tuned SGD baseline in words: the best rate, AdamW's gain against each SGD, and the final
    recipe's ratio to each on the fresh seeds."""
    adamw = tuned["adamw_step"]
    lines = []
    swept = sum(len(losses) for label, losses in tuned["rates"].items() if label in tuned_sgd_sweep())
    if tuned["best"] is None:
        lines.append(
            "**In progress:** the sweep has not started, so nothing is measured against a tuned SGD yet."
            if swept == 0
            else f"**In progress:** {swept} of the sweep's {len(tuned_sgd_sweep()) * len(LADDER.seeds)} runs have "
            "finished; no rate is chosen yet."
        )
    else:
        lines.append(
            f"The best rate is {tuned['best']}. The ladder's {adamw['candidate']} minus the challenge's SGD: "
            f"{paired_words(adamw['minus_challenge_sgd'])}; minus the tuned SGD: {paired_words(adamw['minus_tuned_sgd'])}."
        )
        collapsed = _collapsed(tuned["rates"])
        if collapsed:
            lines.append(collapsed)
        lines.append(
            "Only the learning rate is swept, with Nesterov momentum 0.9 and the challenge's cosine schedule "
            "without warmup, so this SGD is tuned in one setting, not to its best."
        )
    fresh = tuned.get("fresh_seeds")
    if fresh and fresh["recipe_over_tuned"]:
        losses = [loss for loss in fresh.get("test_loss", []) if loss is not None]
        trained = (
            f"{tuned['best']}, trained again on seeds {seed_range(fresh['seeds'])} and scored on the test split, "
            f"reaches {spread(statistics.fmean(losses), statistics.stdev(losses))} nats/char, "
            f"{paired_words(fresh['tuned_minus_challenge'])} against the challenge's SGD on the same seeds. "
            if len(losses) > 1
            else ""
        )
        lines.append(
            f"{trained}On those seeds and titles the final recipe's loss is "
            f"{interval(fresh['recipe_over_challenge'])} of the challenge baseline's and "
            f"{interval(fresh['recipe_over_tuned'])} of the tuned SGD's. (The ladder's table gives AdamW's "
            "difference at 99%, the level its step decided at; here it is at 95%.)"
        )
    return markdown("\n\n".join(lines))


SAME_LOSS = 0.002  # seeds that end this close share a loss that does not depend on the seed


def _collapsed(rates: dict[str, list[float]]) -> str:
    """Rates whose seeds end at one loss, whatever the seed: a run that collapsed to a solution the seed
    does not change. Named with the other rates' seeds that end there too, and what the rest reached."""
    shared = next(
        (
            statistics.fmean(losses)
            for losses in rates.values()
            if len(losses) > 1 and max(losses) - min(losses) < SAME_LOSS
        ),
        None,
    )
    if shared is None:
        return ""
    parts = []
    for label, losses in rates.items():
        there = [loss for loss in losses if abs(loss - shared) < SAME_LOSS]
        if not there:
            continue
        rest = [loss for loss in losses if abs(loss - shared) >= SAME_LOSS]
        parts.append(
            f"{label}: {len(there)} of {len(losses)} seeds"
            + (f" (the other reaches {', '.join(f'{loss:.4f}' for loss in rest)})" if rest else "")
        )
    ends = [loss for losses in rates.values() for loss in losses if abs(loss - shared) < SAME_LOSS]
    at = (
        f"{min(ends):.4f}"
        if f"{min(ends):.4f}" == f"{max(ends):.4f}"
        else f"{min(ends):.4f} to {max(ends):.4f}"
    )
    return (
        f"Some runs end at {at} nats/char whatever their seed: {'; '.join(parts)}. A loss the seed does "
        "not change is the mark of training that collapsed to one solution, so these rates' means do not say how "
        "well SGD trains there."
    )


def rdrop_reading(controls: dict):
    """R-Drop against each control, and what each costs in arithmetic a run (per character times epochs,
    the same on any machine; minutes compare only between runs trained together, which these are not)."""
    rdrop = controls["R-Drop 1"]
    lines = []
    for label, row in controls.items():
        if label == "R-Drop 1":
            continue
        if row["rdrop_minus_this"] is None:
            done, planned = len(row.get("seeds") or []), len(rdrop.get("seeds") or [])
            lines.append(
                f"- **{label}**: {done} of {planned} seeds trained so far."
                if done
                else f"- **{label}**: not trained yet."
            )
            continue
        costs = []
        if (
            row.get("flops_per_char")
            and rdrop.get("flops_per_char")
            and row.get("epochs")
            and rdrop.get("epochs")
        ):
            times = (rdrop["flops_per_char"] * rdrop["epochs"]) / (row["flops_per_char"] * row["epochs"])
            costs.append(f"{times:.1f}x its arithmetic a run")
        cost_words = f"; R-Drop takes {' and '.join(costs)}" if costs else ""
        alone = row.get("this_minus_dropout")
        alone_words = f" It minus {RDROP_CONTROL} alone: {paired_words(alone)}." if alone else ""
        lines.append(
            f"- **{label}**: R-Drop minus it, {paired_words(row['rdrop_minus_this'])}{cost_words}.{alone_words}"
        )
    return markdown("\n".join(lines))


# python -m study.confirm, or lmlab ladder --plans confirmation: train what the confirmation lacks
if __name__ == "__main__":
    runs(ladder(), train=True)
