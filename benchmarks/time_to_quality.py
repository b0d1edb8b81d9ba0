"""Time to quality: training seconds until the domain Fréchet distance on MNIST falls below a threshold.

    python -m benchmarks.time_to_quality --preset mnist-dcgan --thresholds 20 10 7 --budget 240 \
        --png runs/benchmarks/time_to_quality.png

Three contestants train the preset's G and D (same architecture and seed), taking turns:

- ``reference``: the tutorial loop of :mod:`benchmarks.reference_loop` (DataLoader, fp32, ``.item()`` every step)
  with the tutorials' settings (batch 64, Adam 2e-4, betas 0.5 / 0.999, no regulariser, no EMA);
- ``ganforge-fp32``: ganforge's trainer on the preset with ``train.precision=fp32`` (by default only where the
  preset as shipped trains in bf16: elsewhere it is the next contestant);
- ``ganforge``: ganforge's trainer on the preset as shipped (precision ``auto``: bf16 where the device has bf16
  units, fp32 elsewhere), with the preset's recipe (for ``mnist-dcgan``: batch ``auto`` = 16 on a CPU, 32 on a GPU,
  Adam 1e-3, R1 with gamma 1, EMA generator).

Each trains for ``--budget`` seconds of *training* time (the reference for ``--reference-budget`` if given, so
that a slower loop still reaches the thresholds and its speed-up is a number, not a bound), in legs of
``--every`` seconds, round robin, so that every contestant trains on the same machine, drift and neighbours
included (on a shared machine, racing one after another once measured the reference 12% faster and ganforge 11%
slower than the run before); after each leg the clock stops and the domain metrics
(``ganforge.metrics.domain``) of ``--samples`` generated images (fixed latents, seed 0) are measured against the
MNIST test split. ganforge judges the generator it saves (the EMA
copy when the preset keeps one), the reference judges its G. Time to quality = training seconds at the first
evaluation below each of ``--thresholds`` (the table also gives the steps and real images seen by then: where both
sides train at the same images per second, as in fp32 on a CPU without bf16 units, the speed-up is the ratio
of images, the recipe's sample efficiency); the speed-up is reference seconds / contestant seconds. The fp32
contestant is there so that the bf16 speed-up can be checked for quality at equal images (the second panel of the
PNG).

Trailing ``KEY=VALUE`` arguments override the preset for the ganforge contestants (``optim.lr_g=1e-3``,
``train.threads=1``); the reference always trains the tutorial's settings, and takes only the ``data.*`` and
``model.*`` ones (``data.limit=512``, ``model.g_width=16``): every contestant trains on the same images and
networks. Each result records how many training images its contestant drew from. ``--variant NAME:KEY=VALUE,...``
(repeatable) adds a ganforge contestant called NAME with its own overrides on top of those, to race recipes against
each other on the same clock (``--contestants`` with no names: the variants alone), e.g. the preset's batch
(16 on a CPU) against 32:

    python -m benchmarks.time_to_quality --contestants ganforge \
        --variant "batch 32:optim.batch_size=32" --budget 250 --thresholds 20 10 7 5

``--device`` puts every contestant on that device (``auto``: CUDA when available); the clock is read after a
``torch.cuda.synchronize`` there.
"""

from __future__ import annotations

import argparse
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from benchmarks.harness import check_out, describe, device_of, device_option, note, out_option, save_record, sync
from benchmarks.reference_loop import TUTORIAL_BATCH, ReferenceLoop
from ganforge.api import _assemble, _load_data, configure_threads, resolve_config, resolve_device, resolve_precision
from ganforge.config import load_preset, parse_overrides
from ganforge.errors import ConfigError
from ganforge.metrics.domain import domain_metrics
from ganforge.sampling.generate import generate


@dataclass
class Race:
    """One contestant's training clock, step count and quality curve."""

    name: str
    step: Callable[[int], None]
    sampler: Callable[[], nn.Module]
    budget: float
    batch: int
    train_images: int  # the size of the training set it draws from
    overrides: dict[str, Any] = field(default_factory=dict)  # the overrides it trains with, for the record
    trained: float = 0.0
    steps: int = 0
    curve: list[dict[str, float]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.trained >= self.budget

    def leg(self, args: argparse.Namespace, device: torch.device) -> None:
        """Trains ``args.every`` more seconds (the clock read after a device sync), then evaluates."""
        started = time.perf_counter()
        while time.perf_counter() - started < args.every:
            self.step(self.steps)
            self.steps += 1
        sync(device)
        self.trained += time.perf_counter() - started
        images, _ = generate(self.sampler(), args.samples, seed=0)
        m = domain_metrics(images, "mnist")
        self.curve.append({"seconds": self.trained, "steps": self.steps, "domain_fd": m.domain_fd,
                           "class_kl": m.class_kl})  # fmt: skip
        note(f"  {self.name}: {self.trained:6.1f} s  step {self.steps:6d}  domain FD {m.domain_fd:7.2f}")

    def result(self, thresholds: list[float]) -> dict[str, Any]:
        hits = {t: next((p for p in self.curve if p["domain_fd"] < t), None) for t in thresholds}
        return {
            "contestant": self.name, "batch": self.batch, "train_images": self.train_images,
            "overrides": self.overrides, "budget_s": self.budget,
            "curve": self.curve,
            "steps_per_s": self.steps / self.trained,
            "seconds_to": {str(t): h["seconds"] if h else None for t, h in hits.items()},
            "steps_to": {str(t): h["steps"] if h else None for t, h in hits.items()},
            "best_domain_fd": min(p["domain_fd"] for p in self.curve), "final_domain_fd": self.curve[-1]["domain_fd"],
        }  # fmt: skip


def interleave(races: list[Race], args: argparse.Namespace, device: torch.device) -> None:
    """Legs of ``args.every`` seconds, round robin (reversed every other round), until every budget is spent.

    The machine's speed drifts from minute to minute; taking turns every few seconds lets every contestant see
    the same drift, where racing one after another would hand each a different machine.
    """
    for r in itertools.count():
        running = [race for race in races if not race.done]
        if not running:
            return
        for race in running if r % 2 == 0 else running[::-1]:
            race.leg(args, device)


class Contestant(NamedTuple):
    """What a race needs of a contestant."""

    step: Callable[[int], None]  # trains step i
    sampler: Callable[[], nn.Module]  # the generator to judge
    batch: int
    train_images: int  # the size of the training set it draws from


def reference_contestant(loop: ReferenceLoop) -> Contestant:
    return Contestant(lambda _: loop.step(), lambda: loop.G, loop.batch, loop.train_images)


def ganforge_contestant(preset: str, overrides: dict[str, Any]) -> Contestant:
    cfg = resolve_config(load_preset(preset, overrides))  # `auto` batch: for the device of the race
    run = _assemble(cfg, _load_data(cfg))  # as `ganforge train` loads it: data.limit, data.path, ... apply
    trainer = run.trainer

    def step(i: int) -> None:
        trainer.step(i)
        if (i + 1) % cfg.train.log_every == 0:  # what `ganforge train` syncs: finiteness and statistics
            trainer.check_finite(i)
            trainer.pop_stats()

    return Contestant(step, lambda: run.sampler, cfg.optim.batch, len(run.array))


BUILT_IN = ("reference", "ganforge-fp32", "ganforge")
_NEXT_KEY = re.compile(r",\s*(?=[A-Za-z_][\w.]*\s*=)")  # a comma that starts the next KEY=, not one inside [1, 2]


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """``"NAME:KEY=VALUE,KEY=VALUE"`` as (NAME, overrides); values are read as in ``ganforge train``'s overrides."""
    name, sep, pairs = text.partition(":")
    name = name.strip()
    if not sep or not name or not pairs.strip():
        example = "'batch 16:optim.batch_size=16'"
        raise ValueError(f"--variant {text!r}: expected NAME:KEY=VALUE[,KEY=VALUE...], e.g. {example}")
    if name in BUILT_IN:
        raise ValueError(f"--variant {text!r}: {name!r} is a built-in contestant; give the variant another name")
    try:
        return name, parse_overrides(_NEXT_KEY.split(pairs.strip()))
    except ConfigError as exc:
        raise ValueError(f"--variant {text!r}: {exc}") from None


def plot(results: list[dict[str, Any]], thresholds: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        xs = [p["seconds"] for p in r["curve"]]
        kimages = [p["steps"] * r["batch"] / 1e3 for p in r["curve"]]  # batches differ: the reference trains at 64
        ys = [p["domain_fd"] for p in r["curve"]]
        axes[0].plot(xs, ys, marker=".", label=r["contestant"])
        axes[1].plot(kimages, ys, marker=".", label=r["contestant"])
    for ax, xlabel in zip(axes, ("training seconds", "thousands of real images seen"), strict=True):
        for t in thresholds:
            ax.axhline(t, color="gray", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("domain FD (MNIST test)")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_title("quality vs wall-clock")
    twin = any(r["contestant"] == "ganforge-fp32" for r in results)
    axes[1].set_title("quality vs images" + (" (bf16 vs fp32 at equal images)" if twin else ""))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.time_to_quality",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    p.add_argument(
        "--contestants", nargs="*", default=None, choices=BUILT_IN,
        help="default: reference [ganforge-fp32] ganforge; given with no names, only the --variant contestants race",
    )  # fmt: skip
    p.add_argument(
        "--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...",
        help="another ganforge contestant, the preset with these overrides on top of the trailing ones (repeatable)",
    )  # fmt: skip
    device_option(p)
    out_option(p)
    p.add_argument("--png", type=Path, default=None, help="also plot the curves to this PNG (replaced if it exists)")
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides for the ganforge contestants (the reference takes only the data.* and model.* ones)",
    )
    args = p.parse_args(argv)
    check_out(p, args.out)
    if args.png is not None:
        check_out(p, args.png, "--png")
    try:
        extra = parse_overrides(args.overrides)
        preset_cfg = load_preset(args.preset, extra)  # a misspelt key fails here, before any contestant is built
        variants = dict(parse_variant(v) for v in args.variant)
        for name, changes in variants.items():
            try:
                load_preset(args.preset, {**extra, **changes})
            except ConfigError as exc:
                raise ValueError(f"--variant {name!r}: {exc}") from None
    except (ConfigError, ValueError) as exc:
        p.error(str(exc))
    if len(variants) < len(args.variant):
        p.error("two --variant contestants share a name; give each its own")
    if args.contestants == [] and not variants:
        p.error("nothing to race: --contestants with no names needs at least one --variant")
    device = resolve_device(str(extra["train.device"]), "train.device") if "train.device" in extra else device_of(args)
    configure_threads(int(extra.get("train.threads", 0)))  # the reference gets the same thread count
    reference_budget = args.reference_budget or args.budget
    if args.contestants is None:  # the fp32 check only where the preset's own precision is another one
        bf16 = resolve_precision(preset_cfg.train.precision, device) == "bf16"
        args.contestants = ["reference", *(["ganforge-fp32"] if bf16 else []), "ganforge"]
    races = []
    for name in [*args.contestants, *variants]:
        overrides: dict[str, Any]
        try:  # data that cannot be loaded, or too few images for a batch: the problem and the fix, no traceback
            if name == "reference":
                loop = ReferenceLoop(args.preset, batch=TUTORIAL_BATCH, seed=args.seed, device=device, overrides=extra)
                contestant, overrides = reference_contestant(loop), loop.overrides
            else:
                overrides = {"train.seed": args.seed, **extra, **variants.get(name, {}), "train.device": str(device)}
                if name == "ganforge-fp32":
                    overrides["train.precision"] = "fp32"
                contestant = ganforge_contestant(args.preset, overrides)
        except ValueError as exc:  # GanforgeError is one
            p.error(f"{name}: {exc}")
        step, sampler, batch, train_images = contestant
        budget = reference_budget if name == "reference" else args.budget
        races.append(Race(name, step, sampler, budget, batch, train_images, overrides))
    interleave(races, args, device)
    results = [race.result(args.thresholds) for race in races]
    ref = next((r for r in results if r["contestant"] == "reference"), None)
    print(f"machine: {describe(device)}, torch {torch.__version__}; "
          f"preset {args.preset}; domain FD on {args.samples} samples vs MNIST test; "
          f"{args.budget:g} training s each, the reference {reference_budget:g}")  # fmt: skip
    heads = " | ".join(f"s to FD < {t:g} (steps, images) | speed-up" for t in args.thresholds)
    print(f"| contestant | batch | steps/s | {heads} | best FD | final FD |")
    print("|---|---|---|" + "---|---|" * len(args.thresholds) + "---|---|")
    for r in results:
        cells = []
        r["speedup"] = {}
        for t in map(str, args.thresholds):
            sec, steps = r["seconds_to"][t], r["steps_to"][t]
            cells.append(
                f"{sec:.0f} ({steps}, {steps * r['batch'] / 1e3:.0f}k)" if sec is not None else f"> {r['budget_s']:g}"
            )
            base = ref["seconds_to"][t] if ref is not None else None
            if sec is not None and base is not None:
                r["speedup"][t] = base / sec
                cells.append(f"{base / sec:.2f}x")
            else:
                cells.append("-")
        print(f"| {r['contestant']} | {r['batch']} | {r['steps_per_s']:.1f} | {' | '.join(cells)} | "
              f"{r['best_domain_fd']:.2f} | {r['final_domain_fd']:.2f} |")  # fmt: skip
    record = {"args": {k: str(v) for k, v in vars(args).items()}, "device": describe(device), "results": results}
    save_record("time_to_quality", record, args.out)
    if args.png is not None:
        plot(results, args.thresholds, args.png)


if __name__ == "__main__":
    main()
