"""Training throughput: the tutorial loop against ganforge's trainer, same model, loss and batch.

    python -m benchmarks.throughput --presets mnist-mlp mnist-dcgan --rounds 3 --steps 100

The *reference loop* (:mod:`benchmarks.reference_loop`) is written the way common tutorials (PyTorch-GAN's
``dcgan.py``) write it: a ``torch.utils.data.DataLoader`` that converts one uint8 image at a time, fp32,
G step then D step on ``G(z).detach()``, BCE-with-logits and ``.item()`` on both losses every step.
ganforge runs its own trainer (``ganforge.api`` assembly of the preset: data on device, channels_last,
precision ``auto``, fused Adam, statistics synced once per 50 steps; trailing ``KEY=VALUE`` arguments override its
preset, e.g. ``train.compile=reduce-overhead``).
Both use the preset's G and D at the tutorial's batch 64 (whatever the preset's own batch size) and all cores,
and the same loss: the reference has no R1 term, so ganforge's side runs with ``recipe.r1_gamma=0`` here even where
the preset keeps R1 (``mnist-dcgan``); the time-to-quality benchmark is where the preset trains as shipped.

Rounds alternate (reference, ganforge, reference, ...) because the machine is shared; the table gives the
median images/s of each and the median of the per-round ratios. FLOPs per step come from
``torch.utils.flop_counter`` on one ganforge step (forward + backward of every phase); achieved GFLOP/s =
FLOPs/step x steps/s, shown against this machine's measured fp32 and bf16 matmul peak (a 2048^3 matmul,
best of 5, same thread count). The last columns split ganforge's step time: the part inside the arithmetic
kernels (matmul, convolution forward / backward, fused Adam; torch.profiler self time) bounds the ratio any
loop could reach with these kernels.

``--device cuda`` runs both loops on the GPU (the reference as the tutorials run there: models on the GPU, each
batch copied to it from the DataLoader; ganforge with ``train.device=cuda``), times them between
``torch.cuda.synchronize`` calls, measures the peaks with an 8192^3 matmul on the GPU, and replaces the kernel
split by the GPU's busy time per step (the sum of every CUDA kernel's time in torch.profiler): a step much
longer than its busy time is bound by the host (Python, kernel launches), not by the GPU.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.harness import check_out, describe, device_of, device_option, out_option, save_record, sync
from benchmarks.reference_loop import TUTORIAL_BATCH, ReferenceLoop
from ganforge.api import _assemble
from ganforge.config import load_preset, parse_overrides
from ganforge.data import load_dataset
from ganforge.hardware import native_bf16

BATCH = TUTORIAL_BATCH  # "at the reference's batch size": ganforge's side is run at it too


def reference_steps(name: str, steps: int, seed: int, device: torch.device) -> float:
    """Images/s of the tutorial loop (:class:`ReferenceLoop`) on preset ``name``'s models, after 5 warm-up steps."""
    loop = ReferenceLoop(name, batch=BATCH, seed=seed, device=device)
    for _ in range(5):
        loop.step()
    sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        loop.step()
    sync(device)
    return steps * BATCH / (time.perf_counter() - started)


def ganforge_run(name: str, seed: int, device: torch.device, extra: dict[str, Any]) -> Any:
    same_loss = {"recipe.r1_gamma": 0.0}  # the tutorial loop has no R1: compare the loop, not the recipe
    overrides = {"optim.batch_size": BATCH, "train.seed": seed, "train.threads": 0, "train.device": str(device)}
    cfg = load_preset(name, {**overrides, **extra, **same_loss})
    return _assemble(cfg, load_dataset(cfg.data.name, cfg.data.split))


def ganforge_steps(run: Any, steps: int, first: int) -> float:
    """Images/s of ganforge's trainer (after 5 warm-up steps), syncing statistics every 50 steps like the loop."""
    trainer = run.trainer
    for s in range(first, first + 5):
        trainer.step(s)
    trainer.pop_stats()
    sync(run.device)
    started = time.perf_counter()
    for s in range(first + 5, first + 5 + steps):
        trainer.step(s)
        if (s + 1) % 50 == 0:
            trainer.check_finite(s)
            trainer.pop_stats()
    trainer.pop_stats()
    sync(run.device)
    return steps * run.trainer.images_per_step / (time.perf_counter() - started)


def flops_per_step(run: Any, step: int) -> int:
    with FlopCounterMode(display=False) as counter:
        run.trainer.step(step)
    return int(counter.get_total_flops())


#: The arithmetic of a GAN step: matmuls, convolutions (forward and backward) and the fused optimiser update.
#: ``aten::_convolution``'s self time is the transposed convolutions' forward: ATen calls oneDNN's deconvolution
#: from inside it, with no op of its own (for the other convolutions it is a few microseconds of dispatch).
KERNELS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::mkldnn_convolution", "aten::_convolution",
           "aten::convolution_backward", "aten::_fused_adam_")  # fmt: skip


def kernel_ms_per_step(run: Any, first: int, steps: int = 20) -> float:
    """Milliseconds per trainer step spent inside :data:`KERNELS` (torch.profiler self time).

    The step cannot be faster than this with these kernels, whatever the loop around them does, so
    reference step time / this = the largest ratio the trainer could reach without faster kernels.
    On CUDA: the GPU's busy time per step instead (every kernel's device time).
    """
    from torch.profiler import ProfilerActivity, profile

    cuda = run.device.type == "cuda"
    for s in range(first, first + 3):
        run.trainer.step(s)
    sync(run.device)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA] if cuda else [ProfilerActivity.CPU]) as prof:
        for s in range(first + 3, first + 3 + steps):
            run.trainer.step(s)
        sync(run.device)
    if cuda:
        total_us = sum(e.self_device_time_total for e in prof.key_averages())
    else:
        total_us = sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in KERNELS)
    return total_us / 1e3 / steps


def matmul_peak(dtype: torch.dtype, device: torch.device) -> float:
    """Best-of-5 GFLOP/s of an ``n``³ matmul in ``dtype`` (n = 2048 on the CPU, 8192 on a GPU)."""
    n = 8192 if device.type == "cuda" else 2048
    a, b = torch.randn(n, n, dtype=dtype, device=device), torch.randn(n, n, dtype=dtype, device=device)
    a @ b
    best = 0.0
    for _ in range(5):
        sync(device)
        started = time.perf_counter()
        a @ b
        sync(device)
        best = max(best, 2 * n**3 / (time.perf_counter() - started) / 1e9)
    return best


def _gflops(peak: float | None) -> str:
    return f"{peak:.0f} GFLOP/s" if peak is not None else "none (no bf16 units: emulated)"


def _pct(pct: float | None) -> str:
    return f"{pct:.0f}%" if pct is not None else "-"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--presets", nargs="+", default=["mnist-mlp", "mnist-dcgan"])
    p.add_argument("--rounds", type=int, default=3, help="alternations of reference and ganforge")
    p.add_argument("--steps", type=int, default=100, help="timed steps per measurement")
    device_option(p)
    out_option(p)
    p.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE", help="config overrides for ganforge's side (train.compile=default)"
    )
    args = p.parse_args(argv)
    check_out(p, args.out)
    device = device_of(args)
    extra = parse_overrides(args.overrides)
    # Without bf16 units (an AVX2-only CPU) bf16 matmuls are emulated, hundreds of times slower than fp32 (0.17
    # GFLOP/s measured on a Zen 1 core pair, ten minutes for the five runs): no peak to compare against.
    fp32_peak = matmul_peak(torch.float32, device)
    bf16_peak = matmul_peak(torch.bfloat16, device) if native_bf16(device) else None
    peaks = {"fp32": fp32_peak, "bf16": bf16_peak}
    rows = []
    for name in args.presets:
        run = ganforge_run(name, seed=0, device=device, extra=extra)
        compiled = run.config.train.compile != "none"
        eager = ganforge_run(name, 0, device, {**extra, "train.compile": "none"}) if compiled else run
        flops = flops_per_step(eager, 0)  # the same arithmetic; counted eagerly, where every op dispatches
        ref, ours, ratios = [], [], []
        for r in range(args.rounds):
            a = reference_steps(name, args.steps, seed=r, device=device)
            b = ganforge_steps(run, args.steps, first=1 + r * (args.steps + 5))
            ref.append(a)
            ours.append(b)
            ratios.append(b / a)
        ips = statistics.median(ours)
        gflops = flops * ips / BATCH / 1e9
        kernel_ms = kernel_ms_per_step(run, first=1 + args.rounds * (args.steps + 5))
        ref_ms = 1e3 * BATCH / statistics.median(ref)
        rows.append({
            "preset": name, "precision": run.trainer.precision, "reference_images_per_s": statistics.median(ref),
            "ganforge_images_per_s": ips, "ratio_median": statistics.median(ratios), "ratios": ratios,
            "flops_per_step": flops, "achieved_gflops": gflops,
            "pct_fp32_peak": 100 * gflops / fp32_peak,
            "pct_bf16_peak": 100 * gflops / bf16_peak if bf16_peak else None,
            "step_ms": 1e3 * BATCH / ips, "kernel_ms_per_step": kernel_ms, "reference_step_ms": ref_ms,
            "ratio_ceiling": ref_ms / kernel_ms,
        })  # fmt: skip
    split = "GPU busy ms/step (all kernels)" if device.type == "cuda" else "kernel ms/step (mm, conv, Adam)"
    print(f"machine: {describe(device)}, torch {torch.__version__}; batch {BATCH}; {args.rounds} rounds x "
          f"{args.steps} steps; matmul peak fp32 {peaks['fp32']:.0f} GFLOP/s, "
          f"bf16 {_gflops(peaks['bf16'])}; ganforge overrides: {' '.join(args.overrides) or 'none'}")  # fmt: skip
    print(f"| preset | reference img/s | ganforge img/s | ratio (median) | precision | GFLOP/step | GFLOP/s | "
          f"% fp32 peak | % bf16 peak | ganforge ms/step | {split} | ratio ceiling at these kernels |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['preset']} | {row['reference_images_per_s']:.0f} | {row['ganforge_images_per_s']:.0f} | "
              f"{row['ratio_median']:.2f}x | {row['precision']} | {row['flops_per_step'] / 1e9:.3f} | "
              f"{row['achieved_gflops']:.0f} | {row['pct_fp32_peak']:.0f}% | {_pct(row['pct_bf16_peak'])} | "
              f"{row['step_ms']:.1f} | {row['kernel_ms_per_step']:.1f} | {row['ratio_ceiling']:.2f}x |")  # fmt: skip
    record = {"device": describe(device), "torch": torch.__version__, "overrides": args.overrides,
              "peaks_gflops": peaks, "rows": rows}  # fmt: skip
    save_record("throughput", record, args.out)


if __name__ == "__main__":
    main()
