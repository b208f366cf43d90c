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
# # Notebook 01: runs of the challenge recipe
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/01_initial_run.ipynb)
#
# The challenge's training run unchanged: SGD at learning rate 6e-3 with a cosine schedule over
# all steps, gradient clipping at 1.0, dropout 0.1, learned positions, LayerNorm, GELU, tied
# embeddings, three seeds. On a GPU this notebook runs the `full` profile (the challenge exactly);
# elsewhere the `cpu` profile. Runs already in the store are read, not trained.

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
# three seeds; trains only the runs the store lacks
step = Ladder(STUDY, PROFILE, DATA).step("baseline")
baseline = step.groups["SGD (challenge)"]
groups = {"SGD (challenge)": baseline}

# %%
#| label: initial-loss
figures.loss_curves(groups)

# %%
#| label: initial-results
step_tables.step_table(step)

# %%
#| label: initial-token-freq
figures.token_frequency(baseline[0])

# %%
#| label: initial-topk
figures.topk_bars(baseline[0], context=1)

# %%
#| label: initial-topk-start
figures.topk_bars(baseline[0], context=0)

# %%
#| label: initial-samples
run_tables.samples(baseline[0])
