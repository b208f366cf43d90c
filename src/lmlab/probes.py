"""What the report's figures need from a finished model, computed once and kept in `probes.json`
so that no figure needs the checkpoint: next-token distributions for probe contexts, the token
frequencies of the data, and a few titles sampled with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from lmlab.config import Config
from lmlab.model import GPT
from lmlab.tokenize import Tokenizer

TOP_K = 10
NUM_SAMPLES = 5
SAMPLE_MAX_TOKENS = 48
DEFAULT_PROBE_WORDS = 3


def probe_contexts(cfg: Config, valid_texts: list[str]) -> list[dict]:
    """Explicit contexts from cfg.probes, else the first words of the first three validation titles."""
    if cfg.probes.strip():
        return [{"context": c.strip(), "continuation": None} for c in cfg.probes.split("|") if c.strip()]
    out = [{"context": "", "continuation": None}]  # the start of a title
    for text in valid_texts:
        words = text.split()
        if len(words) > DEFAULT_PROBE_WORDS:
            out.append(
                {
                    "context": " ".join(words[:DEFAULT_PROBE_WORDS]),
                    "continuation": " ".join(words[DEFAULT_PROBE_WORDS:]),
                }
            )
        if len(out) == 4:
            break
    return out


@torch.inference_mode()
def next_token_distributions(
    model: GPT, tok: Tokenizer, contexts: list[dict], device: torch.device
) -> list[dict]:
    results = []
    for item in contexts:
        ids = [tok.eos_id] + (tok.encode_texts([item["context"]])[0] if item["context"] else [])
        ids = ids[-model.cfg.block_size :]
        logits, _ = model(torch.tensor([ids], device=device))
        probs = F.softmax(logits[0, -1].float(), dim=-1)
        top = torch.topk(probs, min(TOP_K, probs.numel()))
        true_next = None
        if item["continuation"]:
            full = tok.encode_texts([item["context"] + " " + item["continuation"]])[0]
            prefix_len = len(ids) - 1
            if len(full) > prefix_len and full[:prefix_len] == ids[1:]:
                true_next = tok.piece(full[prefix_len])
        results.append(
            {
                **item,
                "true_next": true_next,
                "eos_prob": float(probs[tok.eos_id]),
                "topk": [
                    {"token": tok.piece(i), "id": int(i), "prob": float(p)}
                    for p, i in zip(top.values.tolist(), top.indices.tolist())
                ],
            }
        )
    return results


def token_frequencies(tok: Tokenizer, train_ids: np.ndarray, top_n: int = 30) -> dict:
    counts = np.bincount(train_ids, minlength=tok.vocab_size)
    order = np.argsort(-counts, kind="stable")
    ranked = counts[order]
    nonzero = int((ranked > 0).sum())
    # the rank/frequency curve, sampled at log-spaced ranks: enough for a log-log plot, small on disk
    ranks = np.unique(np.geomspace(1, max(nonzero, 1), num=min(200, max(nonzero, 1))).astype(int))
    return {
        "num_tokens": int(counts.sum()),
        "vocab_used": nonzero,
        "eos_share": float(counts[tok.eos_id] / max(1, counts.sum())),
        "top": [{"token": tok.piece(i), "count": int(counts[i])} for i in order[:top_n]],
        "rank_curve": {"rank": ranks.tolist(), "count": ranked[ranks - 1].tolist()},
    }


@torch.inference_mode()
def sample_titles(model: GPT, tok: Tokenizer, seed: int, device: torch.device) -> list[str]:
    generator = torch.Generator(device="cpu").manual_seed(seed)
    titles = []
    for _ in range(NUM_SAMPLES):
        ids = [tok.eos_id]
        for _ in range(SAMPLE_MAX_TOKENS):
            logits, _ = model(torch.tensor([ids[-model.cfg.block_size :]], device=device))
            probs = F.softmax(logits[0, -1].float(), dim=-1).cpu()
            nxt = int(torch.multinomial(probs, 1, generator=generator))
            if nxt == tok.eos_id:
                break
            ids.append(nxt)
        titles.append(tok.decode(ids[1:]))
    return titles


def compute_probes(
    cfg: Config,
    model: GPT,
    tok: Tokenizer,
    train_ids: np.ndarray,
    valid_texts: list[str],
    device: torch.device,
) -> dict:
    was_training = model.training
    model.eval()
    try:
        return {
            "next_token": next_token_distributions(model, tok, probe_contexts(cfg, valid_texts), device),
            "token_freq": token_frequencies(tok, train_ids),
            "samples": sample_titles(model, tok, cfg.seed, device),
        }
    finally:
        model.train(was_training)
