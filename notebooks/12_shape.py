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
# # Depth vs width
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/12_shape.ipynb)
#
# The same number of block parameters (12 n_layer d_model^2, about 3.2M) spent on eight narrow layers or two wide ones.
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
step = Ladder(PROFILE, DATA).step("shape")  # trains only the runs the store lacks
groups = report.step_groups(step)

# %%
#| label: shape-loss
plots.loss_curves(groups, reference=f"before: {step.recipe_label}")

# %%
#| label: shape-results
report.step_table(step)
