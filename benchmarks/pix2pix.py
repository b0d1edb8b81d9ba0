"""pix2pix: the paper's loss ablation on the edge tasks, and the step's speed against a reference loop.

    python -m benchmarks.pix2pix --minutes 9
    python -m benchmarks.pix2pix --speed-only --steps 60

**Ablation** (Isola et al. 2017, table 1): on ``edges2mnist`` and ``edges2fashion``, L1 only
(``recipe.gan_weight=0``), adversarial only (``recipe.l1_weight=0``) and L1 + adversarial (the preset), each
trained from seed 0 for ``--minutes`` of wall time in a new run directory under ``--run-dir``, then judged on
the whole test split (ganforge.metrics.translation): PSNR, SSIM, label preservation, domain FD. Expect L1 alone
to win on PSNR (the blurry average minimises the pixel error) and to lose on domain FD and sharpness.

**Speed**: images/s of one pix2pix step (D update on real and G(A) pairs, then G update with adversarial + L1),
ganforge's trainer against a reference loop written the way pytorch-CycleGAN-and-pix2pix's ``Pix2PixModel``
writes it (``set_requires_grad`` around each update, ``optimizer.zero_grad()``, the GAN target tensors built
per call, ``.item()`` of every loss each step as its loss printing does), the same networks and data in memory
(both sides compare the step, not the loaders), at the reference's default batch 1 and at the preset's batch.
Rounds alternate; the table gives medians and the median ratio.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

import ganforge
from benchmarks.harness import RESULTS_DIR, check_out, describe, note, out_option, save_record
from ganforge.api import _assemble, _load_data
from ganforge.config import load_preset
from ganforge.data import load_dataset
from ganforge.metrics.translation import translation_metrics
from ganforge.training.callbacks import read_metrics

TASKS = {
    "edges2mnist": ("edges2mnist-pix2pix", "mnist"),
    "edges2fashion": ("edges2fashion-pix2pix", "fashion-mnist"),
}
ABLATION = {"L1 only": {"recipe.gan_weight": 0.0}, "adversarial only": {"recipe.l1_weight": 0.0},
            "L1 + adversarial": {}}  # fmt: skip
REFERENCE_BATCH = 1  # pytorch-CycleGAN-and-pix2pix's default --batch_size


def ablation_row(task: str, variant: str, out: Path, minutes: float) -> dict[str, Any]:
    preset, dataset = TASKS[task]
    overrides = {**ABLATION[variant], "train.max_minutes": minutes, "eval.every": 0}
    run_dir = out / f"{task}-{variant.replace(' ', '').replace('+', '-')}"
    if not (run_dir / "config.json").is_file():
        ganforge.train(preset, run_dir=run_dir, overrides=overrides, progress=False)
    steps = [r for r in read_metrics(run_dir / "metrics.jsonl") if "loss_G" in r][-1]["step"]
    test = load_dataset(task, "test")
    w = test.images.shape[2] // 2
    outputs = ganforge.translate(ganforge.load_generator(run_dir), test.images[:, :, :w])
    m = translation_metrics(outputs, test.images[:, :, w:], labels=test.labels, dataset=dataset)
    return {"task": task, "variant": variant, "steps": steps, **{k: round(v, 4) for k, v in m.items()}}


class ReferenceStep:
    """One training iteration as pytorch-CycleGAN-and-pix2pix's Pix2PixModel runs it, on given networks."""

    def __init__(self, G: nn.Module, D: nn.Module, lr: float, betas: tuple[float, float]) -> None:
        self.G, self.D = G, D
        self.opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        self.gan = nn.BCEWithLogitsLoss()
        self.l1 = nn.L1Loss()

    def _target(self, pred: torch.Tensor, real: bool) -> torch.Tensor:
        return torch.tensor(1.0 if real else 0.0).expand_as(pred)  # GANLoss.get_target_tensor

    @staticmethod
    def _requires_grad(net: nn.Module, flag: bool) -> None:
        for p in net.parameters():
            p.requires_grad = flag

    def __call__(self, real_a: torch.Tensor, real_b: torch.Tensor) -> None:
        fake_b = self.G(real_a)  # forward()
        self._requires_grad(self.D, True)
        self.opt_d.zero_grad()
        pred_fake = self.D(real_a, fake_b.detach())  # backward_D(): the pair concatenated inside our D
        loss_d_fake = self.gan(pred_fake, self._target(pred_fake, False))
        pred_real = self.D(real_a, real_b)
        loss_d_real = self.gan(pred_real, self._target(pred_real, True))
        loss_d = (loss_d_fake + loss_d_real) * 0.5
        loss_d.backward()
        self.opt_d.step()
        self._requires_grad(self.D, False)
        self.opt_g.zero_grad()
        pred_fake = self.D(real_a, fake_b)  # backward_G()
        loss_g = self.gan(pred_fake, self._target(pred_fake, True)) + self.l1(fake_b, real_b) * 100.0
        loss_g.backward()
        self.opt_g.step()
        for loss in (loss_d_fake, loss_d_real, loss_g):  # get_current_losses() each print
            loss.item()


def speed(batch: int, steps: int, rounds: int) -> dict[str, Any]:
    cfg = load_preset("edges2mnist-pix2pix", {"optim.batch_size": batch, "train.threads": 0, "train.device": "cpu",
                                              "data.limit": 4096, "eval.every": 0})  # fmt: skip
    run = _assemble(cfg, _load_data(cfg))
    G, D = run.built.modules["G"], run.built.modules["D"]
    ref = ReferenceStep(copy.deepcopy(G), copy.deepcopy(D), cfg.optim.lr_g, (cfg.optim.beta1, cfg.optim.beta2))
    data = run.built.phases[0].loss.__self__.data  # type: ignore[attr-defined]
    ours, theirs = [], []
    for r in range(rounds):
        for s in range(3):  # warm-up
            ref(*_halves(data.batch(s, batch)[0]))
            run.trainer.step(s)
        started = time.perf_counter()
        for s in range(steps):
            ref(*_halves(data.batch(s, batch)[0]))
        theirs.append(steps * batch / (time.perf_counter() - started))
        started = time.perf_counter()
        for s in range(r * steps, (r + 1) * steps):
            run.trainer.step(s)
            if (s + 1) % 50 == 0:
                run.trainer.pop_stats()
        run.trainer.pop_stats()
        ours.append(steps * batch / (time.perf_counter() - started))
    ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
    return {
        "batch": batch,
        "reference_images_per_s": round(statistics.median(theirs), 1),
        "ganforge_images_per_s": round(statistics.median(ours), 1),
        "ratio": round(statistics.median(ratios), 2),
    }


def _halves(pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    w = pairs.shape[-1] // 2
    return pairs[..., :w].contiguous(), pairs[..., w:].contiguous()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.pix2pix", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget per ablation run")
    p.add_argument("--tasks", nargs="*", default=list(TASKS), choices=list(TASKS))
    p.add_argument("--steps", type=int, default=40, help="timed steps per speed round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--speed-only", action="store_true", help="skip the ablation")
    p.add_argument("--run-dir", type=Path, default=None,
                   help=f"new folder for the ablation runs (default: a new {RESULTS_DIR}/pix2pix-TIME)")  # fmt: skip
    out_option(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    check_out(p, args.out)
    rows: list[dict[str, Any]] = []
    if not args.speed_only:
        run_dir = args.run_dir or RESULTS_DIR / f"pix2pix-{time.strftime('%Y%m%d-%H%M%S')}"
        for task in args.tasks:
            for variant in ABLATION:
                rows.append(ablation_row(task, variant, run_dir, args.minutes))
                note(json.dumps(rows[-1]))
    ours = load_preset("edges2mnist-pix2pix").optim.batch
    speeds = [speed(b, args.steps, args.rounds) for b in (REFERENCE_BATCH, ours)]
    print(f"machine: {describe(torch.device('cpu'))}, torch {torch.__version__}")
    if rows:
        print(f"ablation, {args.minutes} min per run, judged on the whole test split:")
        print("| task | variant | steps | PSNR | SSIM | label preservation | domain FD |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['task']} | {r['variant']} | {r['steps']} | {r['psnr']} | {r['ssim']} | "
                  f"{r['label_preservation']} | {r['domain_fd']} |")  # fmt: skip
    print("speed of the pix2pix step (edges2mnist, 32 px, widths 32):")
    print("| batch | reference loop, images/s | ganforge, images/s | ratio |")
    print("|---|---|---|---|")
    for s in speeds:
        print(f"| {s['batch']} | {s['reference_images_per_s']} | {s['ganforge_images_per_s']} | {s['ratio']} |")
    save_record("pix2pix", {"minutes": args.minutes, "ablation": rows, "speed": speeds}, args.out)


if __name__ == "__main__":
    main()
