"""The confirmation: the final recipe taken apart on fresh seeds, scored on the test split, Holm over the family."""

import pytest

from conftest import HN_TITLES, TINY
from lmlab import confirm
from lmlab.config import PROFILES
from lmlab.ladder import FINAL_RECIPE, Ladder, Step, StepResult, Study, recipe_parts
from lmlab.runs import Run, write_json

BASELINE = "SGD (challenge)"


def result(name: str, candidates: dict, recipe: dict, adopted: bool = True) -> StepResult:
    winner = next(iter(candidates))
    return StepResult(
        step=Step(name, name, candidates, "test"),
        recipe_label="",
        recipe=recipe,
        recipe_runs=[],
        groups={label: [] for label in candidates},
        winner=winner,
        adopted=adopted,
        recipe_after=recipe | candidates[winner] if adopted else recipe,
        label_after="",
    )


def test_every_adopted_change_is_a_part_unless_a_later_adoption_changed_it_again():
    adamw = {"optimizer": "adamw", "lr": 2e-3}
    steps = [
        result("baseline", {BASELINE: {}}, {}, adopted=False),
        result("adamw", {"AdamW": adamw}, {}),
        result("rope", {"RoPE": {"pos": "rope"}}, adamw, adopted=False),
        result("both", {"A + B": {"init": "scaled", "mlp": "swiglu"}}, adamw),
        result("muon", {"Muon": {"optimizer": "muon"}}, adamw | {"init": "scaled", "mlp": "swiglu"}),
    ]

    def study(parts):
        return Study(
            "test", (Step("baseline", "Initial run", {BASELINE: {}}, "test"),), BASELINE, parts=parts
        )

    parts = recipe_parts(
        steps, study({"both": {"scaled init": {"init": "scaled"}, "SwiGLU": {"mlp": "swiglu"}}})
    )
    # AdamW is superseded by Muon; RoPE was never adopted; the combined step comes apart
    assert list(parts) == ["scaled init", "SwiGLU", "Muon"]
    assert parts["Muon"][0].recipe["optimizer"] == "adamw"  # what Muon replaced, to put back
    # parts written for another change (the step adopted something else at this profile): one part
    assert list(recipe_parts(steps, study({"both": {"RMSNorm": {"norm": "rms"}}}))) == ["A + B", "Muon"]


def fake_runs(tmp_path, name: str, values: dict[int, float]) -> list[Run]:
    out = []
    for seed, value in values.items():
        folder = tmp_path / f"{name}-{seed}"
        folder.mkdir()
        write_json(folder / "config.json", {"seed": seed})
        write_json(folder / "meta.json", {"status": "done", "final": {"test_loss": value}})
        out.append(Run(folder))
    return out


def test_holm_over_the_family_decides_each_change(tmp_path):
    seeds = (1, 2, 3, 4, 5)
    recipe = {s: 1.40 + 0.01 * s for s in seeds}
    noise = {1: 0.001, 2: -0.001, 3: 0.0005, 4: -0.0005, 5: 0.0}
    groups = {
        FINAL_RECIPE: fake_runs(tmp_path, "recipe", recipe),
        "without Muon": fake_runs(tmp_path, "m", {s: v + 0.05 + noise[s] for s, v in recipe.items()}),
        "without SwiGLU": fake_runs(tmp_path, "s", {s: v - 0.01 + noise[s] for s, v in recipe.items()}),
        "without scaled init": fake_runs(tmp_path, "i", {s: v + 3 * noise[s] for s, v in recipe.items()}),
        "with RMSNorm": fake_runs(tmp_path, "r", {s: v + 0.002 + 5 * noise[s] for s, v in recipe.items()}),
        "challenge baseline (SGD)": fake_runs(tmp_path, "b", {s: 2.2 for s in seeds}),  # not in the family
    }
    family = confirm.family(groups)
    assert list(family) == ["without Muon", "without SwiGLU", "without scaled init", "with RMSNorm"]
    verdicts = {label: row["verdict"] for label, row in family.items()}
    assert verdicts == {
        "without Muon": "held",
        "without SwiGLU": "leaves the recipe",
        "without scaled init": "not confirmed",
        "with RMSNorm": "no effect resolved",
    }
    # Holm: the smallest p times the family's size, and never below the raw p
    smallest = min(family.values(), key=lambda row: row["paired"]["p"])
    assert smallest["p_holm"] == pytest.approx(min(1.0, 4 * smallest["paired"]["p"]))
    assert all(row["p_holm"] >= row["paired"]["p"] for row in family.values())
    assert family["without Muon"]["paired"]["mean"] == pytest.approx(0.05)
    # worth, without the change minus with it: a removal's as measured, an addition's turned
    assert family["without Muon"]["worth"]["mean"] == pytest.approx(0.05)
    rmsnorm = family["with RMSNorm"]
    assert rmsnorm["worth"]["mean"] == pytest.approx(-0.002)
    assert (rmsnorm["worth"]["low"], rmsnorm["worth"]["high"]) == (
        -rmsnorm["paired"]["high"],
        -rmsnorm["paired"]["low"],
    )


def test_a_confirmation_trains_fresh_seeds_scored_on_the_test_split(monkeypatch, tmp_path):
    monkeypatch.setitem(
        PROFILES, "smoke", {**PROFILES["smoke"], **{k: v for k, v in TINY.items() if k != "data"}}
    )
    study = Study(
        "test",
        (
            Step("baseline", "Initial run", {BASELINE: {}}, "test"),
            Step("opt", "Optimizer", {"AdamW": {"optimizer": "adamw", "lr": 3e-3}}, "test"),
        ),
        BASELINE,
    )
    ladder = Ladder(study, "smoke", str(HN_TITLES), runs_dir=tmp_path, seeds=(1, 2))
    ladder.train_all(progress=False, log=lambda m: None)
    assert ladder.step("opt", train=False).adopted
    confirmation = confirm.Confirmation(seeds=(7, 8), test_titles=300, additions={"RoPE": {"pos": "rope"}})
    plans = confirm.plans(ladder, confirmation)
    assert list(plans) == [BASELINE, FINAL_RECIPE, "without AdamW", "with RoPE"]
    assert plans["without AdamW"] == {"optimizer": "sgd", "lr": 6e-3, "test_titles": 300}
    groups = confirm.train(ladder, confirmation)
    runs = [run for group in groups.values() for run in group]
    assert len(runs) == 8 and {run.config["seed"] for run in runs} == {7, 8}
    assert all(run.final["test_loss"] > 0 and run.meta["data"]["texts"]["test"] == 300 for run in runs)
    family = confirm.family(groups)
    assert set(family) == {"without AdamW", "with RoPE"} and family["without AdamW"]["paired"]["n"] == 2
