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
# # Notebook 19: Weight averaging
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/19_averaging.ipynb)
#
# The weights evaluated are a running average of the trained ones: exponential (EMA, decay 0.95 or
# 0.98 per step) or uniform over the WSD decay phase (SWA). Training itself is unchanged.

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
step = Ladder(STUDY, PROFILE, DATA).step("averaging")
groups = step_tables.step_groups(step)

# %%
#| label: averaging-loss
figures.paired_gap(step.groups, step.recipe_runs, level=step.level)

# %%
#| label: averaging-results
step_tables.step_table(step)

# %%
#| label: averaging-within
step_tables.averaging_within_runs(step)
