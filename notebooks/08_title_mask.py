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
# # Per-title attention
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/08_title_mask.ipynb)
#
# Titles are shuffled and independent, yet the training stream packs several into one context: a token can attend into the titles before it. The mask lets a token attend only within its own title (an <eos> opens the next one).
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
step = Ladder(PROFILE, DATA).step("title_mask")  # trains only the runs the store lacks
groups = report.step_groups(step)

# %%
#| label: title_mask-loss
plots.loss_curves(groups, reference=f"before: {step.recipe_label}")

# %%
#| label: title_mask-results
report.step_table(step)
