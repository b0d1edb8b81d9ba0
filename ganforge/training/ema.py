"""Exponential moving average of a module's weights (the generator used for samples and export)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps ``shadow = decay * shadow + (1 - decay) * model`` after every step.

    Buffers (BatchNorm running statistics) are copied, not averaged.

    Args:
        model: The module being trained.
        decay: Averaging decay in [0, 1); 0.999 averages over roughly the last 1,000 steps.
        start: Step before which the shadow simply copies the model. After it the decay warms up as
            ``min(decay, (1 + n) / (10 + n))``, ``n`` steps after ``start``.
    """

    def __init__(self, model: nn.Module, decay: float, start: int = 0) -> None:
        if not 0 <= decay < 1:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.model = model
        self.decay = decay
        self.start = start
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Updates the shadow after training step ``step``."""
        params: list[torch.Tensor] = [p.detach() for p in self.model.parameters()]
        shadow: list[torch.Tensor] = list(self.shadow.parameters())
        if step < self.start:
            torch._foreach_copy_(shadow, params)
        else:
            # Warm-up (as in TF's ExponentialMovingAverage with num_updates): early on the average
            # would be dominated by the random initial weights, so the decay ramps up to its value.
            n = step - self.start
            decay = min(self.decay, (1.0 + n) / (10.0 + n))
            torch._foreach_lerp_(shadow, params, 1.0 - decay)
        for b_shadow, b_model in zip(self.shadow.buffers(), self.model.buffers(), strict=True):
            b_shadow.copy_(b_model)
