"""Time to a 64-image grid from a ``generator/`` directory: cold (a fresh ``ganforge sample`` process) and warm.

    python -m benchmarks.sample_latency runs/mnist-dcgan-XXXX --repeats 5

*Cold*: wall time of ``python -m ganforge sample RUN --n 64 --out grid.png`` in a new process (interpreter
start, imports, reading and checking the weights, generating, writing the PNG), median of ``--repeats``.
*Warm*: in one process with the generator loaded, ``generate`` + grid PNG written, median of ``--repeats``
after one warm-up; also the load step alone. ``--device`` (``auto``: CUDA when available) is where both generate.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.harness import check_out, describe, device_of, device_option, out_option, save_record, sync
from ganforge.sampling import generate, load_generator, make_grid, save_png


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.sample_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", type=Path, help="run directory or its generator/ directory")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    device_option(p)
    out_option(p)
    args = p.parse_args(argv)
    check_out(p, args.out)
    device = device_of(args)
    with tempfile.TemporaryDirectory() as tmp:
        cold = []
        for i in range(args.repeats):
            out = Path(tmp) / f"cold{i}.png"
            started = time.perf_counter()
            cmd = [sys.executable, "-m", "ganforge", "sample", str(args.run), "--n", str(args.n), "--out", str(out),
                   "--device", str(device)]  # fmt: skip
            subprocess.run(cmd, check=True, capture_output=True)
            cold.append(time.perf_counter() - started)
        loads, warm = [], []
        for i in range(args.repeats + 1):
            started = time.perf_counter()
            G = load_generator(args.run, device=device)
            sync(device)
            loaded = time.perf_counter()
            images, _ = generate(G, args.n, seed=i)
            save_png(Path(tmp) / f"warm{i}.png", make_grid(images))
            if i:  # the first round warms allocators and kernels
                loads.append(loaded - started)
                warm.append(time.perf_counter() - loaded)
    row = {
        "run": str(args.run),
        "device": describe(device),
        "n": args.n,
        "threads": torch.get_num_threads(),
        "cold_s": statistics.median(cold),
        "load_s": statistics.median(loads),
        "warm_s": statistics.median(warm),
    }
    print(f"| images | cold: new process (s) | load generator (s) | warm: generate + PNG (ms) |\n|---|---|---|---|\n"
          f"| {args.n} | {row['cold_s']:.2f} | {row['load_s']:.3f} | {1000 * row['warm_s']:.1f} |")  # fmt: skip
    save_record("sample_latency", row, args.out)


if __name__ == "__main__":
    main()
