"""The two kernel-level measurements behind this session's training changes (docs/PERFORMANCE.md).

    .venv/bin/python benchmarks/micro.py

1. Adam over the mnist-mlp preset's G + D parameters (2.0 M) with random gradients: the default
   (per-tensor) implementation, ``foreach=True`` and ``fused=True``; ms per optimiser step, best of 3 x 50.
2. ``leaky_relu_backward`` on a [64, 64, 14, 14] bf16 tensor (the DCGAN D's first activation at batch 64):
   gradient and input both channels_last, against an NCHW gradient with a channels_last input (what a plain
   ``flatten`` / ``view`` at a shape change produces); microseconds per call, best of 3 x 100.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import torch

from ganforge.models import MODELS


def best_ms(fn: Callable[[], object], calls: int) -> float:
    fn()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls * 1e3)
    return best


def main() -> None:
    family = MODELS.get("mlp")
    params = [
        *family.generator(z_dim=100, channels=1, resolution=28, width=256).parameters(),
        *family.discriminator(channels=1, resolution=28, width=256).parameters(),
    ]
    for p in params:
        p.grad = torch.randn_like(p)
    print(f"Adam over {sum(p.numel() for p in params) / 1e6:.2f} M parameters, {torch.get_num_threads()} threads")
    print("| implementation | ms per step |\n|---|---|")
    for name, kwargs in (("default", {}), ("foreach", {"foreach": True}), ("fused", {"fused": True})):
        opt = torch.optim.Adam(params, lr=1e-4, betas=(0.5, 0.999), **kwargs)
        print(f"| {name} | {best_ms(opt.step, 50):.2f} |")
    x = torch.randn(64, 64, 14, 14, dtype=torch.bfloat16).contiguous(memory_format=torch.channels_last)
    grad_cl = torch.randn_like(x)  # randn_like keeps channels_last
    grad_nchw = grad_cl.contiguous()
    backward = torch.ops.aten.leaky_relu_backward
    print("\nleaky_relu_backward, [64, 64, 14, 14] bf16, channels_last input")
    print("| gradient layout | us per call |\n|---|---|")
    for name, grad in (("channels_last (same)", grad_cl), ("NCHW (mixed)", grad_nchw)):
        print(f"| {name} | {1e3 * best_ms(functools.partial(backward, grad, x, 0.2, False), 100):.0f} |")


if __name__ == "__main__":
    main()
