"""What each preset gives after a fixed CPU budget: steps reached, speed, final statistics, sample grid.

    python -m benchmarks.presets --minutes 5

Each preset trains (its own config, seed 0) until ``--minutes`` of wall time or the preset's step count,
whichever comes first, in a fresh run directory under ``--run-dir`` (default: a new
``runs/benchmarks/presets-TIME/``). ``folder-dcgan`` trains on a folder of PNGs written from the first
``--folder-images`` Fashion-MNIST test images (nested class folders), standing in for a user's image folder; it
exercises the whole folder pipeline (decode, RGB, 64 px). The table prints steps, images/s,
the domain metrics of 10,000 samples (MNIST / Fashion-MNIST presets; see ganforge.metrics.domain) and the mean
losses / D outputs of the last log interval; ``--grids DIR`` copies the last sample grid of each run there.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import time
from pathlib import Path

import torch
from PIL import Image

import ganforge
from benchmarks.harness import RESULTS_DIR, check_out, describe, note, out_option, save_record
from ganforge.config import load_preset, preset_names
from ganforge.data import load_dataset
from ganforge.metrics.domain import CLASSIFIERS, domain_metrics
from ganforge.training.callbacks import read_metrics


def write_folder(root: Path, n: int) -> Path:
    """The first ``n`` Fashion-MNIST test images as PNGs in one folder per class."""
    array = load_dataset("fashion-mnist", "test")
    assert array.labels is not None
    for i in range(n):
        sub = root / f"class_{int(array.labels[i])}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array.images[i, :, :, 0]).save(sub / f"{i:05d}.png")
    return root


def run_preset(name: str, out: Path, minutes: float, folder: Path | None) -> dict[str, object]:
    overrides: dict[str, object] = {"train.max_minutes": minutes}
    if name.startswith("folder"):
        overrides["data.path"] = str(folder)
    cfg = load_preset(name, overrides)
    run_dir = out / name
    wall = None
    if not (run_dir / "config.json").is_file():  # --summarize: re-measure existing runs without training
        started = time.perf_counter()
        ganforge.train(cfg, run_dir=run_dir, progress=False)
        wall = round(time.perf_counter() - started, 1)
    records = [r for r in read_metrics(run_dir / "metrics.jsonl") if "loss_D" in r]  # training records only
    last = records[-1]
    stopped = "steps" if last["step"] == cfg.train.steps else "budget"
    speeds = [r["images_per_s"] for r in records[1:] if "images_per_s" in r]  # skip the warm-up interval
    grid = sorted((run_dir / "samples").glob("step_*.png"))[-1]
    quality: dict[str, object] = {}
    if cfg.data.name in CLASSIFIERS:  # domain metrics of 10k samples of the EMA generator vs the test split
        images, _ = ganforge.generate(ganforge.load_generator(run_dir), 10_000, seed=0)
        m = domain_metrics(images, cfg.data.name)
        quality = {
            "domain_fd": round(m.domain_fd, 2),
            "classes": m.classes_covered,
            "class_kl": round(m.class_kl, 4),
            "confidence": round(m.mean_confidence, 3),
        }
    return {
        "preset": name,
        "steps": last["step"],
        "of_steps": cfg.train.steps,
        "stopped_by": stopped,
        "wall_s": wall,
        "images_per_s": round(statistics.median(speeds), 1) if speeds else None,
        **{k: round(last[k], 4) for k in ("loss_D", "loss_G", "D(x)", "D(G(z))", "acc_real", "acc_fake") if k in last},
        **quality,
        "grid": str(grid),
        "precision": json.loads((run_dir / "run.json").read_text())["precision"],
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.presets", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--presets", nargs="*", default=None, help="default: every preset")
    p.add_argument("--minutes", type=float, default=5.0, help="wall-clock budget per preset")
    p.add_argument("--run-dir", type=Path, default=None,
                   help=f"new folder for the runs (default: a new {RESULTS_DIR}/presets-TIME)")  # fmt: skip
    p.add_argument("--grids", type=Path, default=None, help="copy each last grid here as PRESET.png")
    p.add_argument("--folder-images", type=int, default=2000)
    out_option(p)
    p.add_argument("--summarize", action="store_true", help="measure the runs already in --run-dir, train nothing")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    check_out(p, args.out)
    if args.summarize and args.run_dir is None:
        p.error("--summarize measures the runs in --run-dir: name it")
    run_dir = args.run_dir or RESULTS_DIR / f"presets-{time.strftime('%Y%m%d-%H%M%S')}"
    if run_dir.exists() and not args.summarize:
        p.error(f"{run_dir} exists; runs are never overwritten, pick a new --run-dir (or --summarize it)")
    names = args.presets or preset_names()
    needs_folder = any(n.startswith("folder") for n in names)
    folder = run_dir / "_folder"
    if needs_folder and not folder.is_dir():
        write_folder(folder, args.folder_images)
    rows = []
    for name in names:
        row = run_preset(name, run_dir, args.minutes, folder)
        rows.append(row)
        note(json.dumps(row))
        if args.grids is not None:
            args.grids.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(str(row["grid"]), args.grids / f"{name}.png")

    cols = [
        "preset",
        "steps",
        "stopped_by",
        "wall_s",
        "images_per_s",
        "domain_fd",
        "classes",
        "class_kl",
        "confidence",
        "loss_D",
        "loss_G",
        "D(x)",
        "D(G(z))",
    ]
    print(f"machine: {describe(torch.device('cpu'))}, torch {torch.__version__}, budget {args.minutes} min per preset")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    save_record("presets", {"minutes": args.minutes, "run_dir": str(run_dir), "rows": rows}, args.out)


if __name__ == "__main__":
    main()
