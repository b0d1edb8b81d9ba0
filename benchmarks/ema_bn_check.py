"""Paired Inception FID of one checkpoint's generators: raw G, EMA G, and each with recomputed BatchNorm statistics.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ema_bn_check.py runs/s14/R-lr5e5 --n 3000

The EMA copy keeps G's BatchNorm running statistics (``ganforge.training.ema``), which a long average could leave
mismatched with its weights. This measures whether that matters: the same ``--n`` latents through four generators
built from the run's latest checkpoint, FID and domain FD against all 10,000 test images (``--n`` below 10,000
biases FID up by the same amount for all four, so only the differences count). "Recomputed" = running statistics
reset and re-estimated as a cumulative average over ``--bn-batches`` batches of 256 fresh latents in train mode.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import torch
from torch import nn

from ganforge.metrics.evaluate import evaluate
from ganforge.metrics.sources import ImageSet, load_source
from ganforge.models import module_config
from ganforge.sampling.generate import generate, latents, load_generator
from ganforge.training.checkpoint import load_latest


def from_checkpoint(base: nn.Module, tensors: dict[str, torch.Tensor], prefix: str) -> nn.Module:
    g = copy.deepcopy(base)
    g.load_state_dict({k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)})
    return g


@torch.no_grad()
def recomputed_bn(g: nn.Module, batches: int) -> nn.Module:
    g = copy.deepcopy(g)
    for m in g.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches below
    g.train()
    for i in range(batches):
        g(latents(256, int(module_config(g)["z_dim"]), seed=123 + i), None)
    return g.eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path)
    p.add_argument("--n", type=int, default=3000, help="generated images per generator")
    p.add_argument("--bn-batches", type=int, default=100)
    args = p.parse_args()
    tensors, meta, path = load_latest(args.run / "checkpoints")
    base = load_generator(args.run)
    raw, ema = from_checkpoint(base, tensors, "model.G."), from_checkpoint(base, tensors, "model.G_ema.")
    real = load_source("mnist:test")
    print(f"{path} (step {meta['step']}), {args.n} generated vs {len(real.images)} test images")
    print("| generator | FID | domain FD |\n|---|---|---|")
    for name, g in [
        ("raw G", raw),
        ("EMA G (G's BN statistics)", ema),
        ("EMA G (recomputed BN statistics)", recomputed_bn(ema, args.bn_batches)),
        ("raw G (recomputed BN statistics)", recomputed_bn(raw, args.bn_batches)),
    ]:
        images, _ = generate(g, args.n, seed=7)
        r = evaluate(ImageSet(images, name, "mnist", False), real, ("fid", "domain"))
        print(f"| {name} | {r.values['fid']:.3f} | {r.values['domain_fd']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
