"""What a group of runs cost: training FLOPs per token (from the model, whatever the machine) and the
tokens per second and minutes each run took here (as recorded, under whatever else the machine ran)."""

from __future__ import annotations

import statistics

import torch

from lmlab.config import from_dict
from lmlab.model import GPT, ModelConfig
from lmlab.optim import orthogonalization_flops
from lmlab.runs import Run


def flops_per_token(run: Run) -> float | None:
    """The run's training FLOPs per token: the model's (lmlab.model.GPT.flops_per_token), twice for
    R-Drop's two passes of each batch, plus the optimizer's own work a step (Muon's orthogonalization)
    shared over the step's tokens. None where the run does not record its vocabulary."""
    vocab = run.meta.get("data", {}).get("tokenizer", {}).get("vocab_size")
    if not vocab:
        return None
    cfg = from_dict(run.config)
    with torch.device("meta"):  # shapes only: nothing is allocated
        model = GPT(ModelConfig.from_settings(cfg, vocab))
    per_step = orthogonalization_flops(cfg, model) / (cfg.batch_size * cfg.block_size)
    return model.flops_per_token() * (2 if cfg.rdrop else 1) + per_step


def flops_per_char(run: Run) -> float | None:
    """The run's training FLOPs per character of its training text: a cost that compares across
    tokenizers, where a token of one is not a token of another."""
    per_token = flops_per_token(run)
    data = run.meta.get("data", {})
    tokens, chars = data.get("tokens", {}).get("train"), data.get("chars", {}).get("train")
    return per_token * tokens / chars if per_token and tokens and chars else None


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _median_run(runs: list[Run]) -> Run | None:
    """The run whose training took the median time (the lower of the two middle ones)."""
    timed = sorted((r for r in runs if r.final.get("train_seconds")), key=lambda r: r.final["train_seconds"])
    return timed[(len(timed) - 1) // 2] if timed else None


def training_tokens(run: Run) -> int | None:
    """The tokens of training text the run's optimizer steps read (a batch of sequences a step)."""
    steps = run.meta.get("total_steps")
    return steps * run.config["batch_size"] * run.config["block_size"] if steps else None


def cost(runs: list[Run]) -> dict:
    """The FLOPs per token and per character of the runs' model, and the median run's minutes of
    training with its tokens per second over them (evaluations and checkpoints included): the two
    numbers of one run, so they agree with each other."""
    flops = {flops_per_token(run) for run in runs} - {None}
    per_char = {flops_per_char(run) for run in runs} - {None}
    median = _median_run(runs)
    seconds = median.final["train_seconds"] if median else None
    tokens = training_tokens(median) if median else None
    return {
        "flops_per_token": flops.pop() if len(flops) == 1 else None,
        "flops_per_char": statistics.median(per_char) if per_char else None,
        "tok_per_s": tokens / seconds
        if tokens and seconds
        else _median(r.final.get("tok_per_s") for r in runs),
        "minutes": seconds / 60 if seconds else None,
    }


COST_HEADER = ["MFLOP/char", "tokens/s", "min/run"]


def cost_cells(runs: list[Run]) -> list[str]:
    c = cost(runs)
    return [
        "" if c["flops_per_char"] is None else f"{c['flops_per_char'] / 1e6:.2f}",
        "" if c["tok_per_s"] is None else f"{c['tok_per_s']:,.0f}",
        "" if c["minutes"] is None else f"{c['minutes']:.1f}",
    ]


COST_NOTE = (
    "*MFLOP/char: the model's training FLOPs per character of training text (per token, 6 x its matrix "
    "products' parameters plus attention, PaLM's count, times the tokens a character; R-Drop's two passes count "
    "twice; Muon's orthogonalization of its matrices each step is shared over the step's tokens), whatever the machine. tokens/s and min/run: "
    "the minutes of the run whose training took the median time, and its training tokens a second over them "
    "(evaluations and checkpoints included), as recorded on the machine that trained it, with whatever "
    "else ran beside it and the code of its day: runs trained in different weeks (the ladder's first steps "
    "on another machine, before later speed-ups) differ several-fold for the same model, so compare them only "
    "between runs trained together; MFLOP/char compares everywhere.*"
)


def cost_table(groups: dict[str, list[Run]]) -> list[str]:
    """Each group's cost, a row each: the lines of a Markdown table to set under a results table."""
    lines = ["| cost | " + " | ".join(COST_HEADER) + " |", "|:---|" + "---:|" * len(COST_HEADER)]
    return lines + [
        f"| {label} | " + " | ".join(cost_cells(runs)) + " |" for label, runs in groups.items() if runs
    ]
