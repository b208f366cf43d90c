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
# # Notebook 21: Unigram tokenizer
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/21_unigram.ipynb)
#
# sentencepiece's unigram model against BPE at the vocabulary the tokenizer step adopted.

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
step = Ladder(STUDY, PROFILE, DATA).step("unigram")
groups = step_tables.step_groups(step)

# %%
#| label: unigram-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: unigram-gap
figures.paired_gap(
    {step.winner: step.groups[step.winner]}, step.recipe_runs, level=step.level
)

# %%
#| label: unigram-results
step_tables.step_table(step)

# %%
#| label: unigram-checks
# both tokenizers, made again from the data (the cache keeps them)
step_tables.tokenizer_checks(step, PROFILE, DATA)
