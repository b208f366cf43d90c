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
# # Notebook 85: the confirmation
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/85_confirmation.ipynb)
#
# The final recipe taken apart on seeds no decision used and scored on titles no decision read, a
# tuned SGD baseline, and R-Drop against its controls, one of them of equal computation. Nothing is trained here
# (`lmlab ladder --plans confirmation` trains what the store lacks); every table reads the runs that exist and
# says how many of the planned seeds each group has.

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
from lmlab import confirm, confirm_tables, figures, notebook_setup
from lmlab.ladder import Ladder
from lmlab.runs import record_use

# the project's study (study/ beside notebooks/), its profile and data
# (LMLAB_PROFILE and LMLAB_DATA override them)
STUDY, PROFILE, DATA = notebook_setup.start()
from study import confirm as study_confirm

# %%
ladder = Ladder(STUDY, PROFILE, DATA)
CONFIRMATION = study_confirm.CONFIRMATION
groups = confirm.runs(ladder, CONFIRMATION)
plans = confirm.plans(ladder, CONFIRMATION)
data = study_confirm.summary(ladder)
for run in [r for runs in groups.values() for r in runs]:
    record_use(run)

# %%
#| label: confirmation-final
confirm_tables.final_table(data, planned=len(CONFIRMATION.seeds))

# %%
#| label: confirmation-family
confirm_tables.family_table(
    data,
    groups,
    confirm_tables.removed_settings(plans),
    planned=len(CONFIRMATION.seeds),
)

# %%
#| label: confirmation-family-chart
figures.family(data, [r for runs in groups.values() for r in runs])

# %%
#| label: confirmation-reading
study_confirm.reading(data)

# %% [markdown]
# The baseline tuned: SGD with Nesterov momentum 0.9 at five learning rates, on the ladder's seeds
# and validation titles (a decision, like the ladder's), against the challenge's plain SGD at 6e-3.

# %%
#| label: tuned-sgd-sweep
confirm_tables.comparison_table(
    study_confirm.tuned_sgd(ladder), STUDY.final_baseline
)

# %%
#| label: tuned-sgd-reading
study_confirm.tuned_reading(data["tuned_baseline"])

# %% [markdown]
# R-Drop at seven epochs against dropout 0.2 (its own control), a higher rate, and dropout 0.2
# trained for twice the epochs: at least the computation R-Drop's two passes of every batch take.

# %%
#| label: rdrop-controls
confirm_tables.comparison_table(
    study_confirm.rdrop_runs(ladder), study_confirm.RDROP_CONTROL
)

# %%
#| label: rdrop-controls-reading
study_confirm.rdrop_reading(data["rdrop_controls"])
