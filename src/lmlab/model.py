"""A GPT-style decoder in one file. With default settings it is the challenge's model exactly
(learned positions, LayerNorm, GELU MLP, tied embeddings, N(0, 0.02) init: 27,172,864
parameters at vocab 16,000); every study "change" is one switch of `ModelConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class ModelConfig:
    vocab_size: int
    block_size: int = 128
    n_layer: int = 6
    n_head: int = 8
    d_model: int = 512
    dropout: float = 0.1
    pos: str = "learned"  # learned | rope
    norm: str = "layer"  # layer | rms
    mlp: str = "gelu"  # gelu | relu | relu2 | swiglu
    tie_embeddings: bool = True
    bias: bool = True
    init: str = "normal"  # normal | scaled
    title_mask: bool = False
    qk_norm: bool = False
    logit_softcap: float = 0.0  # 0 = off
    attn_gate: bool = False
    eos_id: int = 1

    @classmethod
    def from_settings(cls, settings, vocab_size: int, eos_id: int = 1) -> ModelConfig:
        """The model part of a run's settings (an lmlab Config, or anything with the same names)."""
        names = [f.name for f in fields(cls) if f.name not in ("vocab_size", "eos_id")]
        return cls(vocab_size=vocab_size, eos_id=eos_id, **{n: getattr(settings, n) for n in names})


def make_norm(cfg: ModelConfig) -> nn.Module:
    if cfg.norm == "rms":
        return nn.RMSNorm(cfg.d_model)
    return nn.LayerNorm(cfg.d_model, bias=cfg.bias)


class Rotary(nn.Module):
    """Rotary position embedding (Su et al. 2021), applied to queries and keys."""

    def __init__(self, head_dim: int, max_len: int, base: float = 10_000.0):
        super().__init__()
        inv_freq = 1.0 / base ** (torch.arange(0, head_dim, 2).float() / head_dim)
        angles = torch.outer(torch.arange(max_len).float(), inv_freq)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, H, T, D)
        T = x.size(-2)
        cos, sin = self.cos[:T].to(x.dtype), self.sin[:T].to(x.dtype)
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_head, self.head_dim = cfg.n_head, cfg.d_model // cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)
        self.dropout = cfg.dropout
        self.resid_drop = nn.Dropout(cfg.dropout)
        self.rotary = Rotary(self.head_dim, cfg.block_size) if cfg.pos == "rope" else None
        self.qk_norm = cfg.qk_norm
        # one gate per head from the attention's input (the speedrun's attention gate); zero weights start every
        # head at half its output, and the gate learns which heads to silence for which tokens
        self.gate = nn.Linear(cfg.d_model, cfg.n_head, bias=False) if cfg.attn_gate else None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        if self.qk_norm:  # bounded attention logits, whatever the scale the projections grow to
            q, k = F.rms_norm(q, (self.head_dim,)), F.rms_norm(k, (self.head_dim,))
        if self.rotary is not None:
            q, k = self.rotary(q), self.rotary(k)
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            is_causal=mask is None,
            dropout_p=self.dropout if self.training else 0.0,
        )
        if self.gate is not None:
            y = y * torch.sigmoid(self.gate(x)).transpose(1, 2).unsqueeze(-1)  # (B, H, T, 1)
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.kind = cfg.mlp
        if cfg.mlp == "swiglu":
            # 2/3 of 4*d keeps the parameter count of the 4*d GELU MLP
            hidden = int(8 * cfg.d_model / 3)
            self.gate = nn.Linear(cfg.d_model, hidden, bias=cfg.bias)
        else:
            hidden = 4 * cfg.d_model
        self.up = nn.Linear(cfg.d_model, hidden, bias=cfg.bias)
        self.down = nn.Linear(hidden, cfg.d_model, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "swiglu":
            h = F.silu(self.gate(x)) * self.up(x)
        elif self.kind == "relu":
            h = F.relu(self.up(x))
        elif self.kind == "relu2":
            h = F.relu(self.up(x)).square()
        else:
            h = F.gelu(self.up(x))
        return self.drop(self.down(h))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1, self.ln2 = make_norm(cfg), make_norm(cfg)
        self.attn = CausalSelfAttention(cfg)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.token_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = (
            nn.Parameter(torch.zeros(1, cfg.block_size, cfg.d_model)) if cfg.pos == "learned" else None
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = make_norm(cfg)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.apply(self._init_weights)
        if cfg.init == "scaled":
            for name, p in self.named_parameters():
                if name.endswith(("attn.proj.weight", "mlp.down.weight")):
                    nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))
        for block in self.blocks:
            if block.attn.gate is not None:
                nn.init.zeros_(block.attn.gate.weight)
        if cfg.tie_embeddings:
            self.head.weight = self.token_emb.weight

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())  # parameters() counts a tied weight once

    def flops_per_token(self) -> int:
        """Training FLOPs per token, forward and backward: 6 x the parameters of the matrix products
        (the output head's included, the embedding lookups' not) plus attention's 12 x n_layer x
        d_model x block_size (PaLM, appendix B)."""
        lookups = self.token_emb.weight.numel() + (self.pos_emb.numel() if self.pos_emb is not None else 0)
        head = self.head.weight.numel() if self.cfg.tie_embeddings else 0  # counted once, as the embedding
        matmul = self.num_params() - lookups + head
        return 6 * matmul + 12 * self.cfg.n_layer * self.cfg.d_model * self.cfg.block_size

    def title_mask(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, 1, T, T) boolean: causal, and within one title. An `<eos>` input opens the next title."""
        title = torch.cumsum(idx == self.cfg.eos_id, dim=1)
        same = title.unsqueeze(2) == title.unsqueeze(1)
        T = idx.size(1)
        causal = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
        return (same & causal).unsqueeze(1)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, reduction: str = "mean"):
        """Logits, and the cross-entropy against targets (positions with target -100 are ignored)."""
        x = self.token_emb(idx)
        if self.pos_emb is not None:
            x = x + self.pos_emb[:, : idx.size(1)]
        x = self.drop(x)
        mask = self.title_mask(idx) if self.cfg.title_mask else None
        for block in self.blocks:
            x = block(x, mask)
        logits = self.head(self.ln_f(x))
        if self.cfg.logit_softcap:  # smooth and bounded: no logit runs away early in training
            cap = self.cfg.logit_softcap
            logits = cap * torch.tanh(logits / cap)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(
            logits.view(-1, logits.size(-1)).float(), targets.view(-1), reduction=reduction, ignore_index=-100
        )
        return logits, loss
