"""The ladder's conclusions confirmed on fresh seeds and held-out texts.

A ladder decides each step on the same validation texts and seeds, one step at a time, with its error
controlled per step only. A confirmation trains, on seeds no decision used and with a test split no
decision read, the baseline, the final recipe, and the final recipe with each adopted change taken
out (put back to what it replaced) or each never-adopted change put in. Each variant is paired with
the recipe seed by seed on the test split, and Holm's correction over the whole family bounds the
chance of any false verdict in it by `alpha`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lmlab.config import make_config
from lmlab.errors import LmlabError
from lmlab.ladder import FINAL_RECIPE, Ladder, StepResult, _followed, against_baseline, recipe_parts
from lmlab.runs import Run
from lmlab.stats import holm, mean_std, paired_difference

WITHOUT, WITH = "without", "with"


@dataclass(frozen=True)
class Confirmation:
    seeds: tuple[int, ...] = (101, 102, 103, 104, 105)  # seeds no decision of the ladder used
    test_titles: int = 4000  # the texts after the profile's, in the same shuffled order
    additions: dict[str, dict] = field(default_factory=dict)
    """Changes the ladder did not adopt, put into the final recipe once more: {label: change}."""
    alpha: float = 0.05  # the chance of any false verdict in the family


def removals(ladder: Ladder, results: list[StepResult]) -> dict[str, dict]:
    """Per part of the final recipe (lmlab.ladder.recipe_parts of the ladder's `results`), the settings that
    put it back to what it replaced: the value before its step, else the profile's."""
    profile = make_config(ladder.profile)
    return {
        label: {key: r.recipe.get(key, getattr(profile, key)) for key in part}
        for label, (r, part) in recipe_parts(results, ladder.study).items()
    }


def plans(ladder: Ladder, confirmation: Confirmation) -> dict[str, dict]:
    """The confirmation's runs as settings over the ladder's profile: the baseline, the final recipe,
    each adopted change taken out and each addition put in, every one scored on the test split."""
    results = ladder.results()
    if not results or not results[-1].complete:
        raise LmlabError("the ladder is not complete: a confirmation takes apart its final recipe")
    recipe = next(r.recipe_after for r in reversed(_followed(results)))
    test = {"test_titles": confirmation.test_titles}
    out = {ladder.study.final_baseline: test, FINAL_RECIPE: recipe | test}
    for label, put_back in removals(ladder, results).items():
        out[f"{WITHOUT} {label}"] = recipe | put_back | test
    for label, change in confirmation.additions.items():
        out[f"{WITH} {label}"] = recipe | change | test
    return out


def train(ladder: Ladder, confirmation: Confirmation, progress: bool = False) -> dict[str, list[Run]]:
    """Train what the store lacks, seed by seed across the plans (so a stopped session leaves every
    variant with as many seeds as the others), then the confirmed recipe where it is none of them; return
    the finished runs."""
    plan = plans(ladder, confirmation)
    for seed in confirmation.seeds:
        ladder.at_profile(ladder.profile, plan, seeds=(seed,), train=True, progress=progress)
    label, settings = confirmed(plan, confirmation, runs(ladder, confirmation))
    if label not in plan:
        ladder.at_profile(
            ladder.profile, {label: settings}, seeds=confirmation.seeds, train=True, progress=progress
        )
    return runs(ladder, confirmation)


def runs(ladder: Ladder, confirmation: Confirmation) -> dict[str, list[Run]]:
    """The finished runs of every plan, and of the confirmed recipe where it is none of them."""
    plan = plans(ladder, confirmation)
    groups = ladder.at_profile(ladder.profile, plan, seeds=confirmation.seeds)
    label, settings = confirmed(plan, confirmation, groups)
    if label not in plan:
        groups |= ladder.at_profile(ladder.profile, {label: settings}, seeds=confirmation.seeds)
    return groups


CONFIRMED_RECIPE = "confirmed recipe"


def confirmed(
    plan: dict[str, dict], confirmation: Confirmation, groups: dict[str, list[Run]]
) -> tuple[str, dict]:
    """The final recipe as the family decides it: every change whose removal helps at the family's level
    is put back. Its label is the plan's that has those settings (the final recipe itself when no change
    leaves, the variant without it when one does), else "confirmed recipe". Until every seed of the
    family has finished, the final recipe. `plan`: the confirmation's plans."""
    if any(len(groups.get(label, [])) < len(confirmation.seeds) for label in plan):
        return FINAL_RECIPE, plan[FINAL_RECIPE]
    leaving = [label for label, row in family(groups, alpha=confirmation.alpha).items()
               if row["verdict"] in ("leaves the recipe", "helps")]  # fmt: skip
    settings = dict(plan[FINAL_RECIPE])
    for label in leaving:
        settings |= {key: value for key, value in plan[label].items() if plan[FINAL_RECIPE].get(key) != value}
    same = [label for label, other in plan.items() if other == settings]
    return (same[0] if same else CONFIRMED_RECIPE), settings


def verdict(paired: dict | None, adjusted_p: float | None, alpha: float, kind: str) -> str:
    """What a variant says about its change, at the family's level: for a change taken out, "held"
    when taking it out hurts, "leaves the recipe" when taking it out helps; for one put in, "helps"
    or "hurts"; else "not confirmed" (taken out) or "no effect resolved" (put in)."""
    if paired is None or adjusted_p is None:
        return "too few seeds"
    if adjusted_p >= alpha:
        return "not confirmed" if kind == WITHOUT else "no effect resolved"
    hurts = paired["mean"] > 0  # the variant's loss is higher than the recipe's
    if kind == WITHOUT:
        return "held" if hurts else "leaves the recipe"
    return "hurts" if hurts else "helps"


def turned(paired: dict | None) -> dict | None:
    """An interval with its sign turned: b minus a from a minus b."""
    return paired and {**paired, "mean": -paired["mean"], "low": -paired["high"], "high": -paired["low"]}


def worth(paired: dict | None, kind: str) -> dict | None:
    """What a change is worth, from its variant paired with the recipe: the loss without the change minus
    the loss with it, above zero where it helps. A variant that takes a change out measured without minus
    with; one that puts a change in, with minus without."""
    return paired if kind == WITHOUT else turned(paired)


def family(
    groups: dict[str, list[Run]],
    reference: str = FINAL_RECIPE,
    metric: str = "test_loss",
    alpha: float = 0.05,
) -> dict[str, dict]:
    """Every variant ("without ..." or "with ...") paired with the reference seed by seed on `metric`,
    its p-value adjusted by Holm over the variants that have one, and its verdict."""
    variants = {label: runs for label, runs in groups.items() if label.split(" ", 1)[0] in (WITHOUT, WITH)}
    paired = {label: paired_difference(runs, groups[reference], metric) for label, runs in variants.items()}
    tested = [label for label, p in paired.items() if p is not None]
    adjusted = dict(zip(tested, holm([paired[label]["p"] for label in tested])))
    out = {}
    for label, runs in variants.items():
        kind, change = label.split(" ", 1)
        mean, std = mean_std([run.final.get(metric) for run in runs]) if runs else (None, None)
        out[label] = {
            "change": change,
            "kind": kind,
            "seeds": [run.config["seed"] for run in runs],
            "mean": mean,
            "std": std,
            "paired": paired[label],
            "worth": worth(paired[label], kind),
            "p_holm": adjusted.get(label),
            "verdict": verdict(paired[label], adjusted.get(label), alpha, kind),
        }
    return out


def ladder_gain(results: list[StepResult], change: dict, adopted_at: StepResult | None = None) -> dict | None:
    """What the ladder measured for `change`: the adopting step's own difference where it adopted this
    change alone, else at the first step that tried it alone its candidate minus that step's recipe (at
    the step's level), else the adopting step's."""
    if adopted_at is not None and adopted_at.candidates[adopted_at.winner] == change:
        return _gain(adopted_at, adopted_at.winner, adopted_at.paired)
    for r in _followed(results):
        for label, candidate in r.candidates.items():
            if candidate == change and r.recipe_runs:
                return _gain(r, label, paired_difference(r.groups[label], r.recipe_runs, level=r.level))
    return None if adopted_at is None else _gain(adopted_at, adopted_at.winner, adopted_at.paired)


def _gain(result: StepResult, candidate: str, paired: dict | None) -> dict:
    # a step measures its candidate (with the change) minus its recipe (without): the worth turns it
    return {"step": result.step.name, "title": result.step.title, "candidate": candidate, "paired": paired,
            "worth": turned(paired)}  # fmt: skip


METRICS = ("test_loss", "test_loss_legacy", "val_loss", "val_loss_legacy")


def summary(ladder: Ladder, confirmation: Confirmation, groups: dict[str, list[Run]]) -> dict:
    """The confirmation as data: its seeds and test split, the family's verdicts beside each change's gain
    on the ladder, the recipe they confirm, and the baseline against it in both metrics on both splits."""
    results = ladder.results()
    label, settings = confirmed(plans(ladder, confirmation), confirmation, groups)
    baseline = ladder.study.final_baseline
    compared = {name: groups.get(name, []) for name in dict.fromkeys((baseline, FINAL_RECIPE, label))}
    steps = recipe_parts(results, ladder.study)
    return {
        "seeds": list(confirmation.seeds),
        "test_titles": confirmation.test_titles,
        "metric": "test_loss (nats/char, every test token once), paired with the final recipe seed by seed",
        "alpha": confirmation.alpha,
        "correction": f"Holm over the family's {sum(1 for n in groups if n.split(' ', 1)[0] in (WITHOUT, WITH))} variants",
        "family": family(groups, alpha=confirmation.alpha),
        "ladder_gain": {
            **{f"{WITHOUT} {part}": ladder_gain(results, change, r) for part, (r, change) in steps.items()},
            **{
                f"{WITH} {label}": ladder_gain(results, change)
                for label, change in confirmation.additions.items()
            },
        },
        "confirmed_recipe": {"label": label, "settings": settings},
        "final": against_baseline(compared, baseline, ladder.profile, ladder.fingerprint, metrics=METRICS),
    }
