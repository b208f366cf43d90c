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
# # Notebook 17: the unresolved changes together
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/17_together.ipynb)
#
# Scaled residual init, rotary positions and SwiGLU each leaned the right way in the first part of
# the ladder but were too small for five seeds to resolve. Here they are tried together, once.

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
from study import together
from study.ladder import TOGETHER, TOGETHER_CHANGES, leave_one_out

# %%
# trains only the runs the store lacks
ladder = Ladder(STUDY, PROFILE, DATA)
step = ladder.step("together")
groups = step_tables.step_groups(step)
# each change measured alone, at its own step earlier in the ladder
alone = {
    r.winner: r
    for r in ladder.results(until="together")
    if r.winner in TOGETHER_CHANGES
}

# %%
#| label: together-gap
figures.paired_gap(
    {TOGETHER: step.groups[TOGETHER]}, step.recipe_runs, level=step.level
)

# %%
#| label: together-results
step_tables.step_table(step)

# %%
#| label: together-ablation
together.ablation(
    step, TOGETHER, {part: leave_one_out(part) for part in TOGETHER_CHANGES}, alone
)
