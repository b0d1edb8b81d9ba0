"""How much the Inception resize moves FID: TF1's ResizeBilinear (the protocol) against half-pixel centres.

    .venv/bin/python benchmarks/resize_protocol.py --n 1000 --run runs/mnist-dcgan-XXXX \
        --json docs/resize_protocol.json

Until session 21 (December 2026) ganforge resized images to 299 px with ``F.interpolate(align_corners=False)``
(half-pixel centres, pytorch-fid's resize) while its docs said it followed the TF graph, whose
``ResizeBilinear`` (TF1) has none (TTUR, torch-fidelity, fid-helper-pytorch's ``nv_bilinear``). This embeds the
same images both ways and prints FID for: MNIST train vs test, Fashion-MNIST test vs MNIST test and, with
``--run``, a generator's samples vs MNIST test (``--n`` images per set, seeded subsets; the variant ``auto``),
so that numbers measured on the old protocol can be read against new ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.fileio import atomic_write_text
from ganforge.metrics import inception
from ganforge.metrics.frechet import GaussianStats, frechet_distance
from ganforge.metrics.sources import load_source


def half_pixel_preprocess(
    images: np.ndarray, dtype: torch.dtype = torch.float32, channels_last: bool = False
) -> Tensor:
    """``inception.preprocess`` as it was before session 21: ``F.interpolate`` with half-pixel centres."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    x = F.interpolate(x, size=(inception.INPUT_SIZE,) * 2, mode="bilinear", align_corners=False, antialias=False)
    x = x.sub_(128.0).div_(128.0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    out = torch.empty((x.shape[0], 3, *x.shape[-2:]), dtype=dtype, memory_format=layout)
    return out.copy_(x.expand(-1, 3, -1, -1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="images per set")
    p.add_argument("--run", type=Path, help="a run (or generator/) trained on MNIST: its samples vs MNIST test")
    p.add_argument("--variant", default="auto")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    sets = {
        "mnist:train": load_source("mnist:train", n=args.n, seed=0).images,
        "mnist:test": load_source("mnist:test", n=args.n, seed=1).images,
        "fashion-mnist:test": load_source("fashion-mnist:test", n=args.n, seed=0).images,
    }
    if args.run is not None:
        sets[f"{args.run} (seed 0)"] = load_source(args.run, n=args.n, seed=0).images
    variant = inception.resolve_variant(args.variant)
    extractor = inception.InceptionFeatures(variant)
    fids: dict[str, dict[str, float]] = {}
    for resize, function in (("tf1", inception.preprocess), ("half-pixel", half_pixel_preprocess)):
        inception.preprocess = function  # what InceptionFeatures calls: swapped for this leg only
        try:
            stats = {name: GaussianStats.of(extractor(images)) for name, images in sets.items()}
        finally:
            inception.preprocess = PREPROCESS
        for name in sets:
            if name != "mnist:test":
                fids.setdefault(f"{name} vs mnist:test", {})[resize] = frechet_distance(
                    stats[name], stats["mnist:test"]
                )
    print(f"Inception variant {variant}, {args.n} images per set")
    print("| pair | FID, TF1 resize (the protocol) | FID, half-pixel resize (before session 21) | change |")
    print("|---|---|---|---|")
    rows = []
    for pair, v in fids.items():
        change = v["tf1"] / v["half-pixel"] - 1
        print(f"| {pair} | {v['tf1']:.2f} | {v['half-pixel']:.2f} | {change:+.1%} |")
        rows.append({"pair": pair, "fid_tf1": v["tf1"], "fid_half_pixel": v["half-pixel"], "change": change})
    if args.json is not None:
        atomic_write_text(args.json, json.dumps({"n": args.n, "variant": variant, "rows": rows}, indent=2) + "\n")


PREPROCESS = inception.preprocess

if __name__ == "__main__":
    main()
