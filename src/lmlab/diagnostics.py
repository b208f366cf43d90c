"""What happens inside a model while it trains, recorded at every evaluation beside the losses.

- per parameter group (embedding, attention, MLP, norms, head): the weights' RMS, and the ratio of
  the last optimizer step's update norm to the weights' norm;
- per layer, on a fixed validation batch: each head's mean attention entropy (in nats; log of the
  number of tokens it can see is uniform attention), the share of attention that stays on the title's
  own tokens (where the title mask is off: with it, all of it does), and the fraction of MLP units
  that never activate (pre-activation never above zero) on the batch.

The gradient norm before clipping and the share of steps that clipped are counted by the trainer
itself, at every step. Nothing here changes what a run computes: the batch is evaluated without
dropout or randomness, so `diagnostics=false` gives the same numbers, only fewer records.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from lmlab.model import GPT

GROUPS = ("embedding", "attention", "mlp", "norms", "head")
BATCH_ROWS = 4  # windows of the fixed validation batch: a picture, not a statistic


def group_of(name: str) -> str:
    """The parameter group of a parameter, by its name in the model."""
    if name.startswith(("token_emb", "pos_emb")):
        return "embedding"
    if ".attn." in name:
        return "attention"
    if ".mlp." in name:
        return "mlp"
    if name.startswith("head"):
        return "head"
    return "norms"


def _by_group(model: GPT) -> dict[str, list[torch.Tensor]]:
    groups: dict[str, list[torch.Tensor]] = {}
    for name, p in model.named_parameters():  # a tied head is the embedding, listed once
        groups.setdefault(group_of(name), []).append(p)
    return groups


@torch.no_grad()
def snapshot(model: GPT) -> list[torch.Tensor]:
    """The weights before an optimizer step, to measure the update it makes."""
    return [p.detach().clone() for p in model.parameters()]


@torch.no_grad()
def weights(model: GPT, before: list[torch.Tensor] | None = None) -> dict:
    """Per group: the weights' RMS and, given a snapshot from before the last step, ||update|| / ||weights||."""
    out: dict[str, dict[str, float]] = {"weight_rms": {}}
    changed = dict(zip(map(id, model.parameters()), before or [], strict=False))
    if before is not None:
        out["update_ratio"] = {}
    for group, params in _by_group(model).items():
        norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(params))).item()
        out["weight_rms"][group] = norm / math.sqrt(sum(p.numel() for p in params))
        if before is not None:
            updates = torch._foreach_sub(params, [changed[id(p)] for p in params])
            update = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(updates))).item()
            out["update_ratio"][group] = update / max(norm, 1e-12)
    return out


def fixed_batch(valid_ids: torch.Tensor, block_size: int) -> torch.Tensor:
    """The first BATCH_ROWS windows of the validation stream: the same tokens at every evaluation."""
    rows = min(BATCH_ROWS, max(1, (len(valid_ids) - 1) // block_size))
    return valid_ids[: rows * block_size].view(rows, block_size)


@torch.inference_mode()
def inside(model: GPT, batch: torch.Tensor) -> dict:
    """Attention entropy per head and its share on the title's own tokens, and dead MLP units, per layer,
    read from the model's own projections on `batch` (the attention probabilities are formed from the
    queries and keys exactly as the model forms them; SDPA does not return them)."""
    captured: dict[tuple[int, str], torch.Tensor] = {}
    hooks = []
    for i, block in enumerate(model.blocks):
        hooks.append(
            block.attn.qkv.register_forward_hook(lambda m, a, out, i=i: captured.__setitem__((i, "qkv"), out))
        )
        unit = block.mlp.gate if block.mlp.kind == "swiglu" else block.mlp.up
        hooks.append(unit.register_forward_hook(lambda m, a, out, i=i: captured.__setitem__((i, "mlp"), out)))
    was_training = model.training
    model.eval()
    try:
        model(batch)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    B, T = batch.shape
    causal = torch.ones(T, T, dtype=torch.bool, device=batch.device).tril()
    title = torch.cumsum(batch == model.cfg.eos_id, dim=1)
    same_title = (title.unsqueeze(2) == title.unsqueeze(1)) & causal  # (B, T, T)
    visible = same_title if model.cfg.title_mask else causal.expand(B, T, T)
    entropy, own_title, dead = [], [], []
    for i, block in enumerate(model.blocks):
        attn = block.attn
        q, k, _ = captured[(i, "qkv")].view(B, T, 3, attn.n_head, attn.head_dim).permute(2, 0, 3, 1, 4)
        if attn.qk_norm:
            q, k = F.rms_norm(q, (attn.head_dim,)), F.rms_norm(k, (attn.head_dim,))
        if attn.rotary is not None:
            q, k = attn.rotary(q), attn.rotary(k)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(attn.head_dim)
        probs = scores.float().masked_fill(~visible.unsqueeze(1), float("-inf")).softmax(dim=-1)
        logs = torch.where(probs > 0, probs.log(), torch.zeros_like(probs))
        entropy.append((-(probs * logs).sum(-1)).mean(dim=(0, 2)).tolist())  # per head
        own_title.append((probs * same_title.unsqueeze(1)).sum(-1).mean(dim=(0, 2)).tolist())
        pre = captured[(i, "mlp")].reshape(-1, captured[(i, "mlp")].size(-1))
        dead.append(float((pre <= 0).all(dim=0).float().mean()))
    return {"attn_entropy": entropy, "attn_own_title": own_title, "mlp_dead": dead}
