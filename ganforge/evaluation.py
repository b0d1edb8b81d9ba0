"""In-training evaluation, wired for a run: metrics -> metrics.jsonl / TensorBoard, alarm, best checkpoint.

The loop only knows "call ``on_eval(step)`` every ``eval.every`` steps"; this module decides what that
measures (:mod:`ganforge.metrics.monitor`), logs it, raises the mode-collapse alarm and keeps the best
checkpoint and generator in ``RUN/best/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from torch import nn

from ganforge.config import RunConfig
from ganforge.data import DATASETS, ImageArray, PointArray, load_dataset
from ganforge.errors import ConfigError
from ganforge.metrics.registry import METRICS, Subject
from ganforge.models.io import save_pretrained
from ganforge.recipes import RECIPES
from ganforge.rundir import RunDir
from ganforge.training.callbacks import MetricsLog
from ganforge.training.checkpoint import LATEST, load_latest, save_checkpoint
from ganforge.training.loop import TrainingState

log = logging.getLogger(__name__)


def run_subject(cfg: RunConfig, array: ImageArray | PointArray) -> Subject:
    """What in-training evaluation judges: the run's samples, as the metric registry sees them."""
    points = isinstance(array, PointArray)
    return Subject(
        name=array.name,
        reference=f"{cfg.data.name}:test",
        kind="points" if points else "images",
        shape=(array.dim,) if isinstance(array, PointArray) else tuple(array.images.shape[1:]),
        dataset=cfg.data.name,
        fewest=cfg.eval.samples,
        task=RECIPES.get(cfg.recipe.name).task(cfg),
    )


def _applies(name: str, subject: Subject) -> bool:
    return METRICS.get(name).why_not(subject) is None


def domain_dataset(cfg: RunConfig, array: ImageArray | PointArray) -> str | None:
    """The dataset whose shipped domain classifier applies to this run's images, if any."""
    return cfg.data.name if _applies("domain", run_subject(cfg, array)) else None


def is_stacked_mnist(cfg: RunConfig, array: ImageArray | PointArray) -> bool:
    """Whether the run trains on Stacked MNIST at its native 28x28 (its 1,000-mode metrics apply)."""
    return _applies("modes", run_subject(cfg, array))


def check_eval_config(cfg: RunConfig, array: ImageArray | PointArray) -> None:
    """Raises ConfigError when ``eval.*`` asks for metrics this data cannot give (before anything is written)."""
    if not cfg.eval.every:
        return
    if RECIPES.get(cfg.recipe.name).task(cfg).name == "translation":
        if cfg.eval.best_metric not in ("none", "domain_fd") or (
            cfg.eval.best_metric == "domain_fd" and translation_dataset(cfg) is None
        ):
            raise ConfigError(f"translation runs keep a best checkpoint by eval.best_metric=domain_fd (MNIST-like "
                              f"pairs) or none, not {cfg.eval.best_metric!r}")  # fmt: skip
        return
    if _applies("modes2d", run_subject(cfg, array)):
        if cfg.eval.best_metric not in ("reverse_kl", "none"):
            raise ConfigError(f"2D point runs measure modes: use eval.best_metric=reverse_kl or none, not "
                              f"{cfg.eval.best_metric!r}")  # fmt: skip
        return
    if cfg.eval.best_metric == "reverse_kl":
        raise ConfigError("eval.best_metric=reverse_kl is for 2D point datasets; use domain_fd or fid")
    if is_stacked_mnist(cfg, array):
        if cfg.eval.best_metric not in ("mode_kl", "none") or cfg.eval.inception_samples:
            raise ConfigError(f"Stacked MNIST runs measure its 1,000 modes: use eval.best_metric=mode_kl or none and "
                              f"eval.inception_samples=0 (got {cfg.eval.best_metric!r}, "
                              f"{cfg.eval.inception_samples})")  # fmt: skip
        return
    if cfg.eval.best_metric == "mode_kl":
        raise ConfigError("eval.best_metric=mode_kl is for Stacked MNIST at 28x28; use domain_fd or fid")
    conditional = cfg.model.conditional and domain_dataset(cfg, array) is not None
    if cfg.eval.best_metric == "class_fd_mean" and not conditional:
        raise ConfigError("eval.best_metric=class_fd_mean is for class-conditional MNIST / Fashion-MNIST runs; "
                          "use domain_fd or fid")  # fmt: skip
    if conditional and cfg.eval.samples < 2 * array.num_classes:
        raise ConfigError(f"eval.samples={cfg.eval.samples} is too few for the per-class FD of "
                          f"{array.num_classes} classes: use at least {2 * array.num_classes}")  # fmt: skip
    if domain_dataset(cfg, array) is None and not cfg.eval.inception_samples:
        raise ConfigError(
            f"eval.every={cfg.eval.every} needs MNIST / Fashion-MNIST at 28x28 (domain metrics) or "
            "eval.inception_samples > 0 (Inception FID) for this data; set one, or eval.every=0"
        )


def translation_dataset(cfg: RunConfig) -> str | None:
    """The dataset whose domain classifier judges a translation run's outputs (the edge tasks'), if any."""
    from ganforge.data.paired import EDGES_SOURCES

    return EDGES_SOURCES.get(cfg.data.name)


def in_training_eval(
    cfg: RunConfig,
    array: ImageArray | PointArray,
    state: TrainingState,
    generator: nn.Module,
    *,
    family: str,
    run_dir: Path,
    metrics: MetricsLog,
) -> Callable[[int], None] | None:
    """The ``on_eval(step)`` callback of a run, or ``None`` when ``eval.every == 0``."""
    if not cfg.eval.every:
        return None
    from ganforge.metrics.monitor import (
        GeneratorMonitor,
        PointMonitor,
        StackedMonitor,
        TranslationMonitor,
        collapse_alarm,
    )

    seed = cfg.train.seed + 2_000_003
    monitor: GeneratorMonitor | PointMonitor | StackedMonitor | TranslationMonitor
    dataset = domain_dataset(cfg, array)
    if RECIPES.get(cfg.recipe.name).task(cfg).name == "translation" and isinstance(array, ImageArray):
        # The test split's pairs where the data has one (the edge tasks), else the first training pairs.
        held_out = "test" in DATASETS.get(cfg.data.name).splits and cfg.data.split != "test"
        ref = load_dataset(cfg.data.name, "test", direction=cfg.data.direction) if held_out else array
        n = min(cfg.eval.samples, len(ref.images))
        labels = ref.labels[:n] if ref.labels is not None else None
        monitor = TranslationMonitor(ref.images[:n], labels=labels, dataset=translation_dataset(cfg))
    elif isinstance(array, PointArray):  # the 2D mode metrics (the only ones that apply to points)
        monitor = PointMonitor(array.modes, array.std, samples=cfg.eval.samples, seed=seed)
    elif is_stacked_mnist(cfg, array):
        monitor = StackedMonitor(samples=cfg.eval.samples, seed=seed)
    else:
        monitor = GeneratorMonitor(
            load_dataset(cfg.data.name, "test") if dataset is not None else array,
            dataset=dataset,
            samples=cfg.eval.samples,
            inception_samples=cfg.eval.inception_samples,
            seed=seed,
            conditional=array.num_classes > 0 and cfg.model.conditional,
        )
    best_dir = RunDir(run_dir).best
    best = {"value": float("inf")}
    if (best_dir.checkpoints / LATEST).is_file():  # resumed: beat the best so far, not +inf
        best["value"] = float(load_latest(best_dir.checkpoints)[1].get("best_value", float("inf")))

    def on_eval(step: int) -> None:
        values = monitor(generator)
        alarm = collapse_alarm(values, array.num_classes, cfg.eval.collapse_kl)
        if "classes_covered" in values or "modes_captured" in values or "modes_covered" in values:
            values["collapse_alarm"] = float(alarm is not None)
        if alarm:
            log.warning("step %d: %s", step, alarm)
        metrics.on_eval(step, values)
        key = cfg.eval.best_metric
        if key != "none" and key in values and values[key] < best["value"]:
            best["value"] = values[key]
            tensors, meta = state.capture()
            meta.update({"best_metric": key, "best_value": values[key]})
            save_checkpoint(best_dir.checkpoints, step, tensors, meta, keep=1)
            extra = {"run": str(run_dir.resolve()), "step": step, key: values[key], "dataset": array.name,
                     "ema": cfg.train.ema_decay > 0}  # as the run's generator/ records it  # fmt: skip
            if isinstance(array, ImageArray) and array.class_names:
                extra["class_names"] = list(array.class_names)
            save_pretrained(generator, best_dir.generator, family=family, role="generator", extra=extra, overwrite=True)

    return on_eval
