"""The training loop: cadence, checkpoints, signals and recovery from non-finite losses.

Step numbers count *completed* steps: after the loop runs step index ``s`` (0-based) the run is at
step ``s + 1``, and files named ``step_0001000`` hold the state after 1,000 steps.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.rundir import RunDir
from ganforge.training import checkpoint as ckpt
from ganforge.training.callbacks import MetricsLog
from ganforge.training.trainer import NonFiniteLossError, Trainer

log = logging.getLogger(__name__)


class TrainingInterrupted(Exception):
    """The run stopped early on a signal after writing a checkpoint it can resume from."""

    def __init__(self, step: int, run_dir: Path, reason: str) -> None:
        self.step = step
        self.run_dir = run_dir
        self.reason = reason
        super().__init__(f"{reason}: stopped at step {step}; continue with: ganforge train --resume {run_dir}")


class TrainingDiverged(GanforgeError):
    """Losses became non-finite and the configured recovery could not fix it."""


@dataclass(frozen=True)
class Cadence:
    """How often the loop logs, samples and checkpoints, and how it reacts to trouble.

    Attributes mirror :class:`ganforge.config.TrainConfig`.
    """

    log_every: int
    sample_every: int
    checkpoint_every: int
    keep_checkpoints: int
    on_nonfinite: str
    max_rollbacks: int
    rollback_lr_factor: float
    max_minutes: float
    eval_every: int = 0


class TrainingState:
    """Flattens everything a bitwise-exact resume needs into tensors + JSON, and restores it.

    Args:
        trainer: Holds the modules (``G``, ``D``), optimisers and EMA.
        noise: The training-noise generator (latents, penalty interpolation).
    """

    def __init__(self, trainer: Trainer, noise: torch.Generator) -> None:
        self.trainer = trainer
        self.noise = noise
        self.rollbacks = 0

    def capture(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        tensors: dict[str, Tensor] = {}
        meta: dict[str, Any] = {"optimizers": {}, "rollbacks": self.rollbacks}
        for name, module in self.trainer.modules.items():
            tensors.update(ckpt.module_tensors(f"model.{name}", module))
        if self.trainer.ema is not None:
            tensors.update(ckpt.module_tensors("model.G_ema", self.trainer.ema.shadow))
        for name, opt in self.trainer.optimizers().items():
            flat, opt_meta = ckpt.optimizer_to_flat(name, opt)
            tensors.update(flat)
            meta["optimizers"][name] = opt_meta
        tensors.update(ckpt.rng_state_tensors(self.noise))
        return tensors, meta

    def restore(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        for name, module in self.trainer.modules.items():
            ckpt.load_module(f"model.{name}", module, tensors)
        if self.trainer.ema is not None:
            ckpt.load_module("model.G_ema", self.trainer.ema.shadow, tensors)
        for name, opt in self.trainer.optimizers().items():
            ckpt.optimizer_from_flat(name, opt, tensors, meta["optimizers"][name])
        ckpt.restore_rng(tensors, self.noise)
        self.rollbacks = int(meta.get("rollbacks", 0))


@contextmanager
def _stop_on_signals() -> Iterator[list[str]]:
    """SIGINT / SIGTERM set a flag; the loop checkpoints and stops at the end of the current step."""
    flag: list[str] = []
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        if flag:  # second signal: the user insists, stop right away
            raise KeyboardInterrupt
        flag.append(signal.Signals(signum).name)
        log.warning("%s received: finishing this step, saving a checkpoint, then stopping", flag[0])

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread: signals stay with the caller
            previous[sig] = signal.signal(sig, handler)
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def fit(
    trainer: Trainer,
    state: TrainingState,
    *,
    run_dir: Path,
    start: int,
    end: int,
    cadence: Cadence,
    metrics: MetricsLog,
    on_sample: Callable[[int], None],
    on_checkpoint: Callable[[int], None],
    on_eval: Callable[[int], None] | None = None,
) -> int:
    """Trains from step ``start`` to ``end`` and returns the final step.

    Raises:
        TrainingInterrupted: after SIGINT/SIGTERM, with a checkpoint written. (Reaching the time budget
            ``cadence.max_minutes`` is a normal end: the final step is returned, everything is written.)
        TrainingDiverged: when losses stay non-finite (or ``on_nonfinite == "stop"``).
    """
    ckpt_dir = RunDir(run_dir).checkpoints

    def save(step: int) -> None:
        tensors, meta = state.capture()
        ckpt.save_checkpoint(ckpt_dir, step, tensors, meta, keep=cadence.keep_checkpoints)
        on_checkpoint(step)

    if not (ckpt_dir / ckpt.LATEST).exists():
        save(start)  # a known-good state to roll back to
    deadline = time.monotonic() + cadence.max_minutes * 60 if cadence.max_minutes else None
    step = start
    trainer.mark_finite(start)
    trainer.reset_clock()
    with _stop_on_signals() as stop_signal:
        while step < end:
            trainer.step(step)
            step += 1
            over_time = deadline is not None and time.monotonic() > deadline
            stopping = bool(stop_signal) or over_time
            due_log = step % cadence.log_every == 0 or step == end or stopping  # a stop logs its last interval
            due_ckpt = step % cadence.checkpoint_every == 0 or step == end or stopping
            due_sample = (cadence.sample_every > 0 and step % cadence.sample_every == 0) or step == end or stopping
            due_eval = cadence.eval_every > 0 and (step % cadence.eval_every == 0 or step == end or over_time)
            if not (due_log or due_ckpt or due_sample or due_eval):
                continue
            try:
                trainer.check_finite(step)
            except NonFiniteLossError as exc:
                step = _recover(trainer, state, ckpt_dir, cadence, exc)
                trainer.mark_finite(step)  # the next divergence's range starts at the restored step
                continue
            if due_log:
                metrics.on_log(step, trainer.pop_stats())
            if due_sample:
                on_sample(step)
            if due_eval and on_eval is not None:
                on_eval(step)  # before the checkpoint: a best copy holds exactly this step's state
            if due_ckpt:
                save(step)
            trainer.reset_clock()
            if stop_signal:
                raise TrainingInterrupted(step, run_dir, f"{stop_signal[0]} received")
            if over_time:  # a budget is a normal end: everything is written and the run can be extended
                log.info(
                    "time budget of %g min reached at step %d of %d; `ganforge train --resume %s` continues",
                    cadence.max_minutes,
                    step,
                    end,
                    run_dir,
                )
                return step
    return step


def _recover(trainer: Trainer, state: TrainingState, ckpt_dir: Path, cadence: Cadence, exc: NonFiniteLossError) -> int:
    """Rolls back to the latest checkpoint with lower learning rates, or raises TrainingDiverged."""
    trainer.pop_stats()  # discard statistics of the diverged steps
    if cadence.on_nonfinite == "stop":
        raise TrainingDiverged(f"{exc}; stopping (train.on_nonfinite=stop). Lower optim.lr_g/lr_d or use another loss.")
    if state.rollbacks >= cadence.max_rollbacks:
        raise TrainingDiverged(
            f"{exc} after {state.rollbacks} rollback(s) (train.max_rollbacks={cadence.max_rollbacks}); "
            "lower optim.lr_g / optim.lr_d, add recipe.r1_gamma, or try recipe.loss=hinge with model.spectral_norm=true"
        )
    tensors, meta, path = ckpt.load_latest(ckpt_dir)
    rollbacks = state.rollbacks + 1
    state.restore(tensors, meta)
    state.rollbacks = rollbacks
    trainer.scale_learning_rates(cadence.rollback_lr_factor)
    log.warning(
        "%s: rolled back to %s and multiplied the learning rates by %g (rollback %d of at most %d)",
        exc,
        path.name,
        cadence.rollback_lr_factor,
        rollbacks,
        cadence.max_rollbacks,
    )
    return int(meta["step"])
