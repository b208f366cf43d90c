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
# # Notebook 13: Muon runs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/13_muon.ipynb)
#
# Muon (Jordan et al., 2024) for the 2-D weight matrices of the blocks, AdamW for the embeddings,
# the head, the gains and the biases at the recipe's learning rate. Four Muon learning rates, three
# seeds each, starting from the best recipe of the ladder so far.

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
from lmlab import figures, notebook_setup, run_tables, step_tables
from lmlab.ladder import Ladder

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()

# %%
# trains only the runs the store lacks
ladder = Ladder(STUDY, PROFILE, DATA)
step = ladder.step("muon")
before = step.reference
muon = [
    r
    for runs in step.groups.values()
    for r in runs
    if r.config["optimizer"] == "muon"
]
retuned = [
    label
    for label, runs in step.groups.items()
    if runs and runs[0].config["optimizer"] != "muon"
]

# %%
#| label: muon-lr-sweep
figures.sweep(muon, "muon_lr", reference={step.recipe_label: step.recipe_runs})

# %%
#| label: muon-loss
best = {before: step.recipe_runs, step.winner: step.groups[step.winner]}
figures.loss_curves(best, reference=before)

# %%
#| label: muon-results
step_tables.step_table(step)

# %%
#| label: muon-against-adamw
step_tables.winner_against(step, retuned)

# %%
#| label: muon-settings
run_tables.optimizer_settings(step.groups[step.winner][0])

# %%
#| label: muon-diagnostics
# seed 11 of each, with lmlab.diagnostics (trained by `lmlab ladder`)
figures.update_ratios(ladder.diagnostic_runs("muon"))
