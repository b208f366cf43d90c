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
# # Weight tying
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/10_tying.ipynb)
#
# The challenge shares the input embedding with the output projection. Untying gives the output its own matrix, at the price of another vocabulary-by-width block of parameters.
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
step = Ladder(PROFILE, DATA).step("tying")  # trains only the runs the store lacks
groups = report.step_groups(step)

# %%
#| label: tying-loss
plots.loss_curves(groups, reference=f"before: {step.recipe_label}")

# %%
#| label: tying-results
report.step_table(step)
