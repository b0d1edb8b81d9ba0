"""The run directory's layout: the one place that names its files.

::

    RUN/
      config.json        the resolved RunConfig (what --resume trains with)
      run.json           what the run found: dataset, image count and shape, device, recipe, task, versions
      metrics.jsonl      one JSON record per log step (and per evaluation)
      tensorboard/       the same numbers as TensorBoard curves, and the sample grids
      samples/           step_XXXXXXX.png sample grids (fixed latents)
      loss_curves.png    losses, D accuracy and evaluation distances against the step
      checkpoints/       crash-safe training checkpoints (layout: ganforge.training.checkpoint)
      generator/         the exported sampler (EMA copy when on): config.json + model.safetensors
      best/              checkpoints/ and generator/ of the best evaluation so far (eval.best_metric)
      .lock              held while a process trains the run

Every module reaches these paths through :class:`RunDir`; none spells a name itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunDir:
    """Paths inside one run directory (nothing is created or read by constructing it).

    Args:
        path: The run directory.
    """

    path: Path

    CONFIG = "config.json"
    INFO = "run.json"
    METRICS = "metrics.jsonl"
    TENSORBOARD = "tensorboard"
    SAMPLES = "samples"
    CURVES = "loss_curves.png"
    CHECKPOINTS = "checkpoints"
    GENERATOR = "generator"
    BEST = "best"
    LOCK = ".lock"

    def __init__(self, path: str | Path) -> None:
        object.__setattr__(self, "path", Path(path))

    @property
    def config(self) -> Path:
        return self.path / self.CONFIG

    @property
    def info(self) -> Path:
        return self.path / self.INFO

    @property
    def metrics(self) -> Path:
        return self.path / self.METRICS

    @property
    def tensorboard(self) -> Path:
        return self.path / self.TENSORBOARD

    @property
    def samples(self) -> Path:
        return self.path / self.SAMPLES

    def sample_grid(self, step: int) -> Path:
        """The sample grid written at ``step``."""
        return self.samples / f"step_{step:07d}.png"

    def sample_grids(self) -> list[Path]:
        """The sample grids written so far, oldest first."""
        return sorted(self.samples.glob("step_*.png"))

    @property
    def curves(self) -> Path:
        return self.path / self.CURVES

    @property
    def checkpoints(self) -> Path:
        return self.path / self.CHECKPOINTS

    @property
    def generator(self) -> Path:
        return self.path / self.GENERATOR

    @property
    def best(self) -> RunDir:
        """``best/``: laid out as a run directory holding only ``checkpoints/`` and ``generator/``."""
        return RunDir(self.path / self.BEST)

    @property
    def lock(self) -> Path:
        return self.path / self.LOCK

    def is_run(self) -> bool:
        """Whether ``path`` holds a run (its ``config.json``)."""
        return self.config.is_file()
