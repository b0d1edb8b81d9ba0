"""Inception feature extraction: images/s of each variant and its FID agreement with fp32 on real data.

    python -m benchmarks.eval_speed --n 500 --rounds 2

For each variant (see ganforge.metrics.inception.VARIANTS), and for the ``torch.compile`` execution of the
``fp32-frozen`` and ``bf16`` graphs (what calls of >= 1,000 images use), the same real images are embedded:
``--n`` MNIST train, MNIST test and Fashion-MNIST test images (seeded subsets). Printed: images/s
(wall time of the extraction, after one warm-up batch), FID(mnist:train, mnist:test) and
FID(fashion-mnist:test, mnist:test) with their relative difference to the fp32 variant as shipped.
The variants run alternately (``--rounds``) and the speed is the median, so that a machine whose speed
drifts (a shared one) slows every variant alike.
Where the device has no bf16 units (a CPU with AVX2 only) the bf16 variants are left out unless named in
``--variants``: they are emulated there, many times slower than fp32.
``--device cuda`` runs every variant on the GPU (``auto``: CUDA when available); the compiled executions then go
through inductor's Triton kernels.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import torch

from benchmarks.harness import check_out, describe, device_of, device_option, note, out_option, save_record
from ganforge.hardware import native_bf16
from ganforge.metrics.frechet import GaussianStats, frechet_distance
from ganforge.metrics.inception import VARIANTS, InceptionFeatures
from ganforge.metrics.sources import load_source


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.eval_speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--n", type=int, default=500, help="images per set")
    p.add_argument("--rounds", type=int, default=2, help="alternating timing rounds per variant")
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=None,
                   help="variants to time (default: all; the bf16 ones only where bf16 is native)")  # fmt: skip
    device_option(p)
    out_option(p)
    args = p.parse_args(argv)
    check_out(p, args.out)
    device = device_of(args)
    sets = {s: load_source(s, n=args.n, seed=0).images for s in ("mnist:train", "mnist:test", "fashion-mnist:test")}
    # every variant as `ganforge eval` runs it on a small call (uncompiled), and the compiled executions that
    # large calls (>= COMPILE_MIN_IMAGES images) use
    chosen = args.variants or [v for v in VARIANTS if native_bf16(device) or not v.startswith("bf16")]
    variants = [v for v in VARIANTS if v in chosen or v == "fp32"]  # fp32 first: every row's baseline
    if len(variants) < len(VARIANTS):
        note(f"timing {', '.join(variants)} (not {', '.join(v for v in VARIANTS if v not in variants)})")
    extractors = {v: InceptionFeatures(v, batch_size=args.batch_size, device=device, compile=False) for v in variants}
    for v in ("fp32-frozen", "bf16"):
        if v in variants:
            extractors[f"{v} compiled"] = InceptionFeatures(v, batch_size=args.batch_size, device=device, compile=True)
    names = list(extractors)
    for ex in extractors.values():  # warm-up: first calls compile / allocate
        ex(sets["mnist:test"][: args.batch_size])
    speeds: dict[str, list[float]] = {v: [] for v in names}
    feats: dict[str, dict[str, np.ndarray]] = {v: {} for v in names}
    for r in range(args.rounds):
        for v in names if r % 2 == 0 else reversed(names):
            started = time.perf_counter()
            out = {name: extractors[v](images) for name, images in sets.items()}
            speeds[v].append(3 * args.n / (time.perf_counter() - started))
            feats[v] = out
    rows: list[dict[str, Any]] = []
    for v in names:
        stats = {k: GaussianStats.of(f) for k, f in feats[v].items()}
        same = frechet_distance(stats["mnist:train"], stats["mnist:test"])
        other = frechet_distance(stats["fashion-mnist:test"], stats["mnist:test"])
        rows.append({"variant": v, "images_per_s": statistics.median(speeds[v]), "fid_mnist": same,
                     "fid_fashion_vs_mnist": other})  # fmt: skip
    base = rows[0]
    print(f"machine: {describe(device)}, torch {torch.__version__}; n = {args.n} per set, {args.rounds} rounds, "
          f"batch {args.batch_size}")  # fmt: skip
    print("| variant | images/s | speed-up | FID mnist train-test | rel. diff | FID fashion-mnist | rel. diff |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        d1 = row["fid_mnist"] / base["fid_mnist"] - 1
        d2 = row["fid_fashion_vs_mnist"] / base["fid_fashion_vs_mnist"] - 1
        row.update({"speedup": row["images_per_s"] / base["images_per_s"], "rel_fid_mnist": d1, "rel_fid_fashion": d2})
        print(f"| {row['variant']} | {row['images_per_s']:.1f} | {row['speedup']:.2f}x | {row['fid_mnist']:.3f} | "
              f"{100 * d1:+.2f}% | {row['fid_fashion_vs_mnist']:.2f} | {100 * d2:+.2f}% |")  # fmt: skip
    record = {"device": describe(device), "torch": torch.__version__, "n": args.n, "rows": rows}
    save_record("eval_speed", record, args.out)


if __name__ == "__main__":
    main()
