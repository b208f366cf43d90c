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
# # Notebook 08: per-title mask runs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/08_title_mask.ipynb)
#
# Titles are shuffled and independent, yet the training stream packs several into one context: a token can attend into the titles before it. The mask lets a token attend only within its own title (an <eos> opens the next one).
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
step = ladder.step("title_mask")
groups = step_tables.step_groups(step)

# %%
#| label: title_mask-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: title_mask-results
step_tables.step_table(step)

# %%
#| label: title-mask-diagnostics
# seed 11 of each, with lmlab.diagnostics (trained by `lmlab ladder`)
figures.attention_use(ladder.diagnostic_runs("title_mask"))
