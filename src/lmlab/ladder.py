"""A study's ladder: one change at a time, each step starting from the best recipe so far.

A study (`Study`: its steps, its seeds, its baseline) is the project's, written beside its notebooks;
the ladder here trains and decides it.

A step lists candidate changes (settings on top of the recipe so far). Every candidate is trained
with the same seeds as the recipe, so the two are compared seed by seed: the best candidate by
mean is adopted when the interval of its paired difference to the recipe lies below zero. Where
three seeds cannot decide, seeds 4 and 5 of both are trained and the step decides on five; where
five cannot, the change is "not resolved" and the recipe stays the simpler one. Picking the best of
k candidates and looking twice both inflate the error of one 95% interval, so each interval is
widened (Bonferroni over the k candidates and the two looks, `interval_level`): a change that does
nothing is adopted at most 5% of the time, whatever k (benchmarks/rule_error.py simulates it). Decisions
are recomputed from the run store, so the notebooks, `lmlab ladder` and any number of processes
sharing the work agree on them.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lmlab.config import Config, make_config, run_id
from lmlab.data import fingerprint
from lmlab.errors import LmlabError
from lmlab.executors import make_executor
from lmlab.project import plan_specs, project_root, study_spec
from lmlab.runs import Run, RunStore, finished, record_use
from lmlab.stats import (
    final_values,
    mean_std,
    paired_difference,
    paired_ratio,
    paired_values,
    seeds_to_resolve,
)
from lmlab.workers import Job

FALSE_ADOPTION = 0.05  # the most often a step may adopt a change that does nothing
NOMINAL_LEVEL = 0.95  # the rule before the correction: one 95% interval at each look


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    candidates: (
        dict[str, dict] | Callable[[dict], dict[str, dict]]
    )  # a function of the recipe where the change depends on it
    why: str
    not_eligible: dict[str, str] = field(
        default_factory=dict
    )  # label -> why it is shown but cannot be adopted
    budget: dict = field(
        default_factory=dict
    )  # settings the step measures at, other than the ladder's (recipe included)
    follows: bool = True  # False: the step's verdict is reported but the ladder's recipe (at its own budget) does not take it
    diagnose: tuple[str | None, ...] = ()
    """Candidates (None: the step's recipe) trained once more, at the study's diagnostic seed, for the step's picture of what
    happens inside the model (lmlab.diagnostics); `lmlab ladder` trains them once the step is complete."""

    def eligible(self, label: str) -> bool:
        return label not in self.not_eligible

    def changes(self, recipe: dict) -> dict[str, dict]:
        return self.candidates(recipe) if callable(self.candidates) else self.candidates


def scaled_rates(recipe: dict, scale: float) -> dict:
    """Every learning rate of the recipe times `scale`."""
    rates = {"lr": recipe.get("lr", Config.lr) * scale}
    if recipe.get("optimizer") == "muon":
        rates["muon_lr"] = recipe.get("muon_lr", Config.muon_lr) * scale
    return rates


@dataclass(frozen=True)
class Study:
    """A ladder of steps and how it is trained: the project's, handed to `Ladder`."""

    name: str
    steps: tuple[Step, ...]
    baseline: str  # the label of the first step's one candidate: the settings every ratio divides by
    baseline_title: str = ""  # the baseline's label beside the final recipe (default: `baseline`)
    seeds: tuple[int, ...] = (1, 2, 3)
    extra_seeds: tuple[int, ...] = (4, 5)  # trained only where `seeds` cannot decide
    diagnostic_seed: int = 11  # one more run of each `Step.diagnose` recipe: a picture, not a statistic
    profile_seeds: dict[str, tuple[int, ...]] = field(default_factory=dict)  # a profile's own seeds
    size_steps: tuple[str, ...] = ()
    """The steps that decide the model's size, vocabulary and batch at the ladder's own profile: at an
    `at_size` profile the recipe takes every adopted change but theirs."""
    at_size: dict[str, str] = field(default_factory=dict)
    """Per ladder profile, the profile at the size the study aims at, where the baseline and the final
    recipe are trained again."""
    more_seeds_at_most: int = 10
    """Beyond the rule: a change left not resolved whose observed spread says that at most this many
    seeds would resolve it is trained to that many, and its interval is reported beside its verdict. The
    verdict and the recipe stay as the rule decided: a third look is outside the rule's error budget."""
    target_ratio: float | None = None  # the study's goal for the final recipe against the baseline
    parts: dict[str, dict[str, dict]] = field(default_factory=dict)
    """The final recipe's parts where a step's adopted change is not one part: {step: {part: change}}, each
    part named by what the recipe holds now (a step that adopted three changes at once, one by one). They
    apply where the step adopted the change they part (at another profile it may adopt another)."""

    def __post_init__(self):
        names = [step.name for step in self.steps]
        if len(set(names)) != len(names):
            raise LmlabError(f"study '{self.name}': two steps share a name ({', '.join(names)})")
        if not self.steps or list(self.steps[0].changes({})) != [self.baseline]:
            raise LmlabError(
                f"study '{self.name}': the first step must have one candidate, the baseline '{self.baseline}'"
            )
        unknown = set(self.size_steps) - set(names)
        if unknown:
            raise LmlabError(f"study '{self.name}': size_steps names no step: {', '.join(sorted(unknown))}")

    @property
    def final_baseline(self) -> str:
        """The baseline's label beside the final recipe."""
        return self.baseline_title or self.baseline

    @property
    def looks(self) -> tuple[int, int]:
        """The seeds a step decides on at its first look, and at its second where the first cannot decide."""
        return len(self.seeds), len(self.seeds) + len(self.extra_seeds)

    def seeds_for(self, profile: str) -> tuple[int, ...]:
        return self.profile_seeds.get(profile, self.seeds)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise LmlabError(f"no ladder step '{name}'; steps: {', '.join(s.name for s in self.steps)}")

    def labels(self) -> list[str]:
        """Every candidate's label in ladder order, the baseline first (the order its colours are given
        in); a label that depends on the recipe is taken as it reads over the baseline."""
        labels = [self.baseline]
        for step in self.steps:
            labels += [label for label in step.changes({}) if label not in labels]
        return labels


def load_study(spec: str | None = None, root: Path | None = None) -> Study:
    """The project's study, `module:NAME` (default: `[tool.lmlab] study` in the project's
    pyproject.toml, else study:LADDER), imported with the project's folder on the path."""
    root = root or project_root()
    spec = spec or study_spec(root)
    study = _project_object(
        spec, root, "study", "study:LADDER", "--study module:NAME or [tool.lmlab] study in its pyproject.toml"
    )
    if not isinstance(study, Study):
        raise LmlabError(
            f"study {spec!r}: {spec.replace(':', '.')} is "
            f"{'missing' if study is None else type(study).__name__}, not a lmlab.ladder.Study"
        )
    return study


Plan = Callable[["Ladder", bool], dict]
"""A named training beyond the ladder (`[tool.lmlab.plans]`): called with the study's ladder and
`train`, it trains the runs the store lacks when `train`, and returns {label: finished runs}."""


def load_plans(root: Path | None = None) -> dict[str, Plan]:
    """The project's named plans, `[tool.lmlab.plans]` in its pyproject.toml: {name: "module:function"}."""
    root = root or project_root()
    plans = {}
    for name, spec in plan_specs(root).items():
        plan = _project_object(
            spec, root, f"plan {name!r}", "study.full:runs", "[tool.lmlab.plans] in its pyproject.toml"
        )
        if not callable(plan):
            raise LmlabError(f"plan {name!r} ({spec}) is {type(plan).__name__}, not a function")
        plans[name] = plan
    return plans


def _project_object(spec: str, root: Path | None, what: str, example: str, where_named: str):
    """`module:NAME` imported with the project's folder on the path (None where the module lacks NAME)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise LmlabError(f"{what} {spec!r}: write it as module:NAME, as in {example}")
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name.split(".")[0]:
            raise
        where = f"in {root}" if root else "here (no myst.yml at or above the working directory)"
        raise LmlabError(
            f"{what} {spec!r}: no module {module_name!r} {where}; run from the project's folder, or name it "
            f"with {where_named}"
        ) from None
    return getattr(module, attribute, None)


def budget_text(budget: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in budget.items())


def beyond_length(budget: dict) -> dict:
    """A step's budget less its length: settings the recipe it starts from takes (a dropout rate, say)."""
    return {key: value for key, value in budget.items() if key != "epochs"}


def baseline_trained_as_long(step: dict, steps: list[dict], baseline: str) -> dict | None:
    """The baseline's entry (label `baseline`) in a summary at the step's number of epochs: the step's
    own, or another step's at the same length."""
    return next(
        (
            other["candidates"][baseline]
            for other in [step, *steps]
            if baseline in other["candidates"]
            and other["budget"].get("epochs") == step["budget"].get("epochs")
        ),
        None,
    )


def final_loss(run: Run) -> float:
    return run.final.get("val_loss", float("inf")) if run.status == "done" else float("inf")


def group_mean(runs: list[Run]) -> float:
    """Mean final validation loss; infinite when any seed diverged (a setting that sometimes fails loses)."""
    return sum(final_loss(r) for r in runs) / len(runs) if runs else float("inf")


def interval_level(candidates: int) -> float:
    """The two-sided level of each interval in a step with this many eligible candidates: the one-sided
    error FALSE_ADOPTION is split over the candidates and the two looks (three seeds, then five)."""
    return 1 - FALSE_ADOPTION / max(candidates, 1)


def verdict(paired: dict | None, candidate_mean: float, recipe_mean: float, can_add_seeds: bool) -> str:
    """The paired rule: adopt when the interval lies below zero, reject when above, add seeds or
    call it not resolved when it holds zero. A candidate with a diverged seed is worse."""
    if candidate_mean == float("inf"):
        return "worse"
    if paired is None:
        return "by mean"
    if paired["high"] < 0:
        return "adopted"
    if paired["low"] > 0:
        return "worse"
    return "undecided" if can_add_seeds else "not resolved"


@dataclass
class StepResult:
    step: Step
    recipe_label: str  # the recipe this step starts from
    recipe: dict  # its settings (over the profile)
    recipe_runs: list[Run]  # the recipe at the step's budget, with the seeds the step compares
    groups: dict[str, list[Run]]  # candidate label -> runs (seeds)
    winner: str  # best candidate by mean over the common seeds
    adopted: bool
    recipe_after: dict
    label_after: str
    missing: list[Job] = field(default_factory=list)  # the runs not yet done
    verdict: str = ""  # baseline, adopted, worse, not resolved, undecided (seeds 4-5 training) or by mean; "" while training
    paired: dict | None = None  # the winner minus the recipe, seed by seed (stats.paired_difference)
    study: Study | None = None  # the study the step is of

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def reference(self) -> str:
        """The label of the runs the candidates are paired with: the recipe, with what the step's budget
        adds beyond its length (a step measured at a dropout rate compares with the recipe at that rate)."""
        added = beyond_length(self.step.budget)
        return f"before: {self.recipe_label}" + (f", {budget_text(added)}" if added else "")

    @property
    def candidates(self) -> dict[str, dict]:
        return self.step.changes(self.recipe)

    @property
    def level(self) -> float:
        """The level of the step's intervals under the corrected rule."""
        return interval_level(sum(1 for label in self.groups if self.step.eligible(label)))

    def mean_std(self, label: str | None = None) -> tuple[float, float]:
        runs = self.recipe_runs if label is None else self.groups[label]
        return mean_std([r.final.get("val_loss") for r in runs])


@dataclass
class MoreSeeds:
    """A step left not resolved, beyond the rule: the seeds that would resolve it and, once trained, the interval."""

    result: StepResult
    needed: int | None  # None: more than 200 seeds at the observed spread
    paired: dict | None = None
    missing: list[Job] = field(default_factory=list)


class Ladder:
    """A study's ladder at one profile and data source, read from (and trained into) one run store."""

    def __init__(
        self,
        study: Study,
        profile: str,
        data: str,
        runs_dir: str | Path | None = None,
        seeds=None,
        executor="local",
    ):
        """`executor`: "local" (this machine's processes), "ray", or an executor from
        lmlab.executors.make_executor (a Ray cluster's address, GPUs and CPUs per run)."""
        if not isinstance(study, Study):
            raise LmlabError(
                f"Ladder takes the study first (a lmlab.ladder.Study, such as the project's study:LADDER), "
                f"not {type(study).__name__}"
            )
        self.study, self.profile, self.data = study, profile, data
        self.executor = make_executor(executor)
        self.seeds = tuple(seeds) if seeds else study.seeds_for(profile)
        self.extra_seeds = study.extra_seeds if len(self.seeds) >= 3 else ()
        self.store = RunStore(runs_dir)
        self.fingerprint = fingerprint(make_config(profile, data=data))
        self._announced: set[tuple[str, int]] = set()
        # every run at_profile was asked for, by label, finished or not: what `--plans --status` reports
        self.planned: dict[str, dict[str, Job]] = {}

    def settings(self, recipe: dict, change: dict, seed: int, label: str, step: Step) -> dict:
        """A run's settings over the profile; None in a change sets a key back to the profile's value."""
        merged = {**recipe, **step.budget, **change}
        return {
            **{k: v for k, v in merged.items() if v is not None},
            "data": self.data,
            "seed": seed,
            "note": f"ladder {step.name}: {label}",
        }

    def job(self, settings: dict, profile: str | None = None, data_fingerprint: str | None = None) -> Job:
        """The run of `settings` over the ladder's profile (or `profile`, whose data has `data_fingerprint`)."""
        cfg = make_config(profile or self.profile, **settings)
        return Job(settings["note"], settings, cfg, run_id(cfg, data_fingerprint or self.fingerprint))

    def _collect(self, recipe: dict, change: dict, seeds, label: str, step: Step, missing: list) -> list[Run]:
        runs = []
        for seed in seeds:
            job = self.job(self.settings(recipe, change, seed, label, step))
            run = self.store.run(job.run_id)
            if finished(run):
                runs.append(run)
            else:
                missing.append(job)
        return runs

    def results(self, until: str | None = None) -> list[StepResult]:
        """Every step up to `until` (inclusive), decided from the runs in the store; stops at the
        first step that is not complete, since later steps depend on its decision (unless the
        recipe does not follow that step: then it goes on)."""
        results: list[StepResult] = []
        recipe: dict = {}
        recipe_label = self.study.baseline
        for step in self.study.steps:
            missing: list = []
            first = not results
            recipe_runs = [] if first else self._collect(recipe, {}, self.seeds, recipe_label, step, missing)
            changes = step.changes(recipe)
            groups = {
                label: self._collect(recipe, change, self.seeds, label, step, missing)
                for label, change in changes.items()
            }
            means = {
                label: group_mean(runs) for label, runs in groups.items() if runs and step.eligible(label)
            }
            winner = (
                min(means, key=means.get)
                if means
                else next(label for label in changes if step.eligible(label))
            )
            result = StepResult(
                step,
                recipe_label,
                dict(recipe),
                recipe_runs,
                groups,
                winner,
                False,
                dict(recipe),
                recipe_label,
                missing,
                study=self.study,
            )
            if first:
                result.verdict = "" if missing else "baseline"
            elif not missing:
                self._decide(result, changes)
            if result.adopted and step.follows:
                result.recipe_after, result.label_after = {**recipe, **changes[winner]}, winner
            results.append(result)
            # a step the recipe does not follow leaves it unchanged, so the steps after it need not wait for it
            if (result.missing and step.follows) or step.name == until:
                break
            recipe, recipe_label = result.recipe_after, result.label_after
        return results

    def _decide(self, result: StepResult, changes: dict) -> None:
        """The paired rule on three seeds, then on five where three cannot decide."""
        step, winner = result.step, result.winner
        candidate, recipe = result.groups[winner], result.recipe_runs
        paired = paired_difference(candidate, recipe, level=result.level)
        # a step at another budget decides on its three seeds: each of its runs costs several of the ladder's
        can_add_seeds = bool(self.extra_seeds) and not step.budget
        verdict_now = verdict(paired, group_mean(candidate), group_mean(recipe), can_add_seeds)
        if verdict_now == "undecided":
            missing = result.missing
            recipe += self._collect(result.recipe, {}, self.extra_seeds, result.recipe_label, step, missing)
            candidate += self._collect(
                result.recipe, changes[winner], self.extra_seeds, winner, step, missing
            )
            if not missing:
                paired = paired_difference(candidate, recipe, level=result.level)
                verdict_now = verdict(paired, group_mean(candidate), group_mean(recipe), False)
        result.paired = paired
        if not result.missing:
            result.verdict = verdict_now
            result.adopted = verdict_now == "adopted" or (
                verdict_now == "by mean" and group_mean(candidate) < group_mean(recipe)
            )

    def step(self, name: str, train: bool = True, progress: bool = True) -> StepResult:
        """One step's result, training what it lacks (each step after the recipe it starts from)."""
        self.study.step(name)
        while True:
            result = self.results(until=name)[-1]
            if result.complete and result.step.name == name:
                for run in result.recipe_runs + [r for runs in result.groups.values() for r in runs]:
                    record_use(run)  # the notebook executing this records which runs it used
                return result
            if not train:
                raise LmlabError(
                    f"ladder step '{result.step.name}' is not complete: {len(result.missing)} runs missing"
                )
            self.executor.train_jobs(result.missing, self.store, self.fingerprint, progress=progress)

    def final(self, train: bool = True, progress: bool = True) -> StepResult:
        """The last step's result: its `recipe_after` and `label_after` are the ladder's final recipe."""
        return self.step(self.study.steps[-1].name, train=train, progress=progress)

    def diagnostic_jobs(self, result: StepResult) -> dict[str, Job]:
        """The runs of the step's `diagnose`, by the label its figures show."""
        jobs = {}
        for label in result.step.diagnose:
            shown = label or f"before: {result.recipe_label}"
            change = {} if label is None else result.candidates[label]
            settings = {**self.settings(result.recipe, change, self.study.diagnostic_seed, shown, result.step),
                        "note": f"diagnostics {result.step.name}: {shown}"}  # fmt: skip
            jobs[shown] = self.job(settings)
        return jobs

    def diagnostic_runs(self, name: str, progress: bool = True) -> dict[str, Run]:
        """The runs of the step's `diagnose` (one each of its recipe and some of its candidates, at
        the study's diagnostic seed, for a picture of what happens inside them); trained where the store lacks them."""
        jobs = self.diagnostic_jobs(self.step(name, train=False))
        missing = [job for job in jobs.values() if not finished(self.store.run(job.run_id))]
        if missing:
            self.executor.train_jobs(missing, self.store, self.fingerprint, progress=progress)
        runs = {shown: self.store.run(job.run_id) for shown, job in jobs.items()}
        for run in runs.values():
            record_use(run)
        return runs

    @property
    def size_profile(self) -> str | None:
        return self.study.at_size.get(self.profile)

    def fingerprint_at(self, profile: str) -> str:
        """The ladder's data as another profile reads it (its cap on titles may differ)."""
        return (
            self.fingerprint if profile == self.profile else fingerprint(make_config(profile, data=self.data))
        )

    def at_profile(
        self, profile: str, plans: dict[str, dict], seeds=None, train: bool = False, progress: bool = False
    ) -> dict[str, list[Run]]:
        """Each plan's settings over another `profile` (on the ladder's data), one run per seed (the
        study's seeds for that profile, or `seeds`: {label: seeds} or one tuple for all); trained where
        the store lacks them when `train`, else only the finished runs are given."""
        data_fingerprint = self.fingerprint_at(profile)
        jobs = {}
        for name, change in plans.items():
            chosen = seeds.get(name) if isinstance(seeds, dict) else seeds
            jobs[name] = [
                self.job(
                    {**change, "data": self.data, "seed": seed, "note": f"at {profile}: {name}"},
                    profile,
                    data_fingerprint,
                )
                for seed in chosen or self.study.seeds_for(profile)
            ]
        for name, js in jobs.items():
            self.planned.setdefault(name, {}).update({job.run_id: job for job in js})
        missing = [job for js in jobs.values() for job in js if not finished(self.store.run(job.run_id))]
        if missing and train:
            self.executor.train_jobs(missing, self.store, data_fingerprint, progress=progress)
        groups = {name: [self.store.run(job.run_id) for job in js] for name, js in jobs.items()}
        return {name: [run for run in runs if finished(run)] for name, runs in groups.items()}

    def at_size(self, train: bool = True, progress: bool = False) -> dict[str, list[Run]] | None:
        """The baseline and the final recipe at the study's `at_size` profile (for this study the
        challenge's model and tokenizer on this profile's data budget), with the ladder's seeds; trained
        here when `train`. The recipe keeps that profile's size and batch (the study's `size_steps`):
        those verdicts are this profile's.
        Without `train`, where the final recipe is not trained there yet, the newest earlier recipe
        that is (labelled "recipe as of step '...'"), else None."""
        profile = self.size_profile
        if profile is None:
            raise LmlabError(f"the `{self.profile}` profile has no profile in the study's at_size")
        results = self.results()
        recipes = [(FINAL_RECIPE, recipe_at_size(results, self.study))]
        if not train:
            recipes += [
                (f"recipe as of step '{r.step.name}'", recipe_at_size(results[: i + 1], self.study))
                for i, r in reversed(list(enumerate(results[:-1])))
                if r.adopted and r.step.follows
            ]
        for label, recipe in recipes:
            plans = {self.study.final_baseline: {}, label: recipe}
            groups = self.at_profile(profile, plans, seeds=self.seeds, train=train, progress=progress)
            if all(len(runs) == len(self.seeds) for runs in groups.values()):
                for run in [r for runs in groups.values() for r in runs]:
                    record_use(run)
                return groups
        return None  # `lmlab ladder` trains them once the ladder is complete

    def more_seeds(self, train: bool = True, progress: bool = False) -> list[MoreSeeds]:
        """Every step the rule left not resolved, with the seeds its observed spread says would resolve
        it; where that is at most the study's `more_seeds_at_most`, its best candidate and its recipe at that many
        seeds (trained here when `train`), and their paired interval at the step's level."""
        found = []
        for r in self.results():
            if r.verdict != "not resolved" or not r.step.follows:
                continue
            needed = seeds_to_resolve(paired_values(r.groups[r.winner], r.recipe_runs), r.level)
            entry = MoreSeeds(r, needed)
            if needed and needed <= self.study.more_seeds_at_most:
                seeds = tuple(range(1, needed + 1))
                while True:
                    missing: list[Job] = []
                    recipe = self._collect(r.recipe, {}, seeds, r.recipe_label, r.step, missing)
                    candidate = self._collect(
                        r.recipe, r.candidates[r.winner], seeds, r.winner, r.step, missing
                    )
                    if not (missing and train):
                        break
                    self.executor.train_jobs(missing, self.store, self.fingerprint, progress=progress)
                entry.missing = missing
                if not missing:
                    entry.paired = paired_difference(candidate, recipe, level=r.level)
                    for run in recipe + candidate:
                        record_use(run)
            found.append(entry)
        return found

    def missing_jobs(self, log=print, skip=()) -> list[Job]:
        """Every run the ladder can train now, the steps its recipe follows first: they decide what the
        steps after them train; a step it does not follow fills the time another worker would leave idle.
        The steps named in `skip` are left untrained."""
        results = [r for r in self.results() if r.step.name not in skip]
        incomplete = sorted((r for r in results if not r.complete), key=lambda r: not r.step.follows)
        for r in incomplete:
            if (r.step.name, len(r.missing)) not in self._announced:
                self._announced.add((r.step.name, len(r.missing)))
                log(
                    f"ladder: step '{r.step.name}' from recipe '{r.recipe_label}': {len(r.missing)} runs to train"
                )
        diagnostic = []  # they decide nothing: taken when no step has a run to give
        for r in results:
            if r.complete and r.step.diagnose:
                jobs = self.diagnostic_jobs(r).values()
                diagnostic += [job for job in jobs if not finished(self.store.run(job.run_id))]
        return [job for r in incomplete for job in r.missing] + diagnostic

    def train_all(self, progress: bool = False, log=print, skip=()) -> list[StepResult]:
        """Train until every step is complete, one run at a time, deciding again after each: a
        decision that asks for seeds 4 and 5, or opens the next step, is acted on at once. Then the
        baseline and the final recipe at the challenge's size, and the more seeds (`at_size`,
        `more_seeds`)."""
        self.executor.train_until_done(
            lambda: self.missing_jobs(log, skip), self.store, self.fingerprint, progress=progress, log=log
        )
        results = self.results()
        if results[-1].complete and results[-1].step is self.study.steps[-1]:
            # what the summary reads beside the ladder: the recipe at the challenge's size, and more
            # seeds for the changes left not resolved where few would resolve them
            if self.size_profile:
                log(f"ladder: the baseline and the final recipe at {self.size_profile}")
                self.at_size(progress=progress)
            self.more_seeds(progress=progress)
        return results


def recipe_at_size(results: list[StepResult], study: Study) -> dict:
    """The recipe these steps reach, less the changes of the study's `size_steps`: the recipe at its
    `at_size` profile."""
    recipe: dict = {}
    for r in results:
        if r.adopted and r.step.follows and r.step.name not in study.size_steps:
            recipe |= r.candidates[r.winner]
    return recipe


def recipe_parts(results: list[StepResult], study: Study) -> dict[str, tuple[StepResult, dict]]:
    """The parts of the recipe these steps reach: {label: (the step that adopted it, its settings)}, in the
    order they were adopted. A change that a later adoption changed again (AdamW, once Muon replaced it)
    is superseded and not a part; a step in `study.parts` gives its parts their names."""
    adopted = [r for r in _followed(results) if r.adopted]
    out = {}
    for i, r in enumerate(adopted):
        change = r.candidates[r.winner]
        later = {key for s in adopted[i + 1 :] for key in s.candidates[s.winner]}
        if later & set(change):
            continue
        named = study.parts.get(r.step.name, {})
        # the parts name the change they were written for; a step that adopted another is one part
        fits = named and all(part.items() <= change.items() for part in named.values())
        for label, part in (named if fits else {r.winner: change}).items():
            out[label] = (r, part)
    return out


def nominal_verdict(result: StepResult, study: Study) -> tuple[str, int]:
    """The step's verdict under the rule before its correction (one 95% interval at each look), from
    the runs the store has, and the seeds it decided on: what the site said before the ladder
    corrected its rule. "needs seeds 4-5" where that rule would ask for seeds never trained."""
    if not result.recipe_runs or result.paired is None:
        return result.verdict, result.paired["n"] if result.paired else len(result.recipe_runs)
    candidate, recipe = result.groups[result.winner], result.recipe_runs
    means = group_mean(candidate), group_mean(recipe)
    first = paired_difference(
        [r for r in candidate if r.config["seed"] in study.seeds],
        [r for r in recipe if r.config["seed"] in study.seeds],
        level=NOMINAL_LEVEL,
    )
    # a step at another budget decides on its three seeds
    now = verdict(first, *means, can_add_seeds=not result.step.budget)
    if now != "undecided":
        return now, first["n"]
    five = paired_difference(candidate, recipe, level=NOMINAL_LEVEL)
    if five is None or five["n"] < study.looks[1]:
        return "needs seeds 4-5", first["n"]
    return verdict(five, *means, can_add_seeds=False), five["n"]


def _group(runs: list[Run], settings: dict | None = None) -> dict:
    values = [final_loss(run) for run in runs]
    group = {
        "seeds": [run.config["seed"] for run in runs],
        "val_loss": values,
        "mean": group_mean(runs),
        "std": mean_std(values)[1],
        "legacy_mean": mean_std(final_values(runs, "val_loss_legacy"))[0] if runs else None,
        "runs": [run.id for run in runs],
        "parameters": runs[0].meta.get("num_params") if runs else None,
    }
    return group if settings is None else {"settings": settings, **group}


def _followed(results: list[StepResult]) -> list[StepResult]:
    """The complete steps measured at the ladder's own budget: the ones its recipe follows."""
    return [r for r in results if r.complete and r.step.follows]


def summary(results: list[StepResult], study: Study, profile: str, data_fingerprint: str) -> dict:
    """The ladder as data: per step the recipe it starts from and every candidate's per-seed values,
    mean and std, the paired difference to the recipe with its 95% interval, the verdict; the final
    recipe's ratio to the baseline; and the step still training, if any."""
    steps = []
    for r in results:
        if not r.complete:
            if r.step.follows:
                break
            continue
        candidates = {}
        for label, runs in r.groups.items():
            candidates[label] = {
                **_group(runs, r.candidates[label]),
                "paired_difference": paired_difference(runs, r.recipe_runs, level=r.level),
                "level": r.level,
            }
            if not r.step.eligible(label):
                candidates[label]["not_eligible"] = r.step.not_eligible[label]
        steps.append(
            {
                "step": r.step.name,
                "title": r.step.title,
                "starts_from": r.recipe_label,
                "budget": r.step.budget,
                "follows": r.step.follows,
                "recipe": _group(r.recipe_runs) if r.recipe_runs else None,
                "best": r.winner,
                "paired": r.paired,
                "verdict": r.verdict,
                "adopted": r.adopted,
                "change": r.candidates[r.winner] if r.adopted else {},
                "recipe_after": r.recipe_after,
                "candidates": candidates,
            }
        )
    first, second = study.looks
    out = {
        "study": study.name,
        "baseline": study.baseline,
        "final_baseline": study.final_baseline,
        "target_ratio": study.target_ratio,
        "profile": profile,
        "data_fingerprint": data_fingerprint,
        "metric": "val_loss (nats/char, every validation token once)",
        "rule": "paired over seeds: adopt when the t interval of candidate minus recipe lies below zero, "
        f"at 1 - {FALSE_ADOPTION:g}/k for a step of k eligible candidates (Bonferroni over the candidates and "
        f"the two looks); {first} seeds, {second} where {first} cannot decide, else not resolved",
        "looks": [first, second],
        "complete": len(steps) == len(study.steps),
        "steps": steps,
    }
    pending = next((r for r in results if not r.complete), None)
    if pending:
        waiting = (
            [s.name for s in study.steps[study.steps.index(pending.step) + 1 :]]
            if pending.step.follows
            else []
        )
        out["pending"] = {
            "step": pending.step.name,
            "title": pending.step.title,
            "runs_missing": len(pending.missing),
            "steps_after": waiting,
        }
    followed = [s for s in steps if s["follows"]]
    if followed:
        baseline = followed[0]["candidates"][followed[0]["best"]]["mean"]
        adopted = [s for s in followed if s["adopted"]]
        first = followed[0]["candidates"][followed[0]["best"]]
        last = adopted[-1]["candidates"][adopted[-1]["best"]] if adopted else first
        chain = " + ".join(s["best"] for s in adopted) or followed[0]["best"]
        out["final_recipe"] = {
            "settings": followed[-1]["recipe_after"],
            "label": " + ".join(recipe_parts(results, study)) or followed[0]["best"],
            "history": chain,  # every adoption in order, those later replaced included
            "val_loss": last["mean"],
            "ratio_to_baseline": last["mean"] / baseline,
            "val_loss_legacy": last["legacy_mean"],
            "legacy_ratio_to_baseline": last["legacy_mean"] / first["legacy_mean"],
        }
        for s in steps:
            if s["follows"]:
                continue
            # measured at another budget: the recipe for that budget carries the step's verdict
            budget = budget_text(s["budget"])
            at = {
                "settings": {**s["recipe_after"], **beyond_length(s["budget"]), **s["change"]},
                "step": s["step"],
                "val_loss": (s["candidates"][s["best"]] if s["adopted"] else s["recipe"])["mean"],
            }
            as_long = baseline_trained_as_long(s, steps, study.baseline)
            if as_long:
                at["ratio_to_baseline"] = at["val_loss"] / as_long["mean"]
            out["final_recipe"].setdefault("at_other_budgets", {})[budget] = at
    return out


def write_summary(data: dict, folder: Path) -> None:
    """results/summary.json for the cpu profile (the report's), summary-<profile>.json for the others."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"summary{'' if data['profile'] == 'cpu' else '-' + data['profile']}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")


def runs_used(results: list[StepResult]) -> int:
    """Distinct runs behind the complete steps: every candidate, every seed, extra seeds included."""
    return len(
        {
            run.id
            for r in results
            if r.complete
            for run in r.recipe_runs + [x for rs in r.groups.values() for x in rs]
        }
    )


FINAL_RECIPE = "final recipe"


def against_baseline(
    groups: dict[str, list[Run]],
    baseline: str,
    profile: str,
    data_fingerprint: str,
    metrics: tuple[str, ...] = ("val_loss", "val_loss_legacy"),
) -> dict:
    """Groups of runs against the baseline's, as data: per group its seeds, each metric's values, mean
    and std (by default the site's full-coverage metric and the challenge's legacy one), the device and
    time of each run; per group beside the baseline, in each metric, the paired difference and the ratio
    of seed to seed (each with its 95% interval) and the ratio of the means. `paired_difference` is the
    first metric's."""
    out = {"profile": profile, "data_fingerprint": data_fingerprint, "baseline": baseline, "groups": {}}
    for label, runs in groups.items():
        group = {"seeds": [run.config["seed"] for run in runs], "runs": [run.id for run in runs]}
        for metric in metrics:
            group[metric] = final_values(runs, metric)
            group[f"{metric}_mean"], group[f"{metric}_std"] = (
                mean_std(group[metric]) if runs else (None, None)
            )
        group["device"] = sorted({run.meta.get("device_name") or run.meta.get("device", "?") for run in runs})
        group["train_seconds"] = [run.final.get("train_seconds") for run in runs]
        group["steps"] = [run.meta.get("total_steps") for run in runs]
        base = groups.get(baseline)
        if label != baseline and runs and base:
            group["paired"] = {metric: paired_difference(runs, base, metric) for metric in metrics}
            group["paired_difference"] = group["paired"][metrics[0]]
            group["ratio"] = {
                metric: group[f"{metric}_mean"] / mean_std(final_values(base, metric))[0]
                for metric in metrics
            }
            group["ratio_paired"] = {metric: paired_ratio(runs, base, metric) for metric in metrics}
        out["groups"][label] = group
    return out


def final_comparison(results: list[StepResult], study: Study) -> dict[str, list[Run]]:
    """The baseline's runs and the final recipe's (the last adopted candidate's), over the
    complete steps at the ladder's budget."""
    followed = _followed(results)
    adopted = [r for r in followed if r.adopted]
    groups = {study.final_baseline: followed[0].groups[followed[0].winner]} if followed else {}
    if adopted:
        groups[FINAL_RECIPE] = adopted[-1].groups[adopted[-1].winner]
    return groups


def step_label(r: StepResult) -> str:
    return f"{r.step.title}: {r.winner}" + ("" if r.adopted or r.verdict == "baseline" else f" ({r.verdict})")


def ladder_groups(results: list[StepResult]) -> dict[str, list[Run]]:
    """Per complete step at the ladder's budget, its best candidate's runs, labelled with the step and its verdict."""
    return {step_label(r): r.groups[r.winner] for r in _followed(results)}


def ladder_intervals(results: list[StepResult]) -> dict[str, dict | None]:
    """Per step of `ladder_groups`, the best candidate's paired difference to the recipe it started from."""
    return {step_label(r): r.paired for r in _followed(results)}
