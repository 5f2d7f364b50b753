"""Which device and number format a model runs on: one answer for training, generation and loading."""

from __future__ import annotations

from ttsbench.core.errors import UserError


def resolve_device(device: str = "auto") -> str:
    """`auto` → cuda when a GPU is visible, else cpu; a CUDA device asked for without a GPU is refused."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {device!r}: no CUDA GPU is visible; pass --device cpu or auto")
    return device


def default_dtype(device: str):
    """bf16 on GPUs that have it, fp16 on older GPUs, fp32 on CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32
