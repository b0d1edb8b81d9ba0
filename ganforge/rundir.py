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

from pathlib import Path
from typing import Any


class _Entry:
    """A file or folder of the run directory: ``RunDir(p).config == p / "config.json"``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, run: RunDir | None, owner: Any = None) -> Path:
        if run is None:
            raise AttributeError(f"RunDir.{self.name} is a path of an instance; the file name is {self.name!r}")
        return run.path / self.name


class RunDir:
    """Paths inside one run directory (nothing is created or read by constructing it).

    Args:
        path: The run directory.
    """

    config = _Entry("config.json")
    info = _Entry("run.json")
    metrics = _Entry("metrics.jsonl")
    tensorboard = _Entry("tensorboard")
    samples = _Entry("samples")
    curves = _Entry("loss_curves.png")
    checkpoints = _Entry("checkpoints")
    generator = _Entry("generator")
    lock = _Entry(".lock")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunDir) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def sample_grid(self, step: int) -> Path:
        """The sample grid written at ``step``."""
        return self.samples / f"step_{step:07d}.png"

    def sample_grids(self) -> list[Path]:
        """The sample grids written so far, oldest first."""
        return sorted(self.samples.glob("step_*.png"))

    @property
    def best(self) -> RunDir:
        """``best/``: laid out as a run directory holding only ``checkpoints/`` and ``generator/``."""
        return RunDir(self.path / "best")

    def is_run(self) -> bool:
        """Whether ``path`` holds a run (its ``config.json``)."""
        return self.config.is_file()
