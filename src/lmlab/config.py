"""One plain dataclass holds every setting of a run; profiles and `key=value` overrides change it.

The defaults are the challenge ("mainrun") exactly; `profile=full` adds only bf16 arithmetic for its
GPU, and every other profile is a readable list of what it shrinks.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field, fields

from lmlab.errors import LmlabError

HUB_DATASET = "julien040/hacker-news-posts"


def _setting(default, help: str, choices: tuple | None = None, low=None, high=None, low_open=False):
    return field(
        default=default, metadata=dict(help=help, choices=choices, low=low, high=high, low_open=low_open)
    )


@dataclass
class Config:
    # data
    data: str = _setting(
        HUB_DATASET,
        "hub dataset name, a .txt/.csv/.jsonl/.parquet file, or a directory with train/valid/test.txt",
    )
    num_titles: int = _setting(
        100_000,
        "texts taken after shuffling (0 = all); for a directory: leading training lines (valid and test stay whole)",
        low=0,
    )
    data_seed: int = _setting(1337, "seed of the dataset shuffle (the challenge uses 1337)", low=0)
    val_frac: float = _setting(
        0.10,
        "fraction of texts held out for validation (not for a directory, which brings its own split)",
        low=0.0,
        high=0.5,
        low_open=True,
    )
    test_titles: int = _setting(
        0,
        "texts after the first num_titles in the same shuffled order, held out of training and validation "
        "and scored once at the end as a test split (0 = none, never read; a directory scores its own test.txt)",
        low=0,
    )
    # tokenizer
    tokenizer: str = _setting(
        "bpe", "sentencepiece bpe or unigram, or whitespace words", choices=("bpe", "unigram", "word")
    )
    vocab_size: int = _setting(
        16_000,
        "vocabulary size (word: 0 = every training word; unigram: fewer where the data holds fewer)",
        low=0,
        high=1_000_000,
    )
    tokenizer_fit: str = _setting(
        "train",
        "texts the tokenizer learns from; train+valid is the challenge's (leaky) choice",
        choices=("train", "train+valid"),
    )
    # model
    n_layer: int = _setting(6, "transformer blocks", low=1)
    n_head: int = _setting(8, "attention heads", low=1)
    d_model: int = _setting(512, "residual stream width", low=1)
    block_size: int = _setting(128, "context length in tokens", low=2)
    dropout: float = _setting(0.1, "dropout probability", low=0.0, high=0.9)
    pos: str = _setting("learned", "position encoding", choices=("learned", "rope"))
    norm: str = _setting("layer", "normalization layer", choices=("layer", "rms"))
    mlp: str = _setting(
        "gelu", "feed-forward block (relu2: squared ReLU)", choices=("gelu", "relu", "relu2", "swiglu")
    )
    tie_embeddings: bool = _setting(True, "share the input embedding with the output head")
    bias: bool = _setting(True, "biases in linear and norm layers")
    init: str = _setting(
        "normal",
        "normal: N(0, 0.02) everywhere; scaled: GPT-2's 1/sqrt(2 n_layer) on residual projections",
        choices=("normal", "scaled"),
    )
    title_mask: bool = _setting(False, "a token attends only to tokens of its own title")
    qk_norm: bool = _setting(False, "RMS-normalize each head's queries and keys before attention")
    logit_softcap: float = _setting(
        0.0, "squash the output logits into (-c, c) as c*tanh(x/c) (0 = off)", low=0.0
    )
    attn_gate: bool = _setting(
        False, "scale each head's attention output by a sigmoid gate computed from the attention's input"
    )
    # optimization
    optimizer: str = _setting(
        "sgd",
        "optimizer (muon: Muon for the blocks' matrices, AdamW with lr and weight_decay for the rest)",
        choices=("sgd", "adamw", "muon"),
    )
    lr: float = _setting(6e-3, "peak learning rate", low=0.0, low_open=True)
    weight_decay: float = _setting(
        0.0, "decoupled weight decay (adamw: not on norms, biases, embeddings)", low=0.0
    )
    momentum: float = _setting(0.0, "sgd momentum (0 = plain SGD, the challenge's)", low=0.0, high=1.0)
    nesterov: bool = _setting(False, "sgd: Nesterov's momentum (needs momentum > 0)")
    muon_lr: float = _setting(
        0.02, "Muon's peak learning rate (optimizer=muon), on the same schedule", low=0.0, low_open=True
    )
    muon_weight_decay: float = _setting(0.0, "Muon's decoupled weight decay (optimizer=muon)", low=0.0)
    beta1: float = _setting(0.9, "adamw beta1", low=0.0, high=1.0)
    beta2: float = _setting(0.95, "adamw beta2", low=0.0, high=1.0)
    schedule: str = _setting(
        "cosine",
        "learning-rate schedule over all steps",
        choices=("constant", "cosine", "warmup_cosine", "wsd"),
    )
    warmup_frac: float = _setting(
        0.05, "fraction of steps warming up (warmup_cosine, wsd)", low=0.0, high=1.0
    )
    decay_frac: float = _setting(
        0.2,
        "fraction of steps in the final decay (wsd), and the steps average=swa averages",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    min_lr_frac: float = _setting(0.0, "final learning rate as a fraction of lr", low=0.0, high=1.0)
    grad_clip: float = _setting(1.0, "clip the global gradient norm (0 = off)", low=0.0)
    batch_size: int = _setting(64, "global batch in sequences per optimizer step", low=1)
    grad_accum: int = _setting(1, "micro-batches per optimizer step (per process)", low=1)
    precision: str = _setting(
        "fp32",
        "arithmetic of forward passes: bf16 autocasts matrix products to bfloat16 (CUDA, or a CPU with native bf16: AVX512-BF16 or AMX)",
        choices=("fp32", "bf16"),
    )
    epochs: int = _setting(7, "passes over the training tokens", low=1)
    shuffle: str = _setting(
        "none",
        "order of the training stream each epoch: none (the challenge's fixed order), titles (the titles "
        "in a new order every epoch), windows (the batches' context windows in a new order every epoch)",
        choices=("none", "titles", "windows"),
    )
    average: str = _setting(
        "none",
        "evaluate a running average of the weights: ema (exponential, ema_decay per step), swa (uniform, "
        "over the last decay_frac of the steps)",
        choices=("none", "ema", "swa"),
    )
    ema_decay: float = _setting(
        0.95, "weight of the old average at each step (average=ema)", low=0.0, high=1.0, low_open=True
    )
    rdrop: float = _setting(
        0.0,
        "R-Drop: each batch passes twice with different dropout masks, adding this weight times the "
        "symmetric KL divergence of the two predictions to the loss (0 = off; needs dropout > 0)",
        low=0.0,
    )
    max_steps: int = _setting(
        0, "stop after this many optimizer steps, the schedule fitted to them (0 = every epoch)", low=0
    )
    seed: int = _setting(1337, "seed of initialization, dropout and sampling", low=0)
    # evaluation and logging
    evals_per_epoch: int = _setting(
        3, "validation passes per epoch (plus one before training, one at step 1 and one at the end)", low=1
    )
    log_every: int = _setting(10, "steps between train-loss records", low=1)
    probes: str = _setting(
        "",
        "probe contexts for top-k next-token plots, separated by |; empty = first words of 3 validation titles",
    )
    # execution: these change how a run executes, not what it computes, so they stay out of the run id
    eval_batch_size: int = _setting(64, "sequences per evaluation batch (does not change the metric)", low=1)
    checkpoint_every: int = _setting(0, "steps between checkpoints (0 = at every evaluation)", low=0)
    device: str = _setting("auto", "auto picks cuda > mps > cpu", choices=("auto", "cpu", "cuda", "mps"))
    compile: bool = _setting(False, "torch.compile the model")
    diagnostics: bool = _setting(
        True,
        "record what happens inside the model at every evaluation (lmlab.diagnostics; changes no number)",
    )
    note: str = _setting("", "free text attached to the run")
    profile: str = _setting(
        "full",
        "the size profile these settings started from",
        choices=("tiny", "smoke", "cpu", "cpu-27m", "full"),
    )


EXECUTION_KEYS = frozenset(
    {"eval_batch_size", "checkpoint_every", "device", "compile", "note", "profile", "data", "diagnostics"}
)
"""Left out of the run id: they do not change the numbers a run produces. `data` is replaced by the
content fingerprint of the data, so the same file under another path is the same run."""

PROFILES: dict[str, dict] = {
    # bf16 is a different run from fp32 (its numbers differ), so it is a setting, not the device's choice
    "full": dict(precision="bf16"),
    # Sized so that one run takes a few minutes on a 2-core laptop and the whole study fits in a few hours.
    "cpu": dict(
        num_titles=20_000,
        vocab_size=4096,
        n_layer=4,
        n_head=4,
        d_model=256,
        block_size=64,
        batch_size=32,
        epochs=2,
        evals_per_epoch=4,
    ),
    # The challenge's own model and tokenizer (6 x 512, vocabulary 16,000, context 128, batch 64: 27.2M
    # parameters) on the `cpu` profile's data budget: does a recipe found at `cpu` size hold at the
    # challenge's size? About 20 minutes a run on a 2-core laptop.
    "cpu-27m": dict(num_titles=20_000, epochs=2, evals_per_epoch=4),
    "smoke": dict(
        num_titles=2_000,
        vocab_size=512,
        n_layer=2,
        n_head=2,
        d_model=64,
        block_size=32,
        batch_size=16,
        epochs=1,
        evals_per_epoch=2,
        log_every=5,
    ),
    # The notebooks and the site in the tests: 16 steps of a one-layer model, a second a run.
    # 2,000 titles because the ladder's tokenizer step asks for 8,192 pieces.
    "tiny": dict(
        num_titles=2_000,
        vocab_size=512,
        n_layer=1,
        n_head=2,
        d_model=32,
        block_size=32,
        batch_size=8,
        epochs=1,
        max_steps=16,
        evals_per_epoch=1,
        log_every=4,
    ),
}

DEFAULT_PROFILE = "cpu"
"""The profile of `lmlab train`, `lmlab ladder`, `lmlab.run` and the notebooks, except that the
notebooks on a GPU take `full`, the challenge's own size (see `default_profile`). `Config()` itself
holds the challenge's settings, so its `profile` field says `full`."""


def default_profile(gpu: bool = False) -> str:
    return "full" if gpu else DEFAULT_PROFILE


ADDED_LATER = frozenset(
    {
        "qk_norm",
        "logit_softcap",
        "muon_lr",
        "muon_weight_decay",
        "max_steps",
        "precision",
        "attn_gate",
        "shuffle",
        "average",
        "ema_decay",
        "rdrop",
        "test_titles",
        "momentum",
        "nesterov",
    }
)
"""Settings added after runs were recorded: at their default they stay out of the run id, so that
every run recorded before them keeps its id (and is found, not trained again)."""

NO_SWEEP_KEYS = frozenset({"note", "probes"})
"""Free text: a comma inside is text, not a sweep."""


def settings() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in fields(Config)}


def _parse_value(key: str, raw: str, f: dataclasses.Field):
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    text = raw.strip()
    try:
        if kind == "bool":
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "int":
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind == "float":
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
    except ValueError:
        expected = {"bool": "true or false", "int": "a whole number", "float": "a finite number"}[kind]
        raise LmlabError(f"{key}={raw!r}: expected {expected}") from None
    return raw


def _check_value(key: str, value, f: dataclasses.Field) -> None:
    meta = f.metadata
    if meta.get("choices") and value not in meta["choices"]:
        raise LmlabError(
            f"{key}={value!r} is not a valid choice; choose one of: {', '.join(meta['choices'])}"
        )
    low, high = meta.get("low"), meta.get("high")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if low is not None and (value < low or (meta.get("low_open") and value == low)):
        bound = f"greater than {low}" if meta.get("low_open") else f"at least {low}"
        raise LmlabError(f"{key}={value} is out of range: it must be {bound}")
    if high is not None and value > high:
        raise LmlabError(f"{key}={value} is out of range: it must be at most {high}")


def unknown_key_error(key: str) -> LmlabError:
    names = list(settings())
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return LmlabError(f"unknown setting '{key}'; {hint}valid settings: {', '.join(names)}")


def validate(cfg: Config) -> Config:
    """Check every value and the relations between them; return cfg unchanged."""
    for name, f in settings().items():
        _check_value(name, getattr(cfg, name), f)
    if cfg.d_model % cfg.n_head:
        raise LmlabError(f"d_model={cfg.d_model} must be divisible by n_head={cfg.n_head}")
    if cfg.pos == "rope" and (cfg.d_model // cfg.n_head) % 2:
        raise LmlabError(f"pos=rope needs an even head size; d_model/n_head = {cfg.d_model // cfg.n_head}")
    if cfg.batch_size % cfg.grad_accum:
        raise LmlabError(f"batch_size={cfg.batch_size} must be divisible by grad_accum={cfg.grad_accum}")
    if cfg.tokenizer != "word" and cfg.vocab_size < 64:
        raise LmlabError(
            f"vocab_size={cfg.vocab_size} is too small for tokenizer={cfg.tokenizer}; use at least 64"
        )
    if cfg.rdrop and not cfg.dropout:
        raise LmlabError(
            f"rdrop={cfg.rdrop:g} compares two dropout masks, and dropout=0 draws none; set dropout above 0"
        )
    if cfg.nesterov and not cfg.momentum:
        raise LmlabError("nesterov=true needs momentum above 0 (for example momentum=0.9)")
    if (cfg.momentum or cfg.nesterov) and cfg.optimizer != "sgd":
        raise LmlabError(
            f"momentum and nesterov set SGD's momentum; optimizer={cfg.optimizer} has its own (beta1)"
        )
    if cfg.ema_decay == 1 and cfg.average == "ema":
        raise LmlabError("ema_decay=1 never moves the average from the initial weights; use a value below 1")
    if cfg.schedule == "wsd" and cfg.warmup_frac + cfg.decay_frac > 1:
        raise LmlabError(
            f"warmup_frac + decay_frac = {cfg.warmup_frac + cfg.decay_frac:g} exceeds 1 for schedule=wsd"
        )
    return cfg


def make_config(profile: str = DEFAULT_PROFILE, **overrides) -> Config:
    """The profile's config with typed overrides applied, validated."""
    if profile not in PROFILES:
        raise LmlabError(f"unknown profile '{profile}'; choose one of: {', '.join(PROFILES)}")
    known = settings()
    values = {**PROFILES[profile], "profile": profile}
    for key, value in overrides.items():
        if key not in known:
            raise unknown_key_error(key)
        if isinstance(value, str) and known[key].type not in ("str", str):
            value = _parse_value(key, value, known[key])
        values[key] = value
    try:
        cfg = Config(**values)
    except TypeError as e:  # only reachable from Python callers passing odd types
        raise LmlabError(str(e)) from None
    _check_types(cfg)
    return validate(cfg)


def _check_types(cfg: Config) -> None:
    for name, f in settings().items():
        value = getattr(cfg, name)
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, (int, float)) and not isinstance(value, bool),
            "str": isinstance(value, str),
        }[kind]
        if not ok:
            raise LmlabError(f"{name}={value!r}: expected a value of type {kind}")
        if kind == "float":
            setattr(cfg, name, float(value))


def parse_overrides(args: list[str]) -> dict[str, list[str]]:
    """`key=v1,v2` words into {key: [v1, v2]}; a list of one value is a single run."""
    out: dict[str, list[str]] = {}
    known = settings()
    for arg in args:
        key, sep, raw = arg.partition("=")
        key = key.strip()
        if not sep or not key:
            raise LmlabError(f"'{arg}' is not a key=value setting (for example: lr=5e-4)")
        if key not in known:
            raise unknown_key_error(key)
        out[key] = [raw] if key in NO_SWEEP_KEYS else [v for v in raw.split(",")]
        if any(v.strip() == "" for v in out[key]) and known[key].type not in ("str", str):
            raise LmlabError(f"{key}={raw!r}: empty value")
    return out


def expand_grid(profile: str, overrides: dict[str, list[str]]) -> list[Config]:
    """Every combination of the swept values, in the order the user wrote them."""
    keys = list(overrides)
    return [
        make_config(profile, **dict(zip(keys, combo)))
        for combo in itertools.product(*(overrides[k] for k in keys))
    ]


def to_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(values: dict) -> Config:
    known = settings()
    return Config(**{k: v for k, v in values.items() if k in known})


def run_id(cfg: Config, data_fingerprint: str) -> str:
    """Short content hash of everything that changes the numbers a run produces."""
    defaults = {name: f.default for name, f in settings().items()}
    hashed = {
        k: v
        for k, v in to_dict(cfg).items()
        if k not in EXECUTION_KEYS and not (k in ADDED_LATER and v == defaults[k])
    }
    hashed["data_fingerprint"] = data_fingerprint
    blob = json.dumps(hashed, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def differences(configs: list[dict]) -> list[str]:
    """The setting names whose values differ among the given configs (in declaration order)."""
    names = [n for n in settings() if n not in ("note",)]
    return [n for n in names if len({json.dumps(c.get(n)) for c in configs}) > 1]
