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
# # Notebook 02: the AdamW learning-rate sweep
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/02_adamw.ipynb)
#
# One change from the challenge recipe: the optimizer becomes AdamW (betas 0.9/0.95, no weight
# decay yet, the same cosine schedule). Adam's step size does not depend on the gradient's scale,
# so SGD's learning rate is no guide to its own: we sweep five values with three seeds each.

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
from lmlab import figures, interactive, notebook_setup, run_tables, step_tables
from lmlab.ladder import Ladder

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()

# %%
# trains only the runs the store lacks
step = Ladder(STUDY, PROFILE, DATA).step("adamw")
adamw = [r for runs in step.groups.values() for r in runs]
before = step.reference
best = {before: step.recipe_runs, step.winner: step.groups[step.winner]}

# %%
#| label: adamw-lr-sweep
figures.sweep(adamw, "lr", reference={step.recipe_label: step.recipe_runs})

# %%
#| label: adamw-loss
figures.loss_curves(best, reference=before)

# %%
#| label: adamw-loss-interactive
interactive.loss_curves(step_tables.step_groups(step), reference=before)

# %%
#| label: adamw-results
step_tables.step_table(step)

# %%
#| label: adamw-topk
figures.topk_grid(
    {
        "SGD (challenge)": step.recipe_runs[0],
        step.winner: step.groups[step.winner][0],
    }
)

# %%
#| label: adamw-samples
run_tables.samples(step.groups[step.winner][0])
