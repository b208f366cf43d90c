"""The word-level check: recipes of a ladder trained on WikiText-2 words.

WikiText-2 (Merity et al., 2016) is the standard small word-level benchmark: 2.1M training words,
a fixed 33,278-word vocabulary (rarer words are already `<unk>` in the files) and perplexity per
word on the whole validation and test files, one `<eos>` per line. Our word tokenizer reproduces
that vocabulary exactly (`vocab_size=0`), so a perplexity here means what it means in the papers.

What transfers from the ladder is the training recipe (optimizer, schedule, init, positions,
norm, MLP, mask, tying, dropout). The tokenizer is fixed by the benchmark, and the model's shape
and the training budget are this page's, per profile: a 33k-word softmax dominates the cost of a
small model, so the `cpu` budget is a narrow model and a slice of the training text. The shape is
the same for every recipe, so the models compared here are the same size up to what a recipe's
own changes add or remove (rotary positions drop the position table; a gated MLP rounds its
hidden width).
"""

from __future__ import annotations

import os

from lmlab.api import run as train_or_fetch
from lmlab.project import beside_project
from lmlab.runs import Run

HUB_DATA = "Salesforce/wikitext:wikitext-2-v1"
DATA_ENV = "LMLAB_WORD_DATA"

WORDS = dict(tokenizer="word", vocab_size=0)  # the benchmark's own vocabulary, every training word
BUDGETS: dict[str, dict] = {
    # for tests: the test corpus's own vocabulary, one short pass
    "tiny": dict(num_titles=0, epochs=1, eval_batch_size=256),
    # the 2,000 most frequent words, so perplexities are not the benchmark's
    "smoke": dict(num_titles=300, vocab_size=2_000, batch_size=8, block_size=16, eval_batch_size=256),
    # the first 6,000 lines (325k of the 2.09M training words), one pass, a narrow model: the
    # 33,278-word softmax dominates both training and the evaluation of the 463k valid + test words
    "cpu": dict(num_titles=6_000, d_model=128, epochs=1, evals_per_epoch=1, eval_batch_size=16),
    # the challenge's model on the whole training text
    "full": dict(num_titles=0, epochs=7),
}
NOT_TRANSFERRED = frozenset({"tokenizer", "vocab_size", "n_layer", "n_head", "d_model", "block_size"})

# (model, parameters, valid ppl, test ppl, source) as reported in the papers, same files and vocabulary.
PUBLISHED = (
    ("Pointer sentinel-LSTM", "21M", 84.8, 80.8, "Merity et al. 2016, arXiv:1609.07843"),
    ("AWD-LSTM", "33M", 68.6, 65.8, "Merity et al. 2017, arXiv:1708.02182"),
    ("AWD-LSTM + continuous cache pointer", "33M", 53.8, 52.0, "Merity et al. 2017, arXiv:1708.02182"),
)


def data() -> str:
    """$LMLAB_WORD_DATA, else the offline copy beside the project when present, else the hub."""
    local = beside_project("wikitext-2")
    return os.environ.get(DATA_ENV) or (str(local) if local else HUB_DATA)


def transferable(recipe: dict) -> dict:
    """The ladder recipe's training settings, without what the benchmark or the budget fixes."""
    return {k: v for k, v in recipe.items() if k not in NOT_TRANSFERRED}


def budget(profile: str) -> dict:
    """What this page sets over the profile: the benchmark's tokenizer and the profile's budget."""
    return {**WORDS, **BUDGETS[profile]}


def settings(profile: str, recipe: dict, data: str, seed: int, label: str) -> dict:
    return {
        **budget(profile),
        **transferable(recipe),
        "data": data,
        "seed": seed,
        "note": f"WikiText-2 words: {label}",
    }


def runs(
    profile: str, data: str, recipes: dict[str, dict], seeds, progress: bool = True
) -> dict[str, list[Run]]:
    """{label: runs over the seeds} for each recipe, trained when the store lacks them."""
    return {
        label: [
            train_or_fetch(profile, progress=progress, **settings(profile, recipe, data, seed, label))
            for seed in seeds
        ]
        for label, recipe in recipes.items()
    }
