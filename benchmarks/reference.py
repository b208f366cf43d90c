"""The challenge's model and training loop, written the way the challenge writes them, as the
baseline our speed is measured against: attention by hand (scores, causal mask, softmax, dropout,
matmul), fp32, SGD, and a host sync (`loss.item()`) every step. Same parameter layout and count
as lmlab's model at default settings.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch.nn import functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_head: int, block_size: int, dropout: float):
        super().__init__()
        self.n_head, self.head_dim = n_head, d_model // n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.attn_drop = nn.Dropout(dropout)
        self.resid_drop = nn.Dropout(dropout)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))

    def forward(self, x):
        B, T, C = x.size()
        qkv = self.qkv(x).view(B, T, 3, self.n_head, self.head_dim).transpose(1, 3)
        q, k, v = qkv[..., 0, :, :], qkv[..., 1, :, :], qkv[..., 2, :, :]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        att = self.attn_drop(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))


class Block(nn.Module):
    def __init__(self, d_model: int, n_head: int, block_size: int, dropout: float):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, block_size, dropout)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model), nn.Dropout(dropout)
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(
        self, vocab_size: int, block_size: int, n_layer: int, n_head: int, d_model: int, dropout: float
    ):
        super().__init__()
        self.token_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Parameter(torch.zeros(1, block_size, d_model))
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, n_head, block_size, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.apply(self._init_weights)
        self.head.weight = self.token_emb.weight

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        x = self.drop(self.token_emb(idx) + self.pos_emb[:, : idx.size(1), :])
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        loss = (
            None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        )
        return logits, loss


def get_batch(ids: torch.Tensor, ptr: int, block_size: int, batch_size: int):
    span = block_size * batch_size + 1
    if ptr + span >= len(ids):
        ptr = 0
    batch = ids[ptr : ptr + span]
    return (
        batch[:-1].view(batch_size, block_size),
        batch[1:].view(batch_size, block_size),
        ptr + block_size * batch_size,
    )


def train_steps(model, opt, ids, ptr, steps, block_size, batch_size) -> tuple[int, list[float]]:
    """The challenge's loop body, `steps` times; returns the data pointer and the losses."""
    losses = []
    for _ in range(steps):
        xb, yb, ptr = get_batch(ids, ptr, block_size, batch_size)
        _, loss = model(xb, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())  # the challenge logs every step
    return ptr, losses


@torch.no_grad()
def evaluate(model, ids, block_size, batch_size, chars):
    """The challenge's evaluate(): full spans only, `.item()` per batch."""
    model.eval()
    total = 0.0
    span = block_size * batch_size + 1
    for ptr in range(0, len(ids) - span + 1, span):
        batch = ids[ptr : ptr + span]
        xb, yb = batch[:-1].view(batch_size, block_size), batch[1:].view(batch_size, block_size)
        logits, _ = model(xb, yb)
        total += F.cross_entropy(logits.view(-1, logits.size(-1)), yb.view(-1), reduction="sum").item()
    model.train()
    return total / chars
