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
# # Notebook 18: Shuffled batches every epoch
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/18_shuffle.ipynb)
#
# The challenge cuts its training stream into the same batches in the same order every epoch.
# Two candidates draw a new order each epoch: of whole titles (the stream is rebuilt), or of the
# context windows the batches are cut into.

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
import study.shuffle

# %%
# trains only the runs the store lacks
step = Ladder(STUDY, PROFILE, DATA).step("shuffle")
groups = step_tables.step_groups(step)

# %%
#| label: shuffle-loss
figures.loss_curves(groups, reference=step.reference, x="epoch")

# %%
#| label: shuffle-reading
study.shuffle.reading(step)

# %%
#| label: shuffle-gap
figures.paired_gap(
    {step.winner: step.groups[step.winner]}, step.recipe_runs, level=step.level
)

# %%
#| label: shuffle-results
step_tables.step_table(step)
