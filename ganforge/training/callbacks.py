"""What a run writes while it trains: metrics, TensorBoard, progress, sample grids, loss curves.

Each callback owns one output of the run directory. The loop calls ``on_log`` with averaged
statistics every ``log_every`` steps, ``on_sample`` on the sample cadence and ``close`` at the end.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from torch import nn

from ganforge.fileio import atomic_write_text, writing
from ganforge.rundir import RunDir
from ganforge.sampling.generate import class_labels, latents
from ganforge.sampling.images import make_grid, save_png, to_uint8
from ganforge.sampling.points import scatter_image

log = logging.getLogger(__name__)


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Reads ``metrics.jsonl``; a torn last line (process killed mid-write) is ignored."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


class MetricsLog:
    """``metrics.jsonl`` + TensorBoard + a progress bar (or log lines when stderr is not a terminal).

    On resume, records after the resumed step (written by the interrupted process after its last
    checkpoint) are dropped, so the file reads as one consistent run.
    """

    def __init__(self, run_dir: Path, *, start_step: int, total_steps: int, progress: bool | None = None) -> None:
        self.path = RunDir(run_dir).metrics
        kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= start_step]
        atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))
        self.records = kept
        with writing(self.path):
            self._fh: TextIO = self.path.open("a")
        from torch.utils.tensorboard import SummaryWriter  # heavy import, only when a run starts

        self.tb_dir = RunDir(run_dir).tensorboard
        with writing(self.tb_dir):
            self.tb = SummaryWriter(log_dir=str(self.tb_dir), purge_step=start_step + 1 if start_step else None)
        self.total = total_steps
        show = sys.stderr.isatty() if progress is None else progress
        self.bar = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(total=total_steps, initial=start_step, unit="step", dynamic_ncols=True)
        self._last_line = time.perf_counter()

    def on_log(self, step: int, stats: dict[str, float]) -> None:
        record = {"step": step, "time": round(time.time(), 3), **{k: float(v) for k, v in stats.items()}}
        self._append(record)
        with writing(self.tb_dir):
            for key, value in stats.items():
                if math.isfinite(value):
                    self.tb.add_scalar(_tb_tag(key), value, step)
        short = {
            "D": stats.get("loss_D"),
            "G": stats.get("loss_G"),
            "D(x)": stats.get("D(x)"),
            "D(G(z))": stats.get("D(G(z))"),
            "img/s": stats.get("images_per_s"),
        }
        text = {k: (f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}") for k, v in short.items() if v is not None}
        if self.bar is not None:
            self.bar.n = step
            self.bar.set_postfix(text, refresh=True)
        elif time.perf_counter() - self._last_line > 15 or step == self.total:
            self._last_line = time.perf_counter()
            log.info("step %d/%d %s", step, self.total, " ".join(f"{k}={v}" for k, v in text.items()))

    def on_eval(self, step: int, values: dict[str, float]) -> None:
        """Records evaluation metrics as ``eval_*`` keys of a ``metrics.jsonl`` line and TensorBoard ``eval/``."""
        record = {"step": step, "time": round(time.time(), 3), **{f"eval_{k}": float(v) for k, v in values.items()}}
        self._append(record)
        with writing(self.tb_dir):
            for key, value in values.items():
                if math.isfinite(value):
                    self.tb.add_scalar(f"eval/{key}", value, step)
        text = " ".join(f"{k}={v:.4g}" for k, v in values.items())
        if self.bar is not None:
            self.bar.write(f"step {step}: {text}")
        else:
            log.info("eval at step %d: %s", step, text)

    def on_image(self, step: int, tag: str, image: np.ndarray) -> None:
        with writing(self.tb_dir):
            self.tb.add_image(tag, image, step, dataformats="HWC")

    def _append(self, record: dict[str, Any]) -> None:
        """Appends one line to ``metrics.jsonl`` (a line torn by a failed write is skipped by its readers)."""
        self.records.append(record)
        with writing(self.path):
            self._fh.write(json.dumps(record) + "\n")
            self._fh.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        try:
            with writing(self.tb_dir):
                self.tb.flush()
                self.tb.close()
        finally:
            with writing(self.path):
                self._fh.close()


def _tb_tag(key: str) -> str:
    if key.startswith("loss_"):
        return f"loss/{key[5:]}"
    if key.startswith("acc_"):
        return f"D_accuracy/{key[4:]}"
    if key in ("D(x)", "D(G(z))"):
        return f"D_output/{key}"
    return f"train/{key}"


class SampleGrid:
    """Saves ``samples/step_XXXXXXX.png`` from the same latents at every call (watch one face evolve).

    Args:
        run_dir: Run directory.
        n: Images per grid.
        z_dim: Latent size.
        num_classes: Conditional generators get class ``i % num_classes`` in column order.
        seed: Seed of the fixed latents (independent of the training noise stream).
        modes: For point generators: the true mixture modes, drawn on the scatter plot.
    """

    def __init__(
        self, run_dir: Path, *, n: int, z_dim: int, num_classes: int, seed: int, modes: np.ndarray | None = None
    ) -> None:
        self.modes = modes
        self.run = RunDir(run_dir)
        self.dir = self.run.samples
        self.dir.mkdir(exist_ok=True)
        self.z = latents(n, z_dim, seed + 1_000_003)
        self.labels = class_labels(n, num_classes) if num_classes else None
        self.nrow = num_classes if num_classes and n % num_classes == 0 else None

    @torch.no_grad()
    def __call__(self, step: int, generator: nn.Module) -> tuple[Path, np.ndarray]:
        device = next(generator.parameters()).device
        was_training = generator.training
        generator.eval()
        labels = self.labels.to(device) if self.labels is not None else None
        out = generator(self.z.to(device), labels)  # [n, C, H, W] images, or [n, D] points
        generator.train(was_training)
        if out.ndim == 2:  # a point generator: a scatter plot against the true modes
            grid = scatter_image(out.float().cpu().numpy(), self.modes)
        else:
            grid = make_grid(to_uint8(out), nrow=self.nrow)
        path = save_png(self.run.sample_grid(step), grid)
        return path, grid


class TranslationGrid:
    """Saves ``samples/step_XXXXXXX.png`` for a translation run: for the same ``n`` pairs at every call, input A,
    the generator's output and the target B side by side.

    Args:
        run_dir: Run directory.
        pairs: uint8 ``[n, H, 2W, C]``: A and B side by side (the first pairs of the training data).
    """

    def __init__(self, run_dir: Path, *, pairs: np.ndarray) -> None:
        self.run = RunDir(run_dir)
        self.run.samples.mkdir(exist_ok=True)
        w = pairs.shape[2] // 2
        self.a, self.b = pairs[:, :, :w], pairs[:, :, w:]

    def __call__(self, step: int, generator: nn.Module) -> tuple[Path, np.ndarray]:
        from ganforge.sampling.translate import translate

        out = translate(generator, self.a)
        cells = np.concatenate([self.a, out, self.b], axis=2)  # [n, H, 3W, C]: input | output | target
        grid = make_grid(cells, nrow=max(1, int(np.ceil(np.sqrt(len(cells) / 3)))))
        return save_png(self.run.sample_grid(step), grid), grid


#: The in-training evaluation metrics ``loss_curves.png`` draws in its third panel, with their legends.
EVAL_CURVES = (
    ("eval_domain_fd", "domain FD"),
    ("eval_fid", "Inception FID"),
    ("eval_mode_kl", "mode KL (Stacked MNIST)"),
    ("eval_reverse_kl", "reverse KL (2D modes)"),
)


def plot_curves(records: list[dict[str, Any]], path: Path) -> Path | None:
    """Writes ``loss_curves.png``: G/D losses, D accuracy on real and fake, and eval distances vs step."""
    rows = [r for r in records if "loss_D" in r or "loss_G" in r]
    if not rows:
        return None
    evals = [r for r in records if any(key in r for key, _ in EVAL_CURVES)]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]

    def series(key: str) -> list[float]:
        return [r.get(key, float("nan")) for r in rows]

    fig, axes = plt.subplots(3 if evals else 2, 1, figsize=(8, 8.5 if evals else 6), sharex=True)
    ax1, ax2 = axes[0], axes[1]
    ax1.plot(steps, series("loss_D"), label="D loss")
    ax1.plot(steps, series("loss_G"), label="G loss")
    ax1.set_ylabel("loss")
    ax1.legend()
    ax1.grid(alpha=0.3)
    ax2.plot(steps, series("acc_real"), label="D accuracy on real")
    ax2.plot(steps, series("acc_fake"), label="D accuracy on fake")
    ax2.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax2.set_ylim(-0.02, 1.02)
    ax2.set_ylabel("D accuracy")
    ax2.legend()
    ax2.grid(alpha=0.3)
    if evals:
        ax3 = axes[2]
        for key, label in EVAL_CURVES:
            points = [(r["step"], r[key]) for r in evals if key in r]
            if points:
                steps_, values = zip(*points, strict=True)  # an infinite reverse KL (a mode never hit) shows as a gap
                ax3.plot(steps_, [v if 0 < v < math.inf else math.nan for v in values], marker="o", ms=3, label=label)
        ax3.set_yscale("log")
        ax3.set_ylabel("distance to real data (lower is better)")
        ax3.legend()
        ax3.grid(alpha=0.3, which="both")
    axes[-1].set_xlabel("step")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    try:
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(tmp, dpi=100)
            tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        plt.close(fig)
    return path
