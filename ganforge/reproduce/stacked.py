"""``ganforge bench stacked-mnist``: 1,000-mode coverage on Stacked MNIST (VEEGAN; PacGAN).

For each seed the ``stacked-mnist-dcgan`` preset trains from scratch; its final EMA generator draws 26,000
images (the papers' sample size), measured by :func:`ganforge.metrics.stacked.stacked_mode_metrics`. The
same measurement of 26,000 real images (``stacked-mnist:test``) is printed too: it is the floor a perfect
generator would reach with this classifier and sample size.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.models.io import CONFIG_NAME
from ganforge.reproduce import mean_std
from ganforge.rundir import RunDir

#: (method, modes, KL, source) as published.
PUBLISHED: list[tuple[str, str, str, str]] = [
    ("DCGAN", "99", "3.40", "VEEGAN, Table 2"),
    ("PacDCGAN2", "1000 ± 0.0", "0.06 ± 0.01", "PacGAN, Table 3"),
]
GOAL_MODES, GOAL_KL = 1000, 0.06
PRESET = "stacked-mnist-dcgan"


@dataclass(frozen=True)
class StackedResult:
    """One row: ``seed`` is -1 for the real-data reference."""

    name: str
    seed: int
    modes_covered: int
    kl: float
    mean_confidence: float
    samples: int
    steps: int
    seconds: float
    channel_kl: tuple[float, float, float]

    @property
    def dependence(self) -> float:
        """The digits' total correlation (:func:`ganforge.metrics.stacked.dependence`)."""
        from ganforge.metrics.stacked import dependence

        return dependence(self.kl, self.channel_kl)


def real_reference(samples: int) -> StackedResult:
    """The metrics of ``samples`` real Stacked-MNIST test images (the finite-sample floor)."""
    from ganforge.data import load_dataset
    from ganforge.metrics.stacked import stacked_mode_metrics

    started = time.perf_counter()
    images = load_dataset("stacked-mnist", "test").images[:samples]
    m = stacked_mode_metrics(images)
    return StackedResult("real stacked-mnist:test", -1, m.modes_covered, m.kl, m.mean_confidence, len(images), 0,
                         time.perf_counter() - started, m.channel_kl)  # fmt: skip


def run_stacked(
    out: Path,
    *,
    seeds: list[int],
    steps: int | None = None,
    samples: int = 26_000,
    overrides: list[str] | None = None,
    runs: list[Path] | None = None,
) -> list[StackedResult]:
    """Trains the preset once per seed under ``out`` (and measures existing Stacked-MNIST ``runs``, e.g.
    extended with ``ganforge train --resume``); returns the real reference first, then one row per run."""
    import ganforge
    from ganforge.config import parse_overrides
    from ganforge.metrics.stacked import stacked_mode_metrics

    if seeds and out.exists():
        raise GanforgeError(f"{out} exists; benchmarks never overwrite runs: choose a new --out")
    for run in runs or []:
        config = RunDir(run).config
        if not config.is_file() or json.loads(config.read_text())["data"]["name"] != "stacked-mnist":
            raise GanforgeError(f"{run} is not a Stacked-MNIST run directory (config.json with data.name "
                                "stacked-mnist)")  # fmt: skip
    results = [real_reference(samples)]
    todo: list[tuple[int, Path | None]] = [(s, None) for s in seeds]
    todo += [(int(json.loads(RunDir(r).config.read_text())["train"]["seed"]), r) for r in runs or []]
    for seed, existing in todo:
        started = time.perf_counter()
        if existing is None:
            extra: dict[str, Any] = {**parse_overrides(overrides or []), "train.seed": seed}
            if steps is not None:
                extra["train.steps"] = steps
            run = ganforge.train(PRESET, run_dir=out / f"seed{seed}", overrides=extra)
        else:
            run = existing
        generator = ganforge.load_generator(run)
        images, _ = ganforge.generate(generator, samples, seed=10_000 + seed)
        m = stacked_mode_metrics(images)
        done = int(json.loads((RunDir(run).generator / CONFIG_NAME).read_text())["extra"]["step"])
        name = PRESET if existing is None else str(existing)
        results.append(StackedResult(name, seed, m.modes_covered, m.kl, m.mean_confidence, samples, done,
                                     time.perf_counter() - started, m.channel_kl))  # fmt: skip
    return results


def stacked_table(results: list[StackedResult]) -> str:
    """Markdown table: published rows, the real-data floor, ours (mean ± std over seeds) and the goal check.

    The KL-per-channel column is R / G / B and, after ``+``, the digits' dependence (their sum + it = KL).
    """
    lines = ["| method | modes (of 1000) | KL | KL per channel + dependence | mean confidence | samples | seeds "
             "| source / note |", "|" + "---|" * 8]  # fmt: skip
    for method, modes, kl, source in PUBLISHED:
        lines.append(f"| {method} | {modes} | {kl} | - | - | 26,000 | - | {source} |")

    def split(r: StackedResult) -> str:
        return " / ".join(f"{c:.3f}" for c in r.channel_kl) + f" + {r.dependence:.3f}"

    for r in (r for r in results if r.seed < 0):
        lines.append(f"| {r.name} | {r.modes_covered} | {r.kl:.3f} | {split(r)} | {r.mean_confidence:.3f} "
                     f"| {r.samples:,} | - | finite-sample floor of this classifier |")  # fmt: skip
    rows = [r for r in results if r.seed >= 0]
    existing = [r for r in rows if r.name != PRESET]
    for r in existing:
        lines.append(f"| {r.name} ({r.steps} steps) | {r.modes_covered} | {r.kl:.3f} | {split(r)} "
                     f"| {r.mean_confidence:.3f} | {r.samples:,} | seed {r.seed} | an existing run |")  # fmt: skip
    if len(existing) > 1:
        lines.append(_summary_row(f"the {len(existing)} runs above", existing))
    trained = [r for r in rows if r.name == PRESET]
    if trained:
        lines.append(_summary_row(f"**ganforge {PRESET}**", trained))
    return "\n".join(lines)


def _summary_row(label: str, rows: list[StackedResult]) -> str:
    """One row of mean ± std over ``rows`` (seeds) and whether every one meets the goal."""
    goal = all(r.modes_covered >= GOAL_MODES and r.kl < GOAL_KL for r in rows)
    return (
        f"| {label} ({mean_std([float(r.steps) for r in rows], '.0f')} steps) "
        f"| {mean_std([float(r.modes_covered) for r in rows], '.4g')} | {mean_std([r.kl for r in rows])} "
        f"| {' / '.join(mean_std([r.channel_kl[c] for r in rows], '.3f') for c in range(3))} "
        f"+ {mean_std([r.dependence for r in rows], '.3f')} "
        f"| {mean_std([r.mean_confidence for r in rows])} | {rows[0].samples:,} | {len(rows)} "
        f"| goal (1000 modes, KL < 0.06, every seed): {'met' if goal else 'NOT met'} |"
    )
