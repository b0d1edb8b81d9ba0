"""RunDir: the one place that names a run directory's files, checked against a real run."""

from __future__ import annotations

from pathlib import Path

import ganforge
from ganforge.rundir import RunDir


def test_a_real_run_has_exactly_the_files_rundir_names(tmp_path: Path) -> None:
    overrides = {"train.steps": 4, "data.limit": 64, "optim.batch_size": 16, "model.g_width": 8, "model.d_width": 8,
                 "train.sample_every": 2, "train.checkpoint_every": 2, "train.threads": 1}  # fmt: skip
    run = RunDir(ganforge.train("mnist-dcgan", run_dir=tmp_path / "run", overrides=overrides, progress=False))
    assert run.is_run() and not RunDir(tmp_path).is_run()
    named = {run.config, run.info, run.metrics, run.tensorboard, run.samples, run.curves, run.checkpoints,
             run.generator, run.best.path, run.lock}  # fmt: skip
    assert set(run.path.iterdir()) == named  # the preset evaluates while training, so best/ is there too
    assert run.sample_grids() == [run.sample_grid(2), run.sample_grid(4)]
    assert run.best.generator == run.path / "best" / "generator"
    assert set(run.best.path.iterdir()) == {run.best.checkpoints, run.best.generator}
    images, _ = ganforge.generate(ganforge.load_generator(run.generator), 2, seed=0)
    assert images.shape == (2, 28, 28, 1)
