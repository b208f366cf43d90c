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
# # Notebook 09: tokenizer runs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/09_tokenizer.ipynb)
#
# The vocabulary trades sequence length against embedding size: a smaller BPE vocabulary makes longer sequences and a smaller embedding, a larger one the opposite; unigram segments differently; whitespace words need an <unk>. Nats per character compares them fairly.
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
step = Ladder(STUDY, PROFILE, DATA).step("tokenizer")
groups = step_tables.step_groups(step)

# %%
#| label: tokenizer-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: tokenizer-results
step_tables.step_table(step)

# %% [markdown]
# The same context, predicted by one run (seed 1) of each candidate: the pieces each vocabulary
# offers for the next position.

# %%
#| label: tokenizer-topk
first_seeds = {label: runs[0] for label, runs in step.groups.items()}
figures.topk_compare(first_seeds, context=1)

# %%
#| label: tokenizer-checks
# every candidate's tokenizer, made again from the data (the cache keeps them)
step_tables.tokenizer_checks(step, PROFILE, DATA)
