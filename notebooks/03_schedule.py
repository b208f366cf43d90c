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
# # Notebook 03: warmup and schedule runs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/03_schedule.ipynb)
#
# The recipe so far decays its learning rate on a cosine from the first step. Adam's moment estimates are poor in the first steps, so a short linear warmup (5% of the steps) is the usual protection; warmup-stable-decay (WSD) holds the peak rate for most of the run and decays linearly over the last 20%.
# Three seeds per candidate, starting from the best recipe of the ladder so far.

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
from lmlab import figures, notebook_setup, step_tables
from lmlab.ladder import Ladder

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()

# %%
# trains only the runs the store lacks
ladder = Ladder(STUDY, PROFILE, DATA)
step = ladder.step("schedule")
groups = step_tables.step_groups(step)

# %%
#| label: schedule-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: schedule-lr
figures.lr_curves(groups)

# %%
#| label: schedule-results
step_tables.step_table(step)

# %%
#| label: schedule-diagnostics
# seed 11 of each, with lmlab.diagnostics (trained by `lmlab ladder`)
figures.gradient_norms(ladder.diagnostic_runs("schedule"))
