"""Training memory, estimated from the settings before anything is allocated.

A run that cannot fit stops with one line naming what it needs, what the device has and the setting
that drives it, instead of allocating until the allocator refuses or the kernel kills the process
(perhaps a neighbour's). The parameter count is exact (a test holds it to the model's own); the rest
is an estimate of the peak, checked against measured peaks in `benchmarks/bench_memory.py`:

    weights + gradients + optimizer state + the largest of (training activations, evaluation,
    the weights' snapshot the diagnostics take) + torch's own runtime on the CPU

A run may plan to use at most `MARGIN` of the memory available to it: the rest is slack for the
allocator's fragmentation, the tokenized data, Python and the libraries' own buffers.
"""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass
from pathlib import Path

from lmlab.config import Config
from lmlab.errors import NotEnoughMemory

MARGIN = 0.8
GB = 1e9
CPU_RUNTIME = 100 * 2**20
"""What torch adds on the CPU once a model trains (its kernels and thread pools, loaded on first use):
measured at about 95 MB with torch 2.13 by benchmarks/bench_memory.py, whatever the model's size."""


def norm_parameters(cfg: Config) -> int:
    return cfg.d_model * (1 if cfg.norm == "rms" or not cfg.bias else 2)


def mlp_hidden(cfg: Config) -> int:
    return int(8 * cfg.d_model / 3) if cfg.mlp == "swiglu" else 4 * cfg.d_model


def block_parameters(cfg: Config) -> int:
    """One transformer block: two norms, attention (qkv, proj, the heads' gates), the MLP (with SwiGLU's gate)."""
    d, hidden, bias = cfg.d_model, mlp_hidden(cfg), int(cfg.bias)
    attention = d * 3 * d + 3 * d * bias + d * d + d * bias + d * cfg.n_head * int(cfg.attn_gate)
    mlp_in = (2 if cfg.mlp == "swiglu" else 1) * (d * hidden + hidden * bias)
    return 2 * norm_parameters(cfg) + attention + mlp_in + hidden * d + d * bias


def parameter_count(cfg: Config, vocab_size: int | None = None) -> int:
    """Exactly `GPT(...).num_params()` for these settings, computed without building the model."""
    vocab = cfg.vocab_size if vocab_size is None else vocab_size
    embeddings = vocab * cfg.d_model * (1 if cfg.tie_embeddings else 2)
    positions = cfg.block_size * cfg.d_model if cfg.pos == "learned" else 0
    return embeddings + positions + cfg.n_layer * block_parameters(cfg) + norm_parameters(cfg)


def optimizer_floats(cfg: Config, params: int) -> int:
    """Optimizer state in floats: AdamW's two moments, Muon's one momentum on the blocks' matrices."""
    if cfg.optimizer == "sgd":
        return 0  # torch's SGD without momentum keeps no state
    if cfg.optimizer == "adamw":
        return 2 * params
    d, hidden = cfg.d_model, mlp_hidden(cfg)
    matrices = cfg.n_layer * (4 * d * d + (3 if cfg.mlp == "swiglu" else 2) * d * hidden)
    return matrices + 2 * (params - matrices)


def activation_floats_per_token(cfg: Config, vocab: int) -> int:
    """Floats kept for the backward pass per token of a micro-batch.

    Per block: the norms' inputs and outputs, q/k/v, attention's output and projection, the MLP's
    hidden units before and after the activation, dropout masks; attention probabilities (heads x
    context) where an explicit mask or attention dropout rules out the fused kernel. At the head:
    the logits, their log-softmax and their gradient."""
    d, hidden = cfg.d_model, mlp_hidden(cfg)
    attention = 4 * cfg.n_head * cfg.block_size if (cfg.title_mask or cfg.dropout > 0) else cfg.n_head
    mlp = (4 if cfg.mlp == "swiglu" else 2) * hidden
    per_block = 10 * d + 4 * d * int(cfg.qk_norm or cfg.pos == "rope") + mlp + attention
    # one more block's worth: the gradients flowing back through the block being differentiated
    return 3 * d + (cfg.n_layer + 1) * per_block + 2 * d + 3 * vocab


@dataclass(frozen=True)
class Estimate:
    parameters: int
    weights: int  # bytes, as every other field
    gradients: int
    optimizer: int
    activations: int
    evaluation: int
    snapshot: int  # the weights copied before a step that an evaluation's diagnostics follows
    runtime: int  # torch's own, on the CPU
    drivers: dict  # part -> the settings that size it, as key=value words

    @property
    def model(self) -> int:
        return self.weights + self.gradients + self.optimizer

    @property
    def total(self) -> int:
        return self.runtime + self.model + max(self.activations, self.evaluation, self.snapshot)

    def largest_part(self) -> str:
        parts = {"model": self.model, "activations": self.activations, "evaluation": self.evaluation}
        return max(parts, key=parts.get)

    def describe(self) -> str:
        return (
            f"{gigabytes(self.total)} estimated peak (weights {gigabytes(self.weights)}, gradients "
            f"{gigabytes(self.gradients)}, optimizer {gigabytes(self.optimizer)}, activations "
            f"{gigabytes(self.activations)}, evaluation {gigabytes(self.evaluation)}, torch's runtime "
            f"{gigabytes(self.runtime)})"
        )


def gigabytes(n: float) -> str:
    if n >= 10 * GB:
        return f"{n / GB:,.0f} GB"
    return f"{n / GB:.3g} GB" if n >= 0.01 * GB else f"{n / 1e6:.3g} MB"


def estimate(cfg: Config, vocab_size: int | None = None, processes: int = 1, device: str = "cpu") -> Estimate:
    """Peak training memory of one process of a run with these settings on a device of this type."""
    vocab = cfg.vocab_size if vocab_size is None else vocab_size
    params = parameter_count(cfg, vocab)
    activation_bytes = 2 if cfg.precision == "bf16" else 4
    micro_tokens = max(1, cfg.batch_size // (processes * cfg.grad_accum)) * cfg.block_size
    eval_tokens = (
        max(cfg.eval_batch_size, cfg.batch_size) * cfg.block_size
    )  # the legacy metric uses the training batch
    size = f"d_model={cfg.d_model}, n_layer={cfg.n_layer}, vocab_size={vocab}"
    return Estimate(
        parameters=params,
        # fp32 weights at every precision (autocast only lowers the products), and their average's copy
        weights=4 * params * (1 if cfg.average == "none" else 2),
        gradients=4 * params,
        optimizer=4 * optimizer_floats(cfg, params),
        # R-Drop keeps both passes of the batch for the backward pass
        activations=activation_bytes
        * micro_tokens
        * activation_floats_per_token(cfg, vocab)
        * (2 if cfg.rdrop else 1),
        evaluation=4 * eval_tokens * (3 * vocab + 4 * cfg.d_model),
        snapshot=4 * params if cfg.diagnostics else 0,
        runtime=CPU_RUNTIME if device == "cpu" else 0,
        drivers={
            "model": size,
            "activations": f"batch_size={cfg.batch_size} x block_size={cfg.block_size} at {size}",
            "evaluation": f"eval_batch_size={cfg.eval_batch_size} x block_size={cfg.block_size} x vocab_size={vocab}",
        },
    )


# ---------------------------------------------------------------- what the device has


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _proc_bytes(path: str, field: str) -> int | None:
    """A `Field:  N kB` line of a /proc file (meminfo, self/status) in bytes; None off Linux."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cgroup_room() -> int | None:
    """The memory limit of this process's cgroup less its usage (v2, then v1), if one is set."""
    for limit, usage in (
        ("memory.max", "memory.current"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):
        cap, used = _read_int(Path("/sys/fs/cgroup") / limit), _read_int(Path("/sys/fs/cgroup") / usage)
        if cap is not None and used is not None and cap < 1 << 60:
            return cap - used
    return None


def _rlimit_room() -> int | None:
    """Room under a data or address-space limit (as the test suite sets), if one is set."""
    rooms = []
    for limit, used in ((resource.RLIMIT_DATA, "VmData"), (resource.RLIMIT_AS, "VmSize")):
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY:
            rooms.append(soft - (_proc_bytes("/proc/self/status", used) or 0))
    return min(rooms) if rooms else None


def available_cpu() -> tuple[int, str]:
    """Bytes this process may still use on the CPU, and where the bound comes from."""
    bounds = {
        "free RAM": _proc_bytes("/proc/meminfo", "MemAvailable"),
        "its cgroup's memory limit": _cgroup_room(),
        "the process's memory ulimit": _rlimit_room(),
    }
    bounds = {name: value for name, value in bounds.items() if value is not None}
    if not bounds:  # not Linux: the physical memory is the best bound there is
        bounds["physical memory"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    name = min(bounds, key=bounds.get)
    return max(0, bounds[name]), name


def surely_cpu(device_setting: str) -> bool:
    """True when a run with this `device` setting trains on the CPU, known without importing torch
    (a second of start-up): no NVIDIA or AMD GPU driver and not a Mac."""
    if device_setting == "cpu":
        return True
    gpu_driver = Path("/proc/driver/nvidia/gpus").exists() or Path("/dev/kfd").exists()
    return device_setting == "auto" and sys.platform.startswith("linux") and not gpu_driver


def available(device) -> tuple[int, str]:
    """Bytes free on `device` (a torch.device or its type's name), and a sentence saying so with {} for the amount."""
    kind = getattr(device, "type", device)
    if kind == "cpu":
        room, bound = available_cpu()
        return room, f"this machine has {{}} available ({bound})"
    import torch

    if kind == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free, f"the GPU ({torch.cuda.get_device_name(device)}) has {{}} free"
    return (
        torch.mps.recommended_max_memory() - torch.mps.driver_allocated_memory(),
        "the MPS device has {} free",
    )


def check(cfg: Config, device, vocab_size: int | None = None, processes: int = 1) -> Estimate:
    """The estimate, or NotEnoughMemory when it exceeds MARGIN of what the device has."""
    kind = getattr(device, "type", device)
    need = estimate(cfg, vocab_size, processes, kind)
    room, where = available(kind if kind == "cpu" else device)
    if need.total > MARGIN * room:
        part = need.largest_part()
        what = {
            "model": "the model's weights, gradients and optimizer state need",
            "activations": "training activations and the model need",
            "evaluation": "evaluation and the model need",
        }[part]
        raise NotEnoughMemory(
            f"{need.drivers[part]}: {what} about {gigabytes(need.total)}, and {where.format(gigabytes(room))}, "
            f"of which a run may plan on {MARGIN:.0%}. Nothing was allocated or written; lower these settings"
        )
    return need
