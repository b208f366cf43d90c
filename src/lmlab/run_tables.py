"""Runs and the settings they trained with, as Markdown: the titles a run wrote, how its optimizers
were set, what each group of runs trained on, and the settings in which the profiles differ."""

from __future__ import annotations

from lmlab.config import from_dict, make_config, settings
from lmlab.markdown import markdown
from lmlab.optim import muon_settings
from lmlab.runs import Run, provenance


def samples(run: Run):
    """The titles the model wrote (fixed seed), as a Markdown list."""
    lines = [f"Titles sampled from run `{run.id}` (temperature 1, seed {run.config.get('seed')}):", ""]
    lines += [f"- {title or '(empty)'}" for title in run.probes.get("samples", [])]
    lines += ["", f"*{provenance([run])}*"]
    return markdown("\n".join(lines))


def optimizer_settings(run: Run):
    """Every setting of a run's optimizers (Muon's from torch's defaults and the run's own), as Markdown."""
    cfg = from_dict(run.config)
    adamw = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2), "eps": 1e-8, "weight_decay": cfg.weight_decay}
    lines = []
    if cfg.optimizer == "muon":
        shown = ", ".join(f"`{k}={v}`" for k, v in muon_settings(cfg).items())
        arithmetic = "bf16, as torch does" if cfg.precision == "bf16" else "fp32 (lmlab.optim.Muon)"
        lines.append(
            f"- **torch.optim.Muon** on the blocks' weight matrices: {shown}; the Newton-Schulz iteration in "
            f"{arithmetic}."
        )
    where = (
        "the embeddings, the norms' gains and the biases" if cfg.optimizer == "muon" else "every parameter"
    )
    if cfg.optimizer in ("adamw", "muon"):
        lines.append(
            f"- **torch.optim.AdamW** on {where}: "
            + ", ".join(f"`{k}={v}`" for k, v in adamw.items())
            + " (weight decay only on matrices, never on embeddings, gains or biases)."
        )
    lines.append(
        f"- Learning rates follow the `{cfg.schedule}` schedule (warmup over {cfg.warmup_frac:g} of the steps, "
        f"final decay over {cfg.decay_frac:g}); gradients are clipped to norm {cfg.grad_clip:g}."
        if cfg.schedule == "wsd"
        else f"- Learning rates follow the `{cfg.schedule}` schedule; gradients are clipped to norm {cfg.grad_clip:g}."
    )
    lines += ["", f"*Settings of run {run.id} ({run.note or 'no note'}).*"]
    return markdown("\n".join(lines))


def budget_comparison(groups: dict[str, list[Run]]):
    """What each group trained on, from its runs: texts, epochs, batch and context, tokens, optimizer
    steps and parameters, as one Markdown sentence per group and what differs between them."""
    parts = []
    for label, runs in groups.items():
        run = runs[0]
        cfg, data = run.config, run.meta["data"]
        parts.append(
            f"{label}: {data['texts']['train']:,} training titles cut by a tokenizer of "
            f"{data['tokenizer']['vocab_size']:,} pieces into {data['tokens']['train']:,} tokens, read {cfg['epochs']} times in batches of "
            f"{cfg['batch_size']} × {cfg['block_size']} tokens: **{run.meta['total_steps']} optimizer steps**, "
            f"{run.meta['num_params'] / 1e6:.2f}M parameters"
        )
    text = "**What each trained on.** " + "; ".join(parts) + "."
    same = {
        key
        for key in ("epochs", "batch_size", "block_size")
        if len({r.config[key] for runs in groups.values() for r in runs}) == 1
    }
    steps = {r.meta["total_steps"] for runs in groups.values() for r in runs}
    if len(steps) > 1 and same == {"epochs", "batch_size", "block_size"}:
        text += (
            " The data, epochs, batch and context are the same; the number of steps is not, because a larger "
            "vocabulary cuts the same titles into fewer tokens, and neither is the number of parameters. The "
            "training panel is therefore per character where the tokenizers differ."
        )
    return markdown(text)


def profiles_table(profiles=("cpu", "full"), extra: dict[str, dict] | None = None, note: str = ""):
    """The settings in which the profiles differ, with what each one means; `extra` adds rows of
    other budgets (e.g. the word-level page's) under their own names."""
    known = settings()
    configs = {p: make_config(p) for p in profiles}

    def row(name: str, key: str, values: list) -> str:
        shown = " | ".join(
            f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in values
        )
        return f"| {name} | {shown} | {known[key].metadata['help']} |"

    changed = [
        k for k in known if k != "profile" and len({repr(getattr(c, k)) for c in configs.values()}) > 1
    ]
    lines = [f"| setting | {' | '.join(profiles)} | meaning |", "|:---|" + "---:|" * len(profiles) + ":---|"]
    lines += [row(f"`{key}`", key, [getattr(configs[p], key) for p in profiles]) for key in changed]
    for name, budgets in (extra or {}).items():  # a budget's missing values are its profile's
        for key in sorted({k for p in profiles for k in budgets.get(p, {})}):
            values = [
                budgets[p].get(key, getattr(configs[p], key)) if p in budgets else "—" for p in profiles
            ]
            lines.append(row(f"{name}: `{key}`", key, values))
    lines += [
        "",
        note,
        "",
        "*Generated from `lmlab.config.PROFILES`" + (" and " + ", ".join(extra) if extra else "") + ".*",
    ]
    return markdown("\n".join(lines))
