"""Optimizers and learning-rate schedules.

The schedule is a pure function of the step, so a resumed run needs no scheduler state and the
challenge's `CosineAnnealingLR(T_max=max_steps)` is reproduced step for step. `optimizer=muon`
steps two torch optimizers as one: `torch.optim.Muon` for the blocks' weight matrices, AdamW for
the embeddings, the head, the norms and the biases.

torch's Muon orthogonalizes in bf16, whose matrix products a CPU without bf16 units runs about 16x
slower than fp32's (a Muon step took 7 s instead of 1 s here), and whose rounding is not the fp32
run's. So a run at `precision=fp32` takes the same Newton-Schulz iteration in fp32; at
`precision=bf16` torch's own runs unchanged.
"""

from __future__ import annotations

import inspect
import math
from contextlib import contextmanager, nullcontext

import torch
import torch.optim._muon as torch_muon

from lmlab.config import Config


def param_groups(
    model: torch.nn.Module, weight_decay: float, exclude: frozenset[int] = frozenset()
) -> list[dict]:
    """Decay matrices only: norms, biases and embeddings (all tensors under 2-D, plus embeddings) are left alone.
    Parameters whose id is in `exclude` (another optimizer's) are left out."""
    decay, no_decay = [], []
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    for p in model.parameters():  # a tied weight appears once
        if not p.requires_grad or id(p) in exclude:
            continue
        is_matrix = p.dim() >= 2 and id(p) not in embeddings and p is not getattr(model, "pos_emb", None)
        (decay if is_matrix else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


class OptimizerChain:
    """Several optimizers stepped as one, with one state dict for the checkpoint."""

    def __init__(self, *optimizers: torch.optim.Optimizer):
        self.optimizers = optimizers

    @property
    def param_groups(self) -> list[dict]:
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def step(self) -> None:
        for optimizer in self.optimizers:
            optimizer.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return {"optimizers": [optimizer.state_dict() for optimizer in self.optimizers]}

    def load_state_dict(self, state: dict) -> None:
        for optimizer, saved in zip(self.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)


def muon_matrices(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The weight matrices inside the transformer blocks (attention and MLP), which Muon updates. The
    heads' gates stay with AdamW: a few rows that each gate one head, not a map between two spaces."""
    return [
        p
        for name, p in model.named_parameters()
        if p.requires_grad
        and p.dim() == 2
        and name.startswith("blocks.")
        and not name.endswith("attn.gate.weight")
    ]


def newton_schulz_fp32(
    grad: torch.Tensor, ns_coefficients: tuple[float, float, float], ns_steps: int, eps: float
) -> torch.Tensor:
    """torch.optim._muon._zeropower_via_newtonschulz (same quintic, coefficients and steps), in fp32."""
    a, b, c = ns_coefficients
    wide = grad.size(0) > grad.size(1)
    x = grad.float().T if wide else grad.float()
    x = x / x.norm().clamp(min=eps)  # spectral norm at most 1
    for _ in range(ns_steps):
        gram = x @ x.T
        x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
    return x.T if wide else x


@contextmanager
def _fp32_newton_schulz():
    # torch's muon() looks the iteration up in its module at every step
    original = torch_muon._zeropower_via_newtonschulz
    torch_muon._zeropower_via_newtonschulz = newton_schulz_fp32
    try:
        yield
    finally:
        torch_muon._zeropower_via_newtonschulz = original


class Muon(torch.optim.Muon):
    """torch.optim.Muon, orthogonalizing in the run's arithmetic: fp32 unless the run computes in bf16."""

    def __init__(self, params, precision: str, **settings):
        super().__init__(params, **settings)
        self.precision = precision

    def step(self, closure=None):
        with nullcontext() if self.precision == "bf16" else _fp32_newton_schulz():
            return super().step(closure)


def make_optimizer(cfg: Config, model: torch.nn.Module, device: torch.device):
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov,
            weight_decay=cfg.weight_decay,
        )
    matrices = muon_matrices(model) if cfg.optimizer == "muon" else []
    # the fused kernel runs the whole update in one pass; it exists on CPU and CUDA in torch >= 2.4
    fused = device.type in ("cpu", "cuda")
    adamw = torch.optim.AdamW(
        param_groups(model, cfg.weight_decay, exclude=frozenset(map(id, matrices))),
        lr=cfg.lr,
        betas=(cfg.beta1, cfg.beta2),
        fused=fused,
        foreach=None if fused else True,
    )
    if not matrices:
        return adamw
    # AdamW first: its group 0 carries `lr`, the rate every run logs
    return OptimizerChain(adamw, Muon(matrices, cfg.precision, **muon_arguments(cfg)))


def orthogonalization_flops(cfg: Config, model: torch.nn.Module) -> int:
    """The FLOPs of Muon's Newton-Schulz orthogonalization in one optimizer step (0 for another
    optimizer): per iteration, for an A x B matrix with s = min(A, B) and l = max(A, B), X Xᵀ (2 s² l),
    the quintic's gram @ gram (2 s³) and its product with X (2 s² l)."""
    if cfg.optimizer != "muon":
        return 0
    iterations = muon_settings(cfg)["ns_steps"]
    return sum(
        iterations * (4 * short * short * long + 2 * short**3)
        for short, long in (sorted(p.shape) for p in muon_matrices(model))
    )


def muon_arguments(cfg: Config) -> dict:
    """What a run passes to torch.optim.Muon; the rest is torch's default. "original" scales the rate
    of an A x B matrix by sqrt(max(1, A / B)), as Muon's authors do."""
    return {"lr": cfg.muon_lr, "weight_decay": cfg.muon_weight_decay, "adjust_lr_fn": "original"}


def muon_settings(cfg: Config) -> dict:
    """Every setting torch.optim.Muon runs with in a run of these settings: torch's defaults, then the run's."""
    signature = inspect.signature(torch.optim.Muon.__init__).parameters.values()
    defaults = {p.name: p.default for p in signature if p.default is not inspect.Parameter.empty}
    return {**defaults, **muon_arguments(cfg)}


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


def set_lr(optimizer, cfg: Config, factor: float) -> None:
    """Each optimizer's peak rate (Muon's own, the others' `lr`) times the schedule's factor."""
    for opt in getattr(optimizer, "optimizers", (optimizer,)):
        peak = cfg.muon_lr if isinstance(opt, torch.optim.Muon) else cfg.lr
        for group in opt.param_groups:
            group["lr"] = peak * factor
