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
# # Notebook 02: AdamW
#
# The step's candidates over the best recipe so far, with the same seeds, so that each candidate
# and the recipe are compared seed by seed.

# %% tags=["parameters"]
from lmlab import figures, notebook_setup, step_tables
from lmlab.ladder import Ladder

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()

# %%
# trains only the runs the store lacks
step = Ladder(STUDY, PROFILE, DATA).step("adamw")
groups = step_tables.step_groups(step)

# %%
#| label: adamw-loss
figures.loss_curves(groups, reference=step.reference)

# %%
#| label: adamw-results
step_tables.step_table(step)
