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
# # Notebook 23: R-Drop at seven epochs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/23_rdrop.ipynb)
#
# At the challenge's seven epochs, dropout 0.2 with R-Drop (the symmetric KL divergence of two
# dropout passes, weight 1) against dropout 0.2 alone.

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
step = Ladder(STUDY, PROFILE, DATA).step("rdrop")
groups = step_tables.step_groups(step)

# %%
#| label: rdrop-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: rdrop-gap
figures.paired_gap(
    {step.winner: step.groups[step.winner]}, step.recipe_runs, level=step.level
)

# %%
#| label: rdrop-results
step_tables.step_table(step)
