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
# # Word level: WikiText-2
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/20_wikitext2.ipynb)
#
# The challenge baseline and the ladder's final recipe, trained on WikiText-2 with the word-level
# tokenizer and its standard 33,278-word vocabulary, scored as perplexity per word on the whole
# validation and test files. The budget (model size, training words) is set per profile in
# `lmlab.wordlevel`; the recipe comes from the ladder on the titles.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install the toolkit first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lmlab @ git+https://github.com/lmlab/lmlab"], check=True)

# %% tags=["parameters"]
from lmlab import plots, report, wordlevel
from lmlab.ladder import Ladder

report.setup_notebook()
PROFILE, DATA = report.parameters()  # LMLAB_PROFILE and LMLAB_DATA override these
WORD_DATA = wordlevel.data()  # LMLAB_WORD_DATA overrides it
print(f"profile: {PROFILE}\ntitles (for the recipe): {DATA}\nword-level data: {WORD_DATA}")

# %%
final = Ladder(PROFILE, DATA).final()  # the recipe, from the ladder's runs (trained if missing)
recipes = {"challenge baseline (SGD)": {}, "final recipe": final.recipe_after}
for label, recipe in recipes.items():
    print(f"{label}: {wordlevel.transferable(recipe) or 'the profile as it is'}")

# %%
groups = wordlevel.runs(PROFILE, WORD_DATA, recipes)

# %%
#| label: wikitext2-curves
plots.loss_curves(groups, reference="challenge baseline (SGD)", val="val_ppl")

# %%
#| label: wikitext2-results
wordlevel.table(groups)
