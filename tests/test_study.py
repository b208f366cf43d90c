"""The study's own sentences (study/): written from a ladder summary as lmlab.ladder.summary gives it."""

from study import summary as study_summary


def candidate(mean: float, **more) -> dict:
    return {"mean": mean, "std": 0.01, "seeds": [1, 2, 3], "val_loss": [mean] * 3, "runs": [], **more}


def step(name: str, title: str, best: str, mean: float, verdict: str, paired: float | None, **more) -> dict:
    return {
        "step": name,
        "title": title,
        "starts_from": "SGD (challenge)",
        "budget": {},
        "follows": True,
        "best": best,
        "paired": None
        if paired is None
        else {"n": 3, "mean": paired, "low": paired - 0.01, "high": paired + 0.01},
        "verdict": verdict,
        "adopted": verdict in ("baseline", "adopted"),
        "recipe_after": {},
        "candidates": {best: candidate(mean)},
        **more,
    }


def summary(target: float | None) -> dict:
    steps = [
        step("baseline", "Initial run", "SGD (challenge)", 2.0, "baseline", None),
        step("adamw", "AdamW", "AdamW lr 0.002", 1.6, "adopted", -0.4, recipe_after={"optimizer": "adamw"}),
        step("rope", "Rotary positions", "RoPE", 1.58, "not resolved", -0.02),
    ]
    return {
        "study": "mainrun",
        "baseline": "SGD (challenge)",
        "final_baseline": "challenge baseline (SGD)",
        "target_ratio": target,
        "profile": "cpu",
        "complete": True,
        "steps": steps,
        "final_recipe": {
            "settings": {"optimizer": "adamw"},
            "label": "AdamW lr 0.002",
            "val_loss": 1.6,
            "ratio_to_baseline": 0.8,
        },
    }


def test_findings_group_the_verdicts_and_set_the_final_ratio_beside_adamw_alone():
    text = str(study_summary.findings(summary(target=None)))
    assert "- **Adopted:** AdamW lr 0.002 (-0.400)." in text
    assert "- **Not resolved at five seeds, so not adopted:** RoPE (-0.020)." in text
    assert "The final recipe reaches **0.800** of the baseline's validation loss at the `cpu` profile" in text
    assert "AdamW alone (the ladder's second step) is 0.800 of the baseline" in text
    assert "The study's target" not in text and "full-scale leaderboard" in text


def test_findings_name_the_step_that_came_closest_to_a_missed_target():
    text = str(study_summary.findings(summary(target=0.7)))
    assert "the recipe misses it by 0.100" in text
    assert (
        "The step that came closest is “Rotary positions”: its candidate RoPE reaches 0.790 of the baseline"
        in text
    )
    assert "meets it" in str(study_summary.findings(summary(target=0.9)))
