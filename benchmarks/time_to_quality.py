"""Time to quality: training seconds until the domain Fréchet distance on MNIST falls below a threshold.

    .venv/bin/python benchmarks/time_to_quality.py --preset mnist-dcgan --thresholds 20 10 7 --budget 240 \
        --json docs/time_to_quality.json --png docs/img/time_to_quality.png

Three contestants train the preset's G and D (same architecture, batch and seed) one after another:

- ``reference``: the tutorial loop of ``reference_loop.py`` (DataLoader, fp32, ``.item()`` every step) with the
  tutorials' settings (Adam 2e-4, betas 0.5 / 0.999, no regulariser, no EMA);
- ``ganforge-fp32``: ganforge's trainer on the preset with ``train.precision=fp32``;
- ``ganforge``: ganforge's trainer on the preset as shipped (precision ``auto``: bf16 on this CPU), with the
  preset's recipe (for ``mnist-dcgan``: Adam 1e-3, R1 with gamma 1, EMA generator).

Each trains for ``--budget`` seconds of *training* time (the reference for ``--reference-budget`` if given, so
that a slower loop still reaches the thresholds and its speed-up is a number, not a bound); every ``--every``
seconds the clock stops and the domain metrics (``ganforge.metrics.domain``) of ``--samples`` generated images
(fixed latents, seed 0) are measured against the MNIST test split. ganforge judges the generator it saves (the EMA
copy when the preset keeps one), the reference judges its G. Time to quality = training seconds at the first
evaluation below each of ``--thresholds``; the speed-up is reference seconds / contestant seconds. The fp32
contestant is there so that the bf16 speed-up can be checked for quality at equal steps (the second panel of the
PNG).

Trailing ``KEY=VALUE`` arguments override the preset for the ganforge contestants only (``optim.lr_g=1e-3``,
``train.threads=1``); the reference always trains the tutorial's settings.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from reference_loop import ReferenceLoop
from torch import nn

from ganforge.api import _assemble, configure_threads
from ganforge.config import load_preset, parse_overrides
from ganforge.data import load_dataset
from ganforge.metrics.domain import domain_metrics
from ganforge.sampling.generate import generate


def race(
    name: str, step: Callable[[int], None], sampler: Callable[[], nn.Module], budget: float, args: argparse.Namespace
) -> dict[str, Any]:
    """Trains with ``step(i)`` for ``budget`` training seconds, evaluating every ``args.every`` seconds."""
    curve: list[dict[str, float]] = []
    trained, steps, next_eval = 0.0, 0, args.every
    while trained < budget:
        started = time.perf_counter()
        while time.perf_counter() - started < next_eval - trained:
            step(steps)
            steps += 1
        trained += time.perf_counter() - started
        images, _ = generate(sampler(), args.samples, seed=0)
        m = domain_metrics(images, "mnist")
        curve.append({"seconds": trained, "steps": steps, "domain_fd": m.domain_fd, "class_kl": m.class_kl})
        print(f"  {name}: {trained:6.1f} s  step {steps:6d}  domain FD {m.domain_fd:7.2f}", flush=True)
        next_eval = trained + args.every
    hits = {t: next((p for p in curve if p["domain_fd"] < t), None) for t in args.thresholds}
    return {
        "contestant": name, "budget_s": budget, "curve": curve, "steps_per_s": steps / trained,
        "seconds_to": {str(t): h["seconds"] if h else None for t, h in hits.items()},
        "steps_to": {str(t): h["steps"] if h else None for t, h in hits.items()},
        "best_domain_fd": min(p["domain_fd"] for p in curve), "final_domain_fd": curve[-1]["domain_fd"],
    }  # fmt: skip


Contestant = tuple[Callable[[int], None], Callable[[], nn.Module]]  # (step(i), the generator to judge)


def ganforge_contestant(preset: str, overrides: dict[str, Any]) -> Contestant:
    cfg = load_preset(preset, overrides)
    run = _assemble(cfg, load_dataset(cfg.data.name, cfg.data.split))
    trainer = run.trainer

    def step(i: int) -> None:
        trainer.step(i)
        if (i + 1) % cfg.train.log_every == 0:  # what `ganforge train` syncs: finiteness and statistics
            trainer.check_finite(i)
            trainer.pop_stats()

    return step, lambda: run.ema.shadow if run.ema is not None else run.G


def plot(results: list[dict[str, Any]], thresholds: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        xs = [p["seconds"] for p in r["curve"]]
        ss = [p["steps"] for p in r["curve"]]
        ys = [p["domain_fd"] for p in r["curve"]]
        axes[0].plot(xs, ys, marker=".", label=r["contestant"])
        axes[1].plot(ss, ys, marker=".", label=r["contestant"])
    for ax, xlabel in zip(axes, ("training seconds", "steps"), strict=True):
        for t in thresholds:
            ax.axhline(t, color="gray", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("domain FD (MNIST test)")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_title("quality vs wall-clock")
    axes[1].set_title("quality vs steps (bf16 vs fp32 at equal steps)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="mnist-dcgan")
    p.add_argument("--thresholds", type=float, nargs="+", default=[20.0, 10.0, 7.0], help="domain FDs to reach")
    p.add_argument("--budget", type=float, default=240.0, help="training seconds per contestant")
    p.add_argument(
        "--reference-budget", type=float, default=None,
        help="training seconds for the reference (default: --budget), so that a slow reference reaches the thresholds",
    )  # fmt: skip
    p.add_argument("--every", type=float, default=10.0, help="training seconds between evaluations")
    p.add_argument("--samples", type=int, default=2000, help="generated images per evaluation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--contestants", nargs="+", default=["reference", "ganforge-fp32", "ganforge"])
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--png", type=Path, default=None)
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides for the ganforge contestants (the reference trains the tutorial's settings)",
    )
    args = p.parse_args()
    extra = parse_overrides(args.overrides)
    threads = configure_threads(int(extra.get("train.threads", 0)))  # the reference gets the same thread count
    batch = load_preset(args.preset).optim.batch_size
    reference_budget = args.reference_budget or args.budget
    results = []
    for name in args.contestants:
        if name == "reference":
            loop = ReferenceLoop(args.preset, batch=batch, seed=args.seed)
            step, sampler = (lambda i, loop=loop: loop.step()), (lambda loop=loop: loop.G)
        else:
            overrides: dict[str, Any] = {"train.seed": args.seed, **extra}
            if name == "ganforge-fp32":
                overrides["train.precision"] = "fp32"
            step, sampler = ganforge_contestant(args.preset, overrides)
        results.append(race(name, step, sampler, reference_budget if name == "reference" else args.budget, args))
    ref = next((r for r in results if r["contestant"] == "reference"), None)
    print(f"machine: {platform.processor() or platform.machine()}, {threads} threads, torch {torch.__version__}; "
          f"preset {args.preset}, batch {batch}; domain FD on {args.samples} samples vs MNIST test; "
          f"{args.budget:g} training s each, the reference {reference_budget:g}")  # fmt: skip
    heads = " | ".join(f"s to FD < {t:g} (steps) | speed-up" for t in args.thresholds)
    print(f"| contestant | steps/s | {heads} | best FD | final FD |")
    print("|---|---|" + "---|---|" * len(args.thresholds) + "---|---|")
    for r in results:
        cells = []
        r["speedup"] = {}
        for t in map(str, args.thresholds):
            sec, steps = r["seconds_to"][t], r["steps_to"][t]
            cells.append(f"{sec:.0f} ({steps})" if sec is not None else f"> {r['budget_s']:g}")
            base = ref["seconds_to"][t] if ref is not None else None
            if sec is not None and base is not None:
                r["speedup"][t] = base / sec
                cells.append(f"{base / sec:.2f}x")
            else:
                cells.append("-")
        print(f"| {r['contestant']} | {r['steps_per_s']:.1f} | {' | '.join(cells)} | {r['best_domain_fd']:.2f} | "
              f"{r['final_domain_fd']:.2f} |")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                        indent=2) + "\n")  # fmt: skip
    if args.png is not None:
        plot(results, args.thresholds, args.png)


if __name__ == "__main__":
    main()
