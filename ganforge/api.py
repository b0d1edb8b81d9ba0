"""The Python entry points: ``train``, ``resume``; assembles data, models, recipe and trainer for a run.

Everything that can be wrong with a request (config, data, model/resolution mismatch, run
directory) is checked before the run directory is created, so a failed start writes nothing.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.config import (
    RunConfig,
    check_resume_overrides,
    load_config_file,
    load_preset,
    parse_overrides,
    resolve_auto,
)
from ganforge.data import DATASETS, ImageArray, PointArray, load_dataset, load_points
from ganforge.errors import CheckpointMismatch, ConfigError, GanforgeError, WriteError
from ganforge.evaluation import check_eval_config, in_training_eval
from ganforge.fileio import atomic_write_text, check_creatable
from ganforge.hardware import available_cpus, native_bf16, prepare_vector_math, resolve_device
from ganforge.models import MODELS, module_config
from ganforge.models.io import CONFIG_NAME, WEIGHTS_NAME, save_pretrained
from ganforge.recipes import RECIPES, Built
from ganforge.rundir import RunDir
from ganforge.seeds import check_seed
from ganforge.tasks import Task
from ganforge.training.callbacks import MetricsLog, SampleGrid, TranslationGrid, plot_curves
from ganforge.training.checkpoint import LATEST, has_checkpoint, load_latest
from ganforge.training.ema import EMA
from ganforge.training.loop import Cadence, TrainingState, fit
from ganforge.training.runlock import run_lock
from ganforge.training.trainer import Trainer

log = logging.getLogger(__name__)

DEFAULT_RUNS_DIR = Path("runs")


def resolve_precision(name: str, device: torch.device) -> str:
    """``auto`` -> ``bf16`` where it is fast (CUDA with bf16, CPU with AMX / AVX512-BF16), else ``fp32``.

    An explicit ``bf16`` where the device has no bf16 units is kept, with a warning: it is emulated there, many
    times slower than fp32 (on a 2-core AVX2-only Zen 1: a DCGAN step 10-17x slower, Inception 4-8x; matmuls 400x).
    """
    if name == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if name == "bf16" and not native_bf16(device):
        log.warning(
            "train.precision=bf16 on a %s without bf16 units: bf16 is emulated here, many times slower than fp32; "
            "use train.precision=auto (fp32 on this device)",
            "GPU" if device.type == "cuda" else "CPU",
        )
    return name


def resolve_config(cfg: RunConfig) -> RunConfig:
    """``cfg`` as a run on this machine trains it: the device-dependent ``auto`` settings fixed for the device that
    ``train.device`` names here (``optim.batch_size: auto`` -> 16 on a CPU, 32 on a GPU) and ``data.path`` made
    absolute (a run resumes from any folder). What ``config.json`` records and ``--dry-run`` prints.

    Raises:
        ConfigError: For an unknown dataset, model or loss name (with "did you mean"), or a bad device.
    """
    check_seed(cfg.train.seed, "train.seed")
    DATASETS.get(cfg.data.name)  # the names a run would look up first, so that --dry-run checks them too
    MODELS.get(cfg.model.name)
    cfg.recipe.check_names()
    if cfg.data.path is not None:
        absolute = str(Path(cfg.data.path).expanduser().absolute())
        cfg = cfg.replace({"data.path": absolute}) if absolute != cfg.data.path else cfg
    return resolve_auto(cfg, resolve_device(cfg.train.device).type)


def configure_threads(threads: int) -> int:
    """Uses ``threads`` CPU threads, or every CPU this process may use when 0 (affinity and container quota)."""
    n = threads or available_cpus()
    prepare_vector_math()  # before any op runs on two threads: bitwise-reproducible processes
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


@dataclass
class _Run:
    """The assembled pieces of one run."""

    config: RunConfig
    array: ImageArray | PointArray
    device: torch.device
    built: Built
    task: Task
    trainer: Trainer
    state: TrainingState
    ema: EMA | None

    @property
    def sampler(self) -> nn.Module:
        """The module samples and the exported generator come from: its EMA copy when there is one."""
        return self.ema.shadow if self.ema is not None else self.built.modules[self.built.sampler]


def _load_data(cfg: RunConfig) -> ImageArray | PointArray:
    d = cfg.data
    if DATASETS.get(d.name).kind == "points":
        points = load_points(d.name, d.split)
        if d.limit:
            points = dataclasses.replace(points, points=points.points[: d.limit], labels=points.labels[: d.limit])
        if len(points) < cfg.optim.batch:
            raise GanforgeError(f"{points.name} has {len(points)} points, fewer than optim.batch_size")
        return points
    array = load_dataset(
        d.name,
        d.split,
        path=d.path,
        resolution=d.resolution,
        channels=d.channels,
        skip_bad=d.skip_bad,
        download=d.download,
        classes=d.classes,
        direction=d.direction,
    )
    if d.limit:
        labels = array.labels[: d.limit] if array.labels is not None else None
        array = dataclasses.replace(array, images=array.images[: d.limit], labels=labels)
    if len(array.images) < cfg.optim.batch:
        raise GanforgeError(
            f"dataset {array.name} has {len(array.images)} images, fewer than optim.batch_size="
            f"{cfg.optim.batch}; add images or lower the batch size"
        )
    if cfg.model.conditional and (array.labels is None or array.num_classes < 2):
        raise ConfigError(f"model.conditional=true needs class labels, but {array.name} has none")
    return array


def _lr_schedule(cfg: RunConfig) -> Callable[[int], float] | None:
    if cfg.optim.lr_decay == "none":
        return None
    if cfg.optim.lr_decay == "step":
        milestones, gamma = cfg.optim.lr_milestones, cfg.optim.lr_gamma
        return lambda step: gamma ** bisect.bisect_right(milestones, step)  # × gamma from each milestone on
    total = cfg.train.steps
    return lambda step: max(0.0, 1.0 - step / total)  # linear to 0 at train.steps


def _assemble(cfg: RunConfig, array: ImageArray | PointArray) -> _Run:
    device = resolve_device(cfg.train.device)
    configure_threads(cfg.train.threads)
    recipe = RECIPES.get(cfg.recipe.name)
    built = recipe.build(cfg, array, device)  # first: its errors (model vs data) say more than the eval config's
    check_eval_config(cfg, array)
    sampler = built.modules[built.sampler]
    ema = EMA(sampler, cfg.train.ema_decay, cfg.train.ema_start) if cfg.train.ema_decay > 0 else None
    trainer = Trainer(
        built.phases,
        built.modules,
        device=device,
        precision=resolve_precision(cfg.train.precision, device),
        ema=ema,
        images_per_step=built.images_per_step,
        lr_schedule=_lr_schedule(cfg),
    )
    return _Run(cfg, array, device, built, recipe.task(cfg), trainer, TrainingState(trainer, built.noise), ema)


def _new_run_dir(cfg: RunConfig, run_dir: str | Path | None) -> Path:
    if run_dir is not None:
        path = Path(run_dir)
        check_creatable(path, "--run-dir", folder=True)
        if path.is_dir() and any(p != RunDir(path).lock for p in path.iterdir()):  # the lock of a failed start: empty
            raise GanforgeError(
                f"run directory {path} already exists and is not empty; runs are never overwritten: "
                f"choose another --run-dir, or continue it with --resume {path}"
            )
        return path
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = DEFAULT_RUNS_DIR / f"{cfg.preset}-{stamp}"
    path, i = base, 1
    while path.exists():
        path, i = Path(f"{base}-{i}"), i + 1
    return path


def _class_names(array: ImageArray | PointArray) -> dict[str, list[str]]:
    """``{"class_names": [...]}`` for data whose classes have names (a folder's class subfolders), else ``{}``."""
    names = getattr(array, "class_names", None)
    return {"class_names": list(names)} if names else {}


def _run_info(run: _Run) -> dict[str, Any]:
    return {
        "dataset": run.array.name,
        "num_images": len(run.array),
        "image_shape": _shape(run.array),
        "num_classes": run.array.num_classes,
        **_class_names(run.array),
        "device": str(run.device),
        "precision": run.trainer.precision,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "recipe": run.config.recipe.name,
        "task": run.task.name,
        "parameters": {name: sum(p.numel() for p in m.parameters()) for name, m in run.built.modules.items()},
    }


def _execute(run: _Run, run_dir: Path, start: int, end: int, *, progress: bool | None) -> Path:
    cfg = run.config
    sampler_G = run.sampler
    metrics = MetricsLog(run_dir, start_step=start, total_steps=end, progress=progress)
    grids: SampleGrid | TranslationGrid
    if run.task.name == "translation" and isinstance(run.array, ImageArray):  # input | output | target
        grids = TranslationGrid(run_dir, pairs=run.array.images[: cfg.train.sample_grid])
    else:
        grids = SampleGrid(
            run_dir,
            n=cfg.train.sample_grid,
            z_dim=cfg.model.z_dim,
            num_classes=int(module_config(sampler_G).get("num_classes", 0)),
            seed=cfg.train.seed,
            modes=run.array.modes if isinstance(run.array, PointArray) else None,
        )

    def on_sample(step: int) -> None:
        _, grid = grids(step, sampler_G)
        metrics.on_image(step, "samples", grid)
        plot_curves(metrics.records, RunDir(run_dir).curves)

    def on_checkpoint(step: int) -> None:
        extra = {"run": str(run_dir.resolve()), "step": step, "ema": run.ema is not None, "dataset": run.array.name,
                 **_class_names(run.array)}  # fmt: skip
        save_pretrained(
            sampler_G, RunDir(run_dir).generator, family=run.built.family, role="generator", extra=extra, overwrite=True
        )

    t = cfg.train
    cadence = Cadence(
        t.log_every,
        t.sample_every,
        t.checkpoint_every,
        t.keep_checkpoints,
        t.on_nonfinite,
        t.max_rollbacks,
        t.rollback_lr_factor,
        t.max_minutes,
        cfg.eval.every,
    )
    started = time.perf_counter()
    finished = False
    try:
        final = fit(
            run.trainer,
            run.state,
            run_dir=run_dir,
            start=start,
            end=end,
            cadence=cadence,
            metrics=metrics,
            on_sample=on_sample,
            on_checkpoint=on_checkpoint,
            on_eval=in_training_eval(
                cfg, run.array, run.state, sampler_G, family=run.built.family, run_dir=run_dir, metrics=metrics
            ),
        )
        finished = True
    except WriteError as exc:
        raise WriteError(f"{exc}. {_resumable(run_dir)}") from exc
    finally:
        try:
            metrics.close()
            plot_curves(metrics.records, RunDir(run_dir).curves)
        except WriteError as exc:
            if finished:
                raise WriteError(f"{exc}. {_resumable(run_dir)}") from exc
            log.warning("%s", exc)  # the run is failing already: say why it failed, not this
    log.info("trained steps %d..%d in %.1f s; run directory: %s", start, final, time.perf_counter() - started, run_dir)
    return run_dir


def _resumable(run_dir: Path) -> str:
    """Where a run whose write failed stands, and how to continue it (for the error message)."""
    try:
        name = (RunDir(run_dir).checkpoints / LATEST).read_text().strip()
    except OSError:
        name = ""
    if not name:
        return f"No checkpoint was written yet; once there is room, `ganforge train --resume {run_dir}` starts it"
    return (
        f"The run is intact at its last checkpoint ({name}); once there is room, continue it with: "
        f"ganforge train --resume {run_dir}"
    )


def train(
    config: RunConfig | str,
    *,
    run_dir: str | Path | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
    progress: bool | None = None,
) -> Path:
    """Trains a GAN and returns its run directory.

    Args:
        config: A :class:`RunConfig` or a preset name (``"mnist-dcgan"``).
        run_dir: Where to write the run; must not exist or be empty. ``None`` = a new ``runs/PRESET-TIME``.
        overrides: Dotted overrides applied on top (``["train.steps=200"]`` or ``{"train.steps": 200}``).
        progress: Show a progress bar (``None`` = when stderr is a terminal).
    """
    cfg = load_preset(config) if isinstance(config, str) else config
    if overrides:
        cfg = cfg.replace(overrides)
    cfg = resolve_config(cfg)
    path = _new_run_dir(cfg, run_dir)
    array = _load_data(cfg)
    run = _assemble(cfg, array)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create the run directory {path}: {exc.strerror}; choose another --run-dir"
        raise GanforgeError(msg) from None
    with run_lock(path):
        atomic_write_text(RunDir(path).config, cfg.to_json() + "\n")
        atomic_write_text(RunDir(path).info, json.dumps(_run_info(run), indent=2) + "\n")
        log.info("run directory: %s", path)
        return _execute(run, path, 0, cfg.train.steps, progress=progress)


def resume_config(
    run_dir: str | Path, *, steps: int | None = None, overrides: list[str] | dict[str, Any] | None = None
) -> RunConfig:
    """The config a resume of ``run_dir`` trains with: the run's own, with ``steps`` and the budget / cadence
    ``overrides`` of ``config.RESUME_OVERRIDES`` (anything else raises :class:`ConfigError`)."""
    path = Path(run_dir)
    if not (RunDir(path).config).is_file():
        raise GanforgeError(f"{path} is not a ganforge run directory (no config.json); nothing to resume")
    _refuse_exported_model(path)
    overrides = parse_overrides(overrides) if isinstance(overrides, list) else overrides or {}
    check_resume_overrides(overrides)
    changes = {**overrides, **({"train.steps": steps} if steps is not None else {})}
    cfg = load_config_file(RunDir(path).config)
    return resolve_config(cfg.replace(changes) if changes else cfg)  # runs record numbers; a hand-written `auto` too


def _refuse_exported_model(path: Path) -> None:
    """Raises where ``path`` is a model saved by ``save_pretrained`` (a run's ``generator/``, or a copy of one):
    its ``config.json`` describes the network, and it holds no optimiser or training state to continue."""
    if not (path / WEIGHTS_NAME).is_file():
        return
    try:
        payload = json.loads((path / CONFIG_NAME).read_text())
    except (OSError, ValueError):
        return  # not readable as a model's config either: resume_config reports the config.json
    if not isinstance(payload, dict) or "family" not in payload or "role" not in payload:
        return
    extra = payload.get("extra")
    recorded = extra.get("run") if isinstance(extra, dict) else None
    origin = next((Path(d) for d in (path.parent, recorded) if d and RunDir(d).checkpoints.is_dir()), None)
    if origin is not None:
        fix = f"resume the run directory {origin} instead: ganforge train --resume {origin}"
    else:
        fix = "resume the run directory it was exported from (its checkpoints/ hold the training state)"
        fix += f"; it recorded {recorded}, which is gone" if recorded else ""
    raise GanforgeError(f"{path} is an exported {payload['role']} ({CONFIG_NAME} + {WEIGHTS_NAME}), which holds no "
                        f"training state; {fix}")  # fmt: skip


def _check_same_data(run_dir: Path, array: ImageArray | PointArray, *, moved: bool) -> None:
    """Raises unless ``array`` is the data the run in ``run_dir`` trained on, by the name, count and shape its
    ``run.json`` records (for a ``data.path`` override, ``moved``: the count and shape; ``run.json`` then records
    the new name)."""
    info_path = RunDir(run_dir).info
    if not info_path.is_file():
        return
    info = json.loads(info_path.read_text())
    now = {"dataset": array.name, "num_images": len(array), "image_shape": _shape(array)}
    checked = ("num_images", "image_shape") if moved else ("dataset", "num_images", "image_shape")
    if all(info.get(key, now[key]) == now[key] for key in checked):  # (keys an older run.json lacks pass)
        if info.get("dataset", now["dataset"]) != now["dataset"]:  # moved: run.json says where they are now
            atomic_write_text(info_path, json.dumps({**info, "dataset": now["dataset"]}, indent=2) + "\n")
        return
    before = f"{info.get('dataset')} ({info.get('num_images')} images of shape {info.get('image_shape')})"
    after = f"{now['dataset']} ({now['num_images']} images of shape {now['image_shape']})"
    hint = "" if moved else "; if the run's images moved, pass data.path=THEIR-FOLDER"
    raise GanforgeError(f"{run_dir} trained on {before}, but its config now loads {after}{hint}")


def _shape(array: ImageArray | PointArray) -> list[int]:
    return [array.dim] if isinstance(array, PointArray) else list(array.images.shape[1:])


def resume(
    run_dir: str | Path,
    *,
    steps: int | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
    progress: bool | None = None,
) -> Path:
    """Continues a run from its latest checkpoint up to ``steps`` total steps (default: the configured total).

    A run stopped before its first checkpoint (``config.json`` written, no ``checkpoints/``) starts from step 0
    with its recorded config: the result is what an uninterrupted run would have given.

    ``overrides`` may change only the cadence and budget keys of ``config.RESUME_OVERRIDES`` (e.g.
    ``{"train.max_minutes": 30}``) and ``data.path`` (the run's images moved: their count and shape must match).
    The result is bitwise identical (on CPU) to an uninterrupted run with the same config.
    """
    path = Path(run_dir)
    overrides = parse_overrides(overrides) if isinstance(overrides, list) else overrides or {}
    cfg = resume_config(path, steps=steps, overrides=overrides)
    with run_lock(path):  # before reading the checkpoint: a live trainer may be about to write the next one
        if has_checkpoint(RunDir(path).checkpoints):
            tensors, meta, ckpt_path = load_latest(RunDir(path).checkpoints)
            start = int(meta["step"])
        else:  # stopped before its first checkpoint (killed while loading data): nothing to lose, start it
            tensors, meta, ckpt_path, start = {}, {}, None, 0
        if start > cfg.train.steps:
            raise GanforgeError(f"{path} is already at step {start}, beyond --steps {cfg.train.steps}")
        array = _load_data(cfg)
        _check_same_data(path, array, moved="data.path" in overrides)
        run = _assemble(cfg, array)
        if ckpt_path is not None:
            try:
                run.state.restore(tensors, meta)
            except CheckpointMismatch as exc:
                raise GanforgeError(
                    f"{RunDir(path).config} describes another network than the one its checkpoint "
                    f"{ckpt_path.name} holds ({exc}); the config was edited after training: undo the edit of its "
                    "model / recipe sections (a resume may change only the budget and cadence keys, as overrides: "
                    "see `ganforge train --help`), or start a new run with the new settings"
                ) from None
        atomic_write_text(RunDir(path).config, cfg.to_json() + "\n")
        if ckpt_path is None:
            end = cfg.train.steps
            log.info("%s has no checkpoint yet: starting it from step 0 with its config, to step %d", path, end)
        else:
            log.info("resuming %s from %s (step %d) to step %d", path, ckpt_path.name, start, cfg.train.steps)
        return _execute(run, path, start, cfg.train.steps, progress=progress)
