"""Where a run computes, and in what arithmetic: the device it trains on, and whether that device
does bf16 natively.

bf16 on a CPU is only worth it where the processor has bf16 units (AVX512-BF16 or AMX): there a
training step of the challenge's model runs about 1.9x faster than in fp32; without them torch
emulates bf16 and a step is several times slower. The processor is asked (torch's cpuinfo), not
guessed from its vendor.
"""

from __future__ import annotations

import os
from contextlib import nullcontext

import torch

from lmlab.errors import LmlabError


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LmlabError("device=cuda but no CUDA device is available; use device=auto or device=cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise LmlabError("device=mps but MPS is not available; use device=auto or device=cpu")
    return torch.device(name)


def cpu_bf16_units() -> list[str]:
    """The processor's native bf16 instruction sets, as torch's cpuinfo reports them (empty: none)."""
    units = []
    # private in torch.cpu, but they are what torch's own bf16 kernels dispatch on
    if getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)():
        units.append("AVX512-BF16")
    if getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)():
        units.append("AMX")
    return units


def bf16_refusal(device: torch.device) -> str | None:
    """Why a bf16 run should not train on `device`, or None where bf16 is native there."""
    if device.type == "cuda":
        return None
    if device.type == "cpu":
        if cpu_bf16_units():
            return None
        return (
            "this CPU has no native bf16 (neither AVX512-BF16 nor AMX), so torch would emulate it, "
            "several times slower than fp32"
        )
    return f"bf16 on {device.type} is not the run a GPU makes"


def training_device(precision: str, name: str) -> torch.device:
    device = pick_device(name)
    if precision == "bf16" and (reason := bf16_refusal(device)):
        raise LmlabError(
            f"precision=bf16 cannot train on {device.type} here: {reason}; "
            f"add precision=fp32 to train here (a run of its own, with its own id)"
        )
    return device


def describe(device: torch.device) -> str:
    """The device in words, for a run's record: the GPU's name, or the CPU and its bf16 units."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        units = cpu_bf16_units()
        return f"cpu ({', '.join(units)})" if units else "cpu"
    return device.type


def autocast(device: torch.device, precision: str):
    return torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16" else nullcontext()
