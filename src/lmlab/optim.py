"""Optimizers and learning-rate schedules.

The schedule is a pure function of the step, so a resumed run needs no scheduler state and the
challenge's `CosineAnnealingLR(T_max=max_steps)` is reproduced step for step.
"""

from __future__ import annotations

import math

import torch

from lmlab.config import Config


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Decay matrices only: norms, biases and embeddings (all tensors under 2-D, plus embeddings) are left alone."""
    decay, no_decay = [], []
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    for p in model.parameters():  # a tied weight appears once
        if not p.requires_grad:
            continue
        is_matrix = p.dim() >= 2 and id(p) not in embeddings and p is not getattr(model, "pos_emb", None)
        (decay if is_matrix else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def make_optimizer(cfg: Config, model: torch.nn.Module, device: torch.device) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    # the fused kernel runs the whole update in one pass; it exists on CPU and CUDA in torch >= 2.4
    fused = device.type in ("cpu", "cuda")
    return torch.optim.AdamW(
        param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=fused,
        foreach=None if fused else True,
    )


def lr_factor(cfg: Config, step: int, total_steps: int) -> float:
    """Multiplier of cfg.lr at 0-based `step` of `total_steps`."""
    floor = cfg.min_lr_frac
    warmup = int(cfg.warmup_frac * total_steps) if cfg.schedule in ("warmup_cosine", "wsd") else 0
    if step < warmup:
        return (step + 1) / warmup
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule in ("cosine", "warmup_cosine"):
        progress = (step - warmup) / max(1, total_steps - warmup)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    # wsd: warmup, stable at the peak, then a linear decay over the last decay_frac of the steps
    decay_start = total_steps - int(cfg.decay_frac * total_steps)
    if step < decay_start:
        return 1.0
    progress = (step - decay_start + 1) / max(1, total_steps - decay_start)
    return floor + (1 - floor) * (1 - progress)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
