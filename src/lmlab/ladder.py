"""The study's ladder: one change at a time, each step starting from the best recipe so far.

A step lists candidate changes (settings on top of the recipe so far). Every candidate is trained
with every seed; the best candidate by mean validation loss is adopted when its mean beats the
current recipe's, and the step is kept in the report either way. Decisions are recomputed from
the run store, so the notebooks, `lmlab ladder` and any number of processes sharing the work
agree on them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from lmlab.config import make_config, run_id
from lmlab.data import fingerprint
from lmlab.errors import LmlabError, RunDiverged, RunLocked
from lmlab.report import mean_std, paired_difference, record_use
from lmlab.runs import Run, RunStore, finished

SEEDS = (1, 2, 3)
PROFILE_SEEDS = {"tiny": (1,)}  # the tests' profile checks the mechanics, not the noise
LEARNING_RATES = (5e-4, 1e-3, 2e-3, 4e-3, 8e-3)


def seeds_for(profile: str) -> tuple[int, ...]:
    return PROFILE_SEEDS.get(profile, SEEDS)


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    candidates: dict[str, dict]
    why: str
    not_eligible: dict[str, str] = field(default_factory=dict)  # label -> why it is shown but cannot be adopted

    def eligible(self, label: str) -> bool:
        return label not in self.not_eligible


STEPS: tuple[Step, ...] = (
    Step("baseline", "Initial run", {"SGD (challenge)": {}},
         "the challenge's recipe unchanged"),
    Step("adamw", "AdamW", {f"AdamW lr {lr:g}": {"optimizer": "adamw", "lr": lr} for lr in LEARNING_RATES},
         "per-parameter step sizes that do not depend on the gradient's scale"),
    Step("schedule", "Warmup and schedule", {
        "warmup + cosine": {"schedule": "warmup_cosine", "warmup_frac": 0.05},
        "warmup + WSD": {"schedule": "wsd", "warmup_frac": 0.05, "decay_frac": 0.2},
    }, "a short warmup protects Adam's first steps, when its moment estimates are still poor"),
    Step("init", "Scaled residual init", {"scaled init": {"init": "scaled"}},
         "GPT-2 shrinks the residual projections by 1/sqrt(2 n_layer) so the residual stream's variance does not grow with depth"),
    Step("rope", "Rotary positions", {"RoPE": {"pos": "rope"}},
         "relative positions in every attention layer instead of absolute ones added once at the input"),
    Step("rmsnorm", "RMSNorm", {"RMSNorm": {"norm": "rms"}},
         "normalizing the scale only, without centering: fewer operations, often no loss in quality"),
    Step("swiglu", "SwiGLU", {"SwiGLU": {"mlp": "swiglu"}},
         "a gated MLP at equal parameter count, the choice of most recent language models"),
    Step("title_mask", "Per-title attention", {"title mask": {"title_mask": True}},
         "titles are independent: attending across the <eos> into an unrelated title is noise"),
    Step("tokenizer", "Tokenizer", {
        "BPE 2048": {"vocab_size": 2048},
        "BPE 8192": {"vocab_size": 8192},
        "unigram 4096": {"tokenizer": "unigram"},
        "words 8192": {"tokenizer": "word", "vocab_size": 8192},
    }, "the vocabulary trades sequence length against embedding size; nats per character compares them fairly",
        not_eligible={"words 8192": "every word outside its 8,192 becomes `<unk>`, which is cheap to predict and "
                                    "never spelled out, so its nats per character is not comparable"}),
    Step("tying", "Weight tying", {"untied": {"tie_embeddings": False}},
         "a separate output matrix doubles the embedding parameters but frees input and output roles"),
    Step("dropout", "Dropout", {"no dropout": {"dropout": 0.0}, "dropout 0.2": {"dropout": 0.2}},
         "with two epochs over the data, regularization may matter less than capacity"),
    Step("shape", "Depth vs width", {
        "8 layers x 184": {"n_layer": 8, "d_model": 184},
        "2 layers x 360": {"n_layer": 2, "d_model": 360},
    }, "the same number of block parameters (12 n_layer d_model^2, about 3.2M) spent on depth or on width"),
)


def final_loss(run: Run) -> float:
    return run.final.get("val_loss", float("inf")) if run.status == "done" else float("inf")


def group_mean(runs: list[Run]) -> float:
    """Mean final validation loss; infinite when any seed diverged (a setting that sometimes fails loses)."""
    return sum(final_loss(r) for r in runs) / len(runs) if runs else float("inf")


def step_by_name(name: str) -> Step:
    for step in STEPS:
        if step.name == name:
            return step
    raise LmlabError(f"no ladder step '{name}'; steps: {', '.join(s.name for s in STEPS)}")


@dataclass
class StepResult:
    step: Step
    recipe_label: str  # the recipe this step starts from
    recipe: dict  # its settings (over the profile)
    recipe_runs: list[Run]
    groups: dict[str, list[Run]]  # candidate label -> runs (seeds)
    winner: str  # best candidate by mean
    adopted: bool
    recipe_after: dict
    label_after: str
    missing: list = field(default_factory=list)  # (label, settings) not yet done

    @property
    def complete(self) -> bool:
        return not self.missing

    def mean_std(self, label: str | None = None) -> tuple[float, float]:
        runs = self.recipe_runs if label is None else self.groups[label]
        return mean_std([r.final.get("val_loss") for r in runs])


class Ladder:
    """The ladder at one profile and data source, read from (and trained into) one run store."""

    def __init__(self, profile: str, data: str, runs_dir: str | Path | None = None, seeds=None):
        self.profile, self.data = profile, data
        self.seeds = tuple(seeds) if seeds else seeds_for(profile)
        self.store = RunStore(runs_dir)
        self.fingerprint = fingerprint(make_config(profile, data=data))

    def settings(self, recipe: dict, change: dict, seed: int, label: str, step: Step) -> dict:
        return {**recipe, **change, "data": self.data, "seed": seed, "note": f"ladder {step.name}: {label}"}

    def run_for(self, settings: dict) -> Run:
        return self.store.run(run_id(make_config(self.profile, **settings), self.fingerprint))

    def results(self, until: str | None = None) -> list[StepResult]:
        """Every step up to `until` (inclusive), decided from the runs in the store; stops at the
        first step that is not complete, since later steps depend on its decision."""
        results: list[StepResult] = []
        recipe: dict = {}
        recipe_label = "SGD (challenge)"
        recipe_runs: list[Run] = []
        for step in STEPS:
            groups, missing = {}, []
            for label, change in step.candidates.items():
                runs = []
                for seed in self.seeds:
                    settings = self.settings(recipe, change, seed, label, step)
                    run = self.run_for(settings)
                    if finished(run):
                        runs.append(run)
                    else:
                        missing.append((label, settings))
                groups[label] = runs
            means = {label: group_mean(runs) for label, runs in groups.items() if runs and step.eligible(label)}
            winner = min(means, key=means.get) if means else next(label for label in step.candidates if step.eligible(label))
            current = group_mean(recipe_runs)
            adopted = not missing and means.get(winner, float("inf")) < current
            result = StepResult(
                step, recipe_label, dict(recipe), list(recipe_runs), groups, winner, adopted,
                {**recipe, **step.candidates[winner]} if adopted else dict(recipe),
                winner if adopted else recipe_label, missing,
            )
            results.append(result)
            if missing or step.name == until:
                break
            recipe, recipe_label = result.recipe_after, result.label_after
            recipe_runs = groups[winner] if adopted else recipe_runs
        return results

    def step(self, name: str, train: bool = True, progress: bool = True) -> StepResult:
        """One step's result, training what it lacks (each step after the recipe it starts from)."""
        step_by_name(name)
        while True:
            result = self.results(until=name)[-1]
            if result.complete and result.step.name == name:
                for run in result.recipe_runs + [r for runs in result.groups.values() for r in runs]:
                    record_use(run)  # the notebook executing this records which runs it used
                return result
            if not train:
                raise LmlabError(f"ladder step '{result.step.name}' is not complete: {len(result.missing)} runs missing")
            self.train_missing(result, progress=progress)

    def final(self, train: bool = True, progress: bool = True) -> StepResult:
        """The last step's result: its `recipe_after` and `label_after` are the ladder's final recipe."""
        return self.step(STEPS[-1].name, train=train, progress=progress)

    def train_missing(self, result: StepResult, progress: bool = True, log=print) -> None:
        """Train a step's missing runs. A run another process holds is skipped, then waited for."""
        from lmlab.train import train

        waiting = []
        for label, settings in result.missing:
            try:
                train(make_config(self.profile, **settings), runs_dir=self.store.root, progress=progress)
            except RunDiverged:
                log(f"ladder: {label} diverged; recorded as a failed run")
            except RunLocked:
                waiting.append(settings)
        for settings in waiting:
            run = self.run_for(settings)
            pause = 0.25  # a tiny run finishes in a second, a full one in an hour: back off up to 10 s
            while not finished(run):
                if run.status in ("failed", "interrupted") and not self.store.lock(run.id).holder():
                    raise LmlabError(f"run {run.id} of ladder step '{result.step.name}' stopped: {run.meta.get('error') or run.status}")
                time.sleep(pause)
                pause = min(10.0, 2 * pause)

    def train_all(self, progress: bool = False, log=print) -> list[StepResult]:
        while True:
            results = self.results()
            last = results[-1]
            if last.complete:
                return results
            log(f"ladder: step '{last.step.name}' from recipe '{last.recipe_label}': {len(last.missing)} runs to train")
            self.train_missing(last, progress=progress, log=log)


def summary(results: list[StepResult], profile: str, data_fingerprint: str) -> dict:
    """The ladder as data: per step the change, every candidate's per-seed values, mean and std,
    the decision, and the final recipe's ratio to the baseline. Only complete steps count."""
    steps = []
    for r in results:
        if not r.complete:
            break
        candidates = {}
        for label, runs in r.groups.items():
            values = [final_loss(run) for run in runs]
            mean, std = mean_std(values)
            candidates[label] = {"settings": r.step.candidates[label], "seeds": [run.config["seed"] for run in runs],
                                 "val_loss": values, "mean": group_mean(runs), "std": std, "runs": [run.id for run in runs],
                                 "parameters": runs[0].meta.get("num_params") if runs else None,
                                 "paired_difference": paired_difference(runs, r.recipe_runs)}
            if not r.step.eligible(label):
                candidates[label]["not_eligible"] = r.step.not_eligible[label]
        steps.append({
            "step": r.step.name, "title": r.step.title, "starts_from": r.recipe_label, "best": r.winner,
            "adopted": r.adopted, "change": r.step.candidates[r.winner] if r.adopted else {},
            "recipe_after": r.recipe_after, "candidates": candidates,
        })
    out = {"profile": profile, "data_fingerprint": data_fingerprint, "metric": "val_loss (nats/char, every validation token once)",
           "complete": len(steps) == len(STEPS), "steps": steps}
    if steps:
        baseline = steps[0]["candidates"][steps[0]["best"]]["mean"]
        last_adopted = next(s for s in reversed(steps) if s["adopted"])
        final = last_adopted["candidates"][last_adopted["best"]]["mean"]
        chain = " + ".join(s["best"] for s in steps[1:] if s["adopted"]) or steps[0]["best"]
        out["final_recipe"] = {"settings": last_adopted["recipe_after"], "label": chain,
                               "val_loss": final, "ratio_to_baseline": final / baseline}
    return out


def write_summary(data: dict, folder: Path) -> None:
    """results/summary.json for the cpu profile (the report's), summary-<profile>.json for the others."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"summary{'' if data['profile'] == 'cpu' else '-' + data['profile']}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")


def run_count(seeds=SEEDS) -> int:
    """Runs the whole ladder trains at one profile: every candidate of every step, every seed."""
    return sum(len(step.candidates) for step in STEPS) * len(seeds)


def final_comparison(results: list[StepResult]) -> dict[str, list[Run]]:
    """The challenge baseline's runs and the final recipe's (the last adopted candidate's), over the complete steps."""
    complete = [r for r in results if r.complete]
    adopted = [r for r in complete if r.adopted]
    groups = {"challenge baseline (SGD)": complete[0].groups[complete[0].winner]} if complete else {}
    if adopted:
        groups["final recipe"] = adopted[-1].groups[adopted[-1].winner]
    return groups


def ladder_groups(results: list[StepResult]) -> dict[str, list[Run]]:
    """Per complete step, its best candidate's runs, labelled with the step and whether it was adopted."""
    groups = {}
    for r in results:
        if r.complete:
            suffix = "" if r.adopted else " (not adopted)"
            groups[f"{r.step.title}: {r.winner}{suffix}"] = r.groups[r.winner]
    return groups
