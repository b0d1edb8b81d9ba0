"""A small trainer that knows no particular GAN.

A recipe hands it a list of :class:`Phase` objects ("D", "G", "D_r1", ...). Each training step runs
the phases in order: a phase whose ``interval`` divides the step runs ``repeats`` times; while it
runs, only its own module's parameters require gradients (so a G step builds no D weight grads), and
those of the module it ``records`` for a later phase.
The trainer owns devices, autocast, the EMA update and statistics; it never does I/O.

Statistics stay on the device as running sums and are read back once per log interval, so the
hot loop never synchronises with ``.item()``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ganforge.recipes.base import Phase
from ganforge.training.ema import EMA


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; carries the interval of steps in which it happened."""

    def __init__(self, first_step: int, last_step: int, phases: list[str]) -> None:
        self.first_step = first_step
        self.last_step = last_step
        self.phases = phases
        super().__init__(f"non-finite loss in phase(s) {', '.join(phases)} between steps {first_step} and {last_step}")


@dataclass
class _Accumulator:
    sums: dict[str, Tensor] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, stats: dict[str, Tensor]) -> None:
        for key, value in stats.items():
            value = value.detach().float()
            if key in self.sums:
                self.sums[key] += value
                self.counts[key] += 1
            else:
                self.sums[key] = value.clone()
                self.counts[key] = 1

    def pop(self) -> dict[str, float]:
        if not self.sums:
            return {}
        keys = list(self.sums)
        values = torch.stack([self.sums[k] for k in keys]).cpu().tolist()  # one device sync
        out = {k: v / self.counts[k] for k, v in zip(keys, values, strict=True)}
        self.sums.clear()
        self.counts.clear()
        return out


class Trainer:
    """Runs phases step by step.

    Args:
        phases: The recipe's phases, in execution order.
        modules: Every trained module by name (``G``, ``D``); used for ``requires_grad`` toggling
            and checkpoints.
        device: Device the modules live on.
        precision: ``fp32`` or ``bf16`` (autocast; parameters, gradients and optimiser state stay fp32).
        ema: Optional EMA of one module, updated after every step.
        images_per_step: Real images consumed per step, for the images/s figure.
        lr_schedule: ``step -> factor`` applied to every optimiser's base learning rate before each step
            (``None`` = constant rates). The base rates live in the param groups (``base_lr``), so they are
            checkpointed and a rollback's scaling persists.
    """

    def __init__(
        self,
        phases: list[Phase],
        modules: dict[str, nn.Module],
        *,
        device: torch.device,
        precision: str = "fp32",
        ema: EMA | None = None,
        images_per_step: int = 0,
        lr_schedule: Callable[[int], float] | None = None,
    ) -> None:
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
        self.phases = phases
        self.modules = modules
        self.device = device
        self.precision = precision
        self.ema = ema
        self.images_per_step = images_per_step
        self.lr_schedule = lr_schedule
        self._distinct_optimizers = list(self.optimizers().values())  # D and D_r1 share one: each once
        self._stats = _Accumulator()
        self._finite = torch.ones((), dtype=torch.bool, device=device)
        self._bad_phases: set[str] = set()
        self._finite_since = 0
        self._clock_start = time.perf_counter()
        self._clock_steps = 0

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """bf16 autocast on CPU or CUDA when ``precision == "bf16"``."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            yield

    def _train_only(self, phase: Phase) -> None:
        for module in self.modules.values():
            module.requires_grad_(module is phase.module or module is phase.records)

    def step(self, step: int) -> None:
        """Runs every due phase for training step ``step`` (0-based)."""
        if self.lr_schedule is not None:
            factor = self.lr_schedule(step)
            for opt in self._distinct_optimizers:
                for group in opt.param_groups:
                    group["lr"] = group.setdefault("base_lr", group["lr"]) * factor
        for phase in self.phases:
            if step % phase.interval:
                continue
            self._train_only(phase)
            for repeat in range(phase.repeats):
                phase.optimizer.zero_grad(set_to_none=True)
                with self.autocast():
                    loss, stats = phase.loss(step, repeat)
                loss.backward()
                phase.optimizer.step()
                if phase.after_update is not None:
                    phase.after_update()
                self._finite &= torch.isfinite(loss.detach())
                self._stats.add(stats)
        if self.ema is not None:
            self.ema.update(step)
        self._clock_steps += 1

    def check_finite(self, step: int) -> None:
        """Raises :class:`NonFiniteLossError` if any loss since the last check was not finite."""
        if not bool(self._finite):  # one sync per check, not per step
            self._finite.fill_(True)
            raise NonFiniteLossError(self._finite_since, step, [p.name for p in self.phases])
        self._finite_since = step

    def mark_finite(self, step: int) -> None:
        """Records that the state at ``step`` is known finite: the start of training, or a rollback's target.

        The next :class:`NonFiniteLossError` then names the range from ``step``, not from a step that was undone.
        """
        self._finite.fill_(True)
        self._finite_since = step

    def pop_stats(self) -> dict[str, float]:
        """Means of every statistic since the last call, plus ``images_per_s`` and ``steps_per_s``."""
        out = self._stats.pop()
        now = time.perf_counter()
        elapsed = max(now - self._clock_start, 1e-9)
        if self._clock_steps:
            out["steps_per_s"] = self._clock_steps / elapsed
            out["images_per_s"] = self._clock_steps * self.images_per_step / elapsed
        self._clock_start = now
        self._clock_steps = 0
        return out

    def reset_clock(self) -> None:
        """Restarts the throughput clock (after a pause for I/O or evaluation)."""
        self._clock_start = time.perf_counter()
        self._clock_steps = 0

    def scale_learning_rates(self, factor: float) -> None:
        """Multiplies every optimiser's learning rate by ``factor`` (used after a rollback)."""
        for opt in self._distinct_optimizers:
            for group in opt.param_groups:
                group["lr"] = group["lr"] * factor
                if "base_lr" in group:
                    group["base_lr"] = group["base_lr"] * factor

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Distinct optimisers by the name of the first phase using each."""
        out: dict[str, torch.optim.Optimizer] = {}
        for phase in self.phases:
            if all(opt is not phase.optimizer for opt in out.values()):
                out[phase.name] = phase.optimizer
        return out
