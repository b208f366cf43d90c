# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Notebook 80: the ladder summary
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/80_summary.ipynb)
#
# Every complete step of the ladder, read from the run store (nothing is trained here; `lmlab
# ladder` trains): the best candidate of each step with its mean ± std over seeds, its paired
# difference to the recipe the step started from and the verdict, and the step still training, if
# any. Also writes `results/summary.json`.

# %%
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: the project (its study) and lmlab
    REPO = "https://github.com/lmlab/lmlab"
    if not os.path.isdir("project"):
        git = ["git", "clone", "-q", "--depth", "1"]
        subprocess.run([*git, REPO, "project"], check=True)
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "./project"], check=True)
    os.chdir("project/notebooks")

# %% tags=["parameters"]
import json
from pathlib import Path

from lmlab import figures, ladder_tables, notebook_setup, run_tables
from lmlab.costs import cost
from lmlab.ladder import (
    FINAL_RECIPE,
    Ladder,
    against_baseline,
    final_comparison,
    group_mean,
    ladder_groups,
    ladder_intervals,
    summary,
    write_summary,
)
from lmlab.runs import record_use

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()
import study.confirm
import study.summary
from study import full

# %%
ladder = Ladder(STUDY, PROFILE, DATA)
results = ladder.results()  # the complete steps, and the one still training, if any
groups = ladder_groups(results)
for run in [r for runs in groups.values() for r in runs]:
    record_use(run)
data = summary(results, STUDY, PROFILE, ladder.fingerprint)
if data[
    "complete"
]:  # the final recipe confirmed on fresh seeds and test titles (notebook 85 shows it)
    data["confirmation"] = study.confirm.summary(ladder)
write_summary(data, Path("../results"))

# %%
#| label: ladder-findings
study.summary.findings(data)

# %%
#| label: ladder-table
ladder_tables.ladder_table(data)

# %%
#| label: rule-error
simulated = json.loads(Path("../benchmarks/results.json").read_text()).get(
    "rule_error"
)
ladder_tables.rule_error(results, simulated)

# %%
#| label: regime-table
ladder_tables.regime_table(data)

# %%
#| label: ladder-chart
figures.ladder(groups, intervals=ladder_intervals(results))

# %% [markdown]
# The challenge baseline against the final recipe, seed by seed.

# %%
#| label: final-curves
final_groups = final_comparison(results, STUDY)
figures.loss_curves(final_groups, reference=STUDY.final_baseline)

# %%
#| label: final-budget
run_tables.budget_comparison(final_groups)

# %%
#| label: final-table
ladder_tables.final_table(data)

# %% [markdown]
# The same comparison at the challenge's model and vocabulary (6 x 512, 16,000 pieces), on this
# profile's data budget: does the recipe hold at the challenge's size? (`lmlab ladder` trains
# these once the ladder is complete: minutes a run on a laptop.)

# %%
# cpu's is cpu-27m (`lmlab ladder` trains it); full is the challenge's size
sizes = {PROFILE: final_groups}
at_size = ladder.at_size(train=False) if ladder.size_profile else None
if at_size:
    sizes[ladder.size_profile] = at_size

# %%
#| label: size-comparison
study.summary.size_comparison(sizes)

# %%
#| label: size-curves
figures.loss_curves(sizes[list(sizes)[-1]], reference=STUDY.final_baseline)

# %% [markdown]
# The challenge's own size: the `full` profile, seven epochs over every title of the data, the
# recipe in the seven-epoch regime the ladder found. A run takes over an hour on a 2-core CPU
# with native bf16 (the Performance page times a step; the table gives each run's training time)
# and minutes on a GPU, so they are trained outside this notebook; it reads the ones in the store.

# %%
at_full = ladder.at_profile(full.PROFILE, full.plans(ladder), seeds=full.SEEDS)
for run in [r for runs in at_full.values() for r in runs]:
    record_use(run)
full_scale = against_baseline(
    at_full, STUDY.final_baseline, full.PROFILE, ladder.fingerprint_at(full.PROFILE)
)
if PROFILE != full.PROFILE:  # at `full` the ladder's own summary is that file
    write_summary(full_scale, Path("../results"))

# %%
#| label: takeaways
final_costs = {
    "baseline": cost(final_groups[STUDY.final_baseline]),
    "recipe": cost(final_groups.get(FINAL_RECIPE, [])),
}
size_ratio = None
if at_size and FINAL_RECIPE in at_size:
    size_ratio = group_mean(at_size[FINAL_RECIPE]) / group_mean(
        at_size[STUDY.final_baseline]
    )
study.summary.takeaways(
    data, size_ratio, full_scale, final_costs, full.planned(ladder)
)

# %%
#| label: takeaway-limits
study.summary.limits(
    data, size_ratio, full_scale, final_costs, full.planned(ladder)
)

# %%
#| label: ratios
on_validation = [
    against_baseline(
        final_groups, STUDY.final_baseline, PROFILE, ladder.fingerprint
    )
]
if at_size:
    size_fingerprint = ladder.fingerprint_at(ladder.size_profile)
    on_validation.append(
        against_baseline(
            at_size, STUDY.final_baseline, ladder.size_profile, size_fingerprint
        )
    )
study.summary.ratios_table(data, [*on_validation, full_scale])

# %%
#| label: full-scale
ladder_tables.against_baseline_table(full_scale, planned=full.planned(ladder))

# %%
#| label: full-scale-reading
full.reading(full_scale)

# %% [markdown]
# The changes the rule left not resolved, and the seeds that would resolve them.

# %%
#| label: more-seeds
ladder_tables.more_seeds_table(ladder.more_seeds(train=False))

# %% [markdown]
# What changes between the `cpu` profile of this report and the challenge's `full` profile.

# %%
#| label: profiles-table
study.summary.profiles_table(results, at_full)
