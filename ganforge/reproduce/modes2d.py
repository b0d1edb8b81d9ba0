"""``ganforge bench modes2d``: the 2D mode-collapse suite of VEEGAN (Srivastava et al. 2017) and PacGAN
(Lin et al. 2018).

For each seed, ``ring8-gan`` and ``grid25-gan`` train from scratch (``ganforge train`` presets); the final
EMA generator draws 2,500 points, measured by :func:`ganforge.metrics.modes2d.mode_metrics`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.reproduce import mean_std
from ganforge.rundir import RunDir

#: (benchmark, method) -> (modes captured, high-quality %, source); None where the paper gives no number.
PUBLISHED_2D: dict[str, list[tuple[str, str, str, str]]] = {
    "ring8": [
        ("GAN", "1", "-", "VEEGAN, Table 1"),
        ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4", "PacGAN, Table 2"),
    ],
    "grid25": [
        ("GAN", "3.3", "-", "VEEGAN, Table 1"),
        ("PacGAN4", "24.8 ± 0.2", "93.6 ± 0.6", "PacGAN, Table 2"),
    ],
}
GOAL_HQ = 0.95


@dataclass(frozen=True)
class SeedResult:
    dataset: str
    seed: int
    modes_captured: int
    num_modes: int
    high_quality: float
    reverse_kl: float
    seconds: float


def run_modes2d(
    out: Path,
    *,
    seeds: list[int],
    steps: int | None = None,
    datasets: tuple[str, ...] = ("ring8", "grid25"),
    overrides: list[str] | None = None,
    runs: list[Path] | None = None,
) -> list[SeedResult]:
    """Trains each dataset's preset once per seed under ``out`` and measures 2,500 samples of each.

    ``runs``: existing ring8 / grid25 run directories to measure as well (e.g. trained in parallel with
    ``ganforge train``); each is measured exactly as a trained one, with its own dataset and seed from its
    ``config.json``; ``seconds`` is then its training wall time from ``metrics.jsonl``.
    """
    import ganforge
    from ganforge.config import parse_overrides
    from ganforge.data import load_points
    from ganforge.metrics.modes2d import mode_metrics

    if out.exists():
        raise GanforgeError(f"{out} exists; benchmarks never overwrite runs: choose a new --out")
    existing: list[tuple[str, int, Path]] = []
    for run in runs or []:
        config = json.loads(RunDir(run).config.read_text()) if RunDir(run).is_run() else {}
        if config.get("data", {}).get("name") not in ("ring8", "grid25"):
            raise GanforgeError(f"{run} is not a ring8 / grid25 run directory (config.json with data.name ring8 or "
                                "grid25); give the folders `ganforge train ring8-gan` / `grid25-gan` made")  # fmt: skip
        existing.append((config["data"]["name"], int(config["train"]["seed"]), run))
    results = []
    truths = {dataset: load_points(dataset, "train") for dataset in datasets}

    def measure(dataset: str, seed: int, run: Path, seconds: float) -> None:
        truth = truths[dataset]
        points, _ = ganforge.generate(ganforge.load_generator(run), 2500, seed=10_000 + seed)
        m = mode_metrics(points, truth.modes, truth.std)
        results.append(SeedResult(dataset, seed, m.modes_captured, m.num_modes, m.high_quality, m.reverse_kl, seconds))

    for dataset in datasets:
        for seed in seeds:
            extra: dict[str, Any] = {**parse_overrides(overrides or []), "train.seed": seed}
            if steps is not None:
                extra["train.steps"] = steps
            started = time.perf_counter()
            run = ganforge.train(f"{dataset}-gan", run_dir=out / f"{dataset}-seed{seed}", overrides=extra)
            measure(dataset, seed, run, time.perf_counter() - started)
        for name, seed, run in existing:
            if name == dataset:
                measure(dataset, seed, run, _training_seconds(run))
    return results


def _training_seconds(run: Path) -> float:
    """Wall time between the first and last record of a run's ``metrics.jsonl`` (0 if it has none)."""
    path = RunDir(run).metrics
    times = [json.loads(line).get("time") for line in path.read_text().splitlines() if line] if path.is_file() else []
    stamps = [t for t in times if isinstance(t, (int, float))]
    return float(max(stamps) - min(stamps)) if stamps else 0.0


def modes2d_table(results: list[SeedResult]) -> str:
    """Markdown table: ours (mean ± std over seeds, and the goal check) beside the published numbers."""
    lines = ["| dataset | method | modes captured | high quality % | reverse KL | seeds | source |", "|" + "---|" * 7]
    for dataset in dict.fromkeys(r.dataset for r in results):
        rows = [r for r in results if r.dataset == dataset]
        k = rows[0].num_modes
        for method, modes, hq, source in PUBLISHED_2D[dataset]:
            lines.append(f"| {dataset} | {method} | {modes} / {k} | {hq} | - | - | {source} |")
        goal = all(r.modes_captured == k and r.high_quality >= GOAL_HQ for r in rows)
        lines.append(
            f"| {dataset} | **ganforge {dataset}-gan** | {mean_std([r.modes_captured for r in rows])} / {k} "
            f"| {mean_std([100 * r.high_quality for r in rows])} | {mean_std([r.reverse_kl for r in rows])} "
            f"| {len(rows)} | goal (all modes, ≥95% HQ, every seed): {'met' if goal else 'NOT met'} |"
        )
    return "\n".join(lines)
