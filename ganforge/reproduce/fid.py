"""``ganforge bench fid``: Inception FID per preset after a fixed CPU budget, beside "Are GANs Created Equal?".

Protocol (Lucic et al. 2018 report FID of 10,000 generated images against the 10,000 test images): each
preset trains from scratch for ``minutes`` of training time (``train.max_minutes``; its step count is
lifted so the budget, not the preset, ends the run), then its EMA generator draws ``n`` images (latent
seed 10,000 + the run's training seed) measured against the test images (all 10,000 for ``n`` = 10,000, else
a seeded subset) with the protocol of :mod:`ganforge.metrics.inception` (real features cached). The domain FD
of the same images is printed too. The table states the time the run spent in training steps (from ``metrics.jsonl``,
evaluation pauses excluded) with its thread count, and names the settings in which a measured run differs
from its preset (``model.g_width=128`` ...).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.models.io import CONFIG_NAME
from ganforge.rundir import RunDir

#: dataset -> [(method, best FID, source)]: the best FID over the large hyper-parameter search of
#: Lucic et al. 2018 ("Are GANs Created Equal?", Table 2), not a fixed budget.
PUBLISHED: dict[str, list[tuple[str, str, str]]] = {
    "mnist": [("WGAN", "6.7", "Lucic et al. 2018, Table 2"), ("NS GAN", "6.8", "Lucic et al. 2018, Table 2")],
    "fashion-mnist": [("WGAN", "21.5", "Lucic et al. 2018, Table 2")],
}
GOALS = {"mnist": 5.0, "fashion-mnist": 15.0}
NO_STEP_LIMIT = 10_000_000
#: Config sections whose differences from the preset change what is trained (train / eval only set the budget
#: and the bookkeeping, which the table states separately).
_MODEL_SECTIONS = ("data", "model", "recipe", "optim")


def preset_changes(config: dict[str, Any], device_type: str = "cpu") -> list[str]:
    """``KEY=VALUE`` for every data / model / recipe / optim setting of a run's ``config.json`` that differs
    from its preset (its ``auto`` settings as on ``device_type``, where the run trained), so a table row says
    which variant of the preset was trained."""
    from ganforge.config import load_preset, migrate_legacy, resolve_auto

    config = migrate_legacy(config)  # a run of the layout before the recipe section
    base = resolve_auto(load_preset(config["preset"]), device_type).to_dict()
    return [
        f"{section}.{key}={json.dumps(value, separators=(',', ':')) if isinstance(value, list) else value}"
        for section in _MODEL_SECTIONS
        for key, value in config.get(section, {}).items()
        if base[section].get(key) != value
    ]


@dataclass(frozen=True)
class FIDResult:
    preset: str
    dataset: str
    seed: int
    minutes: float
    threads: int
    steps: int
    samples: int
    fid: float
    domain_fd: float
    eval_seconds: float
    variant: str
    changes: tuple[str, ...] = ()
    train_minutes: float = 0.0


def training_minutes(run: Path) -> float:
    """Minutes the run spent in training steps (evaluation and I/O pauses excluded), from ``metrics.jsonl``:
    each logged interval contributes its steps divided by its measured steps/s (an interval that follows a
    rollback to an earlier step, whose start is not logged, counts as zero)."""
    from ganforge.training.callbacks import read_metrics

    total, last = 0.0, 0
    for record in read_metrics(RunDir(run).metrics):
        if record.get("steps_per_s", 0) > 0:
            total += max(record["step"] - last, 0) / record["steps_per_s"]
            last = record["step"]
    return total / 60


def run_fid(
    out: Path,
    *,
    presets: list[str],
    minutes: float,
    samples: int = 10_000,
    seed: int = 0,
    variant: str = "auto",
    runs: list[Path] | None = None,
    overrides: list[str] | None = None,
) -> list[FIDResult]:
    """Trains every preset for ``minutes`` under ``out`` (or measures existing ``runs``) and measures FID.

    ``overrides`` (``["train.threads=1"]``) apply to every training run, before the budget settings.
    """
    import ganforge
    from ganforge.config import load_preset, parse_overrides
    from ganforge.metrics.evaluate import evaluate
    from ganforge.metrics.sources import load_source

    if out.exists():
        raise GanforgeError(f"{out} exists; benchmarks never overwrite runs: choose a new --out")
    if minutes <= 0 and not runs:
        raise GanforgeError("--minutes must be > 0: the benchmark states its CPU budget")
    extra = parse_overrides(overrides or [])
    if "train.seed" in extra:  # the budget below sets it: an override would be silently replaced
        seed_value = extra["train.seed"]
        raise GanforgeError(f"train.seed={seed_value} as an override: the benchmark sets the seed itself; "
                            f"use --seed {seed_value} (also the latent seed of the measured images)")  # fmt: skip
    todo: list[tuple[str, Path | None]] = [(p, None) for p in presets] + [(str(r), r) for r in runs or []]
    for name, existing in todo:  # validate everything before the first (long) training starts
        if existing is None:
            cfg = load_preset(name, extra)
            if cfg.data.name not in PUBLISHED:
                raise GanforgeError(f"preset {name!r} trains on {cfg.data.name}; this benchmark covers "
                                    f"{', '.join(PUBLISHED)}")  # fmt: skip
        elif not RunDir(existing).is_run():
            raise GanforgeError(f"{existing} is not a run directory (no config.json)")
    results = []
    for name, existing in todo:
        if existing is None:
            budget = {**extra, "train.seed": seed, "train.max_minutes": minutes, "train.steps": NO_STEP_LIMIT}
            run = ganforge.train(name, run_dir=out / name, overrides=budget)
        else:
            run = existing
        cfg = json.loads(RunDir(run).config.read_text())
        dataset = cfg["data"]["name"]
        gen_extra = json.loads((RunDir(run).generator / CONFIG_NAME).read_text())["extra"]
        info = json.loads(RunDir(run).info.read_text())
        started = time.perf_counter()
        run_seed = int(cfg["train"]["seed"])  # ``seed`` for the runs trained here; an existing run keeps its own
        fake = load_source(run, n=samples, seed=10_000 + run_seed)
        real = load_source(f"{dataset}:test", n=samples)
        report = evaluate(fake, real, ("fid", "domain"), variant=variant)
        results.append(
            FIDResult(
                preset=cfg["preset"],
                dataset=dataset,
                seed=run_seed,
                minutes=float(cfg["train"]["max_minutes"]),
                threads=int(info["threads"]),
                steps=int(gen_extra["step"]),
                samples=samples,
                fid=report.values["fid"],
                domain_fd=report.values["domain_fd"],
                eval_seconds=time.perf_counter() - started,
                variant=report.protocol["inception"]["variant"],
                changes=tuple(preset_changes(cfg, str(info["device"]).split(":")[0])),
                train_minutes=training_minutes(run),
            )
        )
    return results


def fid_table(results: list[FIDResult]) -> str:
    """Markdown table: published best FIDs beside ours after the stated budget, with the goal check."""
    lines = ["| dataset | method | budget | steps | FID ↓ | domain FD | samples | source / goal |", "|" + "---|" * 8]
    for dataset in dict.fromkeys(r.dataset for r in results):
        for method, fid, source in PUBLISHED[dataset]:
            lines.append(f"| {dataset} | {method} | large search | - | {fid} | - | 10,000 | {source} |")
        for r in (r for r in results if r.dataset == dataset):
            goal = "met" if r.fid < GOALS[dataset] else "NOT met"
            budget = f"{r.train_minutes:.1f} min × {r.threads} thread{'s' if r.threads > 1 else ''}"
            method = f"**ganforge {r.preset}**" + (f" {' '.join(r.changes)}" if r.changes else "")
            lines.append(f"| {dataset} | {method} | {budget} | {r.steps:,} | {r.fid:.2f} "
                         f"| {r.domain_fd:.2f} | {r.samples:,} | goal < {GOALS[dataset]:g}: {goal} |")  # fmt: skip
    return "\n".join(lines)
