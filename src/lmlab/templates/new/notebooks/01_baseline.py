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
# # Notebook 01: the baseline
#
# The profile's settings unchanged, one run per seed: the reference every later step is measured
# against. Runs already in the store are read, not trained.

# %% tags=["parameters"]
from lmlab import figures, notebook_setup, step_tables
from lmlab.ladder import Ladder

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()

# %%
# trains only the runs the store lacks
step = Ladder(STUDY, PROFILE, DATA).step("baseline")
groups = step_tables.step_groups(step)

# %%
#| label: baseline-loss
figures.loss_curves(groups)

# %%
#| label: baseline-results
step_tables.step_table(step)
