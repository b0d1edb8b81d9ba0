"""loss_curves.png: the evaluation panel appears for every in-training metric, not only the image distances."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.training.callbacks import plot_curves


@pytest.mark.parametrize("key", ["eval_domain_fd", "eval_fid", "eval_mode_kl", "eval_reverse_kl"])
def test_every_eval_metric_gets_the_third_panel(key: str, tmp_path: Path) -> None:
    losses = [{"step": s, "loss_D": 1.0, "loss_G": 2.0, "acc_real": 0.6, "acc_fake": 0.4} for s in range(0, 40, 10)]
    evals = [{"step": 10, key: 0.8}, {"step": 30, key: float("inf") if key == "eval_reverse_kl" else 0.4}]
    two = np.asarray(Image.open(plot_curves(losses, tmp_path / "two.png")))
    three = np.asarray(Image.open(plot_curves(losses + evals, tmp_path / "three.png")))
    assert two.shape[0] == 600 and three.shape[0] == 850  # 6 in and 8.5 in at 100 dpi: the panel is there
