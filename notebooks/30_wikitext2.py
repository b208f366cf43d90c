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
# # Notebook 30: WikiText-2 runs
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/30_wikitext2.ipynb)
#
# The challenge baseline, AdamW at the learning rate the ladder chose for it, and the ladder's final
# recipe, trained on WikiText-2 with the word-level tokenizer and its standard 33,278-word vocabulary,
# scored as perplexity per word on the whole validation and test files. The budget (model shape,
# training words) is set per profile in `lmlab.wordlevel` and is the same for the three.

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
import textwrap

from lmlab import figures, notebook_setup, wordlevel
from lmlab.ladder import Ladder, load_study

# the project's study: study/ beside notebooks/
STUDY = load_study()
notebook_setup.setup_notebook(STUDY)
from study import wikitext

# LMLAB_PROFILE and LMLAB_DATA override these
PROFILE, DATA = notebook_setup.parameters()
WORD_DATA = wordlevel.data()  # LMLAB_WORD_DATA overrides it
print(notebook_setup.describe(PROFILE, titles=DATA, words=WORD_DATA))

# %%
# from the ladder on the titles (its runs are in the store; trained if missing)
recipes = wikitext.recipes(Ladder(STUDY, PROFILE, DATA))
for label, recipe in recipes.items():
    settings = wordlevel.transferable(recipe)
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    print(textwrap.fill(f"{label}: {shown or 'the profile as it is'}", 72))

# %%
groups = wordlevel.runs(PROFILE, WORD_DATA, recipes, seeds=STUDY.seeds_for(PROFILE))

# %%
#| label: wikitext2-curves
figures.loss_curves(groups, reference=STUDY.final_baseline, val="val_ppl")

# %%
#| label: wikitext2-results
wikitext.table(groups)

# %%
#| label: wikitext2-finding
adamw = next(label for label in groups if label.startswith("AdamW"))
wikitext.comparison(groups, "final recipe", adamw)
