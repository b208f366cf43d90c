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
# # Notebook 16: QK-norm, ReLU² and soft-capped logits
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/16_switches.ipynb)
#
# Three switches of the model, each a candidate on its own: RMS-normalized queries and keys,
# the squared ReLU in the MLP, and output logits squashed into (-15, 15) by 15 tanh(x / 15).

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
step = Ladder(STUDY, PROFILE, DATA).step("switches")
groups = step_tables.step_groups(step)

# %%
#| label: switches-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: switches-results
step_tables.step_table(step)
