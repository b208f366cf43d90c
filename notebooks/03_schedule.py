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
# # Warmup and schedule
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/03_schedule.ipynb)
#
# The recipe so far decays its learning rate on a cosine from the first step. Adam's moment estimates are poor in the first steps, so a short linear warmup (5% of the steps) is the usual protection; warmup-stable-decay (WSD) holds the peak rate for most of the run and decays linearly over the last 20%.
# Three seeds per candidate, starting from the best recipe of the ladder so far.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install the toolkit first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lmlab @ git+https://github.com/lmlab/lmlab"], check=True)

# %% tags=["parameters"]
from lmlab import plots, report
from lmlab.ladder import Ladder

report.setup_notebook()
PROFILE, DATA = report.parameters()  # LMLAB_PROFILE and LMLAB_DATA override these
print(f"profile: {PROFILE}\ndata: {DATA}")

# %%
step = Ladder(PROFILE, DATA).step("schedule")  # trains only the runs the store lacks
groups = report.step_groups(step)

# %%
#| label: schedule-loss
plots.loss_curves(groups, reference=f"before: {step.recipe_label}")

# %%
#| label: schedule-lr
plots.lr_curves(groups)

# %%
#| label: schedule-results
report.step_table(step)
