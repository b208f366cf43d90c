"""The study's ladder: the mainrun challenge's recipe improved one change at a time.

Each step lists candidate changes over the recipe so far; lmlab.ladder trains them with paired seeds
and decides by its rule. This module is the study's, not the toolkit's: another researcher writes
their own steps in a module like it and hands it to `lmlab.ladder.Ladder`.
"""

from __future__ import annotations

from lmlab.ladder import Step, Study, scaled_rates

LEARNING_RATES = (5e-4, 1e-3, 2e-3, 4e-3, 8e-3)
MUON_LEARNING_RATES = (0.005, 0.01, 0.02, 0.04)
BASELINE = "SGD (challenge)"
BASELINE_TITLE = "challenge baseline (SGD)"  # its label where it is compared with the final recipe
TARGET_RATIO = 0.62
"""The study's goal for the final recipe's ratio to the baseline: a little below the leaderboard's best
credible entry (0.646 of its baseline)."""


def retune(recipe: dict) -> dict[str, dict]:
    """Every learning rate of the recipe scaled together, with and without weight decay."""
    candidates = {}
    for scale in (0.5, 1, 2):
        for decay in (0.0, 0.1):
            if scale == 1 and decay == 0:
                continue  # the recipe itself
            change = scaled_rates(recipe, scale) | {"weight_decay": decay}
            if recipe.get("optimizer") == "muon":
                change["muon_weight_decay"] = decay
            candidates[f"lr x{scale:g}, wd {decay:g}"] = change
    return candidates


def muon_or_adamw_retuned(recipe: dict) -> dict[str, dict]:
    """Muon at each of its learning rates, and the incumbent AdamW at half and twice its rate and with weight decay."""
    return {
        **{
            f"Muon lr {muon_lr:g}": {"optimizer": "muon", "muon_lr": muon_lr}
            for muon_lr in MUON_LEARNING_RATES
        },
        # labels that do not depend on the recipe, so each names one candidate (and colour) across the site
        "AdamW lr x0.5": scaled_rates(recipe, 0.5),
        "AdamW lr x2": scaled_rates(recipe, 2),
        "AdamW wd 0.1": {"weight_decay": 0.1},
    }


def batch_and_lr(recipe: dict) -> dict[str, dict]:
    """Smaller batches (more steps over the same tokens), each learning rate of the recipe scaled with them."""
    candidates = {}
    for batch, scale in ((16, 0.7), (16, 1), (8, 0.5)):
        candidates[f"batch {batch}, lr x{scale:g}"] = {"batch_size": batch} | scaled_rates(recipe, scale)
    return candidates


def unigram_at_vocabulary(recipe: dict) -> dict[str, dict]:
    """sentencepiece's unigram model at the recipe's vocabulary size, against its BPE."""
    size = recipe.get("vocab_size")
    return {f"unigram {size}" if size else "unigram": {"tokenizer": "unigram"}}


TOGETHER_CHANGES = {"scaled init": {"init": "scaled"}, "RoPE": {"pos": "rope"}, "SwiGLU": {"mlp": "swiglu"}}
TOGETHER = " + ".join(TOGETHER_CHANGES)


def leave_one_out(dropped: str) -> str:
    return " + ".join(name for name in TOGETHER_CHANGES if name != dropped)


def combined(names) -> dict:
    return {key: value for name in names for key, value in TOGETHER_CHANGES[name].items()}


STEPS: tuple[Step, ...] = (
    Step("baseline", "Initial run", {BASELINE: {}}, "the challenge's recipe unchanged"),
    Step(
        "adamw",
        "AdamW",
        {f"AdamW lr {lr:g}": {"optimizer": "adamw", "lr": lr} for lr in LEARNING_RATES},
        "per-parameter step sizes that do not depend on the gradient's scale",
    ),
    Step(
        "schedule",
        "Warmup and schedule",
        {
            "warmup + cosine": {"schedule": "warmup_cosine", "warmup_frac": 0.05},
            "warmup + WSD": {"schedule": "wsd", "warmup_frac": 0.05, "decay_frac": 0.2},
        },
        "a short warmup protects Adam's first steps, when its moment estimates are still poor",
        diagnose=(None, "warmup + cosine", "warmup + WSD"),
    ),
    Step(
        "init",
        "Scaled residual init",
        {"scaled init": {"init": "scaled"}},
        "GPT-2 shrinks the residual projections by 1/sqrt(2 n_layer) so the residual stream's variance does not grow with depth",
    ),
    Step(
        "rope",
        "Rotary positions",
        {"RoPE": {"pos": "rope"}},
        "relative positions in every attention layer instead of absolute ones added once at the input",
    ),
    Step(
        "rmsnorm",
        "RMSNorm",
        {"RMSNorm": {"norm": "rms"}},
        "normalizing the scale only, without centering: fewer operations, often no loss in quality",
    ),
    Step(
        "swiglu",
        "SwiGLU",
        {"SwiGLU": {"mlp": "swiglu"}},
        "a gated MLP at equal parameter count, the choice of most recent language models",
    ),
    Step(
        "title_mask",
        "Per-title attention",
        {"title mask": {"title_mask": True}},
        "titles are independent: attending across the <eos> into an unrelated title is noise",
        diagnose=(None, "title mask"),
    ),
    Step(
        "tokenizer",
        "Tokenizer",
        {
            "BPE 2048": {"vocab_size": 2048},
            "BPE 8192": {"vocab_size": 8192},
            "unigram 4096": {"tokenizer": "unigram"},
            "words 8192": {"tokenizer": "word", "vocab_size": 8192},
        },
        "the vocabulary trades sequence length against embedding size; nats per character compares them fairly",
        not_eligible={
            "words 8192": "every word outside its 8,192 becomes `<unk>`, which is cheap to predict and "
            "never spelled out, so its nats per character is not comparable"
        },
    ),
    Step(
        "tying",
        "Weight tying",
        {"untied": {"tie_embeddings": False}},
        "a separate output matrix doubles the embedding parameters but frees input and output roles",
    ),
    Step(
        "dropout",
        "Dropout",
        {"no dropout": {"dropout": 0.0}, "dropout 0.2": {"dropout": 0.2}},
        "with two epochs over the data, regularization may matter less than capacity",
        diagnose=(None, "no dropout", "dropout 0.2"),
    ),
    Step(
        "shape",
        "Depth vs width",
        {
            "8 layers x 184": {"n_layer": 8, "d_model": 184},
            "2 layers x 360": {"n_layer": 2, "d_model": 360},
        },
        "the same number of block parameters (12 n_layer d_model^2, about 3.2M) spent on depth or on width",
    ),
    Step(
        "muon",
        "Muon",
        muon_or_adamw_retuned,
        "Muon orthogonalizes each update of a weight matrix, so every direction of the matrix learns at the same rate; "
        "AdamW keeps the embeddings, the gains and the biases at the recipe's learning rate. The incumbent AdamW, "
        "tuned once eleven steps earlier on another model, is re-tuned beside it, so a gain is Muon's and not a stale "
        "AdamW's",
        diagnose=(None, "Muon lr 0.02"),
    ),
    Step(
        "retune",
        "Learning rate and weight decay",
        retune,
        "the learning rate was chosen for AdamW eight steps ago; weight decay has been zero all along",
    ),
    Step(
        "regularization",
        "Dropout at seven epochs",
        lambda recipe: {
            "dropout 0.1": {"dropout": 0.1},
            "dropout 0.2": {"dropout": 0.2},
            BASELINE: {key: None for key in recipe},
        },
        "at two epochs the ladder found no dropout best; the challenge trains for seven, where overfitting can begin",
        not_eligible={
            BASELINE: "the challenge's own settings at seven epochs, the reference for the ratio at that length"
        },
        budget={"epochs": 7},
        follows=False,
    ),
    Step(
        "rdrop",
        "R-Drop at seven epochs",
        {"R-Drop 1": {"rdrop": 1.0}},
        "at seven epochs dropout 0.2 was adopted; R-Drop also asks the two predictions of each batch under "
        "different dropout masks to agree (their symmetric KL divergence, weight 1, is added to the loss), as in "
        "the best published mainrun result. It is measured beside dropout 0.2, from the same recipe",
        budget={"epochs": 7, "dropout": 0.2},
        follows=False,
    ),
    Step(
        "switches",
        "QK-norm, ReLU², soft-capped logits",
        {
            "QK-norm": {"qk_norm": True},
            "ReLU²": {"mlp": "relu2"},
            "logit soft-cap 15": {"logit_softcap": 15.0},
        },
        "three small changes that each saved training steps in the speedrun literature, each on its own",
    ),
    Step(
        "together",
        "The unresolved changes together",
        {
            TOGETHER: combined(TOGETHER_CHANGES),
            **{
                leave_one_out(dropped): combined(n for n in TOGETHER_CHANGES if n != dropped)
                for dropped in TOGETHER_CHANGES
            },
        },
        "each of these leaned the right way but was too small for five seeds to resolve; together they may not be",
        not_eligible={
            leave_one_out(dropped): "an ablation: the three together less one, to see which carries the gain"
            for dropped in TOGETHER_CHANGES
        },
    ),
    Step(
        "shuffle",
        "Shuffled batches every epoch",
        {"titles shuffled": {"shuffle": "titles"}, "windows shuffled": {"shuffle": "windows"}},
        "the challenge reads the same stream in the same order every epoch, so the second epoch repeats the "
        "first batch for batch; a new order each epoch, of whole titles or of the context windows, makes every "
        "batch a new mix",
    ),
    Step(
        "averaging",
        "Weight averaging",
        {
            "EMA 0.95": {"average": "ema", "ema_decay": 0.95},
            "EMA 0.98": {"average": "ema", "ema_decay": 0.98},
            "SWA over the decay": {"average": "swa"},
        },
        "an average of the last steps' weights sits nearer the middle of the valley the optimizer bounces "
        "across; evaluated with the averaged weights (an exponential average over about 20 or 50 steps, or the "
        "uniform average of the WSD decay phase)",
    ),
    Step(
        "batch",
        "Batch size and learning rate",
        batch_and_lr,
        "the same tokens in more, smaller steps: at this size more updates are often worth more than a cleaner "
        "gradient; the learning rates scale with the batch (x0.7 is the square-root rule for half the batch)",
    ),
    Step(
        "unigram",
        "Unigram tokenizer",
        unigram_at_vocabulary,
        "sentencepiece's unigram model at the adopted vocabulary, against its BPE: the best published mainrun "
        "result used unigram",
    ),
    Step(
        "gates",
        "Per-head attention gates",
        {"attention gates": {"attn_gate": True}},
        "a sigmoid gate per head and token, computed from the attention's input, lets a head stay silent where it "
        "has nothing to add. The speedrun's U-net skips pair early with late layers; the recipe has two layers, "
        "so there is nothing to pair and they are left out",
    ),
)


LADDER = Study(
    name="mainrun",
    steps=STEPS,
    baseline=BASELINE,
    baseline_title=BASELINE_TITLE,
    seeds=(1, 2, 3),
    extra_seeds=(4, 5),  # trained only where three seeds cannot decide
    diagnostic_seed=11,  # one run of each compared recipe for the diagnostics figures: a picture, not a statistic
    profile_seeds={"tiny": (1,)},  # the tests' profile checks the mechanics, not the noise
    # the steps that decide the model's size, the vocabulary and the batch (with the learning rates scaled
    # to it) at the ladder's own profile: at the challenge's size the recipe takes every adopted change
    # but theirs
    size_steps=("tokenizer", "shape", "batch"),
    # the challenge's model and tokenizer on the `cpu` profile's data budget; `full` is the challenge itself
    at_size={"cpu": "cpu-27m"},
    more_seeds_at_most=10,
    target_ratio=TARGET_RATIO,
    # the final recipe's parts, named by what it holds now: the together step adopted three changes at
    # once; of BPE 8192 the unigram step kept the size and replaced the algorithm, so the tokenizer
    # step's part is the size and the unigram step's the algorithm; of Muon lr 0.02 the optimizer is the part
    parts={
        "together": TOGETHER_CHANGES,
        "tokenizer": {"vocabulary 8192": {"vocab_size": 8192}},
        "dropout": {"dropout 0": {"dropout": 0.0}},
        "muon": {"Muon": {"optimizer": "muon"}},
        "unigram": {"unigram tokenizer": {"tokenizer": "unigram"}},
    },
)
