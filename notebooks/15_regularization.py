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
# # Notebook 15: dropout at seven epochs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/15_regularization.ipynb)
#
# The ladder trains two epochs; the challenge trains seven. Here the recipe is trained for seven
# epochs without dropout, with 0.1 and with 0.2, three seeds each, and set beside the two-epoch
# dropout step.

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
step = ladder.step("regularization")
two_epochs = ladder.step("dropout", train=False)
# the challenge baseline is the reference for the ratio;
# beside the recipe its curve would flatten the others
groups = {
    k: v for k, v in step_tables.step_groups(step).items() if k != STUDY.baseline
}

# %%
#| label: regularization-loss
figures.loss_curves(groups, reference=step.reference, x="epoch")

# %%
#| label: regularization-results
step_tables.step_table(step)

# %%
#| label: regularization-two-epochs
step_tables.step_table(two_epochs)

# %%
#| label: regularization-regimes
step_tables.regimes(
    two_epochs, step, key="dropout", baseline_name="challenge baseline"
)
