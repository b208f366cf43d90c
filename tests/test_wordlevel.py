"""The word-level page's library: the benchmark's vocabulary and files, the recipe's transfer, the table."""

from conftest import WIKITEXT, corpus_lines
from lmlab import wordlevel
from study import wikitext


def test_recipe_transfers_training_settings_but_not_tokenizer_or_size():
    recipe = {
        "optimizer": "adamw",
        "lr": 2e-3,
        "tokenizer": "unigram",
        "vocab_size": 8192,
        "n_layer": 8,
        "d_model": 184,
    }
    settings = wordlevel.settings("cpu", recipe, "data", seed=2, label="final")
    assert settings["optimizer"] == "adamw" and settings["lr"] == 2e-3 and settings["seed"] == 2
    assert (settings["tokenizer"], settings["vocab_size"]) == ("word", 0)  # the benchmark's 33,278 words
    assert (settings["d_model"], settings.get("n_layer")) == (
        128,
        None,
    )  # the budget's model, the profile's depth


def test_baseline_and_recipe_on_wikitext_report_word_perplexity(runs_dir):
    groups = wordlevel.runs(
        "smoke",
        str(WIKITEXT),
        {"baseline": {}, "adamw": {"optimizer": "adamw", "lr": 3e-3}},
        seeds=(1,),
        progress=False,
    )
    base, adamw = groups["baseline"][0], groups["adamw"][0]
    valid = corpus_lines("valid")
    assert base.meta["data"]["texts"]["valid"] == len(valid)
    assert base.meta["data"]["tokens"]["valid"] == sum(len(line.split()) for line in valid) + len(valid)
    assert (
        adamw.final["test_ppl"] < base.final["test_ppl"]
    )  # AdamW trains this tiny model much faster than SGD
    table = str(wikitext.table(groups))
    assert (
        "| **baseline** (n=1)" in table and "AWD-LSTM" in table and f"{adamw.final['test_ppl']:.1f}" in table
    )
